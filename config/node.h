/* SPDX-License-Identifier: MIT */
/* Reading one YAML file for config/: libyaml documents, node positions, typed fields, messages. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config/config.h"

/* libyaml stays inside config/: this header is private to it. */

/* Per file, at most this many messages are kept (then one "too many" note). */
#define CFG_MAX_MESSAGES 200
/* Longest file cfg_load() reads. */
#define CFG_MAX_FILE_SIZE (1024 * 1024)
/* Size of a buffer for cfg_quote(). */
#define CFG_QUOTE_MAX 84

struct cfg_message {
	size_t line, col; /* 1-based; 0 = no position */
	size_t seq;       /* emission order, to keep sorting stable */
	bool is_error;
	char *text;
};

/* One YAML file being read: its text, its document and its messages, which
 * are sorted by position when flushed. */
struct cfg_file {
	const char *name; /* as shown in messages */
	const char *buf;
	size_t len;
	yaml_document_t doc;
	bool have_doc;
	struct cfg_message *msgs;
	size_t n_msgs, n_alloc;
	size_t n_errors;
	bool dropped; /* messages beyond CFG_MAX_MESSAGES were dropped */
	bool oom;
};

enum cfg_kind {
	CFG_KIND_NULL,   /* empty, ~ or null (plain) */
	CFG_KIND_STRING, /* any other scalar */
	CFG_KIND_LIST,
	CFG_KIND_MAP,
};

/* A key a mapping may hold; cfg_map_fields() fills key and value. */
struct cfg_field {
	const char *name;
	yaml_node_t *key;
	yaml_node_t *value;
};

/* Parse BUF (LEN bytes, not copied: it must outlive F) as one YAML document.
 * Returns 0, -EINVAL after recording the YAML problem in F, or -ENOMEM. */
int cfg_file_parse(struct cfg_file *f, const char *name, const char *buf, size_t len);

/* Root node of F's document, NULL for an empty document. */
yaml_node_t *cfg_file_root(struct cfg_file *f);

/* Move F's messages, sorted by position, to OUT and free everything F holds.
 * Returns 0 or -ENOMEM (also when F ran out of memory earlier). */
int cfg_file_finish(struct cfg_file *f, struct cfg_diags *out);

/* Record an error / a warning at node AT (its start; NULL = no position). */
void cfg_error(struct cfg_file *f, const yaml_node_t *at, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void cfg_warning(struct cfg_file *f, const yaml_node_t *at, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Append "TEXT" built from FMT to DIAGS. Returns 0 or -ENOMEM. */
int cfg_diags_add(struct cfg_diags *diags, bool is_error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Duplicate S (LEN bytes plus a NUL); sets f->oom and returns NULL on failure. */
char *cfg_strndup(struct cfg_file *f, const char *s, size_t len);
/* Append a copy of S to the array *ARR of *N strings (both updated; the
 * caller owns them). Returns false, with f->oom set, when out of memory. */
bool cfg_push_str(struct cfg_file *f, char ***arr, size_t *n, const char *s);
/* Free the N strings of V, then V. */
void cfg_strv_free(char **v, size_t n);

enum cfg_kind cfg_node_kind(const yaml_node_t *n);
/* "null", "a string", "a list", "a mapping". */
const char *cfg_kind_name(enum cfg_kind k);
/* Scalar text (NUL-terminated by libyaml); "" for other nodes. */
const char *cfg_node_text(const yaml_node_t *n);
size_t cfg_node_len(const yaml_node_t *n);
/* The node a message about FIELD's value points at: the value, or the key
 * when the value is empty ("port:" with nothing after it). */
const yaml_node_t *cfg_field_pos(const struct cfg_field *fld);

/* Child nodes of a list (NULL past the end). */
size_t cfg_list_len(const yaml_node_t *list);
yaml_node_t *cfg_list_item(struct cfg_file *f, const yaml_node_t *list, size_t i);

/* S quoted for a message: 'text', with control and quote characters escaped
 * and long text cut with "...". BUF has CFG_QUOTE_MAX bytes; returns BUF. */
const char *cfg_quote(const char *s, size_t len, char *buf);

/* The closest of NAMES to S when within edit distance 2 (and shorter than S
 * itself), else NULL. */
const char *cfg_suggest(const char *s, const char *const *names, size_t n);

/* Walk mapping MAP: for each key that is one of FIELDS[i].name store key and
 * value nodes; report duplicate keys (first one wins) and unknown keys, the
 * latter as "unknown key 'k' WHERE (did you mean ...?)". MAP must be a
 * mapping. */
void cfg_map_fields(struct cfg_file *f, const yaml_node_t *map, struct cfg_field *fields, size_t n,
                    const char *where);

/* Typed values of a present field, each reporting its own error (and
 * returning false / NULL) when the value does not fit. */
/* A non-null scalar without NUL bytes; points into the document. */
const char *cfg_field_string(struct cfg_file *f, const struct cfg_field *fld);
/* A decimal integer within LO..HI. */
bool cfg_field_uint(struct cfg_file *f, const struct cfg_field *fld, uint64_t lo, uint64_t hi,
                    uint64_t *ret);
/* One of NAMES (index stored in *RET). */
bool cfg_field_enum(struct cfg_file *f, const struct cfg_field *fld, const char *const *names,
                    size_t n, unsigned *ret);
/* A list; reports "expected a list" otherwise. Null counts as an empty list. */
bool cfg_field_list(struct cfg_file *f, const struct cfg_field *fld);
/* A list item that is a non-null scalar without NUL bytes, else NULL. */
const char *cfg_item_string(struct cfg_file *f, const char *key, const yaml_node_t *item);
