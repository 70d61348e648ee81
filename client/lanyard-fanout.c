/* SPDX-License-Identifier: MIT */
/* lanyard fanout: run a command once per matching endpoint, a bounded
 * number at a time, each in a process group of its own within a timeout;
 * report every result; print the outputs and a summary, or merge the
 * outputs' JSON objects (lanyard-merge.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/lanyard-cli.h"
#include "client/lanyard-merge.h"
#include "client/lanyard-run.h"
#include "client/lanyard-show.h"

#define READ_CHUNK 65536
/* After SIGKILL, how long to wait for the exit before the result is
 * taken anyway (a program in uninterruptible sleep outlives SIGKILL). */
#define KILL_GRACE_MS 1000.0
/* When lanyard is interrupted, how long commands have between SIGTERM
 * and SIGKILL. */
#define TERM_GRACE_MS 2000.0

enum ep_state {
	EP_PENDING,
	EP_RUNNING,
	EP_DONE,
};

/* One endpoint and its command. */
struct ep {
	struct lanyard_instance *in;
	char *name;    /* instance, escaped for a terminal */
	char *where;   /* "ADDRESS:PORT", for people */
	char *address; /* the {address}, NULL if none */
	enum ep_state state;
	pid_t pid; /* also the process group id; 0 once reaped */
	pid_t pgid;
	int fd; /* its stdout, -1 once at end of file */
	char *out;
	size_t len, cap;
	bool cut; /* output past MERGE_OUTPUT_MAX was dropped */
	double start, ms;
	double deadline; /* 0: none */
	double term_at;  /* interrupted: SIGTERM sent then (0: not) */
	double kill_at;  /* SIGKILL sent then (0: not) */
	bool exited;
	int wstatus;
	bool timed_out, interrupted, ran, ok;
	char why[256]; /* "" when ok */
	json_t *obj;   /* --merge json: what it answered */
};

struct fanout {
	struct lanyard *h;
	const struct cli_run_opts *o;
	enum lanyard_family family;
	struct ep *eps;
	size_t n, next;
	struct ep *run[CLI_FANOUT_PARALLEL_MAX]; /* running, in no order */
	size_t running;
	unsigned parallel;
	uint64_t timeout_ms; /* 0: none */
	size_t kept;         /* --merge json: output bytes kept, all endpoints */
	bool cannot_run;
	bool report_failed;
};

/* For the signal handlers: where to wake the loop, and the signal that
 * interrupted lanyard (0: none). Only they and cli_fanout() touch these. */
static volatile sig_atomic_t wake_fd = -1;
static volatile sig_atomic_t fanout_signal;

static void on_signal(int sig)
{
	int e = errno;

	if (sig != SIGCHLD)
		fanout_signal = sig;
	if (wake_fd >= 0 && write(wake_fd, "", 1) < 0) {
		/* full: the loop wakes up anyway */
	}
	errno = e;
}

static const int caught[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP};
#define N_CAUGHT (sizeof(caught) / sizeof(caught[0]))

static int by_instance(const void *a, const void *b)
{
	const struct ep *x = a, *y = b;
	int c = strcmp(x->in->instance, y->in->instance);

	return c ? c : (int)x->in->port - (int)y->in->port;
}

/* Keep N bytes of EP's output, up to MERGE_OUTPUT_MAX. */
static void keep(struct ep *ep, const char *buf, size_t n)
{
	if (ep->len + n > MERGE_OUTPUT_MAX) {
		n = MERGE_OUTPUT_MAX - ep->len;
		ep->cut = true;
	}
	if (n == 0)
		return;
	if (ep->len + n > ep->cap) {
		size_t cap = ep->cap ? ep->cap : 4096;
		char *p;

		while (cap < ep->len + n)
			cap *= 2;
		p = realloc(ep->out, cap);
		if (!p) {
			ep->cut = true;
			return;
		}
		ep->out = p;
		ep->cap = cap;
	}
	memcpy(ep->out + ep->len, buf, n);
	ep->len += n;
}

static void read_output(struct ep *ep)
{
	char buf[READ_CHUNK];

	/* A few reads per turn, so that one chatty command does not starve the others. */
	for (int i = 0; i < 16 && ep->fd >= 0; i++) {
		ssize_t n = read(ep->fd, buf, sizeof(buf));

		if (n > 0) {
			keep(ep, buf, (size_t)n);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		} else {
			close(ep->fd);
			ep->fd = -1;
		}
	}
}

