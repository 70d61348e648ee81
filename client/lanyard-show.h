/* SPDX-License-Identifier: MIT */
/* The lanyard command's output for people: the tables and lines of list,
 * resolve, services, status and watch, and each line of a fanout
 * command's output. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "client/lanyard.h"

/* The table of LIST (a header, then one line per instance) to F. */
void show_instances(FILE *f, const struct lanyard_instance_list *list);

/* "ADDRESS PORT" of IN to F: its first address that FAMILY allows. */
void show_pick(FILE *f, const struct lanyard_instance *in, enum lanyard_family family);

/* The table of LIST (a header, then one line per service) to F. */
void show_services(FILE *f, const struct lanyard_service_list *list);

/* The status object STATUS_JSON (JSON text) to F, indented. */
void show_status(FILE *f, const char *status_json);

/* One line for watch event EV to F. */
void show_event(FILE *f, const struct lanyard_event *ev);

/* LEN bytes of a command's output to F, each line prefixed with "NAME: "
 * (NAME is shown as it is: escape it first). */
void show_output(FILE *f, const char *name, const char *out, size_t len);
