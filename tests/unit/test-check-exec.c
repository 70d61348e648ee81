/* SPDX-License-Identifier: MIT */
/* Unit tests of the exec health check probe (agent/check-exec.c) with real programs: results,
 * kept output, what the program inherits, and that its whole process group is gone after a
 * timeout, an exit, or a cancel. */
#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/check-exec.h"
#include "tests/unit/check-util.h"
#include "tests/unit/tap.h"

/* --- processes ------------------------------------------------------------ */

/* The state letter and process group of PID from /proc; 0 when it is gone. */
static char proc_state(pid_t pid, pid_t *ret_pgrp)
{
	char path[64], buf[512], state;
	const char *p;
	int ppid, pgrp;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %d %d", &state, &ppid, &pgrp) != 3)
		return 0;
	if (ret_pgrp)
		*ret_pgrp = pgrp;
	return state;
}

/* The live (not zombie) members of process group PGID: how many, and up to
 * MAX of their pids into PIDS. */
static int group_members(pid_t pgid, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name), pgrp = 0;
		char st = pid > 0 ? proc_state(pid, &pgrp) : 0;

		if (st && st != 'Z' && pgrp == pgid) {
			if (n < max)
				pids[n] = pid;
			n++;
		}
	}
	closedir(d);
	return n;
}

/* Dead: no such process, or a zombie (killed, not reaped yet). */
static bool pid_dead(pid_t pid)
{
	char st = proc_state(pid, NULL);

	return st == 0 || st == 'Z';
}

/* Every pid seen in a process group while an exec probe ran. */
struct group_watch {
	pid_t pgid;
	pid_t seen[16];
	int n;
	struct result *res;
	double scanned; /* last scan of /proc (ev_time) */
};

static bool watch_group(void *arg)
{
	struct group_watch *g = arg;
	pid_t now[16];
	int n = 0;

	/* A scan of /proc costs one open per process of the machine: at most
	 * every 5 ms, not at every loop iteration (a program writing 20 MB
	 * makes hundreds, and a busy machine has many processes). */
	if (ev_time() - g->scanned >= 0.005) {
		g->scanned = ev_time();
		n = group_members(g->pgid, now, 16);
	}

	for (int i = 0; i < n && i < 16; i++) {
		bool known = false;

		for (int j = 0; j < g->n; j++)
			known = known || g->seen[j] == now[i];
		if (!known && g->n < 16)
			g->seen[g->n++] = now[i];
	}
	return g->res->calls > 0;
}

static bool pid_dead_arg(void *arg)
{
	return pid_dead(*(pid_t *)arg);
}

static bool all_seen_dead(void *arg)
{
	struct group_watch *g = arg;

	for (int i = 0; i < g->n; i++)
		if (!pid_dead(g->seen[i]))
			return false;
	return true;
}

/* The group is gone altogether: every member dead and reaped (this process
 * is a subreaper, and libev reaps whatever child exits). */
static bool group_gone(void *arg)
{
	pid_t pgid = *(pid_t *)arg;

	return kill(-pgid, 0) < 0 && errno == ESRCH;
}

/* --- exec ----------------------------------------------------------------- */

/* One exec probe of ARGV with TIMEOUT; its result in *RES, its process
 * group's pids seen while it ran in *G. */
static void exec_run(char *const *argv, double timeout, struct result *res, struct group_watch *g)
{
	struct check_exec *p = NULL;
	int r;

	*res = (struct result){0};
	*g = (struct group_watch){.res = res};
	r = check_exec_start(loop, argv, timeout, on_done, res, &p);
	if (!CHECK_MSG(r == 0, "exec %s: %s", argv[0], strerror(-r)))
		return;
	g->pgid = check_exec_pid(p);
	CHECK(g->pgid > 0);
	/* in a group of its own */
	CHECK_INT_EQ(getpgid(g->pgid), g->pgid);
	CHECK_INT_EQ(res->calls, 0);
	CHECK_MSG(run_until(watch_group, g, DEADLINE_S), "no result from %s", argv[0]);
	CHECK_INT_EQ(res->calls, 1);
	check_exec_free(p);
}

