/* SPDX-License-Identifier: MIT */
/* Unit tests of the NSS module's parts (nss/): names under .lanyard, the
 * request they make, the agent's replies (hostile ones too), the caller's
 * buffer at every size and alignment, and the exchange with agents that
 * are missing, silent, closing, full or chatty — each within the deadline,
 * without SIGPIPE. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "nss/nss-agent.h"
#include "nss/nss-query.h"
#include "tests/unit/tap.h"
#include "wire/request.h"

/* --- names ------------------------------------------------------------------ */

static void test_names(void)
{
	struct nss_query q;
	char name[400];

	CHECK_INT_EQ(nss_name_parse("payments.lanyard", &q), 0);
	CHECK_STR_EQ(q.service, "payments");
	CHECK_STR_EQ(q.version, "");
	CHECK_INT_EQ(q.n_tags, 0);
	CHECK_INT_EQ(nss_name_parse("payments.lanyard.", &q), 0);
	CHECK_STR_EQ(q.service, "payments");
	CHECK_INT_EQ(nss_name_parse("Payments.LANYARD", &q), 0);
	CHECK_STR_EQ(q.service, "Payments");

	CHECK_INT_EQ(nss_name_parse("v2.payments.lanyard", &q), 0);
	CHECK_STR_EQ(q.version, "2");
	CHECK_INT_EQ(nss_name_parse("V2-4-1.eu.payments.lanyard", &q), 0);
	CHECK_STR_EQ(q.version, "2.4.1");
	CHECK_INT_EQ(q.n_tags, 1);
	CHECK_STR_EQ(q.tags[0], "eu");
	CHECK_INT_EQ(nss_name_parse("eu.v2-4.blue.payments.lanyard", &q), 0);
	CHECK_STR_EQ(q.version, "2.4");
	CHECK_INT_EQ(q.n_tags, 2);
	CHECK_STR_EQ(q.tags[0], "eu");
	CHECK_STR_EQ(q.tags[1], "blue");
	/* Other shapes of v... are tags. */
	CHECK_INT_EQ(nss_name_parse("v.vip.v2-.v2-4-1-0.v1234567890.payments.lanyard", &q), 0);
	CHECK_STR_EQ(q.version, "");
	CHECK_INT_EQ(q.n_tags, 5);
	CHECK_STR_EQ(q.tags[3], "v2-4-1-0");

	/* Not ours: the caller must not touch the socket. */
	CHECK_INT_EQ(nss_name_parse("example.com", &q), -ENOENT);
	CHECK_INT_EQ(nss_name_parse("lanyard", &q), -ENOENT);
	CHECK_INT_EQ(nss_name_parse(".lanyard", &q), -ENOENT);
	CHECK_INT_EQ(nss_name_parse("paymentslanyard", &q), -ENOENT);
	CHECK_INT_EQ(nss_name_parse("payments.xlanyard", &q), -ENOENT);
	CHECK_INT_EQ(nss_name_parse("payments.lanyard.com", &q), -ENOENT);
	CHECK_INT_EQ(nss_name_parse("", &q), -ENOENT);
	CHECK_INT_EQ(nss_name_parse(".", &q), -ENOENT);

	/* Ours, but nothing valid. */
	CHECK_INT_EQ(nss_name_parse("a..payments.lanyard", &q), -EINVAL);
	CHECK_INT_EQ(nss_name_parse("..lanyard", &q), -EINVAL);
	CHECK_INT_EQ(nss_name_parse("bad_name.lanyard", &q), -EINVAL);
	CHECK_INT_EQ(nss_name_parse("-payments.lanyard", &q), -EINVAL);
	CHECK_INT_EQ(nss_name_parse("sixteen-chars-xx.lanyard", &q), -EINVAL);
	CHECK_INT_EQ(nss_name_parse("v2.v3.payments.lanyard", &q), -EINVAL);
	CHECK_INT_EQ(nss_name_parse("a\tb.payments.lanyard", &q), -EINVAL);
	/* Not UTF-8 (found by fuzz-nss: the request could not be built). */
	CHECK_INT_EQ(nss_name_parse("\x8b\xcd-4-1.eu.payments.lanyard", &q), -EINVAL);
	CHECK_INT_EQ(nss_name_parse("caf\xc3\xa9.payments.lanyard", &q), 0);
	CHECK_STR_EQ(q.tags[0], "caf\xc3\xa9");

	/* 64 tags are the protocol's limit; the 65th is refused. */
	name[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(name, "t.");
	strcat(name, "payments.lanyard");
	CHECK_INT_EQ(nss_name_parse(name, &q), 0);
	CHECK_INT_EQ(q.n_tags, 64);
	memmove(name + 2, name, strlen(name) + 1);
	memcpy(name, "t.", 2);
	CHECK_INT_EQ(nss_name_parse(name, &q), -EINVAL);
	/* Longer than a DNS name. */
	memset(name, 'a', 300);
	memcpy(name + 300 - 17, ".payments.lanyard", 18);
	for (int i = 60; i < 280; i += 60)
		name[i] = '.';
	CHECK_INT_EQ(nss_name_parse(name, &q), -EINVAL);
}

/* --- the request -------------------------------------------------------------- */

/* Build the request for NAME and AF and parse it as the agent would. */
static int request_of(const char *name, int af, struct wire_request *req)
{
	struct nss_query q;
	struct wire_err err;
	size_t len;
	char *line;
	int r;

	wire_request_init(req);
	r = nss_name_parse(name, &q);
	if (r < 0)
		return r;
	r = nss_request_line(&q, af, &line, &len);
	if (r < 0)
		return r;
	CHECK(len > 1 && line[len - 1] == '\n' && strlen(line) == len);
	r = wire_request_parse(line, len - 1, req, &err);
	CHECK_MSG(r == 0, "agent refuses %s: %s", line, err.msg);
	free(line);
	return r;
}

static void test_request(void)
{
	struct wire_request req;

	CHECK_INT_EQ(request_of("payments.lanyard", AF_UNSPEC, &req), 0);
	CHECK_INT_EQ(req.op, WIRE_OP_RESOLVE);
	CHECK_STR_EQ(req.filter.service, "payments");
	CHECK(req.filter.version == NULL);
	CHECK(req.filter.tags == NULL);
	CHECK_INT_EQ(req.filter.family, WIRE_FAMILY_ANY);
	wire_request_clear(&req);

	CHECK_INT_EQ(request_of("v2-4.eu.payments.lanyard", AF_INET, &req), 0);
	CHECK_STR_EQ(req.filter.version, "2.4");
	CHECK_INT_EQ(req.filter.n_tags, 1);
	CHECK_STR_EQ(req.filter.tags[0], "eu");
	CHECK_INT_EQ(req.filter.family, WIRE_FAMILY_IPV4);
	wire_request_clear(&req);

	CHECK_INT_EQ(request_of("payments.lanyard", AF_INET6, &req), 0);
	CHECK_INT_EQ(req.filter.family, WIRE_FAMILY_IPV6);
	wire_request_clear(&req);

	/* The protocol's version grammar decides: no leading zeros. */
	CHECK_INT_EQ(request_of("v02.payments.lanyard", AF_INET, &req), -EINVAL);
	wire_request_clear(&req);
	CHECK_INT_EQ(request_of("payments.lanyard", AF_UNIX, &req), -EAFNOSUPPORT);
	wire_request_clear(&req);
}

/* --- replies ------------------------------------------------------------------- */

#define OK_REPLY(addrs)                                                                            \
	"{\"id\":null,\"ok\":true,\"instance\":{\"instance\":\"payments@h2\","                     \
	"\"service\":\"payments\",\"type\":\"_payments._tcp\",\"host\":\"h2.local\","              \
	"\"addresses\":" addrs ",\"port\":8443,\"txt\":{},\"address\":\"192.0.2.12\","             \
	"\"policy\":\"round_robin\",\"extra\":[1,2]}}"

static int reply(const char *s, int af, struct nss_addrs *a)
{
	return nss_reply_parse(s, strlen(s), af, a);
}

static void test_reply(void)
{
	const char *three = OK_REPLY("[\"192.0.2.12\",\"fe80::1%2\",\"2001:db8::1\"]");
	struct nss_addrs a;
	char many[4096], big[70000];
	uint8_t v4[4], v6[16];

	inet_pton(AF_INET, "192.0.2.12", v4);
	CHECK_INT_EQ(reply(three, AF_INET, &a), 0);
	CHECK_INT_EQ(a.n, 1);
	CHECK_INT_EQ(a.a[0].family, AF_INET);
	CHECK(memcmp(a.a[0].addr, v4, 4) == 0);

	/* A hostent has no scope: link-local addresses stay out of it. */
	inet_pton(AF_INET6, "2001:db8::1", v6);
	CHECK_INT_EQ(reply(three, AF_INET6, &a), 0);
	CHECK_INT_EQ(a.n, 1);
	CHECK(memcmp(a.a[0].addr, v6, 16) == 0);
	CHECK_INT_EQ(a.a[0].scope, 0);

	CHECK_INT_EQ(reply(three, AF_UNSPEC, &a), 0);
	CHECK_INT_EQ(a.n, 3);
	CHECK_INT_EQ(a.a[1].family, AF_INET6);
	CHECK_INT_EQ(a.a[1].scope, 2);
	CHECK_INT_EQ(a.a[1].addr[0], 0xfe);

	CHECK_INT_EQ(reply(OK_REPLY("[\"fe80::1%2\"]"), AF_INET6, &a), -ENOENT);
	CHECK_INT_EQ(reply(OK_REPLY("[\"fe80::1%2\"]"), AF_INET, &a), -ENOENT);
	CHECK_INT_EQ(reply(OK_REPLY("[]"), AF_UNSPEC, &a), -ENOENT);
	/* What is not a numeric address of the protocol is skipped. */
	CHECK_INT_EQ(reply(OK_REPLY("[\"300.1.1.1\",\"fe80::1%eth0\",\"h2.local\",\"1.2.3.4%1\","
	                            "\"fe80::1%\",\"fe80::1%99999999999\",\"\",\"192.0.2.7\"]"),
	                   AF_UNSPEC, &a),
	             0);
	CHECK_INT_EQ(a.n, 1);
	CHECK_INT_EQ(a.a[0].family, AF_INET);

	/* At most NSS_ADDRS_MAX. */
	strcpy(many, "[");
	for (int i = 0; i < 40; i++)
		sprintf(many + strlen(many), "%s\"192.0.2.%d\"", i ? "," : "", i + 1);
	strcat(many, "]");
	{
		char line[8192];

		snprintf(line, sizeof(line), OK_REPLY("%s"), many);
		CHECK_INT_EQ(reply(line, AF_INET, &a), 0);
		CHECK_INT_EQ(a.n, NSS_ADDRS_MAX);
	}

	CHECK_INT_EQ(reply("{\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":\"no\"}}",
	                   AF_INET, &a),
	             -ENOENT);
	CHECK_INT_EQ(reply("{\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"x\"}}",
	                   AF_INET, &a),
	             -ENOENT);
	CHECK_INT_EQ(reply("{\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":\"x\"}}",
	                   AF_INET, &a),
	             -EAGAIN);
	CHECK_INT_EQ(reply("{\"ok\":false,\"error\":{\"code\":\"unavailable\"}}", AF_INET, &a),
	             -EAGAIN);
	CHECK_INT_EQ(reply("{\"ok\":false,\"error\":{\"code\":\"internal\"}}", AF_INET, &a),
	             -EPROTO);
	CHECK_INT_EQ(reply("{\"ok\":false,\"error\":{\"code\":\"no_such_code\"}}", AF_INET, &a),
	             -EPROTO);
	CHECK_INT_EQ(reply("{\"ok\":false}", AF_INET, &a), -EPROTO);
	CHECK_INT_EQ(reply("{\"ok\":true}", AF_INET, &a), -EPROTO);
	CHECK_INT_EQ(reply("{\"ok\":true,\"instance\":[]}", AF_INET, &a), -EPROTO);
	CHECK_INT_EQ(
	        reply("{\"ok\":true,\"instance\":{\"addresses\":[\"192.0.2.1\"]}}", AF_INET, &a),
	        -EPROTO);
	CHECK_INT_EQ(reply("{\"event\":\"snapshot_end\",\"watch\":1}", AF_INET, &a), -EPROTO);
	CHECK_INT_EQ(reply("", AF_INET, &a), -EPROTO);
	CHECK_INT_EQ(reply("[1,2,3]", AF_INET, &a), -EPROTO);
	CHECK_INT_EQ(reply("{\"ok\":true,", AF_INET, &a), -EPROTO);
	CHECK_INT_EQ(nss_reply_parse("{\"ok\"\0:true}", 12, AF_INET, &a), -EPROTO);
	CHECK_INT_EQ(reply(three, AF_UNIX, &a), -EAFNOSUPPORT);
	/* Past the protocol's line limit, whatever it holds. */
	memset(big, ' ', sizeof(big));
	memcpy(big, three, strlen(three));
	CHECK_INT_EQ(nss_reply_parse(big, sizeof(big), AF_INET, &a), -EPROTO);
}

/* --- the caller's buffer --------------------------------------------------------- */

#define CANARY 0xa5

/* Every byte of B from FROM to TO is still the canary. */
static int untouched(const unsigned char *b, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (b[i] != CANARY)
			return 0;
	return 1;
}

static void test_fill_hostent(void)
{
	const char *line = OK_REPLY("[\"192.0.2.12\",\"2001:db8::1\",\"192.0.2.13\"]");
	const char *name = "v2.payments.lanyard";
	unsigned char mem[512];
	struct nss_addrs a;
	size_t fits[2] = {0, 0};

	CHECK_INT_EQ(reply(line, AF_UNSPEC, &a), 0);
	for (int f = 0; f < 2; f++) {
		int af = f ? AF_INET6 : AF_INET;
		size_t alen = f ? 16 : 4, n = f ? 1 : 2;

		for (size_t off = 0; off < 8; off++) {
			for (size_t len = 0; len < 200; len++) {
				struct hostent h = {0};
				char *canon = NULL;
				int r;

				memset(mem, CANARY, sizeof(mem));
				r = nss_fill_hostent(&a, name, af, &h, (char *)mem + off, len,
				                     &canon);
				CHECK_MSG(untouched(mem, 0, off) &&
				                  untouched(mem, off + len, sizeof(mem)),
				          "hostent af %d off %zu len %zu wrote outside", af, off,
				          len);
				if (r == -ERANGE)
					continue;
				if (!CHECK_INT_EQ(r, 0))
					break;
				if (off == 0 && fits[f] == 0)
					fits[f] = len;
				CHECK_STR_EQ(h.h_name, name);
				CHECK(canon == h.h_name);
				CHECK(h.h_aliases && h.h_aliases[0] == NULL);
				CHECK_INT_EQ(h.h_addrtype, af);
				CHECK_INT_EQ(h.h_length, alen);
				CHECK((uintptr_t)h.h_addr_list % sizeof(void *) == 0);
				for (size_t i = 0; i < n; i++)
					CHECK(h.h_addr_list[i] != NULL);
				CHECK(h.h_addr_list[n] == NULL);
				if (f == 0)
					CHECK(memcmp(h.h_addr_list[1], a.a[2].addr, 4) == 0);
				else
					CHECK(memcmp(h.h_addr_list[0], a.a[1].addr, 16) == 0);
				/* Smaller sizes failed; every larger one fits. */
				break;
			}
		}
		CHECK(fits[f] > 0 && fits[f] < 200);
	}
	/* Nothing of the family: not found, not a buffer problem. */
	a.n = 1;
	{
		struct hostent h;

		CHECK_INT_EQ(
		        nss_fill_hostent(&a, name, AF_INET6, &h, (char *)mem, sizeof(mem), NULL),
		        -ENOENT);
	}
}

static void test_fill_tuples(void)
{
	const char *line = OK_REPLY("[\"192.0.2.12\",\"fe80::1%3\"]");
	unsigned char mem[512];
	struct nss_addrs a;
	int fitted = 0;

	CHECK_INT_EQ(reply(line, AF_UNSPEC, &a), 0);
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len < 200; len++) {
			struct gaih_addrtuple *pat = NULL;
			int r;

			memset(mem, CANARY, sizeof(mem));
			r = nss_fill_tuples(&a, "payments.lanyard", &pat, (char *)mem + off, len);
			CHECK_MSG(untouched(mem, 0, off) && untouched(mem, off + len, sizeof(mem)),
			          "tuples off %zu len %zu wrote outside", off, len);
			if (r == -ERANGE) {
				CHECK(pat == NULL);
				continue;
			}
			CHECK_INT_EQ(r, 0);
			fitted++;
			CHECK(pat && (uintptr_t)pat % _Alignof(struct gaih_addrtuple) == 0);
			CHECK_STR_EQ(pat->name, "payments.lanyard");
			CHECK_INT_EQ(pat->family, AF_INET);
			CHECK(pat->next && pat->next->next == NULL);
			CHECK_INT_EQ(pat->next->family, AF_INET6);
			CHECK_INT_EQ(pat->next->scopeid, 3);
			CHECK(pat->next->name == NULL);
			break;
		}
	}
	CHECK_INT_EQ(fitted, 8);

	/* A tuple the caller brought (glibc before 2.26) is filled in place. */
	{
		struct gaih_addrtuple mine = {0}, *pat = &mine;

		CHECK_INT_EQ(
		        nss_fill_tuples(&a, "payments.lanyard", &pat, (char *)mem, sizeof(mem)), 0);
		CHECK(pat == &mine);
		CHECK_INT_EQ(mine.family, AF_INET);
		CHECK(mine.next && mine.next->family == AF_INET6);
	}
}

