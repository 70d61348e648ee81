/* SPDX-License-Identifier: MIT */
/* A service's health checks: tcp, http, exec and ttl entries validated into struct cfg_check. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/checks.h"
#include "dnssd/utf8.h"

#define MAX_CHECKS   32   /* per service */
#define MAX_ARGS     64   /* exec: program and arguments */
#define MAX_ARG_LEN  4096 /* exec: bytes per argument */
#define MAX_URL_LEN  2048
#define MAX_TARGET   255 /* shown command line */
#define INTERVAL_MIN 100ULL
#define INTERVAL_MAX 3600000ULL
#define TIMEOUT_MIN  10ULL
#define TTL_MIN      1000ULL
#define TTL_MAX      86400000ULL
#define COUNT_MAX    100
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

enum {
	K_TCP,
	K_HTTP,
	K_EXEC,
	K_TTL,
	K_INTERVAL,
	K_TIMEOUT,
	K_RISE,
	K_FALL,
	K_TLS_SKIP_VERIFY,
	N_KEYS,
};

/* The key that names each kind. */
static const struct {
	int key;
	enum cfg_check_kind kind;
} kind_keys[] = {
        {K_TCP, CFG_CHECK_TCP},
        {K_HTTP, CFG_CHECK_HTTP},
        {K_EXEC, CFG_CHECK_EXEC},
        {K_TTL, CFG_CHECK_TTL},
};

static const char *const kind_names[_CFG_CHECK_KIND_MAX] = {
        [CFG_CHECK_TCP] = "tcp",
        [CFG_CHECK_HTTP] = "http",
        [CFG_CHECK_EXEC] = "exec",
        [CFG_CHECK_TTL] = "ttl",
};

/* Contract in config.h. */
const char *cfg_check_kind_name(enum cfg_check_kind k)
{
	if ((unsigned)k >= _CFG_CHECK_KIND_MAX)
		return NULL;
	return kind_names[k];
}

static void check_clear(struct cfg_check *c)
{
	free(c->target);
	free(c->url);
	if (c->argv)
		cfg_strv_free(c->argv, c->argc);
	*c = (struct cfg_check){0};
}

/* Contract in checks.h. */
void cfg_checks_free(struct cfg_check *checks, size_t n)
{
	for (size_t i = 0; checks && i < n; i++)
		check_clear(&checks[i]);
	free(checks);
}

/* Contract in config.h. */
bool cfg_check_same_target(const struct cfg_check *a, const struct cfg_check *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case CFG_CHECK_TCP:
		return a->addr_len == b->addr_len && memcmp(&a->addr, &b->addr, a->addr_len) == 0;
	case CFG_CHECK_HTTP:
		return strcmp(a->url, b->url) == 0;
	case CFG_CHECK_EXEC:
		if (a->argc != b->argc)
			return false;
		for (size_t i = 0; i < a->argc; i++)
			if (strcmp(a->argv[i], b->argv[i]) != 0)
				return false;
		return true;
	case CFG_CHECK_TTL:
	case _CFG_CHECK_KIND_MAX:
		break;
	}
	return true;
}

/* A duration within LO..HI ms (shown in the message); false after
 * reporting the problem. */
static bool field_duration(struct cfg_file *f, const struct cfg_field *fld, uint64_t lo,
                           uint64_t hi, uint64_t *ret)
{
	const char *v = cfg_field_string(f, fld);
	char q[CFG_QUOTE_MAX], a[32], b[32];
	uint64_t n;

	if (!v)
		return false;
	if (duration_parse(v, &n) < 0) {
		cfg_error(f, fld->value,
		          "'%s': expected a duration such as 500ms, 2s or 1m, got %s", fld->name,
		          cfg_quote(v, strlen(v), q));
		return false;
	}
	if (n < lo || n > hi) {
		cfg_error(f, fld->value, "'%s': %s is out of range (%s-%s)", fld->name,
		          cfg_quote(v, strlen(v), q), duration_format(lo, a, sizeof(a)),
		          duration_format(hi, b, sizeof(b)));
		return false;
	}
	*ret = n;
	return true;
}