/* sh -c SCRIPT */
#define SH(script) ((char *const[]){"/bin/sh", "-c", (script), NULL})

/* Valgrind preloads its own libraries. */
static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

/* PROG cannot run: check_exec_start() says so with ERR. (Under valgrind,
 * whose posix_spawn() is a plain fork, the child's exec failure cannot be
 * reported back: the program then runs and fails with status 127.) */
static void cannot_run(const char *prog, int err)
{
	char *const argv[] = {(char *)prog, NULL};
	struct check_exec *p = (struct check_exec *)&p;
	struct result res = {0};
	int r = check_exec_start(loop, argv, 5.0, on_done, &res, &p);

	if (r == 0 && under_valgrind()) {
		CHECK(run_until(result_in, &res, DEADLINE_S));
		CHECK_INT_EQ(res.r, CHECK_FAIL);
		CHECK_STR_EQ(res.out, "exit status 127");
		check_exec_free(p);
		return;
	}
	CHECK_MSG(r == err, "%s: %d, expected %d", prog, r, err);
	CHECK(p == NULL);
	if (r == 0)
		check_exec_free(p);
	run_for(0.05);
	CHECK_INT_EQ(res.calls, 0);
}

static void test_exec_results(void)
{
	struct group_watch g;
	struct result res;
	sigset_t term, old;

	exec_run(SH("echo fine; exit 0"), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_STR_EQ(res.out, "fine");
	/* exit 1 warns; stderr is kept too */
	exec_run(SH("echo degraded >&2; exit 1"), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_WARN);
	CHECK_STR_EQ(res.out, "degraded");
	/* anything else fails, saying how it ended */
	exec_run(SH("echo bad; exit 2"), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "exit status 2\nbad");
	exec_run(SH("exit 255"), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "exit status 255");
	/* a signal the daemon blocks is the program's default again */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	exec_run(SH("kill -TERM $$; sleep 5"), 10.0, &res, &g);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "killed by signal 15 (Terminated)");
	/* and one it ignores (SIGPIPE, as lanyardd does) is not ignored: bit
	 * 12 of SigIgn */
	exec_run(SH("m=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status); "
	            "echo \"$m\"; [ $((0x$m & 0x1000)) = 0 ]"),
	         5.0, &res, &g);
	CHECK_MSG(res.r == CHECK_PASS, "SigIgn %s", res.out);

	/* a command name is looked up in PATH */
	exec_run((char *const[]){"sh", "-c", "exit 0", NULL}, 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_STR_EQ(res.out, "");
	/* stdin is /dev/null: cat ends at once */
	exec_run((char *const[]){"cat", NULL}, 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);

	/* a program that cannot run: an error from start, nothing started */
	cannot_run("/nonexistent/check", -ENOENT);
	cannot_run("no-such-lanyard-check", -ENOENT);
	cannot_run("/dev/null", -EACCES);
}

/* Descriptors of the daemon do not leak into the program. */
static void test_exec_fds(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0); /* no CLOEXEC */
	struct group_watch g;
	struct result res;
	char script[128];

	snprintf(script, sizeof(script), "test -e /proc/$$/fd/%d && echo leaked; exit 0", fd);
	exec_run(SH(script), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_STR_EQ(res.out, "");
	close(fd);
}

/* The first CHECK_OUTPUT_MAX bytes of output are kept; the rest is read
 * away, so a chatty program neither blocks nor fills memory. */
static void test_exec_output_cap(void)
{
	struct group_watch g;
	struct result res;
	bool all_x = true;

	exec_run(SH("head -c 100000 /dev/zero | tr '\\000' x"), 10.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_INT_EQ(res.len, CHECK_OUTPUT_MAX);
	for (size_t i = 0; i < res.len; i++)
		all_x = all_x && res.out[i] == 'x';
	CHECK(all_x);

	/* the line saying how it ended comes before the kept output */
	exec_run(SH("head -c 100000 /dev/zero | tr '\\000' x; exit 3"), 10.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_INT_EQ(res.len, strlen("exit status 3\n") + CHECK_OUTPUT_MAX);
	CHECK(strncmp(res.out, "exit status 3\nxxxx", 18) == 0);

	/* 20 MB through the pipe */
	exec_run(SH("head -c 20000000 /dev/zero"), 20.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_INT_EQ(res.len, CHECK_OUTPUT_MAX);
}

/* The pid sh printed on the line after SKIP lines of OUT; 0 if none. */
static pid_t pid_in(const char *out, int skip)
{
	for (; skip > 0 && out; skip--) {
		out = strchr(out, '\n');
		out = out ? out + 1 : NULL;
	}
	return out ? (pid_t)atoi(out) : 0;
}

/* A program past its timeout is killed with everything it started. */
static void test_exec_timeout_kills_group(void)
{
	struct group_watch g;
	struct result res;
	pid_t child;

	exec_run(SH("sleep 100 & echo $!; sleep 100"), 1.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_MSG(strncmp(res.out, "timed out after 1000 ms\n", 24) == 0, "out: \"%s\"", res.out);
	child = pid_in(res.out, 1);
	CHECK_MSG(child > 1, "no child pid in \"%s\"", res.out);
	/* the group had the shell and both sleeps (or the shell exec'd the
	 * last one): at least two processes were seen in it */
	CHECK_MSG(g.n >= 2, "only %d process(es) seen in the group", g.n);
	CHECK_MSG(run_until(all_seen_dead, &g, DEADLINE_S), "a process of group %d lives on",
	          (int)g.pgid);
	CHECK(child <= 1 || run_until(pid_dead_arg, &child, DEADLINE_S));
	CHECK_MSG(run_until(group_gone, &g.pgid, DEADLINE_S), "group %d not reaped", (int)g.pgid);
}

/* A program that exits leaves nothing behind: what it started in the
 * background is killed with its group, and the result does not wait for
 * it (it holds the output pipe open). */
static void test_exec_leftovers_killed(void)
{
	struct group_watch g;
	struct result res;
	pid_t child;

	exec_run(SH("sleep 100 & echo $!"), 30.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	child = pid_in(res.out, 0);
	CHECK_MSG(child > 1, "no child pid in \"%s\"", res.out);
	CHECK(child <= 1 || run_until(pid_dead_arg, &child, DEADLINE_S));
	CHECK_MSG(run_until(group_gone, &g.pgid, DEADLINE_S), "group %d not reaped", (int)g.pgid);
}

static bool two_members(void *arg)
{
	pid_t pids[4];

	return group_members(*(pid_t *)arg, pids, 4) >= 2;
}

/* Cancelled while it runs: the group is killed, DONE never comes. */
static void test_exec_free_running(void)
{
	struct check_exec *p = NULL;
	struct result res = {0};
	pid_t pgid;

	if (!CHECK_INT_EQ(
	            check_exec_start(loop, SH("sleep 100 & sleep 100"), 30.0, on_done, &res, &p),
	            0))
		return;
	pgid = check_exec_pid(p);
	CHECK(run_until(two_members, &pgid, DEADLINE_S));
	check_exec_free(p);
	CHECK_MSG(run_until(group_gone, &pgid, DEADLINE_S), "group %d survived its check",
	          (int)pgid);
	run_for(0.1);
	CHECK_INT_EQ(res.calls, 0);
	check_exec_free(NULL);
}

int main(void)
{
	/* as lanyardd does */
	signal(SIGPIPE, SIG_IGN);
	/* Orphans of killed groups come back to this process to be reaped, so
	 * that "gone" can be checked as "reaped". */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		perror("PR_SET_CHILD_SUBREAPER");
	loop = ev_default_loop(0);
	test_exec_results();
	test_exec_fds();
	test_exec_output_cap();
	test_exec_timeout_kills_group();
	test_exec_leftovers_killed();
	test_exec_free_running();
	ev_loop_destroy(loop);
	return test_summary();
}
