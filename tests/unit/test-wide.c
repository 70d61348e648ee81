/* SPDX-License-Identifier: MIT */
/* The unicast DNS backend (wide/wide.c, wide/xfer.c) against a DNS server
 * stand-in on 127.0.0.1 in the same loop: puts and deletes become updates,
 * one at a time; errors, silence and bad signatures back off and retry;
 * a truncated UDP answer moves to TCP; withdraw deletes what was
 * confirmed. Short periods (-DWIDE_BACKOFF_MIN_S, -DXFER_UDP_RETRY_S). */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tests/unit/tap.h"
#include "wide/ldns-wrap.h"
#include "wide/wide.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="

enum mode { ANSWER, REFUSE, SILENT, TRUNCATE, BADSIG };

/* The stand-in: what it does with the next queries, what it saw. */
static struct server {
	int udp, tcp;
	struct sockaddr_in addr;
	enum mode mode;
	bool sign;
	unsigned updates, udp_queries, tcp_queries, queries, heartbeats;
	char last[4096];       /* the last update's update section, as text */
	char prev[4096];       /* the one before */
	char prereq[1024];     /* the last update's prerequisites */
	const char *refuse_if; /* REFUSED when the update mentions it */
	struct {               /* the SRV records of the zone: owner -> target, as text */
		char owner[256], target[256];
	} srvs[8];
	const char *steal;  /* after answering a read of this name: another host takes it */
	unsigned srv_reads; /* SRV queries */
	int last_rcode;     /* the last update's */
	uint8_t seen[4096]; /* the last update as received, to tell a resend */
	size_t seen_len;
	unsigned resends; /* the same bytes again (a UDP retry of a slow answer) */
	ev_io udp_io, tcp_io;
} srv;

static struct ev_loop *loop;

/* The zone's SRV at OWNER (text form), or NULL. */
static char *srv_at(const char *owner)
{
	for (size_t i = 0; i < sizeof(srv.srvs) / sizeof(*srv.srvs); i++)
		if (srv.srvs[i].owner[0] && strcasecmp(srv.srvs[i].owner, owner) == 0)
			return srv.srvs[i].target;
	return NULL;
}

/* Set (TARGET NULL: delete) the zone's SRV at OWNER. */
static void srv_set(const char *owner, const char *target)
{
	char *t = srv_at(owner);

	if (!t) {
		for (size_t i = 0; !t && i < sizeof(srv.srvs) / sizeof(*srv.srvs); i++)
			if (!srv.srvs[i].owner[0]) {
				snprintf(srv.srvs[i].owner, sizeof(srv.srvs[i].owner), "%s", owner);
				t = srv.srvs[i].target;
			}
	}
	if (!t)
		return;
	if (target)
		snprintf(t, sizeof(srv.srvs[0].target), "%s", target);
	else
		memset(t - sizeof(srv.srvs[0].owner), 0, sizeof(srv.srvs[0]));
}

/* An SRV query: the zone's SRV there (stealing the name afterwards if
 * asked to), else NXDOMAIN. */
static int answer_srv(ldns_pkt *p)
{
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	char *owner = ldns_rdf2str(ldns_rr_owner(q)), *target = owner ? srv_at(owner) : NULL;
	char text[600];
	ldns_rr *rr = NULL;
	int rcode = 3;

	srv.srv_reads++;
	if (target) {
		snprintf(text, sizeof(text), "%s 30 IN SRV 0 0 80 %s", owner, target);
		if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
		rcode = 0;
	}
	if (owner && srv.steal && strncmp(owner, srv.steal, strlen(srv.steal)) == 0) {
		srv_set(owner, "h3.z.example.");
		srv.steal = NULL;
	}
	free(owner);
	return rcode;
}

/* The update's prerequisites against the zone's SRVs (RFC 2136 §3.2);
 * when they hold, its SRV additions and deletions are applied. */
