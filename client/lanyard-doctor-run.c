/* SPDX-License-Identifier: MIT */
/* Run a system tool with a time limit and take its output (lanyard doctor). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/lanyard-doctor-run.h"

/* Contract in lanyard-doctor-run.h. */
int doctor_find_program(const char *prog, char *ret, size_t size)
{
	const char *env = getenv("PATH");
	char dirs[4096];
	char *save = NULL, *d;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", env && *env ? env : "/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		int n;

		if (*d != '/')
			continue; /* never a relative directory */
		n = snprintf(ret, size, "%s/%s", d, prog);
		if (n > 0 && (size_t)n < size && access(ret, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: wire the descriptors and exec. Never returns. */
static void child(const char *path, char *const argv[], int out, int err)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(err, STDERR_FILENO) < 0)
		_exit(127);
	execve(path, argv, envp);
	_exit(127);
}

/* Contract in lanyard-doctor-run.h. */
int doctor_run(const char *path, char *const argv[], int timeout_ms, size_t max_out, char **ret_out,
               size_t *ret_len, char *err, size_t errlen)
{
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, status, r = 0;
	long long deadline = now_ms() + timeout_ms;
	char *out = NULL, errbuf[512];
	size_t len = 0, cap = 0, elen = 0;
	bool out_open = true, err_open = true;
	pid_t pid;

	*ret_out = NULL;
	*ret_len = 0;
	if (errlen)
		err[0] = '\0';
	if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto fail;
	}
	if (pid == 0)
		child(path, argv, out_pipe[1], err_pipe[1]);
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;

	while ((out_open || err_open) && r == 0) {
		struct pollfd pfd[2] = {{.fd = out_open ? out_pipe[0] : -1, .events = POLLIN},
		                        {.fd = err_open ? err_pipe[0] : -1, .events = POLLIN}};
		long long left = deadline - now_ms();
		int n;

		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		n = poll(pfd, 2, (int)left);
		if (n < 0 && errno != EINTR)
			r = -errno;
		if (n <= 0)
			continue;
		if (pfd[0].revents) {
			ssize_t k;

			if (cap - len < 65536) {
				char *nb = realloc(out, cap + 65536 + 1);

				if (!nb) {
					r = -ENOMEM;
					break;
				}
				out = nb;
				cap += 65536;
			}
			k = read(out_pipe[0], out + len, cap - len);
			if (k > 0)
				len += (size_t)k;
			else if (k == 0 || errno != EINTR)
				out_open = false;
			if (len > max_out)
				r = -EFBIG;
		}
		if (pfd[1].revents) {
			ssize_t k = read(err_pipe[0], errbuf + elen, sizeof(errbuf) - 1 - elen);

			if (k > 0)
				elen += (size_t)k;
			else if (k == 0 || errno != EINTR)
				err_open = false;
			if (elen == sizeof(errbuf) - 1) {
				/* enough for a message: let the rest go */
				close(err_pipe[0]);
				err_pipe[0] = -1;
				err_open = false;
			}
		}
	}
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	errbuf[elen] = '\0';
	errbuf[strcspn(errbuf, "\n")] = '\0';
	if (errlen)
		snprintf(err, errlen, "%s", errbuf);
	if (r < 0)
		goto fail;
	if (WIFEXITED(status))
		r = WEXITSTATUS(status);
	else
		r = 128 + WTERMSIG(status);
	if (!out && !(out = malloc(1))) {
		r = -ENOMEM;
		goto fail;
	}
	out[len] = '\0';
	*ret_out = out;
	*ret_len = len;
	out = NULL;
fail:
	free(out);
	for (int i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	return r;
}
