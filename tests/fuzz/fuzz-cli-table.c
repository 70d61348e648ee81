/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the lanyard command's output for people
 * (client/lanyard-show.c, cli_shown(), cli_put_json()): instances,
 * services, events and command output built from arbitrary bytes must
 * print as safe text (tests/unit/shown-check.h: valid UTF-8, no control
 * byte but the newline, no C1 code, no bidi control) with one line per
 * row, and JSON must print as the same JSON. */
#include <stdlib.h>
#include <string.h>

#include "client/lanyard-cli.h"
#include "client/lanyard-show.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/shown-check.h"

#define MAX_STRS 32
#define MAX_INST 8

/* The printers' output, kept in memory. */
struct shot {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *shot_open(struct shot *s)
{
	*s = (struct shot){0};
	s->f = open_memstream(&s->buf, &s->len);
	CHECK(s->f);
	return s->f;
}

/* Safe, and LINES lines ending in a newline. */
static void shot_check(struct shot *s, size_t lines)
{
	size_t got = 0;

	fclose(s->f);
	CHECK(shown_check(s->buf, s->len, &got) == NULL);
	CHECK(got == lines);
	CHECK(lines == 0 || s->buf[s->len - 1] == '\n');
	free(s->buf);
}

/* DATA split at its NUL bytes: up to MAX_STRS strings (empty ones too),
 * copied so that each ends where its piece does. */
static size_t split(const uint8_t *data, size_t size, char **strs)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= size && n < MAX_STRS; i++) {
		if (i == size || data[i] == '\0') {
			strs[n] = strndup((const char *)data + start, i - start);
			CHECK(strs[n]);
			n++;
			start = i + 1;
		}
	}
	return n;
}

/* The lines show_output() makes of LEN bytes: one per "\n", and one for a
 * last line without it. */
static size_t output_lines(const char *out, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += out[i] == '\n';
	return n + (len > 0 && out[len - 1] != '\n');
}

/* J through cli_put_json() with FLAGS: safe, LINES lines (0: any), and
 * the same JSON. */
static void check_json(json_t *j, size_t flags, size_t lines)
{
	struct shot s;
	size_t got = 0;
	json_t *back;

	CHECK(cli_put_json(shot_open(&s), j, flags) == 0);
	fclose(s.f);
	CHECK(shown_check(s.buf, s.len, &got) == NULL);
	CHECK(lines == 0 || got + 1 == lines);
	back = json_loadb(s.buf, s.len, JSON_DECODE_ANY, NULL);
	CHECK(back && json_equal(back, j));
	json_decref(back);
	free(s.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *strs[MAX_STRS];
	size_t n = split(data, size, strs);
	struct lanyard_instance in[MAX_INST];
	struct lanyard_instance *items[MAX_INST];
	const char *addrs[MAX_INST][3], *tags[MAX_INST][3];
	struct lanyard_txt txt[MAX_INST][2];
	struct lanyard_service svcs[MAX_INST];
	size_t n_in = n < MAX_INST ? n : MAX_INST;
	struct shot s;
	json_t *o = json_object(), *arr = json_array();
	char *name;

#define STR(k) strs[(k) % n]
	for (size_t i = 0; i < n_in; i++) {
		size_t n_addrs = i % 3, n_tags = (i + 1) % 3;

		for (size_t k = 0; k < 3; k++) {
			addrs[i][k] = STR(i + 2 + k);
			tags[i][k] = STR(i + 5 + k);
		}
		txt[i][0] = (struct lanyard_txt){"path", STR(i + 8), strlen(STR(i + 8))};
		txt[i][1] = (struct lanyard_txt){"health", STR(i + 9), strlen(STR(i + 9))};
		in[i] = (struct lanyard_instance){
		        .instance = STR(i),
		        .service = i % 4 == 3 ? NULL : STR(i + 1),
		        .type = STR(i + 10),
		        .addresses = addrs[i],
		        .n_addresses = n_addrs,
		        .port = (uint16_t)(i * 1000),
		        .txt = txt[i],
		        .n_txt = 2,
		        .version = i % 2 ? NULL : STR(i + 11),
		        .weight = (uint32_t)i,
		        .tags = tags[i],
		        .n_tags = n_tags,
		        .local = i % 2,
		};
		items[i] = &in[i];
		svcs[i] = (struct lanyard_service){i % 3 ? STR(i + 1) : NULL, STR(i + 10),
		                                   (uint32_t)i, i % 2};
	}
	struct lanyard_instance_list list = {n_in, items};
	struct lanyard_service_list slist = {n_in, svcs};

	show_instances(shot_open(&s), &list);
	shot_check(&s, n_in + 1);
	show_services(shot_open(&s), &slist);
	shot_check(&s, n_in + 1);
	for (size_t i = 0; i < n_in; i++) {
		struct lanyard_event ev = {.type = (enum lanyard_event_type)(i % 3),
		                           .instance = &in[i],
		                           .reason = i % 2 ? STR(i + 12) : NULL};

		show_event(shot_open(&s), &ev);
		shot_check(&s, 1);
		show_pick(shot_open(&s), &in[i], (enum lanyard_family)(i % 3));
		shot_check(&s, 1);
	}

	/* fanout: the raw bytes as one command's output, NULs included. */
	name = cli_shown(STR(0));
	CHECK(name);
	show_output(shot_open(&s), name, (const char *)data, size);
	shot_check(&s, output_lines((const char *)data, size));
	free(name);

	/* --json, status: what is UTF-8 (the agent sends nothing else). */
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_string(strs[i]);

		if (!v)
			continue;
		json_array_append(arr, v);
		json_object_set_new(o, strs[i], v);
	}
	json_object_set_new(o, "all", arr);
	check_json(o, JSON_COMPACT, 1);
	check_json(o, JSON_INDENT(2), 0);
	check_json(json_object_get(o, "all"), JSON_ENCODE_ANY, 1);
	if (json_object_size(o) > 1) {
		char *text = json_dumps(o, JSON_COMPACT);

		CHECK(text);
		show_status(shot_open(&s), text);
		fclose(s.f);
		{
			size_t got = 0;

			CHECK(shown_check(s.buf, s.len, &got) == NULL);
		}
		free(s.buf);
		free(text);
	}
	json_decref(o);
#undef STR
	for (size_t i = 0; i < n; i++)
		free(strs[i]);
	return 0;
}