/* A decimal port 1-65535 of LEN bytes at S. */
static bool parse_port(const char *s, size_t len, uint16_t *ret)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*ret = (uint16_t)v;
	return true;
}

/* "HOST:PORT" with a numeric HOST ([v6] in brackets) or localhost into C's
 * address; NULL, or why not. */
static const char *parse_hostport(const char *v, struct cfg_check *c)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *h, *port, *colon;
	size_t hlen;
	uint16_t p;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (!close)
			return "an IPv6 address in brackets lacks its ']'";
		if (close[1] != ':')
			return "expected HOST:PORT";
		h = v + 1;
		hlen = (size_t)(close - h);
		port = close + 2;
	} else {
		colon = strrchr(v, ':');
		if (!colon)
			return "expected HOST:PORT";
		h = v;
		hlen = (size_t)(colon - v);
		if (memchr(h, ':', hlen))
			return "an IPv6 address goes in brackets, as in [::1]:8443";
		port = colon + 1;
	}
	if (!parse_port(port, strlen(port), &p))
		return "the port must be a number from 1 to 65535";
	if (hlen == 0)
		return "the host is missing";
	if (hlen >= sizeof(host))
		return "the host must be a numeric address or localhost (tcp checks do not look "
		       "names up)";
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (v[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c->addr;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return "not an IPv6 address in the brackets";
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(p);
		c->addr_len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&c->addr;

		if (strcasecmp(host, "localhost") == 0)
			a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return "the host must be a numeric address or localhost (tcp checks do not "
			       "look names up)";
		a4->sin_family = AF_INET;
		a4->sin_port = htons(p);
		c->addr_len = sizeof(*a4);
	}
	return NULL;
}

static bool reg_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-' || ch == '_';
}

/* An http:// or https:// URL with a host and an optional port; NULL, or
 * why not. */