static int apply_update(ldns_pkt *p)
{
	ldns_rr_list *pre = ldns_pkt_answer(p), *up = ldns_pkt_authority(p);

	for (size_t i = 0; i < ldns_rr_list_rr_count(pre); i++) {
		ldns_rr *rr = ldns_rr_list_rr(pre, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(rr)), *t = owner ? srv_at(owner) : NULL;
		char *want = ldns_rr_rd_count(rr) == 4 ? ldns_rdf2str(ldns_rr_rdf(rr, 3)) : NULL;
		int rcode = 0;

		if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_NONE &&
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_ANY && t)
			rcode = 6;
		else if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_NONE &&
		         ldns_rr_get_type(rr) == LDNS_RR_TYPE_SRV && t)
			rcode = 7;
		else if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
		         ldns_rr_get_type(rr) == LDNS_RR_TYPE_SRV &&
		         (!t || !want || strcasecmp(t, want) != 0))
			rcode = 8;
		free(owner);
		free(want);
		if (rcode)
			return rcode;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(up); i++) {
		ldns_rr *rr = ldns_rr_list_rr(up, i);
		char *owner = ldns_rdf2str(ldns_rr_owner(rr));

		if (owner && ldns_rr_get_class(rr) == LDNS_RR_CLASS_ANY &&
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_ANY)
			srv_set(owner, NULL);
		if (owner && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_SRV) {
			char *target = ldns_rdf2str(ldns_rr_rdf(rr, 3));

			if (target)
				srv_set(owner, target);
			free(target);
		}
		free(owner);
	}
	return 0;
}

/* The answer to QUERY (LEN bytes) for the current mode, into *RET. */
static bool answer(const uint8_t *query_wire, size_t len, bool over_tcp, uint8_t **ret,
                   size_t *ret_len)
{
	ldns_pkt *p = NULL;
	ldns_rdf *mac = NULL;
	bool ok, query, resend = false;
	int query_rcode = 0, update_rcode = 0;

	if (ldns_wire2pkt(&p, query_wire, len) != LDNS_STATUS_OK)
		return false;
	if (ldns_pkt_tsig(p))
		mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	query = ldns_pkt_get_opcode(p) == LDNS_PACKET_QUERY;
	if (query) {
		ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);

		srv.queries++; /* the reaper: an empty index */
		if (q && ldns_rr_get_type(q) == LDNS_RR_TYPE_SRV)
			query_rcode = answer_srv(p);
	} else if (ldns_rr_list_rr_count(ldns_pkt_authority(p)) > 0 &&
	           ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(p), 0)) ==
	                   LDNS_RR_TYPE_TXT &&
	           ldns_rr_get_class(ldns_rr_list_rr(ldns_pkt_authority(p), 0)) ==
	                   LDNS_RR_CLASS_ANY) {
		srv.heartbeats++; /* not counted as an update of the set */
	} else if (len == srv.seen_len && memcmp(query_wire, srv.seen, len) == 0) {
		srv.resends++; /* answered again, not a new update (under valgrind, say) */
		resend = true;
	} else if (srv.mode != TRUNCATE || over_tcp) {
		ldns_rr_list *up = ldns_pkt_authority(p);
		size_t n = 0;

		ldns_rr_list *pre = ldns_pkt_answer(p);
		size_t m = 0;

		srv.updates++;
		if (len <= sizeof(srv.seen)) {
			memcpy(srv.seen, query_wire, len);
			srv.seen_len = len;
		}
		memcpy(srv.prev, srv.last, sizeof(srv.prev));
		srv.last[0] = srv.prereq[0] = '\0';
		for (size_t i = 0; i < ldns_rr_list_rr_count(pre); i++) {
			char *s = ldns_rr2str(ldns_rr_list_rr(pre, i));

			m += (size_t)snprintf(srv.prereq + m,
			                      m < sizeof(srv.prereq) ? sizeof(srv.prereq) - m : 0,
			                      "%s", s ? s : "");
			free(s);
			if (m >= sizeof(srv.prereq))
				m = sizeof(srv.prereq) - 1;
		}
		for (size_t i = 0; i < ldns_rr_list_rr_count(up); i++) {
			char *s = ldns_rr2str(ldns_rr_list_rr(up, i));

			n += (size_t)snprintf(srv.last + n,
			                      n < sizeof(srv.last) ? sizeof(srv.last) - n : 0, "%s",
			                      s ? s : "");
			free(s);
			if (n >= sizeof(srv.last))
				n = sizeof(srv.last) - 1;
		}
	}
	ldns_pkt_set_qr(p, true);
	/* REFUSE and refuse_if refuse updates; queries are answered; a
	 * resend gets the first answer again */
	if (resend)
		update_rcode = srv.last_rcode;
	else if (!query && srv.mode != REFUSE &&
	         !(srv.refuse_if && strstr(srv.last, srv.refuse_if)) &&
	         (srv.mode != TRUNCATE || over_tcp))
		update_rcode = srv.last_rcode = apply_update(p);
	ldns_pkt_set_rcode(p, (uint8_t)(query ? query_rcode
	                                : srv.mode == REFUSE || (srv.refuse_if &&
	                                                         strstr(srv.last, srv.refuse_if))
	                                        ? LDNS_RCODE_REFUSED
	                                        : update_rcode));
	ldns_pkt_set_tc(p, srv.mode == TRUNCATE && !over_tcp);
	ldns_rr_list_deep_free(ldns_pkt_authority(p));
	ldns_pkt_set_authority(p, ldns_rr_list_new());
	ldns_pkt_set_nscount(p, 0);
	ldns_rr_free(ldns_pkt_tsig(p));
	ldns_pkt_set_tsig(p, NULL);
	if (srv.sign && mac)
		ldns_pkt_tsig_sign(p, "upd.", srv.mode == BADSIG ? "b3RoZXI=" : SECRET, 300,
		                   "hmac-sha256.", mac);
	ok = ldns_pkt2wire(ret, p, ret_len) == LDNS_STATUS_OK;
	ldns_rdf_deep_free(mac);
	ldns_pkt_free(p);
	return ok;
}

