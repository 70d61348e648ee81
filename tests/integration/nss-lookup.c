/* SPDX-License-Identifier: MIT */
/* nss-lookup: look a name up through glibc, as any program would, and time
 * it on CLOCK_MONOTONIC (tests/integration/nss.sh).
 *
 *   nss-lookup [-4|-6] [-H] [-t THREADS] [-n COUNT] [-e ADDRESS] NAME
 *
 * THREADS threads (default 1) each make COUNT lookups (default 1) of NAME
 * at the same time: getaddrinfo(), or gethostbyname2_r() with -H (with
 * -4/-6 as the family). Prints the addresses of the first answer
 * ("addresses: ..."), then "calls=N ok=N failed=N max_ms=X.XXX" and the
 * last failure. With -e, an answer counts as ok only if it holds ADDRESS.
 * Exits 0 when every call succeeded, 2 when every one failed, 1 otherwise.
 *
 *   nss-lookup -S PATH
 *
 * A slow agent: listens on PATH, accepts every connection and keeps it
 * open without reading or answering, in one process (no fork per
 * connection to compete for the CPU with the lookups being timed), until
 * killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int family = AF_UNSPEC;
static bool use_hostent;
static int count = 1;
static const char *expect;
static const char *name;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int n_ok, n_failed;
static double max_ms;
static char first[1024];
static char last_error[256];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Append the text form of address A of family AF to OUT, with "%SCOPE"
 * when SCOPE is not 0. */
static void add_addr(char *out, size_t size, int af, const void *a, unsigned scope)
{
	char s[INET6_ADDRSTRLEN];
	size_t len = strlen(out);

	if (!inet_ntop(af, a, s, sizeof(s)))
		return;
	if (scope)
		snprintf(out + len, size - len, "%s%s%%%u", len ? " " : "", s, scope);
	else
		snprintf(out + len, size - len, "%s%s", len ? " " : "", s);
}

/* One lookup: 0 and its addresses in OUT, or -1 and why in OUT. */
static int lookup_once(char *out, size_t size)
{
	out[0] = '\0';
	if (use_hostent) {
		struct hostent h, *res = NULL;
		char buf[1024];
		int err = 0, r;

		r = gethostbyname2_r(name, family == AF_UNSPEC ? AF_INET : family, &h, buf,
		                     sizeof(buf), &res, &err);
		if (r != 0 || !res) {
			snprintf(out, size, "gethostbyname2_r: %s (h_errno %d)",
			         r ? strerror(r) : "no result", err);
			return -1;
		}
		for (char **p = res->h_addr_list; *p; p++)
			add_addr(out, size, res->h_addrtype, *p, 0);
		return 0;
	} else {
		struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM},
		                *ai = NULL;
		int r = getaddrinfo(name, NULL, &hints, &ai);

		if (r != 0) {
			snprintf(out, size, "getaddrinfo: %s", gai_strerror(r));
			return -1;
		}
		for (struct addrinfo *p = ai; p; p = p->ai_next) {
			const struct sockaddr_in6 *s6 = (const void *)p->ai_addr;
			const struct sockaddr_in *s4 = (const void *)p->ai_addr;

			if (p->ai_family == AF_INET)
				add_addr(out, size, AF_INET, &s4->sin_addr, 0);
			else if (p->ai_family == AF_INET6)
				add_addr(out, size, AF_INET6, &s6->sin6_addr, s6->sin6_scope_id);
		}
		freeaddrinfo(ai);
		return 0;
	}
}

/* ADDRESS is one of the space-separated words of LIST. */
static bool holds(const char *list, const char *address)
{
	size_t n = strlen(address);

	for (const char *p = list; (p = strstr(p, address)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < count; i++) {
		char out[1024];
		double t0 = now_ms(), ms;
		int r = lookup_once(out, sizeof(out));

		ms = now_ms() - t0;
		if (r == 0 && expect && !holds(out, expect)) {
			char why[sizeof(last_error)];

			snprintf(why, sizeof(why), "answer without %s: %.200s", expect, out);
			memcpy(out, why, sizeof(why));
			r = -1;
		}
		pthread_mutex_lock(&lock);
		if (ms > max_ms)
			max_ms = ms;
		if (r == 0) {
			n_ok++;
			if (!first[0])
				snprintf(first, sizeof(first), "%s", out);
		} else {
			n_failed++;
			snprintf(last_error, sizeof(last_error), "%s", out);
		}
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

/* Accept connections on PATH forever, answering none. */
static int slow_agent(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd, held[1024], n = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return 64;
	strcpy(sa.sun_path, path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 128) < 0) {
		perror(path);
		return 1;
	}
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		/* Keep the last 1024 open; the oldest goes first. */
		if (n == 1024) {
			close(held[0]);
			memmove(held, held + 1, sizeof(held) - sizeof(held[0]));
			n--;
		}
		held[n++] = fd;
	}
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	int threads = 1, c;

	while ((c = getopt(argc, argv, "46Ht:n:e:S:")) != -1) {
		switch (c) {
		case 'S':
			return slow_agent(optarg);
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'H':
			use_hostent = true;
			break;
		case 't':
			threads = atoi(optarg);
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'e':
			expect = optarg;
			break;
		default:
			return 64;
		}
	}
	if (optind + 1 != argc || threads < 1 || threads > 64 || count < 1) {
		fprintf(stderr, "usage: nss-lookup [-4|-6] [-H] [-t THREADS] [-n COUNT] "
		                "[-e ADDRESS] NAME\n");
		return 64;
	}
	name = argv[optind];
	for (int i = 0; i < threads; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	printf("addresses: %s\n", first);
	printf("calls=%d ok=%d failed=%d max_ms=%.3f\n", n_ok + n_failed, n_ok, n_failed, max_ms);
	if (n_failed)
		printf("last failure: %s\n", last_error);
	return n_failed == 0 ? 0 : n_ok == 0 ? 2 : 1;
}
