/* SPDX-License-Identifier: MIT */
/* lanyard-loadgen: a closed-loop load generator for lanyardd's consumer
 * socket (newline-delimited JSON), in the manner of redis-benchmark: C
 * connections, each with P requests in flight, one epoll thread. With
 * --http, the same against the HTTP interface (loadgen-http.c); with --raw,
 * a raw request line answered in RESP (loadgen-resp.c), so that the same
 * generator drives redis-server. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/hist.h"
#include "tests/bench/loadgen-http.h"
#include "tests/bench/loadgen-resp.h"
#include "tests/bench/loadgen.h"

#define DEFAULT_REQUEST "{\"op\":\"resolve\",\"service\":\"fake%K\"}"
#define DEFAULT_PATH    "/v1/resolve/fake%K"
#define DEFAULT_RAW     "GET key"
#define IN_MIN          (64 * 1024)
#define IN_MAX          (64 * 1024 * 1024) /* a response line longer than this is an error */
#define MAX_EVENTS      256
#define ERR_SAMPLE      200 /* bytes of the first error response shown */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: lanyard-loadgen --socket PATH [OPTION]...\n"
	        "       lanyard-loadgen --http ADDR:PORT [OPTION]...\n"
	        "       lanyard-loadgen --socket PATH --raw [OPTION]...\n"
	        "Drive lanyardd's consumer socket with request lines from C connections,\n"
	        "each keeping P requests in flight, and print throughput and latency.\n"
	        "\n"
	        "  -s, --socket PATH    the lanyardd socket (with --raw: e.g. redis-server's)\n"
	        "  -H, --http ADDR:PORT instead: its HTTP interface (IPv4), keep-alive GETs of\n"
	        "                       the path given by --request (default %s);\n"
	        "                       a response counts as an error unless its status is 200\n"
	        "  -x, --raw            instead of JSON: send the --request line as it is, ended\n"
	        "                       by CR LF (default \"%s\": Redis's inline protocol), and\n"
	        "                       read RESP replies (+..., :..., $N bulk); an error\n"
	        "                       (-...) or nil ($-1) reply counts as an error\n"
	        "  -c, --clients C      concurrent connections (default 1)\n"
	        "  -d, --duration SEC   measure for SEC seconds (default 5)\n"
	        "  -n, --requests N     stop after N requests answered (with -d: whichever\n"
	        "                       comes first; -n alone runs until done)\n"
	        "  -P, --pipeline P     requests in flight per connection (default 1)\n"
	        "  -w, --warmup SEC     run SEC seconds before measuring (default 0)\n"
	        "  -r, --request JSON   the request line; \"%%K\" in it becomes 0..N-1 with\n"
	        "                       --services N (default %s)\n"
	        "  -S, --services N     rotate %%K over 0..N-1 (default 1)\n"
	        "  -R, --rate R         at most R requests/s per connection (paced, as\n"
	        "                       consumers that do other work; default: none)\n"
	        "  -q, --quiet          print only the RESULT line\n"
	        "  -h, --help           this help\n"
	        "\n"
	        "A JSON response counts as an error unless its \"ok\" member is true. The last\n"
	        "line is machine-readable:\n"
	        "RESULT clients=C pipeline=P seconds=S requests=N errors=E rps=R p50_us=..\n"
	        "  p99_us=.. p999_us=.. max_us=.. mean_us=.. resp_bytes=B client_cpu=F\n"
	        "(B: mean reply size, framing included; F: CPU seconds per second, 1 = one core)\n"
	        "Exit status: 0, or 1 if any error or lost connection, 2 on bad usage.\n",
	        DEFAULT_PATH, DEFAULT_RAW, DEFAULT_REQUEST);
}

