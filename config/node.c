/* SPDX-License-Identifier: MIT */
/* Reading one YAML file for config/: libyaml documents, node positions, typed fields, messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/check.h"
#include "config/node.h"

static void add_message_v(struct cfg_file *f, size_t line, size_t col, bool is_error,
                          const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void add_message_v(struct cfg_file *f, size_t line, size_t col, bool is_error,
                          const char *fmt, va_list ap)
{
	struct cfg_message *m;
	char *text;

	if (is_error)
		f->n_errors++;
	if (f->n_msgs >= CFG_MAX_MESSAGES) {
		f->dropped = true;
		return;
	}
	if (f->n_msgs == f->n_alloc) {
		size_t n = f->n_alloc ? f->n_alloc * 2 : 8;
		struct cfg_message *p = realloc(f->msgs, n * sizeof(*p));

		if (!p) {
			f->oom = true;
			return;
		}
		f->msgs = p;
		f->n_alloc = n;
	}
	if (vasprintf(&text, fmt, ap) < 0) {
		f->oom = true;
		return;
	}
	m = &f->msgs[f->n_msgs];
	*m = (struct cfg_message){
	        .line = line, .col = col, .seq = f->n_msgs, .is_error = is_error, .text = text};
	f->n_msgs++;
}

static void add_message(struct cfg_file *f, size_t line, size_t col, bool is_error, const char *fmt,
                        ...) __attribute__((format(printf, 5, 6)));

static void add_message(struct cfg_file *f, size_t line, size_t col, bool is_error, const char *fmt,
                        ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_message_v(f, line, col, is_error, fmt, ap);
	va_end(ap);
}

/* A message at the start of node AT; NULL: without a position. */
static void add_message_at(struct cfg_file *f, const yaml_node_t *at, bool is_error,
                           const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void add_message_at(struct cfg_file *f, const yaml_node_t *at, bool is_error,
                           const char *fmt, va_list ap)
{
	if (at)
		add_message_v(f, at->start_mark.line + 1, at->start_mark.column + 1, is_error, fmt,
		              ap);
	else
		add_message_v(f, 0, 0, is_error, fmt, ap);
}

/* Contract in node.h. */
void cfg_error(struct cfg_file *f, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_message_at(f, at, true, fmt, ap);
	va_end(ap);
}

/* Contract in node.h. */
void cfg_warning(struct cfg_file *f, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_message_at(f, at, false, fmt, ap);
	va_end(ap);
}

/* Length of the line break at P (libyaml's set: CR LF, CR, LF, NEL, LS, PS),
 * 0 if none. */
static size_t line_break_len(const unsigned char *p, size_t left)
{
	if (p[0] == '\r')
		return (left > 1 && p[1] == '\n') ? 2 : 1;
	if (p[0] == '\n')
		return 1;
	if (left > 1 && p[0] == 0xC2 && p[1] == 0x85)
		return 2;
	if (left > 2 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
		return 3;
	return 0;
}

/* Walk F's text as libyaml counts it (0-based line/column in characters).
 * Stops at byte offset STOP_OFF, or at (STOP_LINE, STOP_COL); returns the
 * byte offset reached and stores the position there. */
static size_t walk_text(const struct cfg_file *f, size_t stop_off, size_t stop_line,
                        size_t stop_col, size_t *ret_line, size_t *ret_col)
{
	const unsigned char *p = (const unsigned char *)f->buf;
	size_t i = 0, line = 0, col = 0;

	if (f->len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		i = 3;
	while (i < f->len && i < stop_off && !(line == stop_line && col == stop_col)) {
		size_t br = line_break_len(p + i, f->len - i);

		if (br) {
			i += br;
			line++;
			col = 0;
			continue;
		}
		i++;
		while (i < f->len && (p[i] & 0xC0) == 0x80)
			i++;
		col++;
	}
	*ret_line = line;
	*ret_col = col;
	return i;
}

static int report_parser(struct cfg_file *f, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown problem";
	size_t line, col;
	const char *hint = "";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		f->oom = true;
		return -ENOMEM;
	case YAML_READER_ERROR:
		walk_text(f, p->problem_offset, SIZE_MAX, SIZE_MAX, &line, &col);
		if (p->problem_value >= 0)
			add_message(f, line + 1, col + 1, true, "invalid YAML: %s (0x%x)", problem,
			            (unsigned)p->problem_value);
		else
			add_message(f, line + 1, col + 1, true, "invalid YAML: %s", problem);
		return -EINVAL;
	default:
		break;
	}
	line = p->problem_mark.line;
	col = p->problem_mark.column;
	{
		size_t l, c;
		size_t off = walk_text(f, SIZE_MAX, line, col, &l, &c);

		/* libyaml's own words for a tab in the indentation are cryptic. */
		if ((l == line && c == col && off < f->len && f->buf[off] == '\t') ||
		    strstr(problem, "tab"))
			hint = "; tabs are not allowed for indentation";
	}
	if (p->context && (p->context_mark.line != line || p->context_mark.column != col))
		add_message(f, line + 1, col + 1, true, "invalid YAML: %s (%s at %zu:%zu)%s",
		            problem, p->context, p->context_mark.line + 1,
		            p->context_mark.column + 1, hint);
	else
		add_message(f, line + 1, col + 1, true, "invalid YAML: %s%s", problem, hint);
	return -EINVAL;
}

/* Contract in node.h. */
int cfg_file_parse(struct cfg_file *f, const char *name, const char *buf, size_t len)
{
	yaml_parser_t parser;
	int r = 0;

	*f = (struct cfg_file){.name = name, .buf = buf, .len = len};
	if (!yaml_parser_initialize(&parser)) {
		f->oom = true;
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &f->doc)) {
		r = report_parser(f, &parser);
		goto out;
	}
	f->have_doc = true;
	if (yaml_document_get_root_node(&f->doc)) {
		yaml_document_t extra;
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &extra)) {
			r = report_parser(f, &parser);
			goto out;
		}
		root = yaml_document_get_root_node(&extra);
		if (root) {
			cfg_error(f, root, "only one YAML document is allowed in a file");
			r = -EINVAL;
		}
		yaml_document_delete(&extra);
	}