static void on_udp(struct ev_loop *l, ev_io *w, int revents)
{
	uint8_t buf[65535], *out = NULL;
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(srv.udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	size_t olen;

	(void)l, (void)w, (void)revents;
	if (n <= 0)
		return;
	srv.udp_queries++;
	if (srv.mode == SILENT)
		return;
	if (answer(buf, (size_t)n, false, &out, &olen))
		sendto(srv.udp, out, olen, 0, (struct sockaddr *)&from, flen);
	free(out);
}

/* TCP: one connection at a time, read whole (tests are small), answer. */
static void on_tcp(struct ev_loop *l, ev_io *w, int revents)
{
	uint8_t buf[65537], *out = NULL;
	size_t got = 0, olen;
	int c = accept(srv.tcp, NULL, NULL);

	(void)l, (void)w, (void)revents;
	if (c < 0)
		return;
	srv.tcp_queries++;
	while (got < 2 || got < 2 + ((size_t)buf[0] << 8 | buf[1])) {
		ssize_t n = read(c, buf + got, sizeof(buf) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got > 2 && answer(buf + 2, got - 2, true, &out, &olen)) {
		uint8_t hdr[2] = {(uint8_t)(olen >> 8), (uint8_t)olen};

		if (write(c, hdr, 2) != 2 || write(c, out, olen) != (ssize_t)olen)
			FAIL("tcp write");
	}
	free(out);
	close(c);
}

static void server_start(void)
{
	socklen_t len = sizeof(srv.addr);
	int one = 1;

	srv.addr =
	        (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	srv.udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CHECK(bind(srv.udp, (struct sockaddr *)&srv.addr, sizeof(srv.addr)) == 0);
	CHECK(getsockname(srv.udp, (struct sockaddr *)&srv.addr, &len) == 0);
	srv.tcp = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(srv.tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK(bind(srv.tcp, (struct sockaddr *)&srv.addr, sizeof(srv.addr)) == 0);
	CHECK(listen(srv.tcp, 4) == 0);
	ev_io_init(&srv.udp_io, on_udp, srv.udp, EV_READ);
	ev_io_start(loop, &srv.udp_io);
	ev_io_init(&srv.tcp_io, on_tcp, srv.tcp, EV_READ);
	ev_io_start(loop, &srv.tcp_io);
}

static void server_stop(void)
{
	ev_io_stop(loop, &srv.udp_io);
	ev_io_stop(loop, &srv.tcp_io);
	close(srv.udp);
	close(srv.tcp);
}

static void on_deadline(struct ev_loop *l, ev_timer *t, int revents)
{
	(void)t, (void)revents;
	ev_break(l, EVBREAK_ONE);
}

/* Run the loop until COND(W) or TIMEOUT_S passes; returns COND(W). */
static bool run_until(struct wide *w, bool (*cond)(struct wide *), double timeout_s)
{
	ev_timer deadline, tick;
	double end = ev_now(loop) + timeout_s;

	ev_timer_init(&deadline, on_deadline, timeout_s, 0.);
	ev_timer_start(loop, &deadline);
	ev_timer_init(&tick, on_deadline, 0.01, 0.01);
	while (!cond(w) && ev_now(loop) < end) {
		ev_timer_start(loop, &tick);
		ev_run(loop, EVRUN_ONCE);
		ev_timer_stop(loop, &tick);
		ev_now_update(loop);
	}
	ev_timer_stop(loop, &deadline);
	return cond(w);
}

static bool synced(struct wide *w)
{
	struct wide_status st;

	wide_get_status(w, &st);
	return strcmp(st.state, "synced") == 0;
}

static bool failing_twice(struct wide *w)
{
	struct wide_status st;

	wide_get_status(w, &st);
	return st.failing >= 2;
}

static struct dnssd_record *rec(const char *instance, uint16_t port, const char *path)
{
	struct dnssd_record *r = NULL;
	const char *why;

	CHECK_INT_EQ(record_new("svc:web", instance, "_web._tcp", port, &r, &why), 0);
	if (r)
		CHECK_INT_EQ(record_add_txt(r, "path", path, strlen(path), &why), 0);
	return r;
}

static unsigned renamed_told;
static char renamed_to[64];

static void on_renamed(void *ud, const char *type, const char *instance, const char *published)
{
	(void)ud, (void)type, (void)instance;
	renamed_told++;
	snprintf(renamed_to, sizeof(renamed_to), "%s", published);
}

static struct wide *start(bool signed_)
{
	struct wide_params p = {
	        .zone = "z.example",
	        .server = (struct sockaddr *)&srv.addr,
	        .server_len = sizeof(srv.addr),
	        .server_text = "127.0.0.1",
	        .host = "h1",
	        .refresh_ms = 1000,
	        .on_renamed = on_renamed,
	};
	struct wide *w = NULL;
	char err[128];

	if (signed_)
		p.key = (struct wide_key){.name = "upd", .alg = "hmac-sha256", .secret = SECRET};
	CHECK_INT_EQ(wide_new(loop, &p, &w, err, sizeof(err)), 0);
	return w;
}

static void test_publish_change_delete(void)
{
	struct dnssd_record *r = rec("web@h1", 80, "/a");
	struct wide *w = start(true);
	struct wide_status st;
	char err[128];

	srv = (struct server){.udp = srv.udp,
	                      .tcp = srv.tcp,
	                      .addr = srv.addr,
	                      .udp_io = srv.udp_io,
	                      .tcp_io = srv.tcp_io,
	                      .sign = true};
	if (!w || !r)
		goto out;
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, synced, 3));
	wide_get_status(w, &st);
	CHECK_INT_EQ(st.records, 1);
	CHECK_INT_EQ(st.published, 1);
	CHECK(st.updates >= 2); /* the host's addresses, the instance, the heartbeat */
	CHECK_STR_EQ(st.last_answer, "NOERROR");
	CHECK(strstr(srv.last, "web@h1._web._tcp.z.example.\t30\tIN\tTXT\t\"path=/a\"") != NULL);
	/* a TXT change */
	record_free(r);
	r = rec("web@h1", 80, "/b");
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, synced, 3));
	CHECK(strstr(srv.last, "\"path=/b\"") != NULL);
	CHECK_INT_EQ(srv.updates, 3);
	/* the same record again: nothing sent */
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, synced, 1));
	CHECK_INT_EQ(srv.updates, 3);
	/* a delete */
	CHECK_INT_EQ(wide_delete(w, "svc:web"), 0);
	CHECK(run_until(w, synced, 3));
	/* the instance, then its type's _services PTR if no PTR is left */
	CHECK_INT_EQ(srv.updates, 5);
	CHECK(strstr(srv.prev, "_web._tcp.z.example.\t0\tNONE\tPTR\tweb@h1._web._tcp.z.example.") !=
	      NULL);
	CHECK(strstr(srv.last,
	             "_services._dns-sd._udp.z.example.\t0\tNONE\tPTR\t_web._tcp.z.example.") !=
	      NULL);
	CHECK(strstr(srv.prereq, "_web._tcp.z.example.\t0\tNONE\tPTR\t") != NULL);
	wide_get_status(w, &st);
	CHECK_INT_EQ(st.records, 0);
	/* withdraw: only the host's addresses are left to delete. It blocks,
	 * and the stand-in answers from this loop: the wait is bounded, then
	 * the stand-in sees the deletion. */
	{
		double t0 = ev_time();

		CHECK_INT_EQ(wide_withdraw(w, 0.3, err, sizeof(err)), -ETIMEDOUT);
		CHECK(ev_time() - t0 < 1.0);
		CHECK_STR_EQ(err, "1 deletion not confirmed by 127.0.0.1 (no answer)");
		ev_run(loop, EVRUN_NOWAIT);
		CHECK(srv.updates >= 5);
		CHECK(strstr(srv.last, "h1.z.example.\t0\tANY\tA") != NULL);
	}