/* --- the exchange ----------------------------------------------------------------- */

static char sock_dir[] = "/tmp/test-nss.XXXXXX";

/* What the fake agent does with its one connection. */
enum agent_mode {
	AGENT_ANSWER,      /* read the request, answer in pieces, \r\n */
	AGENT_SILENT,      /* accept, read, never answer */
	AGENT_CLOSE,       /* accept and close at once */
	AGENT_HALF_LINE,   /* answer without a newline, then close */
	AGENT_FLOOD,       /* 100 KiB without a newline */
	AGENT_NEVER_READS, /* accept, never read; close after 50 ms */
	AGENT_LINE_MAX,    /* an answer of exactly WIRE_MAX_LINE bytes */
	AGENT_LINE_OVER,   /* one byte more */
};

/* Fork a fake agent listening on PATH; returns its pid. */
static pid_t agent_start(const char *path, enum agent_mode mode, int backlog, bool accept_it)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	strcpy(sa.sun_path, path);
	unlink(path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, backlog) < 0)
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid > 0) {
		close(lfd);
		return pid;
	}
	if (!accept_it) {
		pause();
		_exit(0);
	}
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		char buf[4096], big[102400];
		const char *ans = OK_REPLY("[\"192.0.2.12\"]");

		if (fd < 0)
			_exit(1);
		switch (mode) {
		case AGENT_ANSWER:
			if (read(fd, buf, sizeof(buf)) <= 0)
				_exit(1);
			/* In three writes, so the reader must put a line together. */
			(void)!write(fd, ans, 10);
			usleep(2000);
			(void)!write(fd, ans + 10, strlen(ans) - 10);
			usleep(2000);
			(void)!write(fd, "\r\n{\"ok\":true}\n", 14);
			break;
		case AGENT_SILENT:
			(void)!read(fd, buf, sizeof(buf));
			pause();
			break;
		case AGENT_CLOSE:
			break;
		case AGENT_HALF_LINE:
			(void)!read(fd, buf, sizeof(buf));
			(void)!write(fd, ans, strlen(ans));
			break;
		case AGENT_FLOOD:
			(void)!read(fd, buf, sizeof(buf));
			memset(big, ' ', sizeof(big));
			(void)!write(fd, big, sizeof(big));
			pause();
			break;
		case AGENT_NEVER_READS:
			usleep(50000);
			break;
		case AGENT_LINE_MAX:
		case AGENT_LINE_OVER: {
			/* The answer, padded with JSON whitespace. */
			size_t n = WIRE_MAX_LINE + (mode == AGENT_LINE_OVER);
			char *line = malloc(n + 1);

			if (!line)
				_exit(1);
			(void)!read(fd, buf, sizeof(buf));
			memset(line, ' ', n);
			memcpy(line, ans, strlen(ans));
			line[n] = '\n';
			for (size_t off = 0; off < n + 1;) {
				ssize_t w = write(fd, line + off, n + 1 - off);

				if (w <= 0)
					break;
				off += (size_t)w;
			}
			free(line);
			break;
		}
		}
		close(fd);
	}
}

