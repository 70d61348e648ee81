/* SPDX-License-Identifier: MIT */
/* lanyard exec: run a command against one balanced pick, report how it
 * went, and move on to another pick when it fails. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "client/lanyard-cli.h"
#include "client/lanyard-run.h"

/* The signal handlers' view: the running command, and the signal that
 * interrupted lanyard (0: none). Only they and cli_exec() touch these. */
static volatile sig_atomic_t exec_child;
static volatile sig_atomic_t exec_signal;

/* The command shares lanyard's process group: a terminal's ^C or ^\
 * reaches both, so lanyard only notes it; SIGTERM and SIGHUP, sent to
 * lanyard alone, are passed on. */
static void on_signal(int sig)
{
	int e = errno;

	exec_signal = sig;
	if ((sig == SIGTERM || sig == SIGHUP) && exec_child > 0)
		kill((pid_t)exec_child, sig);
	errno = e;
}

static const int caught[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
#define N_CAUGHT (sizeof(caught) / sizeof(caught[0]))

static void catch_signals(struct sigaction *old)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction *old)
{
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaction(caught[i], &old[i], NULL);
}

/* Print "lanyard: exec: INSTANCE (ENDPOINT): WHAT" with the names escaped. */
static void say(const struct lanyard_instance *in, enum lanyard_family family, const char *what)
{
	char *name = cli_shown(in->instance), *ep = run_endpoint_text(in, family);

	fprintf(stderr, "lanyard: exec: %s (%s): %s\n", name ? name : "?", ep ? ep : "?", what);
	free(name);
	free(ep);
}

static int report(struct lanyard *h, const struct lanyard_instance *in, bool ok, double ms)
{
	int r = lanyard_report(h, in->service, in->instance, ok, ms);

	/* Feedback is best effort: the command's status is what counts. */
	if (r < 0) {
		char *msg = cli_shown(*lanyard_last_error(h) ? lanyard_last_error(h)
		                                             : lanyard_strerror(r));

		fprintf(stderr, "lanyard: exec: report: %s\n", msg ? msg : "?");
		free(msg);
	}
	return r;
}

/* Wait for PID; its status into *ret. */
static void wait_child(pid_t pid, int *ret)
{
	while (waitpid(pid, ret, 0) < 0) {
		if (errno != EINTR) {
			*ret = 0xff00; /* "exit status 255": lost track of it */
			return;
		}
	}
}

/* Contract in lanyard-cli.h. */
int cli_exec(struct lanyard *h, const struct lanyard_filter *f, const char *policy, const char *key,
             unsigned flags, const struct cli_run_opts *o)
{
	enum lanyard_family family = f->family;
	struct sigaction old[N_CAUGHT];
	sigset_t held, unheld;
	char **tried = calloc(o->retries + 1, sizeof(char *));
	size_t n_tried = 0;
	int status = CLI_EXIT_ERROR;
	bool ran_interrupted = false;

	if (!tried) {
		fprintf(stderr, "lanyard: exec: out of memory\n");
		return CLI_EXIT_ERROR;
	}
	exec_signal = 0;
	sigemptyset(&held);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGHUP);
	catch_signals(old);
	for (unsigned attempt = 0; attempt <= o->retries && !exec_signal; attempt++) {
		struct lanyard_instance *in = NULL;
		struct run_cmd cmd;
		char what[128];
		double start;
		int r, ws;
		pid_t pid;

		r = lanyard_resolve_except(h, f, policy, key, flags, (const char *const *)tried,
		                           n_tried, &in);
		if (r < 0) {
			const char *msg = *lanyard_last_error(h) ? lanyard_last_error(h)
			                                         : lanyard_strerror(r);
			char *s = cli_shown(msg);

			fprintf(stderr, "lanyard: exec: %s%s\n", attempt ? "no other pick: " : "",
			        s ? s : "?");
			free(s);
			if (attempt == 0)
				status = r == LANYARD_E_NOT_FOUND ? CLI_EXIT_NOTHING
				                                  : CLI_EXIT_ERROR;
			break;
		}
		tried[n_tried] = strdup(in->instance);
		if (!tried[n_tried]) {
			lanyard_instance_free(in);
			status = CLI_EXIT_ERROR;
			break;
		}
		n_tried++;
		r = run_cmd_make(&cmd, in, family, o->argv, o->argc);
		if (r < 0) {
			/* Not the endpoint's failure: nothing is reported. */
			say(in, family,
			    r == LANYARD_E_NOT_FOUND ? "no value for a placeholder of the command "
			                               "(no such address or no host name)"
			                             : "out of memory");
			run_cmd_clear(&cmd);
			lanyard_instance_free(in);
			status = CLI_EXIT_ERROR;
			continue;
		}
		/* SIGTERM or SIGHUP between the spawn and exec_child would not
		 * be passed on: they wait until it is set. */
		sigprocmask(SIG_BLOCK, &held, &unheld);
		start = run_now_ms();
		r = run_spawn(&cmd, false, &pid, NULL);
		if (r == 0)
			exec_child = pid;
		sigprocmask(SIG_SETMASK, &unheld, NULL);
		if (r < 0) {
			char *prog = cli_shown(cmd.argv[0]);

			fprintf(stderr, "lanyard: exec: cannot run '%s': %s\n", prog ? prog : "?",
			        strerror(-r));
			free(prog);
			run_cmd_clear(&cmd);
			lanyard_instance_free(in);
			status = run_spawn_code(-r);
			break; /* the same for every pick */
		}
		run_cmd_clear(&cmd);
		wait_child(pid, &ws);
		exec_child = 0;
		status = run_exit_code(ws);
		if (exec_signal) {
			/* Interrupted by the user: nothing to say about the endpoint. */
			ran_interrupted = true;
			lanyard_instance_free(in);
			break;
		}
		report(h, in, status == 0, run_now_ms() - start);
		if (status != 0 && attempt < o->retries) {
			char why[64];

			snprintf(what, sizeof(what), "%s; trying another pick (%u of %u)",
			         run_describe(ws, why, sizeof(why)), attempt + 1, o->retries);
			say(in, family, what);
		}
		lanyard_instance_free(in);
		if (status == 0)
			break;
	}
	if (exec_signal && !ran_interrupted)
		status = 128 + exec_signal;
	restore_signals(old);
	for (size_t i = 0; i < n_tried; i++)
		free(tried[i]);
	free(tried);
	return status;
}
