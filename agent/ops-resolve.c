/* SPDX-License-Identifier: MIT */
/* The resolve operation: a balanced pick of a service's instance, sent
 * from the instance's cached text. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "agent/ops-private.h"
#include "agent/present.h"
#include "agent/probe.h"
#include "dnssd/name.h"

struct resolve_filter {
	/* The request's filter, its service aside: every entry offered comes
	 * from a type found by that very name, so matching it again (two
	 * strcasecmp() per candidate) would only cost time. */
	const struct wire_filter *f;
	bool skip_stale;
	size_t seen, stale, excluded;
};

static bool resolve_accept(void *userdata, const struct cache_entry *e)
{
	struct resolve_filter *rf = userdata;

	rf->seen++;
	if (rf->skip_stale && e->stale) {
		rf->stale++;
		return false;
	}
	if (!present_match_in_type(e, rf->f)) {
		rf->excluded++;
		return false;
	}
	return true;
}

/* The longest filter key kept (see docs/benchmarks.md, Known limits). */
#define RESOLVE_KEY_MAX 512

/* The key of RF's filter, for its final sets kept by selection
 * (balance_request.filter_key): whether stale entries count, then the
 * request's filter. 0 when too long to keep. */
static size_t resolve_key(const struct resolve_filter *rf, char *buf, size_t cap)
{
	size_t n = present_filter_key(rf->f, buf + 1, cap - 1);

	buf[0] = rf->skip_stale ? 'S' : 's';
	return n ? n + 1 : 0;
}

/* The policy for REQ: the request's, else the service's (when this host
 * declares it), else agent.policy. */
static int resolve_policy(const struct agent *a, const struct wire_request *req,
                          enum cfg_policy *ret, struct wire_err *err)
{
	const struct cfg_service *s;

	if (req->policy) {
		if (cfg_policy_from_name(req->policy, ret) < 0)
			return wire_err_set(err, WIRE_BAD_REQUEST, "unknown policy \"%s\"",
			                    req->policy);
		return 0;
	}
	s = cfg_find_service(a->cfg, req->filter.service);
	*ret = s && s->has_policy ? s->policy : a->cfg->agent.policy;
	return 0;
}

/* The address to connect to: of the requested family, global before link-local. */
static const struct cache_addr *resolve_address(const struct cache_entry *e, enum wire_family fam)
{
	return cache_entry_addr(e, fam == WIRE_FAMILY_IPV4   ? AF_INET
	                           : fam == WIRE_FAMILY_IPV6 ? AF_INET6
	                                                     : AF_UNSPEC);
}

static void explain_not_found(const struct wire_request *req, const struct resolve_filter *rf,
                              struct wire_err *err)
{
	if (rf->seen == 0) {
		wire_err_set(err, WIRE_NOT_FOUND, "no instance of \"%s\" is known",
		             req->filter.service);
		return;
	}
	wire_err_set(err, WIRE_NOT_FOUND,
	             "no usable instance of \"%s\": %zu known, %zu excluded by the filters "
	             "(instance/version/tags/txt/family), %zu stale (browse down)",
	             req->filter.service, rf->seen, rf->excluded, rf->stale);
}

/* Pick among the types REQ's service names (a type, or a name's _tcp and _udp). */
static int resolve_pick(struct agent *a, const struct wire_request *req,
                        const struct balance_request *brq, double now, struct cache_entry **ret)
{
	bool is_type = dnssd_check_type(req->filter.service, NULL) == NULL;
	struct cache_type *t = is_type ? cache_find_type(a->cache, req->filter.service)
	                               : cache_find_service(a->cache, req->filter.service);
	int r = -ENOENT;

	for (; t && r == -ENOENT; t = is_type ? NULL : cache_service_next(t))
		r = balance_pick(a->balance, t, brq, now, ret);
	return r;
}

/* A, B and C (B fits: an address or a policy name) into BUF; the length. */
static size_t join(char *buf, size_t cap, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (la + lb + lc > cap)
		lb = cap - la - lc;
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	memcpy(buf + la + lb, c, lc);
	return la + lb + lc;
}