static const char *check_url(const char *v)
{
	const char *auth, *end, *at, *hp, *colon = NULL;
	size_t len = strlen(v), skip;
	uint16_t port;

	if (len > MAX_URL_LEN)
		return "longer than 2048 bytes";
	if (strncasecmp(v, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(v, "https://", 8) == 0)
		skip = 8;
	else
		return "expected an http:// or https:// URL";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
			return "contains a space, a control or a non-ASCII character "
			       "(percent-encode it)";
	auth = v + skip;
	end = auth + strcspn(auth, "/?#");
	/* user:password@ may come first; the host is after the last '@' */
	hp = auth;
	for (at = auth; at < end; at++)
		if (*at == '@')
			hp = at + 1;
	if (hp == end)
		return "the URL has no host";
	if (*hp == '[') {
		char host[INET6_ADDRSTRLEN + 1];
		struct in6_addr a6;
		const char *close = memchr(hp, ']', (size_t)(end - hp));

		if (!close || (size_t)(close - hp - 1) >= sizeof(host))
			return "the host is not an IPv6 address in brackets";
		memcpy(host, hp + 1, (size_t)(close - hp - 1));
		host[close - hp - 1] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return "the host is not an IPv6 address in brackets";
		if (close + 1 < end && close[1] != ':')
			return "the host is not an IPv6 address in brackets";
		if (close + 1 < end)
			colon = close + 1;
	} else {
		for (const char *p = hp; p < end; p++) {
			if (*p == ':') {
				colon = p;
				break;
			}
			if (!reg_name_char(*p))
				return "the host has a character other than letters, digits, '.', "
				       "'-' and '_'";
		}
		if (colon == hp)
			return "the URL has no host";
	}
	if (colon && !parse_port(colon + 1, (size_t)(end - colon - 1), &port))
		return "the port must be a number from 1 to 65535";
	return NULL;
}

/* Whether PATH names an executable regular file. */
static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Warn when the program of an exec check cannot run here (it may exist by
 * the time the check runs: a warning, not an error). */
static void check_program(struct cfg_file *f, const yaml_node_t *at, const char *prog)
{
	char q[CFG_QUOTE_MAX];
	const char *path = getenv("PATH");

	if (prog[0] == '/') {
		struct stat st;

		if (stat(prog, &st) < 0)
			cfg_warning(f, at, "'exec': program %s does not exist",
			            cfg_quote(prog, strlen(prog), q));
		else if (!executable(prog))
			cfg_warning(f, at, "'exec': program %s is not an executable file",
			            cfg_quote(prog, strlen(prog), q));
		return;
	}
	if (!path || !*path)
		path = DEFAULT_PATH;
	while (*path) {
		size_t n = strcspn(path, ":");
		char *full;

		if (n > 0 && asprintf(&full, "%.*s/%s", (int)n, path, prog) >= 0) {
			bool ok = executable(full);

			free(full);
			if (ok)
				return;
		}
		path += n + (path[n] == ':');
	}
	cfg_warning(f, at, "'exec': command %s is not found in PATH",
	            cfg_quote(prog, strlen(prog), q));
}

/* The program and arguments of an exec check into C. */
static bool parse_exec(struct cfg_file *f, const struct cfg_field *fld, struct cfg_check *c)
{
	enum cfg_kind k = cfg_node_kind(fld->value);
	char q[CFG_QUOTE_MAX];
	size_t n, shown = 0;
	bool ok = true;

	if (k == CFG_KIND_STRING) {
		cfg_error(f, fld->value,
		          "'exec': expected a list [program, arguments...] (no shell is used), got "
		          "a string");
		return false;
	}
	if (!cfg_field_list(f, fld))
		return false;
	n = cfg_list_len(fld->value);
	if (n == 0) {
		cfg_error(f, cfg_field_pos(fld), "'exec': the list is empty: it needs a program");
		return false;
	}
	if (n > MAX_ARGS) {
		cfg_error(f, fld->value, "'exec': more than %d arguments", MAX_ARGS);
		return false;
	}
	c->argv = calloc(n + 1, sizeof(*c->argv));
	if (!c->argv) {
		f->oom = true;
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = cfg_list_item(f, fld->value, i);
		const char *v = cfg_item_string(f, "exec", item);

		if (!v) {
			ok = false;
			continue;
		}
		if (strlen(v) > MAX_ARG_LEN) {
			cfg_error(f, item, "'exec' item: longer than %d bytes", MAX_ARG_LEN);
			ok = false;
			continue;
		}
		if (i == 0 && !*v) {
			cfg_error(f, item, "'exec': the program cannot be empty");
			ok = false;
			continue;
		}
		if (i == 0 && v[0] != '/' && strchr(v, '/')) {
			cfg_error(f, item,
			          "'exec': %s is a relative path: give an absolute path, or a "
			          "command name looked up in PATH",
			          cfg_quote(v, strlen(v), q));
			ok = false;
			continue;
		}
		if (i == 0)
			check_program(f, item, v);
		c->argv[c->argc] = cfg_strndup(f, v, strlen(v));
		if (!c->argv[c->argc])
			return false;
		c->argc++;
	}
	if (!ok)
		return false;
	/* The command line for people: arguments joined by spaces, cut. */
	c->target = calloc(1, MAX_TARGET + 1);
	if (!c->target) {
		f->oom = true;
		return false;
	}
	for (size_t i = 0; i < c->argc && shown < MAX_TARGET; i++) {
		int w = snprintf(c->target + shown, MAX_TARGET + 1 - shown, "%s%s", i ? " " : "",
		                 c->argv[i]);

		shown += w > 0 ? (size_t)w : 0;
	}
	if (shown > MAX_TARGET) {
		size_t cut = utf8_cut(c->target, MAX_TARGET - 3);

		memcpy(c->target + cut, "...", 4); /* cut between characters */
	}
	return true;
}

/* The target of C, whose kind is the key of KF; false if invalid. */
static bool parse_target(struct cfg_file *f, const struct cfg_field *kf, struct cfg_check *c)
{
	char q[CFG_QUOTE_MAX];
	const char *v, *why;

	switch (c->kind) {
	case CFG_CHECK_TCP:
		if (!(v = cfg_field_string(f, kf)))
			return false;
		why = parse_hostport(v, c);
		if (why) {
			cfg_error(f, kf->value, "'tcp': %s: %s", cfg_quote(v, strlen(v), q), why);
			return false;
		}
		c->target = cfg_strndup(f, v, strlen(v));
		return c->target != NULL;
	case CFG_CHECK_HTTP:
		if (!(v = cfg_field_string(f, kf)))
			return false;
		why = check_url(v);
		if (why) {
			cfg_error(f, kf->value, "'http': %s: %s", cfg_quote(v, strlen(v), q), why);
			return false;
		}
		c->url = cfg_strndup(f, v, strlen(v));
		c->target = cfg_strndup(f, v, strlen(v));
		return c->url && c->target;
	case CFG_CHECK_EXEC:
		return parse_exec(f, kf, c);
	case CFG_CHECK_TTL:
		return field_duration(f, kf, TTL_MIN, TTL_MAX, &c->ttl_ms);
	case _CFG_CHECK_KIND_MAX:
		break;
	}
	return false;
}

/* The kind of the check in mapping NODE into C->kind: its field, or NULL
 * (reported) when it has none or several. */
static const struct cfg_field *parse_kind(struct cfg_file *f, const yaml_node_t *node,
                                          struct cfg_field *fl, struct cfg_check *c)
{
	const struct cfg_field *kf = NULL;

	for (size_t i = 0; i < sizeof(kind_keys) / sizeof(kind_keys[0]); i++) {
		const struct cfg_field *fld = &fl[kind_keys[i].key];

		if (!fld->key)
			continue;
		if (kf) {
			/* the later key in the file is the extra one */
			const struct cfg_field *later =
			        fld->key->start_mark.index > kf->key->start_mark.index ? fld : kf;

			cfg_error(f, later->key, "check has both '%s' and '%s': one kind per check",
			          kf->name, fld->name);
			return NULL;
		}
		kf = fld;
		c->kind = kind_keys[i].kind;
	}
	if (!kf)
		cfg_error(f, node, "check needs one of 'tcp', 'http', 'exec' or 'ttl'");
	return kf;
}

/* Interval, timeout, rise, fall and tls_skip_verify of C. */
static bool parse_timing(struct cfg_file *f, struct cfg_field *fl, struct cfg_check *c)
{
	static const char *const bool_names[] = {"false", "true", "no", "yes", "off", "on"};
	bool ttl = c->kind == CFG_CHECK_TTL, ok = true;
	char a[32], b[32];
	uint64_t n;
	unsigned u;

	c->interval_ms = 1000;
	c->rise = c->fall = ttl ? 1 : 2;
	for (int k = K_INTERVAL; k <= K_TIMEOUT; k++) {
		if (ttl && fl[k].key) {
			cfg_error(f, fl[k].key, "'%s' does not apply to a ttl check", fl[k].name);
			ok = false;
		}
	}
	if (!ttl && fl[K_INTERVAL].key)
		ok &= field_duration(f, &fl[K_INTERVAL], INTERVAL_MIN, INTERVAL_MAX,
		                     &c->interval_ms);
	if (!ttl) {
		c->timeout_ms = c->interval_ms < 500 ? c->interval_ms : 500;
		if (fl[K_TIMEOUT].key &&
		    field_duration(f, &fl[K_TIMEOUT], TIMEOUT_MIN, INTERVAL_MAX, &n)) {
			if (n > c->interval_ms) {
				cfg_error(f, fl[K_TIMEOUT].value,
				          "'timeout': %s is longer than the interval (%s)",
				          duration_format(n, a, sizeof(a)),
				          duration_format(c->interval_ms, b, sizeof(b)));
				ok = false;
			} else {
				c->timeout_ms = n;
			}
		} else if (fl[K_TIMEOUT].key) {
			ok = false;
		}
	}
	if (fl[K_RISE].key) {
		if (cfg_field_uint(f, &fl[K_RISE], 1, COUNT_MAX, &n))
			c->rise = (unsigned)n;
		else
			ok = false;
	}
	if (fl[K_FALL].key) {
		if (cfg_field_uint(f, &fl[K_FALL], 1, COUNT_MAX, &n))
			c->fall = (unsigned)n;
		else
			ok = false;
	}
	if (fl[K_TLS_SKIP_VERIFY].key) {
		if (c->kind != CFG_CHECK_HTTP) {
			cfg_error(f, fl[K_TLS_SKIP_VERIFY].key,
			          "'tls_skip_verify' applies to http checks only");
			ok = false;
		} else if (cfg_field_enum(f, &fl[K_TLS_SKIP_VERIFY], bool_names,
		                          sizeof(bool_names) / sizeof(*bool_names), &u)) {
			c->tls_skip_verify = u % 2 == 1;
		} else {
			ok = false;
		}
	}
	return ok;
}

/* Contract in checks.h. */
void cfg_checks_parse(struct cfg_file *f, const struct cfg_field *fld, struct cfg_check **ret,
                      size_t *ret_n)
{
	const yaml_node_t *first_ttl = NULL;
	struct cfg_check *checks;
	size_t n;

	*ret = NULL;
	*ret_n = 0;
	if (!fld->key || !cfg_field_list(f, fld))
		return;
	n = cfg_list_len(fld->value);
	if (n == 0)
		return;
	if (n > MAX_CHECKS) {
		cfg_error(f, fld->value, "'checks': more than %d checks", MAX_CHECKS);
		return;
	}
	checks = calloc(n, sizeof(*checks));
	if (!checks) {
		f->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *node = cfg_list_item(f, fld->value, i);
		struct cfg_field fl[N_KEYS] = {
		        [K_TCP] = {.name = "tcp"},
		        [K_HTTP] = {.name = "http"},
		        [K_EXEC] = {.name = "exec"},
		        [K_TTL] = {.name = "ttl"},
		        [K_INTERVAL] = {.name = "interval"},
		        [K_TIMEOUT] = {.name = "timeout"},
		        [K_RISE] = {.name = "rise"},
		        [K_FALL] = {.name = "fall"},
		        [K_TLS_SKIP_VERIFY] = {.name = "tls_skip_verify"},
		};
		struct cfg_check *c = &checks[*ret_n];
		enum cfg_kind k = cfg_node_kind(node);
		const struct cfg_field *kf;
		bool ok;

		if (k != CFG_KIND_MAP) {
			cfg_error(f, node, "'checks' item: expected a mapping, got %s",
			          cfg_kind_name(k));
			continue;
		}
		cfg_map_fields(f, node, fl, N_KEYS, "in check");
		kf = parse_kind(f, node, fl, c);
		if (!kf) {
			*c = (struct cfg_check){0};
			continue;
		}
		ok = parse_target(f, kf, c);
		if (c->kind == CFG_CHECK_TTL) {
			if (first_ttl) {
				cfg_error(f, fl[K_TTL].key,
				          "a service has at most one ttl check (the first is at "
				          "%zu:%zu)",
				          first_ttl->start_mark.line + 1,
				          first_ttl->start_mark.column + 1);
				ok = false;
			} else {
				first_ttl = fl[K_TTL].key;
			}
		}
		ok = parse_timing(f, fl, c) && ok;
		c->line = (unsigned)node->start_mark.line + 1;
		if (!ok || f->oom) {
			check_clear(c);
			continue;
		}
		(*ret_n)++;
	}
	if (*ret_n == 0) {
		free(checks);
		return;
	}
	*ret = checks;
}
