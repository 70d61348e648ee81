/* SPDX-License-Identifier: MIT */
/* The TSIG key file parser: a small tokenizer (words, quoted strings,
 * punctuation, three comment styles) and the one-block grammar, each
 * step bounded by the input. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/tsig-key.h"
#include "dnssd/name.h"

/* Longest word or quoted string; a base64 secret of CFG_TSIG_SECRET_MAX
 * bytes is 684 characters. */
#define TOKEN_MAX 1024

static const char *const alg_names[_CFG_TSIG_ALG_MAX] = {
        [CFG_TSIG_HMAC_MD5] = "hmac-md5",
        [CFG_TSIG_HMAC_SHA1] = "hmac-sha1",
        [CFG_TSIG_HMAC_SHA256] = "hmac-sha256",
        [CFG_TSIG_HMAC_SHA512] = "hmac-sha512",
};

enum tok_kind { TOK_END, TOK_WORD, TOK_STRING, TOK_PUNCT, TOK_ERROR };

struct lexer {
	const char *buf;
	size_t len, pos;
	unsigned line, col;
	/* the current token */
	enum tok_kind kind;
	unsigned tline, tcol;
	char text[TOKEN_MAX + 1];
	size_t tlen;
	char *err;
	size_t errlen;
};

/* Contract in config.h. */
const char *cfg_tsig_alg_name(enum cfg_tsig_alg a)
{
	if ((unsigned)a >= _CFG_TSIG_ALG_MAX)
		return NULL;
	return alg_names[a];
}

/* Contract in tsig-key.h. */
void cfg_tsig_key_clear(struct cfg_tsig_key *k)
{
	free(k->name);
	if (k->secret) {
		explicit_bzero(k->secret, strlen(k->secret));
		free(k->secret);
	}
	*k = (struct cfg_tsig_key){0};
}