/* Send E as resolve's reply: {"id","ok":true,"instance":{...,"address","policy"}},
 * from E's cached text (no JSON tree built per request). */
static int resolve_reply(struct conn *c, const struct wire_request *req, bool held,
                         struct cache_entry *e, enum cfg_policy policy, struct wire_err *err)
{
	static const char head[] = "\"" WIRE_KEY_INSTANCE "\":";
	const struct cache_addr *ad = resolve_address(e, req->filter.family);
	const char *name = cfg_policy_name(policy);
	char addr[64 + 16], tail[64];
	struct iovec parts[5];
	size_t n = 0, len;
	const char *text = present_instance_text(e, &len);

	if (!text)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	parts[n++] = (struct iovec){(void *)head, sizeof(head) - 1};
	parts[n++] = (struct iovec){(void *)text, len};
	if (e->stale)
		parts[n++] = (struct iovec){(void *)",\"stale\":true", 13};
	if (ad) {
		char a_text[64];

		parts[n].iov_base = addr;
		parts[n++].iov_len = join(addr, sizeof(addr), ",\"address\":\"",
		                          cache_addr_format(ad, a_text, sizeof(a_text)), "\"");
	}
	parts[n].iov_base = tail;
	parts[n++].iov_len = join(tail, sizeof(tail), ",\"policy\":\"", name, "\"}");
	if (held)
		conn_release_ok_text(c, parts, n);
	else
		conn_reply_ok_text(c, req, parts, n);
	return 1;
}

/* Whether F asks for nothing but its service: then selection needs no
 * filter callback and picks from the service's cached tier. */
static bool resolve_plain(const struct wire_filter *f)
{
	return !f->instance && !f->domain && !f->version && !f->n_tags && !f->n_txt &&
	       f->family == WIRE_FAMILY_ANY;
}

int op_resolve(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
               json_t **ret_body, struct wire_err *err)
{
	struct resolve_filter rf = {.f = &req->filter, .skip_stale = true};
	struct balance_request brq = {
	        .prefer_local = req->prefer_local,
	        .any_domain = req->prefer_any_domain,
	        .key = req->key,
	        .key_len = req->key ? strlen(req->key) : 0,
	        .filter = resolve_accept,
	        .filter_userdata = &rf,
	};
	struct cache_entry *e = NULL;
	/* One reading for every pass: the request's arrival, read with its
	 * input (this same callback), unless it waited for a browse. */
	double now = held ? now_of(a) : conn_arrived(c);
	char key[RESOLVE_KEY_MAX];
	int r;

	if (resolve_policy(a, req, &brq.policy, err) < 0)
		return -EINVAL;
	if (resolve_plain(&req->filter)) {
		/* The same two passes as below, without the callback. When
		 * both find nothing, no entry is up and trusted: the filtered
		 * path would have seen none either (rf stays zero). */
		brq.filter = NULL;
		brq.skip_stale = true;
		r = resolve_pick(a, req, &brq, now, &e);
		if (r == -ENOENT) {
			brq.skip_stale = false;
			r = resolve_pick(a, req, &brq, now, &e);
		}
	} else {
		brq.filter_key = key;
		brq.filter_key_len = resolve_key(&rf, key, sizeof(key));
		r = resolve_pick(a, req, &brq, now, &e);
	}
	if (r == -ENOENT && rf.stale > 0) {
		/* Only entries from a browse that is down (avahi-daemon away):
		 * better a pick marked "stale" than no answer. */
		rf = (struct resolve_filter){.f = &req->filter};
		brq.filter_key_len = resolve_key(&rf, key, sizeof(key));
		r = resolve_pick(a, req, &brq, now, &e);
	}
	if (r == -ENOENT) {
		explain_not_found(req, &rf, err);
		return -ENOENT;
	}
	if (r < 0)
		return wire_err_set(err, WIRE_INTERNAL, "selection failed: %s", strerror(-r));

	prober_note(a->prober, e);
	{
		struct peer *pr = op_peer(a, c);

		if (pr)
			peer_handed(pr, e->id, now);
	}
	return resolve_reply(c, req, held, e, brq.policy, err);
}
