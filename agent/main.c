/* SPDX-License-Identifier: MIT */
/* lanyardd entry point: command line, configuration check, daemonising. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/log.h"
#ifdef LANYARD_TEST_HOOKS
#include "agent/test-hooks.h"
#endif

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: lanyardd [OPTION]...\n"
	        "Announce this host's services over mDNS/DNS-SD and answer consumers\n"
	        "on a Unix socket with balanced endpoint picks.\n"
	        "\n"
	        "  -c, --config FILE   configuration file (default %s)\n"
	        "      --check-config  validate the configuration, print FILE: OK or every\n"
	        "                      error as FILE:LINE:COL: message, and exit (0 valid, 1 not)\n"
	        "  -f, --foreground    stay in the foreground and log to stderr\n"
	        "                      (default: detach and log to syslog)\n"
	        "      --socket PATH   consumer socket (overrides agent.socket)\n"
	        "  -v, --verbose       log at debug level\n"
	        "      --version       print the version and exit\n"
	        "  -h, --help          print this help and exit\n"
	        "\n"
	        "Signals: SIGHUP reloads the configuration (an invalid file changes\n"
	        "nothing); SIGTERM and SIGINT withdraw every service and exit.\n"
	        "\n"
	        "See lanyardd(8), docs/config.md and docs/protocol.md.\n",
	        LANYARD_DEFAULT_CONFIG);
}

enum { OPT_CHECK = 256, OPT_SOCKET, OPT_VERSION };

static const struct option long_options[] = {
        {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, OPT_CHECK},
        {"foreground", no_argument, NULL, 'f'},   {"socket", required_argument, NULL, OPT_SOCKET},
        {"verbose", no_argument, NULL, 'v'},      {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
};

/* As many descriptors as the hard limit allows: the socket's connection
 * cap is derived from what this leaves (agent.c). */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fprintf(stderr, "lanyardd: cannot raise the descriptor limit: %s\n",
			        strerror(errno));
	}
}

/* Print every diagnostic to stderr, one per line, as the config layer made it. */
/* Started with stdin, stdout or stderr closed (a supervisor's choice, or
 * CI's), the first descriptor lanyardd opens would take that number: log
 * lines would then go into the consumer socket. Fill the gaps with
 * /dev/null first. */
static void hold_std_fds(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

static void print_diags(const struct cfg_diags *diags)
{
	for (size_t i = 0; i < diags->n; i++)
		fprintf(stderr, "%s\n", diags->items[i].text);
}

int main(int argc, char **argv)
{
	struct agent_options opts = {.config_path = LANYARD_DEFAULT_CONFIG};
#ifdef LANYARD_TEST_HOOKS
	/* lanyardd-test only: the hooks never reach an installed lanyardd. */
	opts.hooks = &test_hooks;
#endif
	struct cfg_diags diags = {0};
	struct lanyard_config *cfg = NULL;
	struct agent agent;
	bool check = false, foreground = false;
	char err[512] = "";
	int c, r;

	hold_std_fds();
	while ((c = getopt_long(argc, argv, "c:fvh", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.config_path = optarg;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case 'f':
			foreground = true;
			break;
		case OPT_SOCKET:
			opts.socket_path = optarg;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case OPT_VERSION:
			printf("lanyardd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lanyardd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	r = cfg_load(opts.config_path, &cfg, &diags);
	print_diags(&diags);
	/* The config layer's messages say what went wrong; add one only if not. */
	if (diags.n > 0 && r < 0)
		r = -EINVAL;
	cfg_diags_clear(&diags);
	if (check) {
		if (r < 0) {
			if (r != -EINVAL)
				fprintf(stderr, "%s: %s\n", opts.config_path, strerror(-r));
			cfg_free(cfg);
			return 1;
		}
		printf("%s: OK\n", opts.config_path);
		cfg_free(cfg);
		return 0;
	}
	if (r < 0) {
		if (r != -EINVAL)
			fprintf(stderr, "lanyardd: %s: %s\n", opts.config_path, strerror(-r));
		return 1;
	}
	if (opts.socket_path) {
		char *s = strdup(opts.socket_path);

		if (!s) {
			cfg_free(cfg);
			return 1;
		}
		free(cfg->agent.socket);
		cfg->agent.socket = s;
	}

	if (!foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "lanyardd: cannot detach: %s\n", strerror(errno));
		cfg_free(cfg);
		return 1;
	}
	log_open("lanyardd", !foreground);
	raise_nofile();

	r = agent_init(&agent, ev_default_loop(0), &opts, cfg, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		agent_done(&agent);
		ev_loop_destroy(ev_default_loop(0));
		return 1;
	}
	r = agent_run(&agent);
	agent_done(&agent);
	ev_loop_destroy(ev_default_loop(0));
	log_info("stopped");
	return r;
}