static int lex_fail(struct lexer *lx, unsigned line, unsigned col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Store "LINE:COL: message" in the caller's buffer; returns -EINVAL. */
static int lex_fail(struct lexer *lx, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!lx->errlen)
		return -EINVAL;
	n = snprintf(lx->err, lx->errlen, "%u:%u: ", line, col);
	if (n >= 0 && (size_t)n < lx->errlen) {
		va_start(ap, fmt);
		vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void advance(struct lexer *lx)
{
	if (lx->buf[lx->pos] == '\n')
		lx->line++, lx->col = 1;
	else
		lx->col++;
	lx->pos++;
}

static bool at(const struct lexer *lx, size_t off, char c)
{
	return lx->pos + off < lx->len && lx->buf[lx->pos + off] == c;
}

/* Skip white space and comments. Returns 0 or -EINVAL (an unclosed
 * comment, a NUL byte). */
static int skip_blank(struct lexer *lx)
{
	while (lx->pos < lx->len) {
		char c = lx->buf[lx->pos];

		if (c == '\0')
			return lex_fail(lx, lx->line, lx->col, "a NUL byte");
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(lx);
		} else if (c == '#' || (c == '/' && at(lx, 1, '/'))) {
			while (lx->pos < lx->len && lx->buf[lx->pos] != '\n')
				advance(lx);
		} else if (c == '/' && at(lx, 1, '*')) {
			unsigned line = lx->line, col = lx->col;

			advance(lx), advance(lx);
			while (lx->pos < lx->len && !(at(lx, 0, '*') && at(lx, 1, '/')))
				advance(lx);
			if (lx->pos >= lx->len)
				return lex_fail(lx, line, col, "unclosed comment");
			advance(lx), advance(lx);
		} else {
			return 0;
		}
	}
	return 0;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '+' || c == '/' || c == '=';
}

/* Read the next token into LX. Returns 0 or -EINVAL. */
static int next(struct lexer *lx)
{
	int r = skip_blank(lx);
	char c;

	if (r < 0)
		return r;
	lx->tline = lx->line, lx->tcol = lx->col, lx->tlen = 0, lx->text[0] = '\0';
	if (lx->pos >= lx->len) {
		lx->kind = TOK_END;
		return 0;
	}
	c = lx->buf[lx->pos];
	if (c == '{' || c == '}' || c == ';') {
		lx->kind = TOK_PUNCT;
		lx->text[0] = c, lx->text[1] = '\0', lx->tlen = 1;
		advance(lx);
		return 0;
	}
	if (c == '"') {
		advance(lx);
		for (;;) {
			if (lx->pos >= lx->len || lx->buf[lx->pos] == '\n')
				return lex_fail(lx, lx->tline, lx->tcol, "unterminated string");
			c = lx->buf[lx->pos];
			if (c == '"')
				break;
			if (c == '\\') {
				advance(lx);
				if (lx->pos >= lx->len)
					continue;
				c = lx->buf[lx->pos];
			}
			if ((unsigned char)c < 0x20 || c == 0x7f)
				return lex_fail(lx, lx->line, lx->col,
				                "a control character in a string");
			if (lx->tlen >= TOKEN_MAX)
				return lex_fail(lx, lx->tline, lx->tcol,
				                "a string longer than %d bytes", TOKEN_MAX);
			lx->text[lx->tlen++] = c;
			advance(lx);
		}
		advance(lx);
		lx->text[lx->tlen] = '\0';
		lx->kind = TOK_STRING;
		return 0;
	}
	if (!word_char(c)) {
		if ((unsigned char)c >= 0x21 && (unsigned char)c < 0x7f)
			return lex_fail(lx, lx->line, lx->col, "unexpected '%c'", c);
		return lex_fail(lx, lx->line, lx->col, "unexpected byte 0x%02x", (unsigned char)c);
	}
	while (lx->pos < lx->len && word_char(lx->buf[lx->pos])) {
		if (lx->tlen >= TOKEN_MAX)
			return lex_fail(lx, lx->tline, lx->tcol, "a word longer than %d bytes",
			                TOKEN_MAX);
		lx->text[lx->tlen++] = lx->buf[lx->pos];
		advance(lx);
	}
	lx->text[lx->tlen] = '\0';
	lx->kind = TOK_WORD;
	return 0;
}

/* The next token must be punctuation P. */
static int expect_punct(struct lexer *lx, char p, const char *after)
{
	int r = next(lx);

	if (r < 0)
		return r;
	if (lx->kind != TOK_PUNCT || lx->text[0] != p)
		return lex_fail(lx, lx->tline, lx->tcol, "expected '%c' after %s", p, after);
	return 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Why S is not canonical base64 of 1-CFG_TSIG_SECRET_MAX bytes, or NULL. */
static const char *check_base64(const char *s, size_t len)
{
	size_t pad = 0;

	if (len == 0)
		return "the secret is empty";
	if (len % 4)
		return "the secret is not base64 (its length is not a multiple of 4)";
	while (pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (b64_value(s[i]) < 0)
			return "the secret is not base64";
	if ((len / 4) * 3 - pad > CFG_TSIG_SECRET_MAX)
		return "the secret is too long";
	/* Bits past the data must be zero (canonical encoding). */
	if (pad == 1 && (b64_value(s[len - 2]) & 0x3))
		return "the secret is not canonical base64";
	if (pad == 2 && (b64_value(s[len - 3]) & 0xf))
		return "the secret is not canonical base64";
	return NULL;
}

static int parse_alg(struct lexer *lx, struct cfg_tsig_key *k)
{
	char name[TOKEN_MAX + 1];
	size_t len;
	int r = next(lx);

	if (r < 0)
		return r;
	if (lx->kind != TOK_WORD && lx->kind != TOK_STRING)
		return lex_fail(lx, lx->tline, lx->tcol, "expected an algorithm name");
	len = lx->tlen;
	memcpy(name, lx->text, len + 1);
	if (len && name[len - 1] == '.')
		name[--len] = '\0'; /* "hmac-sha256." as a domain name */
	if (strcasecmp(name, "hmac-md5.sig-alg.reg.int") == 0)
		snprintf(name, sizeof(name), "hmac-md5");
	for (int i = 0; i < _CFG_TSIG_ALG_MAX; i++) {
		if (strcasecmp(name, alg_names[i]) == 0) {
			k->alg = (enum cfg_tsig_alg)i;
			return expect_punct(lx, ';', "the algorithm");
		}
	}
	return lex_fail(lx, lx->tline, lx->tcol,
	                "algorithm \"%.64s\" is not supported (hmac-sha256, hmac-sha512, "
	                "hmac-sha1 or hmac-md5)",
	                name);
}

static int parse_secret(struct lexer *lx, struct cfg_tsig_key *k)
{
	const char *why;
	int r = next(lx);

	if (r < 0)
		return r;
	if (lx->kind != TOK_STRING && lx->kind != TOK_WORD)
		return lex_fail(lx, lx->tline, lx->tcol, "expected the secret as a string");
	if ((why = check_base64(lx->text, lx->tlen)))
		return lex_fail(lx, lx->tline, lx->tcol, "%s", why);
	if (k->secret)
		return lex_fail(lx, lx->tline, lx->tcol, "a second secret");
	k->secret = strdup(lx->text);
	explicit_bzero(lx->text, lx->tlen);
	if (!k->secret)
		return -ENOMEM;
	return expect_punct(lx, ';', "the secret");
}

/* key NAME { statements } ; */
static int parse_block(struct lexer *lx, struct cfg_tsig_key *k)
{
	const char *why;
	bool have_alg = false;
	int r = next(lx);

	if (r < 0)
		return r;
	if (lx->kind != TOK_WORD || strcmp(lx->text, "key") != 0)
		return lex_fail(lx, lx->tline, lx->tcol,
		                lx->kind == TOK_END ? "no key block (key \"name\" { ... };)"
		                                    : "expected 'key'");
	if ((r = next(lx)) < 0)
		return r;
	if (lx->kind != TOK_STRING && lx->kind != TOK_WORD)
		return lex_fail(lx, lx->tline, lx->tcol, "expected the key's name after 'key'");
	if ((why = dnssd_check_domain(lx->text)))
		return lex_fail(lx, lx->tline, lx->tcol, "the key name is not a domain name: %s",
		                why);
	k->name = strdup(lx->text);
	if (!k->name)
		return -ENOMEM;
	if (k->name[0] && k->name[strlen(k->name) - 1] == '.')
		k->name[strlen(k->name) - 1] = '\0';
	if ((r = expect_punct(lx, '{', "the key name")) < 0)
		return r;
	for (;;) {
		if ((r = next(lx)) < 0)
			return r;
		if (lx->kind == TOK_PUNCT && lx->text[0] == '}')
			break;
		if (lx->kind == TOK_WORD && strcmp(lx->text, "algorithm") == 0) {
			if (have_alg)
				return lex_fail(lx, lx->tline, lx->tcol, "a second algorithm");
			have_alg = true;
			r = parse_alg(lx, k);
		} else if (lx->kind == TOK_WORD && strcmp(lx->text, "secret") == 0) {
			r = parse_secret(lx, k);
		} else if (lx->kind == TOK_END) {
			return lex_fail(lx, lx->tline, lx->tcol, "the key block is not closed");
		} else {
			return lex_fail(lx, lx->tline, lx->tcol,
			                "expected 'algorithm', 'secret' or '}', got \"%.32s\"",
			                lx->text);
		}
		if (r < 0)
			return r;
	}
	if (!k->secret)
		return lex_fail(lx, lx->tline, lx->tcol, "the key has no secret");
	if (!have_alg)
		k->alg = CFG_TSIG_HMAC_SHA256;
	return expect_punct(lx, ';', "'}'");
}

/* Contract in tsig-key.h. */
int cfg_tsig_key_parse(const char *buf, size_t len, struct cfg_tsig_key *ret, char *err,
                       size_t errlen)
{
	struct lexer *lx;
	int r;

	*ret = (struct cfg_tsig_key){0};
	if (errlen)
		err[0] = '\0';
	if (len > CFG_TSIG_FILE_MAX) {
		snprintf(err, errlen, "1:1: the file is larger than %d bytes", CFG_TSIG_FILE_MAX);
		return -EINVAL;
	}
	lx = calloc(1, sizeof(*lx));
	if (!lx)
		return -ENOMEM;
	*lx = (struct lexer){
	        .buf = buf, .len = len, .line = 1, .col = 1, .err = err, .errlen = errlen};
	r = parse_block(lx, ret);
	if (r == 0 && (r = next(lx)) == 0 && lx->kind != TOK_END)
		r = lex_fail(lx, lx->tline, lx->tcol, "more than one key in the file");
	explicit_bzero(lx, sizeof(*lx));
	free(lx);
	if (r == -ENOMEM && errlen)
		snprintf(err, errlen, "out of memory");
	if (r < 0)
		cfg_tsig_key_clear(ret);
	return r;
}
