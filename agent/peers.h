/* SPDX-License-Identifier: MIT */
/* What each local user (socket peer uid) holds and has done lately: their
 * watches, their report budget, and the endpoints they were handed, so
 * that one user's quota and reports are judged on their own record. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long an endpoint handed to a user stays reportable by them. */
#define PEERS_HANDED_S 600.0
/* How many recent hand-outs are remembered per user. */
#define PEERS_HANDED_MAX 1024

struct peers;

/* What a user may do beyond reading, by configuration (agent.report.allow,
 * agent.register.allow). */
enum peer_right {
	PEER_REPORT,
	PEER_PUBLISH,
	_PEER_RIGHT_MAX,
};

/* One user's record; owned by the table, valid until peers_sweep(). */
struct peer {
	uid_t uid;
	unsigned watches;   /* open watches, on all their connections */
	double tokens;      /* report budget (token bucket) */
	double tokens_at;   /* clock_mono() of the last refill */
	double last_active; /* clock_mono() of the last use */
	/* The endpoints (cache entry ids) handed out lately, a ring. */
	uint64_t *handed;
	double *handed_at;
	size_t handed_next, n_handed;
	/* peer_allowed()'s answers, for configuration generation right_gen. */
	unsigned right_gen[_PEER_RIGHT_MAX];
	bool right[_PEER_RIGHT_MAX];
};

/* NULL on OOM. */
struct peers *peers_new(void);
void peers_free(struct peers *p);

/* UID's record, made on first use; NULL on OOM. */
struct peer *peers_get(struct peers *p, uid_t uid);

/* Whether the peer UID, GID on socket FD is root, lanyardd's user, or
 * named by ALLOW (N user or group names or numbers; a group by primary or
 * supplementary membership), or, with N 0, a member of SOCKET_GROUP (a
 * name or number; NULL: nobody else). Names are looked up now (NSS). */
bool peers_allowed(char *const *allow, size_t n, const char *socket_group, int fd, uid_t uid,
                   gid_t gid);
/* peers_allowed() for PR's user and RIGHT, looked up once per
 * configuration generation GEN (never 0): NSS stays off the request path. */
bool peer_allowed(struct peer *pr, enum peer_right right, unsigned gen, char *const *allow,
                  size_t n, const char *socket_group, int fd, gid_t gid);

/* Take one report from PR's budget of PER_SECOND (burst: two seconds'
 * worth) at NOW; false when it is spent. */
bool peer_take_report(struct peer *pr, unsigned per_second, double now);

/* Remember that entry ID was handed to PR at NOW (best effort on OOM). */
void peer_handed(struct peer *pr, uint64_t id, double now);
/* Was entry ID handed to PR within PEERS_HANDED_S before NOW? */
bool peer_was_handed(const struct peer *pr, uint64_t id, double now);

/* Forget the records of users who hold nothing and did nothing for
 * PEERS_HANDED_S before NOW (looked for at most once a minute). */
void peers_sweep(struct peers *p, double now);

/* Users with a record now. */
size_t peers_count(const struct peers *p);
