/* SPDX-License-Identifier: MIT */
/* exec-pick: run a command against one endpoint of a service, the way
 * `lanyard exec --retries 2` does, with liblanyard's building blocks.
 *
 *   cc -o exec-pick exec-pick.c $(pkg-config --cflags --libs lanyard)
 *   ./exec-pick payments curl -fsS 'http://{address}:{port}/health'
 *
 * Each pick's outcome is reported to the agent (failures feed its outlier
 * ejection), and the next pick steers clear of the instances that failed.
 * The placeholders are filled in each argument, with no shell in between:
 * names that come from the LAN never reach one. */
#include <lanyard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRIES 3

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run the N argument templates of TMPL filled in for IN; its exit status
 * (128 + signal if killed), or 127 if it could not run. */
static int run(const struct lanyard_instance *in, int n, char **tmpl)
{
	char **args = calloc((size_t)n + 1, sizeof(char *));
	int status = 127, i;

	for (i = 0; args && i < n; i++)
		if (lanyard_expand(in, LANYARD_FAMILY_ANY, tmpl[i], &args[i]) < 0)
			break;
	if (args && i == n) {
		pid_t pid = fork();

		if (pid == 0) {
			execvp(args[0], args);
			perror(args[0]);
			_exit(127);
		}
		if (pid > 0 && waitpid(pid, &status, 0) == pid)
			status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		else
			status = 127;
	}
	for (i = 0; args && i < n; i++)
		free(args[i]);
	free(args);
	return status;
}

int main(int argc, char **argv)
{
	struct lanyard_filter f = {0};
	char *tried[TRIES] = {0};
	struct lanyard *h;
	int status = 1, r;
	size_t t;

	if (argc < 3) {
		fprintf(stderr, "usage: exec-pick SERVICE COMMAND [ARG...]\n");
		return 2;
	}
	r = lanyard_open(NULL, &h); /* $LANYARD_SOCKET, else the default socket */
	if (r < 0) {
		fprintf(stderr, "exec-pick: %s\n", lanyard_strerror(r));
		return 1;
	}
	f.service = argv[1];
	for (t = 0; t < TRIES; t++) {
		struct lanyard_instance *in;
		double start;

		r = lanyard_resolve_except(h, &f, NULL, NULL, 0, (const char *const *)tried, t, &in);
		if (r < 0) {
			fprintf(stderr, "exec-pick: %s\n", lanyard_last_error(h));
			if (t == 0)
				status = r == LANYARD_E_NOT_FOUND ? 3 : 1;
			break;
		}
		start = now_ms();
		status = run(in, argc - 2, argv + 2);
		lanyard_report(h, in->service, in->instance, status == 0, now_ms() - start);
		tried[t] = strdup(in->instance);
		lanyard_instance_free(in);
		if (status == 0 || !tried[t])
			break;
	}
	for (t = 0; t < TRIES; t++)
		free(tried[t]);
	lanyard_close(h);
	return status;
}
