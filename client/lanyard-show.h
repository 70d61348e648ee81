/* SPDX-License-Identifier: MIT */
/* The lanyard command's output for people: the tables and lines of list,
 * resolve, services, status and watch, and each line of a fanout
 * command's output. Every string in them from the agent (names, types,
 * addresses, versions, tags, check values, reasons: the LAN's) is shown
 * through cli_shown(), so that no control character, C1 code, bidi
 * control or invalid UTF-8 reaches the terminal and one row stays one
 * line; columns are padded by code points. */
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

/* The status object STATUS_JSON (JSON text) to F, indented, through
 * cli_put_json(): still JSON, and the same values. */
void show_status(FILE *f, const char *status_json);

/* One line for watch event EV to F. */
void show_event(FILE *f, const struct lanyard_event *ev);

/* LEN bytes of a command's output to F, each line (ending in "\n" or
 * "\r\n") escaped like any string from the LAN and prefixed with "NAME: "
 * (NAME is printed as it is: escape it first). */
void show_output(FILE *f, const char *name, const char *out, size_t len);