/* EP's output, each line prefixed with its instance name. */
static void print_output(const struct ep *ep)
{
	show_output(stdout, ep->name, ep->out, ep->len);
	if (ep->cut)
		printf("%s: [output cut at %d bytes]\n", ep->name, MERGE_OUTPUT_MAX);
	fflush(stdout);
}

/* How EP ended: its why, its report, its output. */
static void finish(struct fanout *fo, struct ep *ep, double now)
{
	if (ep->fd >= 0)
		close(ep->fd);
	ep->fd = -1;
	ep->state = EP_DONE;
	for (size_t i = 0; i < fo->running; i++)
		if (fo->run[i] == ep) {
			fo->run[i] = fo->run[--fo->running];
			break;
		}
	if (!ep->timed_out)
		ep->ms = now - ep->start;
	if (ep->interrupted) {
		snprintf(ep->why, sizeof(ep->why), "interrupted");
	} else if (ep->timed_out) {
		snprintf(ep->why, sizeof(ep->why), "timed out");
	} else if (!WIFEXITED(ep->wstatus) || WEXITSTATUS(ep->wstatus) != 0) {
		run_describe(ep->wstatus, ep->why, sizeof(ep->why));
	} else if (fo->o->merge_json) {
		if (ep->cut)
			snprintf(ep->why, sizeof(ep->why), "output over %d bytes",
			         MERGE_OUTPUT_MAX);
		else if (!(ep->obj = merge_parse(ep->out, ep->len, ep->why, sizeof(ep->why))))
			; /* why says it */
		else if (fo->kept + ep->len > MERGE_TOTAL_MAX)
			snprintf(ep->why, sizeof(ep->why), "outputs over %d bytes in all",
			         MERGE_TOTAL_MAX);
		else
			fo->kept += ep->len;
		if (ep->why[0]) {
			json_decref(ep->obj);
			ep->obj = NULL;
		}
	}
	ep->ok = ep->why[0] == '\0';
	/* An interruption says nothing about the endpoint. */
	if (!ep->interrupted &&
	    lanyard_report(fo->h, ep->in->service, ep->in->instance, ep->ok, ep->ms) < 0 &&
	    !fo->report_failed) {
		char *msg = cli_shown(lanyard_last_error(fo->h));

		fprintf(stderr, "lanyard: fanout: report: %s\n", msg ? msg : "?");
		free(msg);
		fo->report_failed = true; /* once is enough */
	}
	if (!fo->o->merge_json)
		print_output(ep);
	free(ep->out);
	ep->out = NULL;
	ep->len = ep->cap = 0;
}

static void start(struct fanout *fo, struct ep *ep)
{
	struct run_cmd cmd;
	int r = run_cmd_make(&cmd, ep->in, fo->family, fo->o->argv, fo->o->argc);

	ep->state = EP_DONE;
	if (r < 0) {
		snprintf(ep->why, sizeof(ep->why), "not run: %s",
		         r == LANYARD_E_NOT_FOUND
		                 ? "no value for a placeholder (no such address or no host name)"
		                 : "out of memory");
		run_cmd_clear(&cmd);
		return;
	}
	ep->start = run_now_ms();
	r = run_spawn(&cmd, true, &ep->pid, &ep->fd);
	if (r < 0) {
		char *prog = cli_shown(cmd.argv[0]);

		if (!fo->cannot_run)
			fprintf(stderr, "lanyard: fanout: cannot run '%s': %s\n", prog ? prog : "?",
			        strerror(-r));
		free(prog);
		snprintf(ep->why, sizeof(ep->why), "not run: %s", strerror(-r));
		/* The same for every endpoint: start no more. */
		fo->cannot_run = true;
		ep->fd = -1;
		run_cmd_clear(&cmd);
		return;
	}
	run_cmd_clear(&cmd);
	ep->state = EP_RUNNING;
	ep->ran = true;
	ep->pgid = ep->pid;
	if (fo->timeout_ms)
		ep->deadline = ep->start + (double)fo->timeout_ms;
	fo->run[fo->running++] = ep;
}

/* Move EP on at NOW: timeouts, interruption, the end. Returns when it
 * next needs a look (0: only when something happens). */