static void agent_end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* One exchange with the agent at PATH; the time it took in *MS. */
static int exchange(const char *path, const char *req, size_t len, char *buf, size_t size,
                    double *ms)
{
	int64_t t0 = nss_now_ns();
	size_t got;
	int r;

	r = nss_agent_exchange(path, req, len, t0 + 100 * 1000000LL, buf, size, &got);
	*ms = (double)(nss_now_ns() - t0) / 1e6;
	if (r == 0)
		CHECK_INT_EQ(strlen(buf), got);
	return r;
}

static void test_exchange(void)
{
	const char *req = "{\"op\":\"resolve\",\"service\":\"payments\"}\n";
	char path[128], buf[WIRE_MAX_LINE + 2], *huge;
	struct nss_addrs a;
	double ms;
	pid_t pid;
	int r;

	/* The default disposition: a SIGPIPE would end this test. */
	signal(SIGPIPE, SIG_DFL);
	if (!mkdtemp(sock_dir)) {
		FAIL("mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/agent.sock", sock_dir);

	/* No agent: at once. */
	CHECK_INT_EQ(exchange(path, req, strlen(req), buf, sizeof(buf), &ms), -ENOENT);
	printf("# no socket: %.3f ms\n", ms);
	CHECK(ms < 100);

	pid = agent_start(path, AGENT_ANSWER, 8, true);
	CHECK_INT_EQ(exchange(path, req, strlen(req), buf, sizeof(buf), &ms), 0);
	printf("# answering agent: %.3f ms\n", ms);
	CHECK_INT_EQ(nss_reply_parse(buf, strlen(buf), AF_INET, &a), 0);
	CHECK_INT_EQ(a.n, 1);
	/* A buffer too small for the line. */
	CHECK_INT_EQ(exchange(path, req, strlen(req), buf, 64, &ms), -EMSGSIZE);
	agent_end(pid);

	/* A stale socket file: refused at once. */
	CHECK_INT_EQ(exchange(path, req, strlen(req), buf, sizeof(buf), &ms), -ECONNREFUSED);
	CHECK(ms < 100);

	pid = agent_start(path, AGENT_SILENT, 8, true);
	r = exchange(path, req, strlen(req), buf, sizeof(buf), &ms);
	printf("# silent agent: gave up after %.3f ms\n", ms);
	CHECK_INT_EQ(r, -ETIMEDOUT);
	CHECK(ms >= 99 && ms < 1000);
	agent_end(pid);

	pid = agent_start(path, AGENT_CLOSE, 8, true);
	r = exchange(path, req, strlen(req), buf, sizeof(buf), &ms);
	CHECK_MSG(r == -EPROTO || r == -EPIPE || r == -ECONNRESET, "closing agent: %d", r);
	agent_end(pid);

	pid = agent_start(path, AGENT_HALF_LINE, 8, true);
	CHECK_INT_EQ(exchange(path, req, strlen(req), buf, sizeof(buf), &ms), -EPROTO);
	agent_end(pid);

	/* The protocol's longest line is taken, one byte more is not. */
	pid = agent_start(path, AGENT_LINE_MAX, 8, true);
	CHECK_INT_EQ(exchange(path, req, strlen(req), buf, sizeof(buf), &ms), 0);
	CHECK_INT_EQ(strlen(buf), WIRE_MAX_LINE);
	CHECK_INT_EQ(nss_reply_parse(buf, strlen(buf), AF_INET, &a), 0);
	agent_end(pid);
	pid = agent_start(path, AGENT_LINE_OVER, 8, true);
	CHECK_INT_EQ(exchange(path, req, strlen(req), buf, sizeof(buf), &ms), -EMSGSIZE);
	agent_end(pid);

	pid = agent_start(path, AGENT_FLOOD, 8, true);
	CHECK_INT_EQ(exchange(path, req, strlen(req), buf, sizeof(buf), &ms), -EMSGSIZE);
	agent_end(pid);

	/* A request larger than the socket buffers to a peer that closes
	 * without reading: EPIPE, and no SIGPIPE. */
	huge = malloc(4 << 20);
	if (huge) {
		memset(huge, 'x', 4 << 20);
		pid = agent_start(path, AGENT_NEVER_READS, 8, true);
		r = exchange(path, huge, 4 << 20, buf, sizeof(buf), &ms);
		CHECK_MSG(r == -EPIPE || r == -ECONNRESET, "peer closed mid-send: %d", r);
		agent_end(pid);
		free(huge);
	}

	/* A listener that never accepts, its backlog full: EAGAIN at once or
	 * the deadline, never longer. */
	pid = agent_start(path, AGENT_SILENT, 0, false);
	for (int i = 0; i < 3; i++) {
		r = exchange(path, req, strlen(req), buf, sizeof(buf), &ms);
		printf("# full backlog, try %d: %d after %.3f ms\n", i, r, ms);
		CHECK_MSG(r == -EAGAIN || r == -ETIMEDOUT, "full backlog: %d", r);
		CHECK(ms < 1000);
	}
	agent_end(pid);

	/* A path too long for a Unix socket. */
	memset(buf, 'a', 200);
	buf[0] = '/';
	buf[200] = '\0';
	CHECK_INT_EQ(exchange(buf, req, strlen(req), path, sizeof(path), &ms), -ENAMETOOLONG);

	unlink(path);
	rmdir(sock_dir);
}

int main(void)
{
	test_names();
	test_request();
	test_reply();
	test_fill_hostent();
	test_fill_tuples();
	test_exchange();
	return test_summary();
}
