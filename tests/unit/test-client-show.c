/* SPDX-License-Identifier: MIT */
/* Regression tests for issue 11, finding 7 (terminal injection from the
 * LAN): hostile instance names, services, addresses, versions, tags,
 * check values, status strings and command output through the lanyard
 * command's printers (client/lanyard-show.c) leave no control character,
 * C1 code, bidi control or invalid UTF-8 on the terminal, and one row
 * stays one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/lanyard-cli.h"
#include "client/lanyard-show.h"
#include "tests/unit/shown-check.h"
#include "tests/unit/tap.h"

/* What a hostile LAN (or agent) may send. */
static const char *const hostile[] = {
        "evil\x1b[2J",                                /* clear the screen */
        "osc\x1b]0;pwned\x07title",                   /* set the window title */
        "row\npayments@forged  payments  192.0.2.66", /* forge a table row */
        "csi\xc2\x9b"
        "31m", /* C1 CSI as UTF-8 (U+009B) */
        "raw\x9b"
        "31m", /* C1 CSI as a raw byte */
        "rlo\xe2\x80\xae"
        "gnp.exe",                               /* U+202E RIGHT-TO-LEFT OVERRIDE */
        "bad\xff\xfe\xc0\xaf utf8",              /* invalid UTF-8 */
        "cr\roverwrite",                         /* carriage return */
        "tab\tdel\x7f",                          /* TAB, DEL */
        "iso\xe2\x81\xa6x\xe2\x81\xa9",          /* U+2066 ... U+2069 isolate */
        "marks\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", /* U+200E U+200F U+061C */
        "nel\xc2\x85line\xe2\x80\xa8sep",        /* U+0085 NEL, U+2028 */
        "cut\xe2\x80",                           /* a sequence cut short */
        "café ünïcödé",                          /* fine as it is */
};
#define N_HOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* What F printed (a memstream), checked: safe, and LINES lines. */
struct shot {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *shot_open(struct shot *s)
{
	*s = (struct shot){0};
	s->f = open_memstream(&s->buf, &s->len);
	return s->f;
}

static void shot_check(struct shot *s, size_t lines, int line)
{
	size_t got = 0;
	const char *why;

	fclose(s->f);
	why = shown_check(s->buf, s->len, &got);
	CHECK_MSG(!why, "line %d: output holds %s:\n%s", line, why, s->buf);
	if (!why)
		CHECK_MSG(got == lines, "line %d: %zu lines, not %zu:\n%s", line, got, lines,
		          s->buf);
	CHECK_MSG(s->len > 0 && s->buf[s->len - 1] == '\n', "line %d: no final newline", line);
	free(s->buf);
}
#define SHOT_CHECK(s, lines) shot_check((s), (lines), __LINE__)

struct fixture {
	struct lanyard_instance in[N_HOSTILE];
	struct lanyard_instance *items[N_HOSTILE];
	const char *addrs[N_HOSTILE][3];
	const char *tags[N_HOSTILE][3];
	struct lanyard_txt txt[N_HOSTILE][2];
};

/* Instance I names itself, its service, an address, its version, a tag
 * and its health= after hostile strings from I on. */
static void fixture_init(struct fixture *x)
{
	for (size_t i = 0; i < N_HOSTILE; i++) {
		const char *h = hostile[(i + 5) % N_HOSTILE];

		x->addrs[i][0] = hostile[(i + 2) % N_HOSTILE];
		x->addrs[i][1] = "192.0.2.1";
		x->tags[i][0] = "eu";
		x->tags[i][1] = hostile[(i + 4) % N_HOSTILE];
		x->txt[i][0] = (struct lanyard_txt){"path", "/v2", 3};
		x->txt[i][1] = (struct lanyard_txt){"health", h, strlen(h)};
		x->in[i] = (struct lanyard_instance){
		        .instance = hostile[i],
		        .service = hostile[(i + 1) % N_HOSTILE],
		        .type = "_payments._tcp",
		        .addresses = x->addrs[i],
		        .n_addresses = 2,
		        .port = 8080,
		        .txt = x->txt[i],
		        .n_txt = 2,
		        .version = hostile[(i + 3) % N_HOSTILE],
		        .weight = 1,
		        .tags = x->tags[i],
		        .n_tags = 2,
		};
		x->items[i] = &x->in[i];
	}
}

/* lanyard list: a header and one line per instance. */
static void test_list(void)
{
	struct fixture x;
	struct lanyard_instance_list list = {N_HOSTILE, x.items};
	struct shot s;

	fixture_init(&x);
	show_instances(shot_open(&s), &list);
	SHOT_CHECK(&s, N_HOSTILE + 1);
	/* A service without a name shows its type. */
	for (size_t i = 0; i < N_HOSTILE; i++) {
		x.in[i].service = NULL;
		x.in[i].type = hostile[i];
	}
	show_instances(shot_open(&s), &list);
	SHOT_CHECK(&s, N_HOSTILE + 1);
}

/* lanyard resolve: "ADDRESS PORT", one line. */
static void test_pick(void)
{
	struct fixture x;
	struct shot s;

	fixture_init(&x);
	for (size_t i = 0; i < N_HOSTILE; i++) {
		show_pick(shot_open(&s), &x.in[i], LANYARD_FAMILY_ANY);
		SHOT_CHECK(&s, 1);
		/* "ipv6": the first address with a ':', hostile or none. */
		show_pick(shot_open(&s), &x.in[i], LANYARD_FAMILY_IPV6);
		SHOT_CHECK(&s, 1);
	}
}

/* lanyard services: a header and one line per service. */
static void test_services(void)
{
	struct lanyard_service items[N_HOSTILE];
	struct lanyard_service_list list = {N_HOSTILE, items};
	struct shot s;

	for (size_t i = 0; i < N_HOSTILE; i++)
		items[i] = (struct lanyard_service){hostile[i], hostile[(i + 1) % N_HOSTILE],
		                                    (uint32_t)i, i % 2 == 0};
	show_services(shot_open(&s), &list);
	SHOT_CHECK(&s, N_HOSTILE + 1);
}

/* lanyard watch: one line per event, the reason too. */
static void test_events(void)
{
	struct fixture x;
	struct shot s;

	fixture_init(&x);
	for (size_t i = 0; i < N_HOSTILE; i++) {
		struct lanyard_event ev = {
		        .type = (enum lanyard_event_type)(i % 3),
		        .instance = &x.in[i],
		        .reason = (char *)hostile[(i + 6) % N_HOSTILE],
		};

		show_event(shot_open(&s), &ev);
		SHOT_CHECK(&s, 1);
	}
}

/* lanyard status: the agent's object, indented; still the same JSON. */
static void test_status(void)
{
	json_t *o = json_object(), *arr = json_array(), *back;
	struct shot s;
	char *text;

	for (size_t i = 0; i < N_HOSTILE; i++) {
		json_t *v = json_string(hostile[i]);

		if (!v)
			continue; /* not UTF-8: the agent cannot send it */
		json_array_append(arr, v);
		json_object_set_new(o, hostile[i], v);
	}
	json_object_set_new(o, "checks", arr);
	text = json_dumps(o, JSON_COMPACT);
	show_status(shot_open(&s), text);
	fflush(s.f);
	back = json_loads(s.buf, 0, NULL);
	CHECK_MSG(back && json_equal(back, o), "status is not the agent's JSON:\n%s", s.buf);
	SHOT_CHECK(&s, json_object_size(o) + json_array_size(arr) + 3);
	json_decref(back);
	json_decref(o);
	free(text);
}

/* lanyard fanout: each line of a command's output prefixed, one line each. */
static void test_output(void)
{
	static const char out[] = "ok\r\nclear\x1b[2J\nc1\xc2\x9b\x9b"
	                          "31m\n"
	                          "rlo\xe2\x80\xae\nbad\xff\nlast without newline";
	char *name = cli_shown(hostile[2]);
	struct shot s;

	show_output(shot_open(&s), name, out, sizeof(out) - 1);
	SHOT_CHECK(&s, 6);
	show_output(shot_open(&s), name, "", 0);
	fclose(s.f);
	CHECK(s.len == 0);
	free(s.buf);
	free(name);
}

/* The rule itself: what each hostile string looks like. */
static void test_rule(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	        {"evil\x1b[2J", "evil\\x1b[2J"},
	        {"osc\x1b]0;t\x07", "osc\\x1b]0;t\\x07"},
	        {"a\nb\rc\td\x7f", "a\\x0ab\\x0dc\\x09d\\x7f"},
	        {"csi\xc2\x9b"
	         "1m",
	         "csi\\u009b1m"},
	        {"raw\x9b"
	         "1m",
	         "raw\\x9b1m"},
	        {"rlo\xe2\x80\xae"
	         "txt",
	         "rlo\\u202etxt"},
	        {"\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
	         "\\u202a\\u202b\\u202c\\u202d"},
	        {"\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
	         "\\u2066\\u2067\\u2068\\u2069"},
	        {"\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c"},
	        {"\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029"},
	        {"\xc2\x80\xc2\x85\xc2\x9f", "\\u0080\\u0085\\u009f"},
	        {"bad\xff\xfe\xc0\xaf", "bad\\xff\\xfe\\xc0\\xaf"},
	        {"cut\xe2\x80", "cut\\xe2\\x80"},
	        {"\xed\xa0\x80", "\\xed\\xa0\\x80"}, /* a surrogate */
	        {"back\\slash", "back\\\\slash"},    /* so "\\x1b" is not ESC */
	        {"café ünï 東京 \xf0\x9f\x98\x80", "café ünï 東京 \xf0\x9f\x98\x80"},
	        {"", ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = cli_shown(cases[i].in);

		CHECK_STR_EQ(s, cases[i].want);
		free(s);
	}
}

/* --json: the same JSON (not escaped twice), nothing raw on a terminal. */
static void test_json(void)
{
	json_t *o = json_object(), *back;
	struct shot s;

	for (size_t i = 0; i < N_HOSTILE; i++) {
		json_t *v = json_string(hostile[i]);

		if (v)
			json_object_set_new(o, hostile[i], v);
	}
	json_object_set_new(o, "back\\slash \"quoted\"", json_string("\\u202e"));
	CHECK(cli_put_json(shot_open(&s), o, JSON_COMPACT) == 0);
	fputc('\n', s.f);
	fflush(s.f);
	back = json_loads(s.buf, 0, NULL);
	CHECK_MSG(back && json_equal(back, o), "not the same JSON:\n%s", s.buf);
	CHECK(strstr(s.buf, "\"rlo\\u202egnp.exe\"") != NULL);
	CHECK(strstr(s.buf, "\"csi\\u009b31m\"") != NULL);
	CHECK(strstr(s.buf, "\"back\\\\slash \\\"quoted\\\"\":\"\\\\u202e\"") != NULL);
	SHOT_CHECK(&s, 1);
	json_decref(back);
	json_decref(o);
}

int main(void)
{
	test_rule();
	test_json();
	test_list();
	test_pick();
	test_services();
	test_events();
	test_status();
	test_output();
	return test_summary();
}