static double check(struct fanout *fo, struct ep *ep, double now)
{
	if (ep->state != EP_RUNNING)
		return 0;
	if (ep->exited && ep->fd < 0) {
		finish(fo, ep, now);
		return 0;
	}
	if (!ep->kill_at && ep->deadline && now >= ep->deadline) {
		kill(-ep->pgid, SIGKILL);
		ep->kill_at = now;
		ep->timed_out = true;
		ep->ms = now - ep->start;
	}
	if (!ep->kill_at && fanout_signal && !ep->term_at) {
		kill(-ep->pgid, SIGTERM);
		ep->term_at = now;
		ep->interrupted = true;
	}
	if (!ep->kill_at && ep->term_at && now >= ep->term_at + TERM_GRACE_MS) {
		kill(-ep->pgid, SIGKILL);
		ep->kill_at = now;
	}
	if (ep->kill_at) {
		/* Whatever still holds its output (a child stuck in the kernel)
		 * is not waited for. */
		if (ep->exited || now >= ep->kill_at + KILL_GRACE_MS) {
			finish(fo, ep, now);
			return 0;
		}
		return ep->kill_at + KILL_GRACE_MS;
	}
	if (ep->term_at)
		return ep->term_at + TERM_GRACE_MS;
	return ep->deadline;
}

static void reap(struct fanout *fo)
{
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (size_t i = 0; i < fo->running; i++) {
			struct ep *ep = fo->run[i];

			if (ep->pid == pid) {
				ep->exited = true;
				ep->wstatus = ws;
				ep->pid = 0;
				break;
			}
		}
	}
}

/* Wait for output, an exit, a signal, or the next deadline. */
static void wait_events(struct fanout *fo, int wake, double next, double now)
{
	struct pollfd pfd[CLI_FANOUT_PARALLEL_MAX + 1];
	struct ep *who[CLI_FANOUT_PARALLEL_MAX + 1];
	char drain[64];
	nfds_t n = 1;
	int timeout = -1;

	pfd[0] = (struct pollfd){.fd = wake, .events = POLLIN};
	for (size_t i = 0; i < fo->running; i++) {
		struct ep *ep = fo->run[i];

		if (ep->fd >= 0) {
			who[n] = ep;
			pfd[n++] = (struct pollfd){.fd = ep->fd, .events = POLLIN};
		}
	}
	if (next > 0)
		timeout = next <= now ? 0 : (int)(next - now) + 1; /* rounded up */
	if (poll(pfd, n, timeout) < 0)
		return; /* EINTR: the caller looks again */
	while (read(wake, drain, sizeof(drain)) > 0)
		;
	reap(fo);
	for (nfds_t i = 1; i < n; i++)
		if (pfd[i].revents)
			read_output(who[i]);
}

static void print_summary(FILE *f, const struct fanout *fo)
{
	int wn = (int)strlen("INSTANCE"), wa = (int)strlen("ADDRESS"), wr = (int)strlen("RESULT");

	for (size_t i = 0; i < fo->n; i++) {
		const struct ep *ep = &fo->eps[i];
		int r = (int)strlen(ep->ok ? "ok" : ep->why);

		if ((int)strlen(ep->name) > wn)
			wn = (int)strlen(ep->name);
		if ((int)strlen(ep->where) > wa)
			wa = (int)strlen(ep->where);
		if (r > wr)
			wr = r;
	}
	fprintf(f, "%-*s  %-*s  %-*s  %s\n", wn, "INSTANCE", wa, "ADDRESS", wr, "RESULT", "TIME");
	for (size_t i = 0; i < fo->n; i++) {
		const struct ep *ep = &fo->eps[i];
		char t[32] = "-";

		if (ep->ran)
			snprintf(t, sizeof(t), "%.1f ms", ep->ms);
		fprintf(f, "%-*s  %-*s  %-*s  %s\n", wn, ep->name, wa, ep->where, wr,
		        ep->ok ? "ok" : ep->why, t);
	}
	fflush(f);
}

/* The merged object of every endpoint, in order, on stdout. */
static int print_merged(const struct fanout *fo)
{
	struct merge *m = merge_new();
	json_t *out = NULL;
	int r = m ? 0 : -ENOMEM;

	for (size_t i = 0; i < fo->n && r == 0; i++) {
		const struct ep *ep = &fo->eps[i];
		struct merge_endpoint me = {
		        .instance = ep->in->instance, .address = ep->address, .port = ep->in->port};

		r = ep->obj ? merge_add(m, &me, ep->obj) : merge_add_failure(m, &me, ep->why);
	}
	if (r == 0)
		out = merge_result(m);
	if (out) {
		r = cli_put_json(stdout, out, JSON_COMPACT | JSON_REAL_PRECISION(16));
		putchar('\n');
		fflush(stdout);
	}
	json_decref(out);
	merge_free(m);
	if (r < 0 || !out) {
		fprintf(stderr, "lanyard: fanout: cannot merge the outputs\n");
		return -1;
	}
	return 0;
}

