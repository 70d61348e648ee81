/* SPDX-License-Identifier: MIT */
/* Per-user records for quotas and report authorisation (peers.h). */
#include "agent/peers.h"

#include "agent/conn.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

/* Supplementary groups read from the socket (SO_PEERGROUPS). */
#define PEER_GROUPS_MAX 256

struct peers {
	struct peer **all; /* a few dozen users at most: a plain array */
	size_t n, cap;
	double swept; /* clock_mono() of the last sweep */
};

struct peers *peers_new(void)
{
	return calloc(1, sizeof(struct peers));
}

static void peer_free(struct peer *pr)
{
	free(pr->handed);
	free(pr->handed_at);
	free(pr);
}

void peers_free(struct peers *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		peer_free(p->all[i]);
	free(p->all);
	free(p);
}

struct peer *peers_get(struct peers *p, uid_t uid)
{
	struct peer *pr;

	for (size_t i = 0; i < p->n; i++)
		if (p->all[i]->uid == uid)
			return p->all[i];
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct peer **a = realloc(p->all, cap * sizeof(*a));

		if (!a)
			return NULL;
		p->all = a;
		p->cap = cap;
	}
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return NULL;
	pr->uid = uid;
	pr->tokens = -1; /* full at the first report */
	p->all[p->n++] = pr;
	return pr;
}

/* True if GID is the peer's group or one of its supplementary groups. */
static bool peer_in_group(int fd, gid_t primary, gid_t gid)
{
	gid_t groups[PEER_GROUPS_MAX];
	socklen_t len = sizeof(groups);

	if (primary == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* NAME as a user (RET_UID) or group (RET_GID), by name or number; each
 * -1 when it is not one. */
static void name_ids(const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
	const struct passwd *pw;
	const struct group *g;
	unsigned long n;
	char *end;

	*ret_uid = (uid_t)-1;
	*ret_gid = (gid_t)-1;
	errno = 0;
	n = strtoul(name, &end, 10);
	if (*name && !*end && errno == 0 && n < (unsigned long)(uid_t)-1) {
		*ret_uid = (uid_t)n;
		*ret_gid = (gid_t)n;
		return;
	}
	if ((pw = getpwnam(name)))
		*ret_uid = pw->pw_uid;
	if ((g = getgrnam(name)))
		*ret_gid = g->gr_gid;
}

bool peers_allowed(char *const *allow, size_t n, const char *socket_group, int fd, uid_t uid,
                   gid_t gid)
{
	uid_t u;
	gid_t g;

	if (conn_uid_is_admin(uid))
		return true;
	if (n == 0) {
		if (!socket_group)
			return false;
		name_ids(socket_group, &u, &g);
		return g != (gid_t)-1 && peer_in_group(fd, gid, g);
	}
	for (size_t i = 0; i < n; i++) {
		name_ids(allow[i], &u, &g);
		if ((u != (uid_t)-1 && u == uid) || (g != (gid_t)-1 && peer_in_group(fd, gid, g)))
			return true;
	}
	return false;
}

bool peer_allowed(struct peer *pr, enum peer_right right, unsigned gen, char *const *allow,
                  size_t n, const char *socket_group, int fd, gid_t gid)
{
	if (pr->right_gen[right] != gen) {
		pr->right[right] = peers_allowed(allow, n, socket_group, fd, pr->uid, gid);
		pr->right_gen[right] = gen;
	}
	return pr->right[right];
}

bool peer_take_report(struct peer *pr, unsigned per_second, double now)
{
	double burst = 2.0 * per_second;

	if (pr->tokens < 0)
		pr->tokens = burst;
	else if (now > pr->tokens_at)
		pr->tokens += (now - pr->tokens_at) * per_second;
	if (pr->tokens > burst)
		pr->tokens = burst;
	pr->tokens_at = now;
	pr->last_active = now;
	if (pr->tokens < 1)
		return false;
	pr->tokens -= 1;
	return true;
}

void peer_handed(struct peer *pr, uint64_t id, double now)
{
	size_t last = (pr->handed_next + PEERS_HANDED_MAX - 1) % PEERS_HANDED_MAX;

	pr->last_active = now;
	if (!pr->handed) {
		pr->handed = calloc(PEERS_HANDED_MAX, sizeof(*pr->handed));
		pr->handed_at = calloc(PEERS_HANDED_MAX, sizeof(*pr->handed_at));
		if (!pr->handed || !pr->handed_at) {
			free(pr->handed);
			free(pr->handed_at);
			pr->handed = NULL;
			pr->handed_at = NULL;
			return;
		}
	}
	/* Round robin over a few endpoints hands the same ones again and
	 * again: refresh the newest slot rather than fill the ring. */
	if (pr->n_handed && pr->handed[last] == id) {
		pr->handed_at[last] = now;
		return;
	}
	pr->handed[pr->handed_next] = id;
	pr->handed_at[pr->handed_next] = now;
	pr->handed_next = (pr->handed_next + 1) % PEERS_HANDED_MAX;
	if (pr->n_handed < PEERS_HANDED_MAX)
		pr->n_handed++;
}

bool peer_was_handed(const struct peer *pr, uint64_t id, double now)
{
	for (size_t i = 0; i < pr->n_handed; i++)
		if (pr->handed[i] == id && now - pr->handed_at[i] <= PEERS_HANDED_S)
			return true;
	return false;
}

void peers_sweep(struct peers *p, double now)
{
	if (now - p->swept < 60)
		return;
	p->swept = now;
	for (size_t i = p->n; i-- > 0;) {
		struct peer *pr = p->all[i];

		if (pr->watches || now - pr->last_active <= PEERS_HANDED_S)
			continue;
		peer_free(pr);
		p->all[i] = p->all[--p->n];
	}
}

size_t peers_count(const struct peers *p)
{
	return p ? p->n : 0;
}
