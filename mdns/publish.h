/* SPDX-License-Identifier: MIT */
/* Publishing declared services: one Avahi entry group per service, with
 * collision renames, in-place TXT updates and diffing against a new config. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <avahi-common/strlst.h>

#include "config/config.h"

struct mdns;
struct publish;

/* What the layer keeps of one declared service: an immutable deep copy of
 * the fields that are published, so the agent may free its config. */
struct pub_spec {
	char *name;
	char *type;
	uint16_t port;
	char *instance; /* template; "%h" = host name, "%%" = '%' */
	char **subtypes;
	size_t n_subtypes;
	AvahiStringList *txt; /* Avahi order (reversed); wire order = declared */
	char *invalid;        /* why it cannot be published, or NULL */
};

/* Copy the published fields of SVC. Returns NULL on out-of-memory. A
 * service whose TXT breaks the DNS-SD limits still gets a spec, with
 * ->invalid set. */
struct pub_spec *pub_spec_new(const struct cfg_service *svc);
/* Free S; pub_spec_free(NULL) is fine. */
void pub_spec_free(struct pub_spec *s);

/* How A and B differ in what is published (the mdns view of
 * cfg_service_compare()). */
enum cfg_service_diff pub_spec_compare(const struct pub_spec *a, const struct pub_spec *b);

/* Expand instance template TMPL with HOST ("%h"; "%%" is '%'; any other
 * '%' stays) into a NUL-terminated name of at most 63 bytes, cut at a UTF-8
 * character boundary. Returns a malloc'd string or NULL on OOM. */
char *pub_expand_instance(const char *tmpl, const char *host);

/* The publishing half of M (which owns it); NULL on out-of-memory. */
struct publish *publish_new(struct mdns *m);
/* Withdraw (goodbye) and free every service. publish_free(NULL) is fine. */
void publish_free(struct publish *p);

/* Make the published set equal CFG's services (see mdns_publish()).
 * Returns 0 or -ENOMEM (then nothing changed). */
int publish_apply(struct publish *p, const struct lanyard_config *cfg);

/* The client reached RUNNING: register everything not registered. */
void publish_client_running(struct publish *p);
/* Host name being (re)probed: reset every group; re-registered on RUNNING. */
void publish_client_reset(struct publish *p);
/* The client is gone (its groups with it): forget every group pointer. */
void publish_client_lost(struct publish *p);

/* For tests: the current instance name of SERVICE, or NULL. */
const char *publish_instance_name(const struct publish *p, const char *service);