static int parse_double(const char *s, double *ret)
{
	char *end;

	errno = 0;
	*ret = strtod(s, &end);
	return errno || end == s || *end || *ret < 0 ? -1 : 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -1;
	*ret = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	        {"socket", required_argument, NULL, 's'},
	        {"http", required_argument, NULL, 'H'},
	        {"raw", no_argument, NULL, 'x'},
	        {"clients", required_argument, NULL, 'c'},
	        {"duration", required_argument, NULL, 'd'},
	        {"requests", required_argument, NULL, 'n'},
	        {"pipeline", required_argument, NULL, 'P'},
	        {"warmup", required_argument, NULL, 'w'},
	        {"request", required_argument, NULL, 'r'},
	        {"services", required_argument, NULL, 'S'},
	        {"rate", required_argument, NULL, 'R'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	bool dur_set = false, req_set = false;
	uint64_t v;
	int c;

	*o = (struct opts){.clients = 1,
	                   .pipeline = 1,
	                   .duration = 5,
	                   .services = 1,
	                   .request = DEFAULT_REQUEST};
	while ((c = getopt_long(argc, argv, "s:H:xc:d:n:P:w:r:S:R:qh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'H':
			o->http = optarg;
			break;
		case 'x':
			o->raw = true;
			break;
		case 'c':
			if (parse_u64(optarg, 100000, &v) < 0 || v == 0)
				goto bad;
			o->clients = (unsigned)v;
			break;
		case 'd':
			if (parse_double(optarg, &o->duration) < 0 || o->duration <= 0)
				goto bad;
			dur_set = true;
			break;
		case 'n':
			if (parse_u64(optarg, UINT64_MAX, &o->requests) < 0 || o->requests == 0)
				goto bad;
			break;
		case 'P':
			if (parse_u64(optarg, 4096, &v) < 0 || v == 0)
				goto bad;
			o->pipeline = (unsigned)v;
			break;
		case 'w':
			if (parse_double(optarg, &o->warmup) < 0)
				goto bad;
			break;
		case 'r':
			o->request = optarg;
			req_set = true;
			break;
		case 'S':
			if (parse_u64(optarg, 10000000, &v) < 0 || v == 0)
				goto bad;
			o->services = (unsigned)v;
			break;
		case 'R':
			if (parse_double(optarg, &o->rate) < 0 || o->rate <= 0 || o->rate > 1e6)
				goto bad;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc || !o->socket == !o->http || (o->raw && o->http)) {
		usage(stderr);
		return -1;
	}
	if (o->http && !req_set)
		o->request = DEFAULT_PATH;
	if (o->raw && !req_set)
		o->request = DEFAULT_RAW;
	if (o->requests && !dur_set)
		o->duration = 0;
	return 0;
bad:
	fprintf(stderr, "lanyard-loadgen: invalid value \"%s\" for -%c\n", optarg, c);
	return -1;
}

/* HEAD, the request template with "%K" replaced by K, TAIL. */
static char *make_line(const char *tmpl, unsigned k, const char *head, const char *tail,
                       size_t *ret_len)
{
	char num[16];
	size_t nl = (size_t)snprintf(num, sizeof(num), "%u", k), hl = strlen(head),
	       tl = strlen(tail), n = hl, cap = hl + strlen(tmpl) + tl + 1;
	char *s;

	for (const char *p = tmpl; (p = strstr(p, "%K")); p += 2)
		cap += nl;
	s = malloc(cap);
	if (!s)
		return NULL;
	memcpy(s, head, hl);
	for (const char *p = tmpl; *p;) {
		if (p[0] == '%' && p[1] == 'K') {
			memcpy(s + n, num, nl);
			n += nl;
			p += 2;
		} else {
			s[n++] = *p++;
		}
	}
	memcpy(s + n, tail, tl);
	n += tl;
	s[n] = '\0';
	*ret_len = n;
	return s;
}

static int make_lines(struct gen *g)
{
	const char *head = "", *tail = "\n";

	if (g->o.http) {
		head = LOADGEN_HTTP_HEAD;
		tail = LOADGEN_HTTP_TAIL;
	} else if (g->o.raw) {
		tail = LOADGEN_RESP_EOL;
	}
	if (strpbrk(g->o.request, "\r\n")) {
		fprintf(stderr, "lanyard-loadgen: the request must be one line\n");
		return -1;
	}
	g->n_lines = strstr(g->o.request, "%K") ? g->o.services : 1;
	g->lines = calloc(g->n_lines, sizeof(*g->lines));
	g->line_len = calloc(g->n_lines, sizeof(*g->line_len));
	if (!g->lines || !g->line_len)
		return -1;
	for (unsigned k = 0; k < g->n_lines; k++)
		if (!(g->lines[k] = make_line(g->o.request, k, head, tail, &g->line_len[k])))
			return -1;
	return 0;
}

static int conn_open(struct gen *g, struct lconn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

	if (g->o.http) {
		c->fd = loadgen_http_connect(g->o.http);
		if (c->fd < 0)
			return -1;
	} else {
		if (strlen(g->o.socket) >= sizeof(sa.sun_path)) {
			fprintf(stderr, "lanyard-loadgen: socket path too long\n");
			return -1;
		}
		strcpy(sa.sun_path, g->o.socket);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "lanyard-loadgen: connect %s: %s\n", g->o.socket,
			        strerror(errno));
			return -1;
		}
	}
	if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0 ||
	    epoll_ctl(g->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		return -1;
	c->in_cap = IN_MIN;
	c->in = malloc(c->in_cap);
	c->out_cap = 4096;
	c->out = malloc(c->out_cap);
	c->sent = calloc(g->o.pipeline, sizeof(*c->sent));
	return c->in && c->out && c->sent ? 0 : -1;
}

void loadgen_conn_fail(struct gen *g, struct lconn *c, const char *why)
{
	if (c->dead)
		return;
	if (!g->o.quiet)
		fprintf(stderr, "lanyard-loadgen: connection lost: %s\n", why);
	g->conn_failures++;
	g->errors += c->inflight;
	c->inflight = 0;
	c->dead = true;
	epoll_ctl(g->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

static void set_want_out(struct gen *g, struct lconn *c, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};

	if (c->want_out == on)
		return;
	c->want_out = on;
	epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_flush(struct gen *g, struct lconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_want_out(g, c, true);
			return;
		} else {
			loadgen_conn_fail(g, c, n < 0 ? strerror(errno) : "send returned 0");
			return;
		}
	}
	c->out_off = c->out_len = 0;
	set_want_out(g, c, false);
}

/* Queue up to N new requests on C (fewer when stopping or at the -n limit),
 * stamped NOW. */
static int conn_issue(struct gen *g, struct lconn *c, unsigned n, uint64_t now)
{
	for (unsigned i = 0; i < n && !g->stopping; i++) {
		unsigned k = g->next_line;
		size_t len = g->line_len[k];

		if (g->o.requests && g->measuring && g->issued >= g->o.requests)
			break;
		if (c->out_cap - c->out_len < len) {
			size_t cap = c->out_cap;
			char *p;

			while (cap - c->out_len < len)
				cap *= 2;
			p = realloc(c->out, cap);
			if (!p)
				return -1;
			c->out = p;
			c->out_cap = cap;
		}
		memcpy(c->out + c->out_len, g->lines[k], len);
		c->out_len += len;
		g->next_line = k + 1 == g->n_lines ? 0 : k + 1;
		c->sent[(c->head + c->inflight) % g->o.pipeline] = now;
		c->inflight++;
		g->issued++;
	}
	return 0;
}

/* Is the response line L "ok":true? The first "ok": is the top-level
 * member: only "id" can precede it, and a string there cannot hold an
 * unescaped quote. */
static bool line_ok(const char *l, size_t len)
{
	static const char key[] = "\"ok\":";
	const char *p = memmem(l, len, key, sizeof(key) - 1);

	return p && (size_t)(p - l) + sizeof(key) - 1 < len && p[sizeof(key) - 1] == 't';
}

/* The complete response lines in C's input, the bytes from FROM on new:
 * as loadgen_http_replies(). */
static unsigned json_replies(struct gen *g, struct lconn *c, size_t from, uint64_t now,
                             size_t *ret_start)
{
	unsigned answered = 0;
	size_t start = 0;

	/* Only the new bytes can hold newlines not yet seen. */
	for (char *p = c->in + from, *e = c->in + c->in_len; (p = memchr(p, '\n', (size_t)(e - p)));
	     p++) {
		size_t end = (size_t)(p - c->in);

		loadgen_on_response(g, c, c->in + start, end + 1 - start,
		                    line_ok(c->in + start, end - start), now);
		start = end + 1;
		answered++;
	}
	*ret_start = start;
	return answered;
}

/* At the end of the warm-up: count from here, -n included (what is in
 * flight now is answered within the measurement). */
static void maybe_start(struct gen *g, uint64_t now)
{
	if (g->measuring || now < g->measure_from)
		return;
	g->measuring = true;
	g->cpu0 = cpu_seconds();
	g->issued = 0;
	for (unsigned i = 0; i < g->o.clients; i++)
		g->issued += g->conns[i].inflight;
}

void loadgen_on_response(struct gen *g, struct lconn *c, const char *l, size_t len, bool ok,
                         uint64_t now)
{
	uint64_t sent;

	if (c->inflight == 0) {
		/* An unsolicited line (e.g. a "busy" refusal on connect). */
		g->errors++;
		return;
	}
	sent = c->sent[c->head];
	c->head = (c->head + 1) % g->o.pipeline;
	c->inflight--;
	if (now < g->measure_from)
		return;
	g->done++;
	g->bytes += len;
	hist_add(&g->h, now - sent);
	if (!ok) {
		g->errors++;
		while (len > 0 && (l[len - 1] == '\n' || l[len - 1] == '\r'))
			len--;
		if (!g->shown_error && !g->o.quiet) {
			fprintf(stderr, "lanyard-loadgen: first error response: %.*s%s\n",
			        (int)(len < ERR_SAMPLE ? len : ERR_SAMPLE), l,
			        len > ERR_SAMPLE ? "..." : "");
			g->shown_error = true;
		}
	}
}

static void conn_read(struct gen *g, struct lconn *c)
{
	unsigned answered = 0;
	uint64_t now;
	size_t start = 0;
	ssize_t n;

	if (c->in_len == c->in_cap) {
		char *p;

		if (c->in_cap >= IN_MAX) {
			loadgen_conn_fail(g, c, "response line too long");
			return;
		}
		p = realloc(c->in, c->in_cap * 2);
		if (!p) {
			loadgen_conn_fail(g, c, "out of memory");
			return;
		}
		c->in = p;
		c->in_cap *= 2;
	}
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	now = now_ns();
	maybe_start(g, now);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			loadgen_conn_fail(g, c, strerror(errno));
		return;
	}
	if (n == 0) {
		loadgen_conn_fail(g, c, "closed by the server");
		return;
	}
	c->in_len += (size_t)n;
	if (g->o.http)
		answered = loadgen_http_replies(g, c, now, &start);
	else if (g->o.raw)
		answered = loadgen_resp_replies(g, c, now, &start);
	else
		answered = json_replies(g, c, c->in_len - (size_t)n, now, &start);
	if (start == SIZE_MAX)
		return;
	if (start > 0) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
	}
	if (now >= g->end_at)
		g->stopping = true;
	if (g->o.rate > 0) {
		c->due += answered; /* sent by pace() when their time comes */
		return;
	}
	if (answered && conn_issue(g, c, answered, now_ns()) < 0) {
		loadgen_conn_fail(g, c, "out of memory");
		return;
	}
	conn_flush(g, c);
}

