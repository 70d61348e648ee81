/* SPDX-License-Identifier: MIT */
/* The unicast DNS backend's copy of its parameters; private to wide/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "wide/wide.h"

struct wide_settings {
	char *zone, *host, *server_text;
	struct sockaddr_storage server;
	socklen_t server_len;
	char *key_name, *key_alg, *key_secret; /* key_name NULL: unsigned */
	char **ifaces;
	size_t n_ifaces;
	double refresh_s; /* at least 1 */
	void (*on_state)(void *ud, bool failing, const char *why);
	void (*on_renamed)(void *ud, const char *type, const char *instance, const char *published);
	void *ud;
};

/* Replace *S by a copy of P. Returns 0, or -EINVAL (P incomplete) or
 * -ENOMEM with a message in ERR and *S unchanged. */
int wide_settings_set(struct wide_settings *s, const struct wide_params *p, char *err,
                      size_t errlen);

/* Free what S owns (the secret wiped first) and zero it. */
void wide_settings_clear(struct wide_settings *s);

/* Whether P names the same zone, server, key, host and interfaces as S
 * (the refresh period and the callback do not count). */
bool wide_settings_same(const struct wide_settings *s, const struct wide_params *p);