static int setup(struct fanout *fo, struct lanyard_instance_list *list)
{
	fo->eps = calloc(list->n, sizeof(*fo->eps));
	if (!fo->eps)
		return -ENOMEM;
	for (size_t i = 0; i < list->n; i++) {
		struct ep *ep = &fo->eps[i];

		ep->fd = -1;
		ep->in = list->items[i];
		list->items[i] = NULL;
		fo->n++;
		ep->name = cli_shown(ep->in->instance);
		ep->where = run_endpoint_text(ep->in, fo->family);
		if (lanyard_expand(ep->in, fo->family, "{address}", &ep->address) ==
		            LANYARD_E_NOMEM ||
		    !ep->name || !ep->where)
			return -ENOMEM;
	}
	qsort(fo->eps, fo->n, sizeof(*fo->eps), by_instance);
	return 0;
}

static void cleanup(struct fanout *fo)
{
	for (size_t i = 0; i < fo->n; i++) {
		struct ep *ep = &fo->eps[i];

		if (ep->fd >= 0)
			close(ep->fd);
		lanyard_instance_free(ep->in);
		free(ep->name);
		free(ep->where);
		free(ep->address);
		free(ep->out);
		json_decref(ep->obj);
	}
	free(fo->eps);
}

/* Run every endpoint's command; the loop ends when all are done. */
static void run_all(struct fanout *fo, int wake)
{
	for (;;) {
		double now = run_now_ms(), next = 0;

		while (!fanout_signal && !fo->cannot_run && fo->running < fo->parallel &&
		       fo->next < fo->n)
			start(fo, &fo->eps[fo->next++]);
		if (fanout_signal || fo->cannot_run) {
			for (; fo->next < fo->n; fo->next++) {
				struct ep *ep = &fo->eps[fo->next];

				ep->state = EP_DONE;
				snprintf(ep->why, sizeof(ep->why), "not run: %s",
				         fanout_signal ? "interrupted" : "cannot run");
			}
		}
		/* Backwards: finish() moves the last running one into its place. */
		for (size_t i = fo->running; i-- > 0;) {
			double t = check(fo, fo->run[i], now);

			if (t > 0 && (next == 0 || t < next))
				next = t;
		}
		if (fo->running == 0 && fo->next == fo->n)
			return;
		if (fo->running < fo->parallel && fo->next < fo->n && !fanout_signal &&
		    !fo->cannot_run)
			continue; /* a command ended: start the next */
		wait_events(fo, wake, next, now);
	}
}

/* Contract in lanyard-cli.h. */
int cli_fanout(struct lanyard *h, const struct lanyard_filter *f, const struct cli_run_opts *o)
{
	struct fanout fo = {.h = h, .o = o, .family = f->family};
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
	struct sigaction old[N_CAUGHT];
	struct lanyard_instance_list *list;
	int wake[2] = {-1, -1}, status = CLI_EXIT_OK, r;

	fo.parallel = o->parallel ? o->parallel : CLI_FANOUT_PARALLEL;
	fo.timeout_ms = o->timeout_set ? o->timeout_ms : CLI_FANOUT_TIMEOUT_MS;
	r = lanyard_list(h, f, &list);
	if (r < 0) {
		char *msg = cli_shown(*lanyard_last_error(h) ? lanyard_last_error(h)
		                                             : lanyard_strerror(r));

		fprintf(stderr, "lanyard: fanout: %s\n", msg ? msg : "?");
		free(msg);
		return CLI_EXIT_ERROR;
	}
	if (list->n == 0) {
		fprintf(stderr, "lanyard: fanout: no matching instance\n");
		lanyard_instance_list_free(list);
		return CLI_EXIT_NOTHING;
	}
	r = setup(&fo, list);
	lanyard_instance_list_free(list);
	if (r < 0 || pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		fprintf(stderr, "lanyard: fanout: %s\n", r < 0 ? strerror(-r) : strerror(errno));
		cleanup(&fo);
		return CLI_EXIT_ERROR;
	}
	fanout_signal = 0;
	wake_fd = wake[1];
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught[i], &sa, &old[i]);

	run_all(&fo, wake[0]);

	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught[i], &old[i], NULL);
	wake_fd = -1;
	close(wake[0]);
	close(wake[1]);
	for (size_t i = 0; i < fo.n; i++)
		if (!fo.eps[i].ok)
			status = CLI_EXIT_ERROR;
	if (o->merge_json && !fanout_signal && print_merged(&fo) < 0)
		status = CLI_EXIT_ERROR;
	print_summary(o->merge_json ? stderr : stdout, &fo);
	if (fanout_signal)
		status = 128 + fanout_signal;
	cleanup(&fo);
	return status;
}