out:
	record_free(r);
	wide_free(w);
}

static void test_failures(enum mode mode, const char *answer_text, const char *error_text)
{
	struct dnssd_record *r = rec("web@h1", 80, "/a");
	struct wide *w = start(true);
	struct wide_status st;

	srv.mode = mode;
	srv.sign = true;
	srv.updates = srv.udp_queries = srv.tcp_queries = 0;
	if (!w || !r)
		goto out;
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, failing_twice, 6));
	wide_get_status(w, &st);
	CHECK_STR_EQ(st.state, "failing");
	CHECK_STR_EQ(st.last_answer, answer_text);
	CHECK_STR_EQ(st.last_error, error_text);
	CHECK(st.retry_in > 0);
	CHECK_INT_EQ(st.published, 0);
	/* the server recovers: the next try gets through */
	srv.mode = ANSWER;
	CHECK(run_until(w, synced, 4));
	wide_get_status(w, &st);
	CHECK_INT_EQ(st.published, 1);
	CHECK_INT_EQ(st.failing, 0);
out:
	record_free(r);
	wide_free(w);
}

static void test_truncated(void)
{
	struct dnssd_record *r = rec("web@h1", 80, "/a");
	struct wide *w = start(false);

	srv.mode = TRUNCATE;
	srv.sign = false;
	srv.updates = srv.udp_queries = srv.tcp_queries = 0;
	if (!w || !r)
		goto out;
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, synced, 3));
	CHECK(srv.tcp_queries >= 2); /* host, instance (heartbeat, reaper) */
	CHECK_INT_EQ(srv.updates, 2);
