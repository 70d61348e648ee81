/* SPDX-License-Identifier: MIT */
/* Running a command against one endpoint (see lanyard-run.h), and the
 * options of exec and fanout. */
#include "client/lanyard-run.h"
#include "client/lanyard-cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The variables a command gets, and the placeholder each holds. */
static const struct {
	const char *name;
	const char *tmpl;
} vars[] = {
        {"LANYARD_ADDRESS", "{address}"}, {"LANYARD_PORT", "{port}"},
        {"LANYARD_HOST", "{host}"},       {"LANYARD_INSTANCE", "{instance}"},
        {"LANYARD_SERVICE", "{service}"},
};
#define N_VARS (sizeof(vars) / sizeof(vars[0]))

static bool is_ours(const char *entry)
{
	for (size_t i = 0; i < N_VARS; i++) {
		size_t n = strlen(vars[i].name);

		if (strncmp(entry, vars[i].name, n) == 0 && entry[n] == '=')
			return true;
	}
	return false;
}

static int make_env(struct run_cmd *c, const struct lanyard_instance *in,
                    enum lanyard_family family)
{
	size_t n = 0, k = 0;

	while (environ && environ[n])
		n++;
	c->envp = calloc(n + N_VARS + 1, sizeof(char *));
	if (!c->envp)
		return LANYARD_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (is_ours(environ[i]))
			continue;
		c->envp[k] = strdup(environ[i]);
		if (!c->envp[k++])
			return LANYARD_E_NOMEM;
	}
	for (size_t i = 0; i < N_VARS; i++) {
		char *v;
		int r = lanyard_expand(in, family, vars[i].tmpl, &v);

		if (r == LANYARD_E_NOT_FOUND)
			continue;
		if (r < 0)
			return r;
		c->envp[k] = malloc(strlen(vars[i].name) + strlen(v) + 2);
		if (c->envp[k])
			sprintf(c->envp[k], "%s=%s", vars[i].name, v);
		free(v);
		if (!c->envp[k++])
			return LANYARD_E_NOMEM;
	}
	return 0;
}

/* Contract in lanyard-run.h. */
int run_cmd_make(struct run_cmd *c, const struct lanyard_instance *in, enum lanyard_family family,
                 char *const *tmpl, int argc)
{
	*c = (struct run_cmd){0};
	c->argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!c->argv)
		return LANYARD_E_NOMEM;
	for (int i = 0; i < argc; i++) {
		int r = lanyard_expand(in, family, tmpl[i], &c->argv[i]);

		if (r < 0)
			return r;
	}
	return make_env(c, in, family);
}

/* Contract in lanyard-run.h. */
void run_cmd_clear(struct run_cmd *c)
{
	for (size_t i = 0; c->argv && c->argv[i]; i++)
		free(c->argv[i]);
	for (size_t i = 0; c->envp && c->envp[i]; i++)
		free(c->envp[i]);
	free(c->argv);
	free(c->envp);
	*c = (struct run_cmd){0};
}

/* Contract in lanyard-run.h. */
int run_spawn(const struct run_cmd *c, bool own_group, pid_t *ret_pid, int *ret_out)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fds[2] = {-1, -1}, r;
	sigset_t none, all;
	pid_t pid;

	if (own_group && (pipe2(fds, O_CLOEXEC) < 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0)) {
		r = -errno;
		goto fail;
	}
	r = posix_spawn_file_actions_init(&fa);
	if (r) {
		r = -r;
		goto fail;
	}
	r = posix_spawnattr_init(&attr);
	if (r) {
		posix_spawn_file_actions_destroy(&fa);
		r = -r;
		goto fail;
	}
	sigemptyset(&none);
	sigfillset(&all);
	/* What lanyard ignores or catches is not the command's business. */
	r = posix_spawnattr_setflags(&attr, (own_group ? POSIX_SPAWN_SETPGROUP : 0) |
	                                            POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (!r)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (!r)
		r = posix_spawnattr_setsigdefault(&attr, &all);
	/* In a group of its own, a timeout kills its children too; commands
	 * running side by side do not share a terminal's input. */
	if (!r && own_group)
		r = posix_spawnattr_setpgroup(&attr, 0);
	if (!r && own_group)
		r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!r && own_group)
		r = posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (!r)
		r = posix_spawnp(&pid, c->argv[0], &fa, &attr, c->argv, c->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r) {
		r = -r;
		goto fail;
	}
	if (own_group) {
		close(fds[1]);
		*ret_out = fds[0];
	}
	*ret_pid = pid;
	return 0;
fail:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return r;
}

/* Contract in lanyard-run.h. */
int run_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return EXIT_FAILURE;
}

/* Contract in lanyard-run.h. */
int run_spawn_code(int e)
{
	return e == ENOENT ? 127 : 126;
}

/* Contract in lanyard-run.h. */
const char *run_describe(int wstatus, char *buf, size_t size)
{
	if (WIFEXITED(wstatus)) {
		snprintf(buf, size, "exit status %d", WEXITSTATUS(wstatus));
	} else if (WIFSIGNALED(wstatus)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(wstatus));

		snprintf(buf, size, "killed by signal %d%s%s%s", WTERMSIG(wstatus),
		         abbrev ? " (" : "", abbrev ? abbrev : "", abbrev ? ")" : "");
	} else {
		snprintf(buf, size, "ended with status 0x%x", (unsigned)wstatus);
	}
	return buf;
}

/* Contract in lanyard-run.h. */
char *run_endpoint_text(const struct lanyard_instance *in, enum lanyard_family family)
{
	char *raw = NULL, *addr = NULL, *out;
	size_t n;

	if (lanyard_expand(in, family, "{address}", &raw) == LANYARD_E_NOMEM)
		return NULL;
	/* from the agent: shown by the one rule */
	if (raw && !(addr = cli_shown(raw))) {
		free(raw);
		return NULL;
	}
	free(raw);
	n = (addr ? strlen(addr) : 1) + 10;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s%s:%u", addr && strchr(addr, ':') ? "[" : "",
		         addr ? addr : "-", addr && strchr(addr, ':') ? "]" : "",
		         (unsigned)in->port);
	free(addr);
	return out;
}

/* Contract in lanyard-run.h. */
double run_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}