/* --rate: send the requests whose time has come; returns the ns until the
 * next one is due (UINT64_MAX: none waiting). */
static uint64_t pace(struct gen *g, uint64_t now)
{
	uint64_t period = (uint64_t)(1e9 / g->o.rate), next = UINT64_MAX;

	for (unsigned i = 0; i < g->o.clients; i++) {
		struct lconn *c = &g->conns[i];

		if (c->dead || !c->due)
			continue;
		if (c->next_at > now) {
			next = c->next_at < next ? c->next_at : next;
			continue;
		}
		/* One at a time, on schedule (not a catch-up burst). */
		c->next_at = (c->next_at + period > now ? c->next_at : now) + period;
		c->due--;
		if (conn_issue(g, c, 1, now) < 0) {
			loadgen_conn_fail(g, c, "out of memory");
			continue;
		}
		conn_flush(g, c);
		if (c->due)
			next = c->next_at < next ? c->next_at : next;
	}
	return next == UINT64_MAX ? UINT64_MAX : next - now;
}

static bool all_answered(const struct gen *g)
{
	for (unsigned i = 0; i < g->o.clients; i++)
		if (!g->conns[i].dead && g->conns[i].inflight)
			return false;
	return true;
}

static int run(struct gen *g, double *ret_seconds, double *ret_cpu)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t start = now_ns(), stop;
	int live;

	g->measure_from = start + (uint64_t)(g->o.warmup * 1e9);
	g->end_at =
	        g->o.duration > 0 ? g->measure_from + (uint64_t)(g->o.duration * 1e9) : UINT64_MAX;
	maybe_start(g, start);
	for (unsigned i = 0; i < g->o.clients; i++) {
		struct lconn *c = &g->conns[i];

		/* Paced connections start spread over one period. */
		if (g->o.rate > 0) {
			c->due = g->o.pipeline;
			c->next_at = start + (uint64_t)(1e9 / g->o.rate * i / g->o.clients);
			continue;
		}
		if (conn_issue(g, c, g->o.pipeline, now_ns()) < 0)
			return -1;
		conn_flush(g, c);
	}
	for (;;) {
		uint64_t now = now_ns();
		int timeout, n;

		maybe_start(g, now);
		if (now >= g->end_at)
			g->stopping = true;
		if (g->stopping && g->o.duration > 0)
			break; /* timed run: what is still in flight is not counted */
		if (g->o.requests && g->measuring && g->issued >= g->o.requests && all_answered(g))
			break;
		live = 0;
		for (unsigned i = 0; i < g->o.clients; i++)
			live += !g->conns[i].dead;
		if (!live)
			break;
		timeout = g->end_at == UINT64_MAX ? 1000 : (int)((g->end_at - now) / 1000000 + 1);
		if (!g->measuring) {
			int t = (int)((g->measure_from - now) / 1000000 + 1);

			timeout = t < timeout ? t : timeout;
		}
		if (g->o.rate > 0) {
			/* Paced: wake for the next request to the microsecond, so
			 * that requests go out evenly spread, not in bursts. */
			uint64_t t = pace(g, now_ns()), cap = (uint64_t)timeout * 1000000;
			struct timespec ts;

			t = t < cap ? t : cap;
			ts.tv_sec = (time_t)(t / 1000000000u);
			ts.tv_nsec = (long)(t % 1000000000u);
			n = epoll_pwait2(g->ep, evs, MAX_EVENTS, &ts, NULL);
		} else {
			n = epoll_wait(g->ep, evs, MAX_EVENTS, timeout);
		}
		if (n < 0 && errno != EINTR) {
			perror("lanyard-loadgen: epoll_wait");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct lconn *c = evs[i].data.ptr;

			if (c->dead)
				continue;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				conn_read(g, c);
			if (!c->dead && (evs[i].events & EPOLLOUT))
				conn_flush(g, c);
		}
	}
	stop = now_ns();
	if (g->o.duration > 0 && stop > g->end_at)
		stop = g->end_at;
	*ret_seconds =
	        g->measuring && stop > g->measure_from ? (double)(stop - g->measure_from) / 1e9 : 0;
	*ret_cpu = g->measuring ? cpu_seconds() - g->cpu0 : 0;
	return 0;
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

