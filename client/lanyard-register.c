/* SPDX-License-Identifier: MIT */
/* lanyard register: a service registered with this host's agent for exactly
 * the lifetime of a command (or until SIGINT/SIGTERM without one). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "client/lanyard-cli.h"
#include "client/lanyard.h"

extern char **environ;

enum {
	R_TYPE = 256,
	R_VERSION,
	R_WEIGHT,
	R_PRIORITY,
	R_TAG,
	R_TXT,
	R_INSTANCE,
	R_SUBTYPE,
	R_CHECK_TCP,
	R_CHECK_HTTP,
};

static const struct option reg_opts[] = {
        {"type", required_argument, NULL, R_TYPE},
        {"version", required_argument, NULL, R_VERSION},
        {"weight", required_argument, NULL, R_WEIGHT},
        {"priority", required_argument, NULL, R_PRIORITY},
        {"tag", required_argument, NULL, R_TAG},
        {"txt", required_argument, NULL, R_TXT},
        {"instance", required_argument, NULL, R_INSTANCE},
        {"subtype", required_argument, NULL, R_SUBTYPE},
        {"check-tcp", required_argument, NULL, R_CHECK_TCP},
        {"check-http", required_argument, NULL, R_CHECK_HTTP},
        {NULL, 0, NULL, 0},
};

/* "lanyard: MSG ARG" and the usage; the usage exit status. */
static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "lanyard: %s%s%s", msg, arg ? " " : "", arg ? arg : "");
	fprintf(stderr,
	        "\nusage: lanyard register NAME PORT [--type T] [--version V] [--weight W]\n"
	        "       [--priority P] [--tag T]... [--txt K=V]... [--subtype S]...\n"
	        "       [--instance TEMPLATE] [--check-tcp HOST:PORT | --check-http URL]\n"
	        "       [-- COMMAND [ARGS...]]\n");
	return CLI_EXIT_USAGE;
}

/* A string member, or an array member's new item. */
static int set_str(json_t *o, const char *key, const char *v)
{
	return json_object_set_new(o, key, json_string(v));
}

static int push_str(json_t *o, const char *key, const char *v)
{
	json_t *a = json_object_get(o, key);

	if (!a) {
		a = json_array();
		if (!a || json_object_set_new(o, key, a) < 0)
			return -1;
	}
	return json_array_append_new(a, json_string(v));
}

/* The service object from the options and NAME PORT in ARGV (ARGC: up to
 * the "--", if any; options and arguments in any order). Returns NULL
 * after a usage message (*RC set). */
static json_t *build(int argc, char **argv, int *rc)
{
	json_t *o = json_object(), *txt = NULL, *checks = NULL;
	char *end;
	long n;
	int c;

	*rc = CLI_EXIT_USAGE;
	if (!o)
		goto oom;
	optind = 0; /* glibc: start afresh, permuting */
	while ((c = getopt_long(argc, argv, "", reg_opts, NULL)) != -1) {
		switch (c) {
		case R_TYPE:
		case R_VERSION:
		case R_INSTANCE:
			if (set_str(o,
			            c == R_TYPE      ? "type"
			            : c == R_VERSION ? "version"
			                             : "instance",
			            optarg) < 0)
				goto oom;
			break;
		case R_WEIGHT:
		case R_PRIORITY:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 0 || n > 65535) {
				*rc = usage("invalid number", optarg);
				goto fail;
			}
			if (json_object_set_new(o, c == R_WEIGHT ? "weight" : "priority",
			                        json_integer(n)) < 0)
				goto oom;
			break;
		case R_TAG:
		case R_SUBTYPE:
			if (push_str(o, c == R_TAG ? "tags" : "subtypes", optarg) < 0)
				goto oom;
			break;
		case R_TXT: {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg) {
				*rc = usage("--txt wants KEY=VALUE, not", optarg);
				goto fail;
			}
			if (!txt &&
			    (!(txt = json_object()) || json_object_set_new(o, "txt", txt) < 0))
				goto oom;
			*eq = '\0';
			if (set_str(txt, optarg, eq + 1) < 0)
				goto oom;
			*eq = '=';
			break;
		}
		case R_CHECK_TCP:
		case R_CHECK_HTTP:
			if (!checks && (!(checks = json_array()) ||
			                json_object_set_new(o, "checks", checks) < 0))
				goto oom;
			if (json_array_append_new(
			            checks, json_pack("{s:s}", c == R_CHECK_TCP ? "tcp" : "http",
			                              optarg)) < 0)
				goto oom;
			break;
		default:
			*rc = usage("invalid option", NULL);
			goto fail;
		}
	}
	if (argc - optind != 2) {
		*rc = usage("register needs NAME and PORT, and the command after --", NULL);
		goto fail;
	}
	errno = 0;
	n = strtol(argv[optind + 1], &end, 10);
	if (errno || *end || end == argv[optind + 1] || n < 1 || n > 65535) {
		*rc = usage("invalid port", argv[optind + 1]);
		goto fail;
	}
	if (set_str(o, "name", argv[optind]) < 0 ||
	    json_object_set_new(o, "port", json_integer(n)) < 0)
		goto oom;
	return o;
oom:
	fprintf(stderr, "lanyard: out of memory\n");
	*rc = CLI_EXIT_ERROR;
fail:
	json_decref(o);
	return NULL;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Run ARGV until it exits; SIGINT/SIGTERM are passed on to it. Returns its
 * exit status as a shell would (128 + signal). */
static int run(char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	pid_t pid;
	int st, r;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (r) {
		char *prog = cli_shown(argv[0]);

		fprintf(stderr, "lanyard: cannot run %s: %s\n", prog ? prog : "?", strerror(r));
		free(prog);
		return 127;
	}
	for (;;) {
		if (waitpid(pid, &st, 0) == pid)
			break;
		if (errno != EINTR)
			return CLI_EXIT_ERROR;
		if (got_signal) {
			kill(pid, got_signal);
			got_signal = 0;
		}
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* No command: hold until SIGINT or SIGTERM. */
static int hold(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
	return CLI_EXIT_OK;
}

int cli_register(int argc, char **argv, struct lanyard *h, bool json)
{
	json_t *decl;
	char *text, *instance = NULL;
	uint64_t id;
	int rc, r;

	int dd = 1;

	while (dd < argc && strcmp(argv[dd], "--") != 0)
		dd++;
	decl = build(dd, argv, &rc);
	if (!decl)
		return rc;
	text = json_dumps(decl, JSON_COMPACT);
	json_decref(decl);
	if (!text) {
		fprintf(stderr, "lanyard: out of memory\n");
		return CLI_EXIT_ERROR;
	}
	r = lanyard_register(h, text, &id, &instance);
	free(text);
	if (r < 0)
		return cli_fail(h, r, "register");
	if (json)
		printf("{\"registration\":%llu,\"instance\":", (unsigned long long)id);
	else
		fprintf(stderr, "lanyard: registered as ");
	cli_print_name(json ? stdout : stderr, instance, json);
	if (json)
		printf("}\n");
	else
		fprintf(stderr, " (registration %llu)\n", (unsigned long long)id);
	fflush(stdout);
	free(instance);
	rc = dd + 1 < argc ? run(argv + dd + 1) : hold();
	/* lanyard_close() by the caller withdraws the registration. */
	return rc;
}