out:
	record_free(r);
	wide_free(w);
}

static bool one_published(struct wide *w)
{
	struct wide_status st;

	wide_get_status(w, &st);
	return st.published == 1 && st.failing >= 1;
}

/* A name the server refuses does not hold back the others. */
static void test_refused_name_set_aside(void)
{
	struct dnssd_record *bad = rec("bad@h1", 80, "/a"), *good = rec("good@h1", 81, "/a");
	struct wide *w = start(false);
	struct wide_status st;

	srv.mode = ANSWER;
	srv.sign = false;
	srv.refuse_if = "bad@h1";
	if (!w || !bad || !good)
		goto out;
	free(good->key);
	good->key = strdup("svc:good");
	CHECK_INT_EQ(wide_put(w, bad), 0);
	CHECK_INT_EQ(wide_put(w, good), 0);
	CHECK(run_until(w, one_published, 3));
	wide_get_status(w, &st);
	CHECK_INT_EQ(st.records, 2);
	CHECK_STR_EQ(st.last_error, "the server answered REFUSED");
	srv.refuse_if = NULL;
	CHECK(run_until(w, synced, 3));
	wide_get_status(w, &st);
	CHECK_INT_EQ(st.published, 2);
out:
	srv.refuse_if = NULL;
	record_free(bad);
	record_free(good);
	wide_free(w);
}

static bool renamed_synced(struct wide *w)
{
	struct wide_renamed rn;

	return synced(w) && wide_get_renamed(w, 0, &rn) && rn.confirmed;
}

/* Another host's SRV at the name: renamed as on mDNS, reported once; later
 * changes require our own SRV; a race after the read and a name lost
 * later are read again; our own SRV (a crashed run's) is taken back. */
