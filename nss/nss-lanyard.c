/* SPDX-License-Identifier: MIT */
/* libnss_lanyard.so.2: glibc's "hosts: ... lanyard" source. A name under
 * .lanyard becomes a resolve on the local agent's socket, answered with the
 * picked instance's addresses, or UNAVAIL within 100 ms. */
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "nss/nss-agent.h"
#include "nss/nss-query.h"
#include "wire/wire.h"

/* The whole lookup, connect to reply, from the module's entry: 90 ms, so
 * that what the caller sees — glibc reading nsswitch.conf and loading the
 * module on its first call included — ends within 100 ms (docs/nss.md). */
#define NSS_TIMEOUT_MS 90

/* glibc finds these by name; nothing else is exported (nss/local.mk). */
enum nss_status _nss_lanyard_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop, int32_t *ttlp);
enum nss_status _nss_lanyard_gethostbyname3_r(const char *name, int af, struct hostent *result,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop, int32_t *ttlp, char **canonp);
enum nss_status _nss_lanyard_gethostbyname2_r(const char *name, int af, struct hostent *result,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop);
enum nss_status _nss_lanyard_gethostbyname_r(const char *name, struct hostent *result, char *buffer,
                                             size_t buflen, int *errnop, int *h_errnop);

/* jansson seeds its hash tables on first use by open()ing /dev/urandom
 * without O_CLOEXEC: in a host program that forks from another thread at
 * that moment, the descriptor would survive into the child's exec. Seed it
 * from getrandom() first; jansson ignores this once it is seeded (by the
 * host program, or an earlier lookup), atomically. */
static void seed_jansson(void)
{
	uint32_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint32_t)nss_now_ns() ^ ((uint32_t)getpid() << 16);
	json_object_seed(seed ? seed : 1);
}

/* Ask the agent for NAME's addresses that AF can carry (nss_reply_parse()).
 * Returns 0, or the -errno that lookup_status() turns into an answer. */
static int lookup(const char *name, int af, struct nss_addrs *ret)
{
	int64_t deadline = nss_now_ns() + (int64_t)NSS_TIMEOUT_MS * 1000000;
	struct nss_query q;
	char *req = NULL, *line = NULL;
	size_t req_len, len;
	int r;

	ret->n = 0;
	/* Names outside .lanyard, and malformed ones, never reach the socket. */
	if (nss_name_parse(name, &q) < 0)
		return -ENOENT;
	seed_jansson();
	r = nss_request_line(&q, af, &req, &req_len);
	if (r < 0)
		return r == -ENOMEM ? r : -ENOENT;
	/* On the heap: callers' threads may have small stacks. */
	line = malloc(WIRE_MAX_LINE + 2); /* the line, its newline, a NUL */
	if (!line) {
		r = -ENOMEM;
		goto out;
	}
	r = nss_agent_exchange(LANYARD_DEFAULT_SOCKET, req, req_len, deadline, line,
	                       WIRE_MAX_LINE + 2, &len);
	if (r < 0) {
		/* Whatever stopped the exchange, the agent cannot answer now
		 * (UNAVAIL): a missing socket file is no agent, not "no such
		 * name", and a full backlog is an agent too slow to accept. */
		if (r == -ENOENT)
			r = -ECONNREFUSED;
		else if (r == -EAGAIN)
			r = -ETIMEDOUT;
		goto out;
	}
	r = nss_reply_parse(line, len, af, ret);
out:
	free(line);
	free(req);
	return r;
}

/* The NSS answer for a failed lookup R, with *ERRNOP and *H_ERRNOP. */
static enum nss_status lookup_status(int r, int *errnop, int *h_errnop)
{
	switch (r) {
	case -ENOENT: /* not ours, or nothing matches */
		*errnop = ENOENT;
		*h_errnop = HOST_NOT_FOUND;
		return NSS_STATUS_NOTFOUND;
	case -EAGAIN: /* the agent is busy, or has no view of the LAN yet */
		*errnop = EAGAIN;
		*h_errnop = TRY_AGAIN;
		return NSS_STATUS_TRYAGAIN;
	case -ERANGE: /* glibc grows the buffer and calls again */
		*errnop = ERANGE;
		*h_errnop = NETDB_INTERNAL;
		return NSS_STATUS_TRYAGAIN;
	default: /* no agent, too slow, a reply that makes no sense, no memory */
		*errnop = -r;
		*h_errnop = NO_RECOVERY;
		return NSS_STATUS_UNAVAIL;
	}
}

enum nss_status _nss_lanyard_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop, int32_t *ttlp)
{
	int saved = errno, r;
	struct nss_addrs a;

	r = lookup(name, AF_UNSPEC, &a);
	if (r == 0)
		r = nss_fill_tuples(&a, name, pat, buffer, buflen);
	/* ERRNOP is usually &errno: restore first, then report. */
	errno = saved;
	if (r < 0)
		return lookup_status(r, errnop, h_errnop);
	/* Each lookup is a new pick: nothing for a cache to keep. */
	if (ttlp)
		*ttlp = 0;
	*h_errnop = NETDB_SUCCESS;
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_lanyard_gethostbyname3_r(const char *name, int af, struct hostent *result,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop, int32_t *ttlp, char **canonp)
{
	int saved = errno, r;
	struct nss_addrs a;

	if (af == AF_UNSPEC)
		af = AF_INET;
	if (af != AF_INET && af != AF_INET6) {
		*errnop = EAFNOSUPPORT;
		*h_errnop = NO_DATA;
		return NSS_STATUS_UNAVAIL;
	}
	r = lookup(name, af, &a);
	if (r == 0)
		r = nss_fill_hostent(&a, name, af, result, buffer, buflen, canonp);
	errno = saved;
	if (r < 0)
		return lookup_status(r, errnop, h_errnop);
	if (ttlp)
		*ttlp = 0;
	*h_errnop = NETDB_SUCCESS;
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_lanyard_gethostbyname2_r(const char *name, int af, struct hostent *result,
                                              char *buffer, size_t buflen, int *errnop,
                                              int *h_errnop)
{
	return _nss_lanyard_gethostbyname3_r(name, af, result, buffer, buflen, errnop, h_errnop,
	                                     NULL, NULL);
}

enum nss_status _nss_lanyard_gethostbyname_r(const char *name, struct hostent *result, char *buffer,
                                             size_t buflen, int *errnop, int *h_errnop)
{
	return _nss_lanyard_gethostbyname3_r(name, AF_INET, result, buffer, buflen, errnop,
	                                     h_errnop, NULL, NULL);
}