out:
	yaml_parser_delete(&parser);
	return r;
}

/* Contract in node.h. */
yaml_node_t *cfg_file_root(struct cfg_file *f)
{
	return f->have_doc ? yaml_document_get_root_node(&f->doc) : NULL;
}

static int message_cmp(const void *a, const void *b)
{
	const struct cfg_message *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Contract in node.h. */
int cfg_file_finish(struct cfg_file *f, struct cfg_diags *out)
{
	int r = f->oom ? -ENOMEM : 0;

	if (f->n_msgs)
		qsort(f->msgs, f->n_msgs, sizeof(*f->msgs), message_cmp);
	for (size_t i = 0; i < f->n_msgs; i++) {
		const struct cfg_message *m = &f->msgs[i];
		const char *warn = m->is_error ? "" : "warning: ";
		int k;

		if (r < 0)
			break;
		if (m->line)
			k = cfg_diags_add(out, m->is_error, "%s:%zu:%zu: %s%s", f->name, m->line,
			                  m->col, warn, m->text);
		else
			k = cfg_diags_add(out, m->is_error, "%s: %s%s", f->name, warn, m->text);
		if (k < 0)
			r = k;
	}
	if (f->dropped && r == 0)
		r = cfg_diags_add(out, f->n_errors > 0,
		                  "%s: too many problems, only the first %d are shown", f->name,
		                  CFG_MAX_MESSAGES);
	for (size_t i = 0; i < f->n_msgs; i++)
		free(f->msgs[i].text);
	free(f->msgs);
	f->msgs = NULL;
	f->n_msgs = f->n_alloc = 0;
	if (f->have_doc)
		yaml_document_delete(&f->doc);
	f->have_doc = false;
	return r;
}

/* Contract in node.h. */
int cfg_diags_add(struct cfg_diags *diags, bool is_error, const char *fmt, ...)
{
	struct cfg_diag *items;
	va_list ap;
	char *text;
	int k;

	items = realloc(diags->items, (diags->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	diags->items = items;
	va_start(ap, fmt);
	k = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	items[diags->n++] = (struct cfg_diag){.is_error = is_error, .text = text};
	if (is_error)
		diags->n_errors++;
	return 0;
}

/* Contract in node.h. */
char *cfg_strndup(struct cfg_file *f, const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p) {
		f->oom = true;
		return NULL;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Contract in node.h. */
bool cfg_push_str(struct cfg_file *f, char ***arr, size_t *n, const char *s)
{
	char **p = realloc(*arr, (*n + 1) * sizeof(*p));

	if (!p) {
		f->oom = true;
		return false;
	}
	*arr = p;
	p[*n] = cfg_strndup(f, s, strlen(s));
	if (!p[*n])
		return false;
	(*n)++;
	return true;
}

/* Contract in node.h. */
void cfg_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Contract in node.h. */
enum cfg_kind cfg_node_kind(const yaml_node_t *n)
{
	if (!n)
		return CFG_KIND_NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *v = (const char *)n->data.scalar.value;

		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
		     strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0))
			return CFG_KIND_NULL;
		return CFG_KIND_STRING;
	}
	case YAML_SEQUENCE_NODE:
		return CFG_KIND_LIST;
	case YAML_MAPPING_NODE:
		return CFG_KIND_MAP;
	default:
		return CFG_KIND_NULL;
	}
}

