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
	uint8_t seen[4096];    /* the last update as received, to tell a resend */
	size_t seen_len;
	unsigned resends; /* the same bytes again (a UDP retry of a slow answer) */
	ev_io udp_io, tcp_io;
} srv;

static struct ev_loop *loop;

/* The answer to QUERY (LEN bytes) for the current mode, into *RET. */
static bool answer(const uint8_t *query, size_t len, bool over_tcp, uint8_t **ret, size_t *ret_len)
{
	ldns_pkt *p = NULL;
	ldns_rdf *mac = NULL;
	bool ok;

	if (ldns_wire2pkt(&p, query, len) != LDNS_STATUS_OK)
		return false;
	if (ldns_pkt_tsig(p))
		mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	if (ldns_pkt_get_opcode(p) == LDNS_PACKET_QUERY) {
		srv.queries++; /* the reaper: an empty index */
	} else if (ldns_rr_list_rr_count(ldns_pkt_authority(p)) > 0 &&
	           ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(p), 0)) ==
	                   LDNS_RR_TYPE_TXT &&
	           ldns_rr_get_class(ldns_rr_list_rr(ldns_pkt_authority(p), 0)) ==
	                   LDNS_RR_CLASS_ANY) {
		srv.heartbeats++; /* not counted as an update of the set */
	} else if (len == srv.seen_len && memcmp(query, srv.seen, len) == 0) {
		srv.resends++; /* answered again, not a new update (under valgrind, say) */
	} else if (srv.mode != TRUNCATE || over_tcp) {
		ldns_rr_list *up = ldns_pkt_authority(p);
		size_t n = 0;

		ldns_rr_list *pre = ldns_pkt_answer(p);
		size_t m = 0;

		srv.updates++;
		if (len <= sizeof(srv.seen)) {
			memcpy(srv.seen, query, len);
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
	ldns_pkt_set_rcode(p,
	                   srv.mode == REFUSE || (srv.refuse_if && strstr(srv.last, srv.refuse_if))
	                           ? LDNS_RCODE_REFUSED
	                           : 0);
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

static struct wide *start(bool signed_)
{
	struct wide_params p = {
	        .zone = "z.example",
	        .server = (struct sockaddr *)&srv.addr,
	        .server_len = sizeof(srv.addr),
	        .server_text = "127.0.0.1",
	        .host = "h1",
	        .refresh_ms = 1000,
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
	server_stop();
	return test_summary();
}