static void test_collision(void)
{
	struct dnssd_record *r = rec("shop", 80, "/a");
	struct wide *w = start(true);
	struct wide_renamed rn;
	struct wide_status st;

	srv = (struct server){.udp = srv.udp,
	                      .tcp = srv.tcp,
	                      .addr = srv.addr,
	                      .udp_io = srv.udp_io,
	                      .tcp_io = srv.tcp_io,
	                      .sign = true};
	srv_set("shop._web._tcp.z.example.", "h2.z.example.");
	renamed_told = 0;
	if (!w || !r)
		goto out;
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, renamed_synced, 3));
	CHECK_STR_EQ(srv_at("shop._web._tcp.z.example."), "h2.z.example.");
	CHECK_STR_EQ(srv_at("shop\\032#2._web._tcp.z.example."), "h1.z.example.");
	CHECK(strstr(srv.prereq, "shop\\032#2._web._tcp.z.example.\t0\tNONE\tANY") != NULL);
	CHECK(wide_get_renamed(w, 0, &rn));
	CHECK_STR_EQ(rn.instance, "shop");
	CHECK_STR_EQ(rn.published, "shop #2");
	CHECK_STR_EQ(rn.type, "_web._tcp");
	CHECK(!wide_get_renamed(w, 1, &rn));
	CHECK_INT_EQ(renamed_told, 1);
	CHECK_STR_EQ(renamed_to, "shop #2");
	/* a TXT change: under the rename, on condition that the SRV is ours */
	record_free(r);
	r = rec("shop", 80, "/b");
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, synced, 3));
	CHECK(strstr(srv.last, "shop\\032#2._web._tcp.z.example.\t30\tIN\tTXT\t\"path=/b\"") !=
	      NULL);
	CHECK(strstr(srv.prereq, "shop\\032#2._web._tcp.z.example.\t0\tIN\tSRV\t0 0 80 "
	                         "h1.z.example.") != NULL);
	CHECK_INT_EQ(renamed_told, 1);
	/* the name is lost (another host has it now): the next change reads
	 * again and renames; our manifest line for it goes, not its records */
	srv_set("shop\\032#2._web._tcp.z.example.", "h3.z.example.");
	record_free(r);
	r = rec("shop", 80, "/c");
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, synced, 3));
	CHECK_STR_EQ(srv_at("shop\\032#2._web._tcp.z.example."), "h3.z.example.");
	CHECK_STR_EQ(srv_at("shop\\032#3._web._tcp.z.example."), "h1.z.example.");
	CHECK(strstr(srv.last, "h1._lanyard.z.example.\t0\tNONE\tPTR\tshop\\032#2.") != NULL);
	CHECK(strstr(srv.last, "shop\\032#2._web._tcp.z.example.\t0\tANY\tANY") == NULL);
	CHECK_INT_EQ(renamed_told, 2);
	CHECK_STR_EQ(renamed_to, "shop #3");
	/* withdrawn: the renamed name's records go, the other hosts' stay */
	CHECK_INT_EQ(wide_delete(w, "svc:web"), 0);
	CHECK(run_until(w, synced, 3));
	CHECK(srv_at("shop\\032#3._web._tcp.z.example.") == NULL);
	CHECK_STR_EQ(srv_at("shop._web._tcp.z.example."), "h2.z.example.");
	wide_free(w);

	/* a race: another host takes the name between our read and update */
	w = start(true);
	record_free(r);
	r = rec("cart", 80, "/a");
	srv.steal = "cart._web._tcp";
	if (!w || !r)
		goto out;
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, renamed_synced, 3));
	CHECK_STR_EQ(srv_at("cart._web._tcp.z.example."), "h3.z.example.");
	CHECK_STR_EQ(srv_at("cart\\032#2._web._tcp.z.example."), "h1.z.example.");
	wide_get_status(w, &st);
	CHECK_INT_EQ(st.failing, 0);
	wide_free(w); /* a crash: nothing withdrawn */

	/* this host again: its own SRV is there, taken back without a rename */
	w = start(true);
	renamed_told = 0;
	record_free(r);
	r = rec("cart", 80, "/a");
	if (!w || !r)
		goto out;
	srv_set("cart._web._tcp.z.example.", "H1.z.example.");
	CHECK_INT_EQ(wide_put(w, r), 0);
	CHECK(run_until(w, synced, 3));
	CHECK(!wide_get_renamed(w, 0, &rn));
	CHECK_INT_EQ(renamed_told, 0);
	CHECK(strstr(srv.prereq, "cart._web._tcp.z.example.\t0\tIN\tSRV\t0 0 80 H1.z.example.") !=
	      NULL);
	CHECK_STR_EQ(srv_at("cart._web._tcp.z.example."), "h1.z.example.");
out:
	record_free(r);
	wide_free(w);
}

int main(void)
{
	loop = ev_default_loop(0);
	server_start();
	test_publish_change_delete();
	test_failures(REFUSE, "REFUSED", "the server answered REFUSED");
	test_failures(BADSIG, "NOERROR, answer not signed by the key",
	              "the server answered NOERROR, answer not signed by the key");
	test_failures(SILENT, "", "no answer from the server");
	test_truncated();
	test_refused_name_set_aside();
	test_collision();
	server_stop();
	return test_summary();
}
