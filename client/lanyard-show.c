/* SPDX-License-Identifier: MIT */
/* The lanyard command's output for people (see lanyard-show.h). Every
 * string from the agent, and so from the LAN, goes through cli_shown()
 * before it is printed or measured: one rule, in dnssd/utf8.c. */
#include "client/lanyard-show.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "client/lanyard-cli.h"
#include "dnssd/utf8.h"

#define N_COLS 10

static char *join(const char *const *v, size_t n, const char *sep)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	s = calloc(1, len);
	for (size_t i = 0; s && i < n; i++) {
		if (i)
			strcat(s, sep);
		strcat(s, v[i]);
	}
	return s;
}

/* How many columns S (escaped, so UTF-8) takes: its code points. */
static size_t cols(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* S, then blanks up to WIDTH columns, then two more. */
static void put_cell(FILE *f, const char *s, size_t width)
{
	fputs(s, f);
	for (size_t n = cols(s); n < width + 2; n++)
		fputc(' ', f);
}

static void print_row(FILE *f, const char *const *cells, const size_t *width)
{
	/* The last column is not padded, so lines have no trailing blanks. */
	for (int i = 0; i + 1 < N_COLS; i++)
		put_cell(f, cells[i], width[i]);
	fprintf(f, "%s\n", cells[N_COLS - 1]);
}

/* The N strings of V joined by commas, escaped; NULL on OOM. */
static char *join_shown(const char *const *v, size_t n)
{
	char *all = join(v, n, ","), *s = all ? cli_shown(all) : NULL;

	free(all);
	return s;
}

static char *uint_str(unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return strdup(buf);
}

/* What the provider's checks say (TXT health=), "-" when nothing. */
static const char *check_of(const struct lanyard_instance *in)
{
	for (size_t i = 0; i < in->n_txt; i++)
		if (strcasecmp(in->txt[i].key, "health") == 0 && in->txt[i].value &&
		    strlen(in->txt[i].value) == in->txt[i].value_len)
			return in->txt[i].value;
	return "-";
}

/* Contract in lanyard-show.h. */
void show_instances(FILE *f, const struct lanyard_instance_list *list)
{
	static const char *const head[N_COLS] = {"INSTANCE", "SERVICE", "ADDRESSES", "PORT",
	                                         "VERSION",  "WEIGHT",  "PRIORITY",  "TAGS",
	                                         "LOCAL",    "CHECK"};
	char ***rows = calloc(list->n, sizeof(*rows));
	size_t width[N_COLS];

	for (int i = 0; i < N_COLS; i++)
		width[i] = strlen(head[i]);
	for (size_t r = 0; rows && r < list->n; r++) {
		const struct lanyard_instance *in = list->items[r];
		char **row = calloc(N_COLS, sizeof(char *));

		rows[r] = row;
		if (!row)
			continue;
		row[0] = cli_shown(in->instance);
		row[1] = cli_shown(in->service ? in->service : in->type);
		row[2] = join_shown(in->addresses, in->n_addresses);
		row[3] = uint_str(in->port);
		row[4] = cli_shown(in->version ? in->version : "-");
		row[5] = uint_str(in->weight);
		row[6] = uint_str(in->priority);
		row[7] = in->n_tags ? join_shown(in->tags, in->n_tags) : strdup("-");
		row[8] = strdup(in->local ? "yes" : "no");
		row[9] = cli_shown(check_of(in));
		for (int i = 0; i < N_COLS; i++)
			if (row[i] && cols(row[i]) > width[i])
				width[i] = cols(row[i]);
	}
	print_row(f, head, width);
	for (size_t r = 0; rows && r < list->n; r++) {
		if (!rows[r])
			continue;
		for (int i = 0; i < N_COLS; i++)
			if (!rows[r][i])
				rows[r][i] = strdup("?");
		print_row(f, (const char *const *)rows[r], width);
		for (int i = 0; i < N_COLS; i++)
			free(rows[r][i]);
		free(rows[r]);
	}
	free(rows);
}

/* The first address the family filter allows ("" if none). */
static const char *pick_address(const struct lanyard_instance *in, enum lanyard_family f)
{
	for (size_t i = 0; i < in->n_addresses; i++) {
		bool v6 = strchr(in->addresses[i], ':') != NULL;

		if (f == LANYARD_FAMILY_ANY || (f == LANYARD_FAMILY_IPV6) == v6)
			return in->addresses[i];
	}
	return "";
}

/* Contract in lanyard-show.h. */
void show_pick(FILE *f, const struct lanyard_instance *in, enum lanyard_family family)
{
	char *addr = cli_shown(pick_address(in, family));

	fprintf(f, "%s %u\n", addr ? addr : "?", (unsigned)in->port);
	free(addr);
}

/* Contract in lanyard-show.h. */
void show_services(FILE *f, const struct lanyard_service_list *list)
{
	char **cells = calloc(2 * list->n + 1, sizeof(char *));
	size_t ws = strlen("SERVICE"), wt = strlen("TYPE");

	if (!cells) {
		fputs("lanyard: out of memory\n", f);
		return;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct lanyard_service *s = &list->items[i];

		cells[2 * i] = cli_shown(s->service ? s->service : "-");
		cells[2 * i + 1] = cli_shown(s->type ? s->type : "-");
		if (cells[2 * i] && cols(cells[2 * i]) > ws)
			ws = cols(cells[2 * i]);
		if (cells[2 * i + 1] && cols(cells[2 * i + 1]) > wt)
			wt = cols(cells[2 * i + 1]);
	}
	put_cell(f, "SERVICE", ws);
	put_cell(f, "TYPE", wt);
	fprintf(f, "%9s  %s\n", "INSTANCES", "LOCAL");
	for (size_t i = 0; i < list->n; i++) {
		const struct lanyard_service *s = &list->items[i];

		put_cell(f, cells[2 * i] ? cells[2 * i] : "?", ws);
		put_cell(f, cells[2 * i + 1] ? cells[2 * i + 1] : "?", wt);
		fprintf(f, "%9u  %s\n", s->instances, s->local ? "yes" : "no");
		free(cells[2 * i]);
		free(cells[2 * i + 1]);
	}
	free(cells);
}

/* Contract in lanyard-show.h. */
void show_status(FILE *f, const char *status_json)
{
	json_t *j = json_loads(status_json, 0, NULL);

	if (j)
		cli_put_json(f, j, JSON_INDENT(2));
	fputc('\n', f);
	json_decref(j);
}

/* Contract in lanyard-show.h. */
void show_event(FILE *f, const struct lanyard_event *ev)
{
	static const char *const names[] = {"added", "changed", "removed", "snapshot_end",
	                                    "registration"};

	const char *type =
	        (size_t)ev->type < sizeof(names) / sizeof(names[0]) ? names[ev->type] : "event";

	if (!ev->instance) {
		fprintf(f, "-- %s --\n", type);
	} else {
		char *addrs = join_shown(ev->instance->addresses, ev->instance->n_addresses);
		char *name = cli_shown(ev->instance->instance);
		char *version = ev->instance->version ? cli_shown(ev->instance->version) : NULL;
		char *why = ev->reason ? cli_shown(ev->reason) : NULL;

		fprintf(f, "%-8s %s %s port %u%s%s%s%s%s\n", type, name ? name : "?",
		        addrs ? addrs : "?", (unsigned)ev->instance->port,
		        version ? " version " : "", version ? version : "", why ? " (" : "",
		        why ? why : "", why ? ")" : "");
		free(addrs);
		free(name);
		free(version);
		free(why);
	}
}

/* Contract in lanyard-show.h. */
void show_output(FILE *f, const char *name, const char *out, size_t len)
{
	const char *p = out, *end = out + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* A CRLF line ends like any other. */
		char *line = utf8_escape(p, n > 0 && nl && p[n - 1] == '\r' ? n - 1 : n, 0);

		fprintf(f, "%s: %s\n", name, line ? line : "?");
		free(line);
		p += n + 1;
	}
}