/* Contract in node.h. */
const char *cfg_kind_name(enum cfg_kind k)
{
	switch (k) {
	case CFG_KIND_NULL:
		return "null";
	case CFG_KIND_STRING:
		return "a string";
	case CFG_KIND_LIST:
		return "a list";
	case CFG_KIND_MAP:
		return "a mapping";
	}
	return "?";
}

/* Contract in node.h. */
const char *cfg_node_text(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return "";
	return (const char *)n->data.scalar.value;
}

/* Contract in node.h. */
size_t cfg_node_len(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return 0;
	return n->data.scalar.length;
}

/* Contract in node.h. */
const yaml_node_t *cfg_field_pos(const struct cfg_field *fld)
{
	const yaml_node_t *v = fld->value;

	if (!v || (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0 &&
	           v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE))
		return fld->key;
	return v;
}

/* Contract in node.h. */
size_t cfg_list_len(const yaml_node_t *list)
{
	if (!list || list->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
}

/* Contract in node.h. */
yaml_node_t *cfg_list_item(struct cfg_file *f, const yaml_node_t *list, size_t i)
{
	if (i >= cfg_list_len(list))
		return NULL;
	return yaml_document_get_node(&f->doc, list->data.sequence.items.start[i]);
}

/* Contract in node.h. */
const char *cfg_quote(const char *s, size_t len, char *buf)
{
	const size_t room = CFG_QUOTE_MAX - 6; /* quotes, "...", NUL */
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	bool cut = false;

	buf[o++] = '\'';
	for (size_t i = 0; i < len;) {
		char esc[8];
		size_t n = 1, elen;

		if (p[i] == '\'' || p[i] == '\\') {
			esc[0] = '\\', esc[1] = (char)p[i], elen = 2;
		} else if (p[i] < 0x20 || p[i] == 0x7F) {
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			elen = 4;
		} else if (p[i] >= 0xC0) {
			n = p[i] >= 0xF0 ? 4 : p[i] >= 0xE0 ? 3 : 2;
			if (n > len - i)
				n = len - i;
			memcpy(esc, p + i, n);
			elen = n;
		} else {
			esc[0] = (char)p[i], elen = 1;
		}
		if (o - 1 + elen > room) {
			cut = true;
			break;
		}
		memcpy(buf + o, esc, elen);
		o += elen;
		i += n;
	}
	if (cut) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* Contract in node.h. */
const char *cfg_suggest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < n; i++) {
		size_t d = cfg_edit_distance(s, names[i]);

		if (d < best_d && d < strlen(s)) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}

/* Contract in node.h. */
void cfg_map_fields(struct cfg_file *f, const yaml_node_t *map, struct cfg_field *fields, size_t n,
                    const char *where)
{
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(&f->doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(&f->doc, pair->value);
		const char *text = cfg_node_text(key);
		size_t len = cfg_node_len(key);
		const char *names[32];
		const char *hint;
		char q[CFG_QUOTE_MAX];
		size_t i;

		if (!key || key->type != YAML_SCALAR_NODE) {
			cfg_error(f, key, "expected a key name, got %s",
			          cfg_kind_name(cfg_node_kind(key)));
			continue;
		}
		for (i = 0; i < n; i++)
			if (strlen(fields[i].name) == len && strcmp(fields[i].name, text) == 0)
				break;
		if (i < n) {
			if (fields[i].key) {
				cfg_error(f, key, "duplicate key %s (first at %zu:%zu)",
				          cfg_quote(text, len, q),
				          fields[i].key->start_mark.line + 1,
				          fields[i].key->start_mark.column + 1);
				continue;
			}
			fields[i].key = key;
			fields[i].value = value;
			continue;
		}
		for (i = 0; i < n && i < 32; i++)
			names[i] = fields[i].name;
		/* skip the hint when the message would be dropped anyway */
		hint = strlen(text) == len && f->n_msgs < CFG_MAX_MESSAGES
		               ? cfg_suggest(text, names, i)
		               : NULL;
		if (hint)
			cfg_error(f, key, "unknown key %s %s (did you mean '%s'?)",
			          cfg_quote(text, len, q), where, hint);
		else
			cfg_error(f, key, "unknown key %s %s", cfg_quote(text, len, q), where);
	}
}

static const char *field_scalar(struct cfg_file *f, const struct cfg_field *fld,
                                const char *expected)
{
	enum cfg_kind k = cfg_node_kind(fld->value);

	if (k != CFG_KIND_STRING) {
		cfg_error(f, cfg_field_pos(fld), "'%s': expected %s, got %s", fld->name, expected,
		          cfg_kind_name(k));
		return NULL;
	}
	return cfg_node_text(fld->value);
}

/* Contract in node.h. */
const char *cfg_field_string(struct cfg_file *f, const struct cfg_field *fld)
{
	const char *s = field_scalar(f, fld, "a string");
	char q[CFG_QUOTE_MAX];

	if (s && strlen(s) != cfg_node_len(fld->value)) {
		cfg_error(f, fld->value, "'%s': %s contains a NUL character", fld->name,
		          cfg_quote(s, cfg_node_len(fld->value), q));
		return NULL;
	}
	return s;
}

/* Contract in node.h. */
bool cfg_field_uint(struct cfg_file *f, const struct cfg_field *fld, uint64_t lo, uint64_t hi,
                    uint64_t *ret)
{
	const char *s = field_scalar(f, fld, "an integer");
	size_t len = cfg_node_len(fld->value);
	const char *p = s;
	bool negative = false, overflow = false;
	uint64_t v = 0;
	char q[CFG_QUOTE_MAX];

	if (!s)
		return false;
	if (*p == '+' || *p == '-')
		negative = *p++ == '-';
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(s) != len) {
		cfg_error(f, fld->value, "'%s': expected an integer, got %s", fld->name,
		          cfg_quote(s, len, q));
		return false;
	}
	for (; *p; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	if (overflow || (negative && v != 0) || v < lo || v > hi) {
		cfg_error(f, fld->value, "'%s': %.24s%s is out of range (%llu-%llu)", fld->name, s,
		          len > 24 ? "..." : "", (unsigned long long)lo, (unsigned long long)hi);
		return false;
	}
	*ret = v;
	return true;
}

/* Contract in node.h. */
bool cfg_field_enum(struct cfg_file *f, const struct cfg_field *fld, const char *const *names,
                    size_t n, unsigned *ret)
{
	const char *s = field_scalar(f, fld, "a string");
	char list[256] = "";
	char q[CFG_QUOTE_MAX];
	const char *hint;

	if (!s)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0 && strlen(s) == cfg_node_len(fld->value)) {
			*ret = (unsigned)i;
			return true;
		}
		if (i)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
	}
	hint = cfg_suggest(s, names, n);
	cfg_error(f, fld->value, "'%s': %s is not one of %s%s%s%s", fld->name,
	          cfg_quote(s, cfg_node_len(fld->value), q), list, hint ? " (did you mean '" : "",
	          hint ? hint : "", hint ? "'?)" : "");
	return false;
}

/* Contract in node.h. */
bool cfg_field_list(struct cfg_file *f, const struct cfg_field *fld)
{
	enum cfg_kind k = cfg_node_kind(fld->value);

	if (k == CFG_KIND_LIST)
		return true;
	if (k != CFG_KIND_NULL)
		cfg_error(f, fld->value, "'%s': expected a list, got %s", fld->name,
		          cfg_kind_name(k));
	return false;
}

/* Contract in node.h. */
const char *cfg_item_string(struct cfg_file *f, const char *key, const yaml_node_t *item)
{
	enum cfg_kind k = cfg_node_kind(item);
	const char *s = cfg_node_text(item);
	char q[CFG_QUOTE_MAX];

	if (k != CFG_KIND_STRING) {
		cfg_error(f, item, "'%s' item: expected a string, got %s", key, cfg_kind_name(k));
		return NULL;
	}
	if (strlen(s) != cfg_node_len(item)) {
		cfg_error(f, item, "'%s' item: %s contains a NUL character", key,
		          cfg_quote(s, cfg_node_len(item), q));
		return NULL;
	}
	return s;
}
