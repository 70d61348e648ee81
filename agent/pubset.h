/* SPDX-License-Identifier: MIT */
/* The published set: what this host announces, computed by the agent from
 * its declared services (later also runtime registrations, minus what
 * checks or maintenance withhold) with its overlays (load=), and handed to
 * the publishing backends as puts and deletes of dnssd records keyed by a
 * stable key. Backends never see the configuration. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "config/config.h"
#include "dnssd/record.h"
#include "dnssd/txt.h"
#include "mdns/mdns.h"

struct pubset;

/* Who registered an entry at run time (the register op). */
struct pubset_owner {
	uint64_t id; /* the registration's id */
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

/* A publishing backend: PUT and DEL queue the change and return 0 or a
 * negative errno; they must not call back into the pubset. */
struct pubset_backend {
	void *ctx;
	int (*put)(void *ctx, const struct dnssd_record *r);
	int (*del)(void *ctx, const char *key);
};

/* An empty set publishing through BACKEND (copied). NULL on OOM. */
struct pubset *pubset_new(const struct pubset_backend *backend);

/* Withdraw nothing (the backend withdraws on its own shutdown) and free
 * everything. NULL is fine. */
void pubset_free(struct pubset *ps);

/* Take CFG's declared services (read during the call) as the declared part
 * of the set, their "%h" expanded with HOST. A service that cannot be
 * turned into a valid record is kept, unpublished, with the reason as its
 * state message. Nothing is sent until pubset_sync(). Returns 0 or -ENOMEM
 * (the set is then unchanged). */
int pubset_set_declared(struct pubset *ps, const struct lanyard_config *cfg, const char *host);

/* The load= overlay added to every record (NULL: none). Returns 0 or
 * -ENOMEM. Nothing is sent until pubset_sync(). */
int pubset_set_load(struct pubset *ps, const char *value);

/* Add the runtime registration KEY ("reg:<id>") of SVC for OWNER, after
 * the declared services; pubset_set_declared() leaves it alone. Returns
 * 0, -EEXIST, -EINVAL (no record can be built: *RET_WHY says why, valid
 * until the next call) or -ENOMEM. Sent at pubset_sync(). */
int pubset_register(struct pubset *ps, const char *key, const struct cfg_service *svc,
                    const char *host, const struct pubset_owner *owner, const char **ret_why);
/* Withdraw the registration KEY. Returns 0, -ENOENT or -ENOMEM (then
 * unchanged). Sent at pubset_sync(). */
int pubset_unregister(struct pubset *ps, const char *key);
/* The owner of the registration published as INSTANCE of TYPE (its
 * current name), or NULL (none, or a declared service). */
const struct pubset_owner *pubset_owner_of(const struct pubset *ps, const char *type,
                                           const char *instance);

/* Why a new registration of service NAME, TYPE and INSTANCE would clash
 * with the set (a declared service of that name, or an entry of that type
 * and instance), or NULL. */
const char *pubset_clash(const struct pubset *ps, const char *name, const char *type,
                         const char *instance);

/* The key of declared service SERVICE ("svc:" and its name in lower case)
 * into BUF of SIZE bytes. Returns its length or -ENOBUFS. */
int pubset_service_key(const char *service, char *buf, size_t size);

/* What the health checks of the entry KEY say: PASSING announces it,
 * WARNING announces it with TXT health=warning, CRITICAL withdraws it (WHY,
 * copied, says which check, for status). An entry starts PASSING; the
 * state is kept across pubset_set_declared() for a key that stays.
 * Returns 0, -ENOENT (no such entry) or -ENOMEM. Sent at pubset_sync(). */
int pubset_set_health(struct pubset *ps, const char *key, enum txt_health health, const char *why);

/* Maintenance of the entry KEY: ON withdraws it by hand (REASON, copied,
 * may be NULL), off brings it back. Kept across pubset_set_declared().
 * Returns 0, -ENOENT or -ENOMEM. Sent at pubset_sync(). */
int pubset_set_maint(struct pubset *ps, const char *key, bool on, const char *reason);

/* Send the backend a put for every record that changed since the last
 * sync (and, once after pubset_retry_failed(), for those whose publishing
 * FAILED) and a delete for every key that left the set. Returns 0 or the
 * first backend error (the entries not sent are sent at the next sync). */
int pubset_sync(struct pubset *ps);

/* Call PUT with CTX for every record the backend currently has (a
 * backend that joins later catches up). Returns 0 or PUT's first error. */
int pubset_replay(const struct pubset *ps, int (*put)(void *ctx, const struct dnssd_record *r),
                  void *ctx);

/* Have the next pubset_sync() put again the records whose publishing
 * FAILED (a reload retries them; a load update does not). */
void pubset_retry_failed(struct pubset *ps);

/* The backend's report on record KEY. Unknown keys are ignored. */
void pubset_on_state(struct pubset *ps, const char *key, enum mdns_pub_state state,
                     const char *instance, const char *msg);

/* The "publishing" array of the status operation: one object per entry,
 * {"service","type","port","announced","why"?,"health","maintenance"?,
 * "state","instance","message"?}: announced is false while a check is
 * critical, the service is in maintenance, or publishing failed, and why
 * says which. NULL on OOM. */
json_t *pubset_status(const struct pubset *ps);

/* Number of entries (published or not). */
size_t pubset_count(const struct pubset *ps);

/* "pending", "registering", "established", "collision", "failed". */
const char *pubset_state_name(enum mdns_pub_state s);