int main(int argc, char **argv)
{
	struct gen *g = calloc(1, sizeof(*g));
	double secs = 0, cpu = 0, rps;
	int rc = 1;

	if (!g)
		return 1;
	if (parse_args(argc, argv, &g->o) < 0) {
		free(g);
		return 2;
	}
	hist_init(&g->h);
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->conns = calloc(g->o.clients, sizeof(*g->conns));
	if (g->ep < 0 || !g->conns || make_lines(g) < 0) {
		fprintf(stderr, "lanyard-loadgen: out of memory\n");
		goto out;
	}
	for (unsigned i = 0; i < g->o.clients; i++)
		g->conns[i].fd = -1;
	for (unsigned i = 0; i < g->o.clients; i++)
		if (conn_open(g, &g->conns[i]) < 0)
			goto out;
	if (run(g, &secs, &cpu) < 0)
		goto out;

	rps = secs > 0 ? (double)g->done / secs : 0;
	if (!g->o.quiet) {
		printf("lanyard-loadgen: %s, %u connection(s), pipeline %u, %.2f s measured\n",
		       g->o.http ? g->o.http : g->o.socket, g->o.clients, g->o.pipeline, secs);
		printf("  requests   %llu answered, %llu error(s), %llu connection(s) lost\n",
		       (unsigned long long)g->done, (unsigned long long)g->errors,
		       (unsigned long long)g->conn_failures);
		printf("  throughput %.0f requests/s\n", rps);
		printf("  latency us min %.1f  p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean "
		       "%.1f\n",
		       us(g->h.min), us(hist_quantile(&g->h, 0.5)), us(hist_quantile(&g->h, 0.99)),
		       us(hist_quantile(&g->h, 0.999)), us(g->h.max),
		       g->h.count ? g->h.sum / (double)g->h.count / 1000.0 : 0.0);
		printf("  client cpu %.0f%% of one core\n", secs > 0 ? 100.0 * cpu / secs : 0.0);
	}
	printf("RESULT clients=%u pipeline=%u seconds=%.3f requests=%llu errors=%llu rps=%.0f "
	       "p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f mean_us=%.1f resp_bytes=%.0f "
	       "client_cpu=%.2f\n",
	       g->o.clients, g->o.pipeline, secs, (unsigned long long)g->done,
	       (unsigned long long)(g->errors), rps, us(hist_quantile(&g->h, 0.5)),
	       us(hist_quantile(&g->h, 0.99)), us(hist_quantile(&g->h, 0.999)), us(g->h.max),
	       g->h.count ? g->h.sum / (double)g->h.count / 1000.0 : 0.0,
	       g->done ? (double)g->bytes / (double)g->done : 0.0, secs > 0 ? cpu / secs : 0.0);
	rc = g->errors || g->conn_failures || g->done == 0 ? 1 : 0;
out:
	if (g->conns) {
		for (unsigned i = 0; i < g->o.clients; i++) {
			struct lconn *c = &g->conns[i];

			if (c->fd >= 0)
				close(c->fd);
			free(c->in);
			free(c->out);
			free(c->sent);
		}
	}
	for (unsigned k = 0; g->lines && k < g->n_lines; k++)
		free(g->lines[k]);
	free(g->lines);
	free(g->line_len);
	free(g->conns);
	if (g->ep >= 0)
		close(g->ep);
	free(g);
	return rc;
}
