/* SPDX-License-Identifier: MIT */
/* The lanyard command: query the local lanyardd from a shell (tables by
 * default, the agent's exact JSON with --json). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/lanyard-cli.h"
#include "client/lanyard-run.h"
#include "client/lanyard-show.h"
#include "client/lanyard.h"
#include "dnssd/duration.h"

#define MAX_ARGS 64 /* tags or txt pairs on one command line */

struct opts {
	const char *socket;
	bool json;
	int timeout_ms;
	struct lanyard_filter filter;
	const char *tags[MAX_ARGS];
	struct lanyard_txt_match txt[MAX_ARGS];
	char *txt_keys[MAX_ARGS];
	const char *policy;
	const char *key;
	bool prefer_local;
	bool any_domain;
	const char *service; /* report --service */
	double latency_ms;
	const char *text;         /* check --output, maint --reason */
	const char *config;       /* doctor --config */
	const char *avahi_config; /* doctor --avahi-config */

	struct cli_run_opts run; /* exec, fanout */
};

static const char usage_text[] =
        "Usage: lanyard [--socket PATH] [--json] [--timeout MS] COMMAND [ARGS]\n"
        "\n"
        "Commands:\n"
        "  list [SERVICE] [FILTERS]     every matching endpoint\n"
        "  resolve SERVICE [FILTERS] [--policy P] [--key K] [--prefer-local]\n"
        "          [--any-domain]\n"
        "                               one balanced pick, printed as \"ADDRESS PORT\"\n"
        "  watch [SERVICE] [FILTERS]    stream added/changed/removed (with why) endpoints\n"
        "  services                     services the agent knows\n"
        "  status                       the agent's status\n"
        "  report INSTANCE ok|fail [--service S] [--latency MS]\n"
        "                               feedback on an endpoint\n"
        "  check SERVICE pass|warn|fail [--output TEXT]\n"
        "                               report the health of a service this host declares\n"
        "                               with a ttl check (withdrawn when reports stop)\n"
        "  maint SERVICE on|off [--reason TEXT]\n"
        "                               take a service this host declares off the LAN,\n"
        "                               or put it back (maintenance ends on restart)\n"
        "  register NAME PORT [--type T] [--version V] [--weight W] [--priority P]\n"
        "           [--tag T]... [--txt K=V]... [--subtype S]... [--instance TEMPLATE]\n"
        "           [--check-tcp HOST:PORT | --check-http URL] [-- COMMAND [ARGS...]]\n"
        "                               publish a service for exactly the life of\n"
        "                               COMMAND (exit status: COMMAND's), or until\n"
        "                               SIGINT/SIGTERM without one\n"
        "  exec SERVICE [FILTERS] [--policy P] [--key K] [--prefer-local] [--any-domain]\n"
        "       [--retries N] -- COMMAND [ARG...]\n"
        "                               run COMMAND (no shell) against one pick, its\n"
        "                               {address} {port} {host} {instance} {service}\n"
        "                               filled in (and LANYARD_ADDRESS, _PORT, _HOST,\n"
        "                               _INSTANCE, _SERVICE set); report how it went;\n"
        "                               after a failure try another pick, N times\n"
        "  fanout SERVICE [FILTERS] [--parallel N] [--timeout D] [--merge json]\n"
        "       -- COMMAND [ARG...]\n"
        "                               run COMMAND once per matching endpoint, N at a\n"
        "                               time (8), each killed with its process group\n"
        "                               after D (30s; 0: never); report each result;\n"
        "                               print the outputs and a summary, or with\n"
        "                               --merge json one object merged from the\n"
        "                               commands' JSON objects (summary on stderr)\n"
        "  doctor [--config FILE] [--avahi-config FILE]\n"
        "                               check this host for lanyardd: the agent, its\n"
        "                               configuration and socket, avahi-daemon and its\n"
        "                               limits, interfaces, firewall, NSS, clock; one\n"
        "                               line per finding (--json: one object per line)\n"
        "\n"
        "Filters:\n"
        "  --instance NAME   --version CONSTRAINT (>=2.0, ^2.4, ~2.4.1, 2.x)\n"
        "  --tag TAG (all must match, repeatable)   --txt KEY=VALUE (repeatable)\n"
        "  --family ipv4|ipv6   --domain local|ZONE (mDNS, or a browsed zone)\n"
        "\n"
        "SERVICE is a name (payments) or a DNS-SD type (_http._tcp). The socket is\n"
        "$LANYARD_SOCKET, else " LANYARD_DEFAULT_SOCKET ".\n"
        "Exit status: 0 ok, 1 error, 2 usage, 3 nothing found (for check and\n"
        "maint: no such declared service, or no ttl check). exec: COMMAND's status\n"
        "(128 + signal if killed). fanout: 1 if any command failed. doctor: 1 if\n"
        "a check found a problem.\n"
        "Placeholders carry names from the LAN: never hand them to a shell.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("lanyard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'lanyard --help'.\n", stderr);
	return CLI_EXIT_USAGE;
}

enum {
	OPT_SOCKET = 256,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_INSTANCE,
	OPT_VERSION,
	OPT_TAG,
	OPT_TXT,
	OPT_FAMILY,
	OPT_DOMAIN,
	OPT_POLICY,
	OPT_KEY,
	OPT_PREFER_LOCAL,
	OPT_ANY_DOMAIN,
	OPT_SERVICE,
	OPT_LATENCY,
	OPT_OUTPUT,
	OPT_REASON,
	OPT_RETRIES,
	OPT_PARALLEL,
	OPT_MERGE,
	OPT_CONFIG,
	OPT_AVAHI_CONFIG,
	OPT_HELP,
};

static const struct option long_opts[] = {
        {"socket", required_argument, NULL, OPT_SOCKET},
        {"json", no_argument, NULL, OPT_JSON},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"instance", required_argument, NULL, OPT_INSTANCE},
        {"version", required_argument, NULL, OPT_VERSION},
        {"tag", required_argument, NULL, OPT_TAG},
        {"txt", required_argument, NULL, OPT_TXT},
        {"family", required_argument, NULL, OPT_FAMILY},
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"policy", required_argument, NULL, OPT_POLICY},
        {"key", required_argument, NULL, OPT_KEY},
        {"prefer-local", no_argument, NULL, OPT_PREFER_LOCAL},
        {"any-domain", no_argument, NULL, OPT_ANY_DOMAIN},
        {"service", required_argument, NULL, OPT_SERVICE},
        {"latency", required_argument, NULL, OPT_LATENCY},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"reason", required_argument, NULL, OPT_REASON},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"parallel", required_argument, NULL, OPT_PARALLEL},
        {"merge", required_argument, NULL, OPT_MERGE},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"avahi-config", required_argument, NULL, OPT_AVAHI_CONFIG},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
};

/* Options each command accepts besides --socket/--json/--timeout/--help. */
static bool allowed(const char *cmd, int opt)
{
	bool filter = opt == OPT_INSTANCE || opt == OPT_VERSION || opt == OPT_TAG ||
	              opt == OPT_TXT || opt == OPT_FAMILY || opt == OPT_DOMAIN;

	if (strcmp(cmd, "list") == 0 || strcmp(cmd, "watch") == 0)
		return filter;
	if (strcmp(cmd, "resolve") == 0)
		return filter || opt == OPT_POLICY || opt == OPT_KEY || opt == OPT_PREFER_LOCAL ||
		       opt == OPT_ANY_DOMAIN;
	if (strcmp(cmd, "report") == 0)
		return opt == OPT_SERVICE || opt == OPT_LATENCY;
	if (strcmp(cmd, "check") == 0)
		return opt == OPT_OUTPUT;
	if (strcmp(cmd, "maint") == 0)
		return opt == OPT_REASON;
	if (strcmp(cmd, "exec") == 0)
		return filter || opt == OPT_POLICY || opt == OPT_KEY || opt == OPT_PREFER_LOCAL ||
		       opt == OPT_ANY_DOMAIN || opt == OPT_RETRIES;
	if (strcmp(cmd, "fanout") == 0)
		return filter || opt == OPT_PARALLEL || opt == OPT_MERGE;
	if (strcmp(cmd, "doctor") == 0)
		return opt == OPT_CONFIG || opt == OPT_AVAHI_CONFIG;
	return false;
}

static int parse_number(const char *s, double *ret)
{
	char *end;

	errno = 0;
	*ret = strtod(s, &end);
	return errno || end == s || *end ? -1 : 0;
}

/* Parse ARGV (global and command options in any order); the positional
 * arguments are left in argv[optind..]. Returns -1 to go on, else an exit
 * status. */
static int parse_opts(int argc, char **argv, const char *cmd, struct opts *o)
{
	double d;
	int c, idx = 0;

	while ((c = getopt_long(argc, argv, cmd ? "h" : "+h", long_opts, &idx)) != -1) {
		/* (the option's name: argv[optind - 1] is its value when apart) */
		if (c >= OPT_INSTANCE && c != OPT_HELP && (!cmd || !allowed(cmd, c)))
			return usage_error("option '--%s' not valid %s%s", long_opts[idx].name,
			                   cmd ? "for " : "before a command", cmd ? cmd : "");
		switch (c) {
		case OPT_SOCKET:
			o->socket = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_TIMEOUT:
			/* After fanout: how long each command may run. */
			if (cmd && strcmp(cmd, "fanout") == 0) {
				if (duration_parse(optarg, &o->run.timeout_ms) < 0)
					return usage_error(
					        "invalid --timeout '%s' (500ms, 30s, 2m; 0: none)",
					        optarg);
				o->run.timeout_set = true;
				break;
			}
			if (parse_number(optarg, &d) < 0 || d < 0 || d > 3600000)
				return usage_error("invalid --timeout '%s'", optarg);
			o->timeout_ms = (int)d;
			break;
		case OPT_INSTANCE:
			o->filter.instance = optarg;
			break;
		case OPT_VERSION:
			o->filter.version = optarg;
			break;
		case OPT_TAG:
			if (o->filter.n_tags == MAX_ARGS)
				return usage_error("too many --tag options");
			o->tags[o->filter.n_tags++] = optarg;
			break;
		case OPT_TXT: {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg)
				return usage_error("--txt wants KEY=VALUE, not '%s'", optarg);
			if (o->filter.n_txt == MAX_ARGS)
				return usage_error("too many --txt options");
			o->txt_keys[o->filter.n_txt] = strndup(optarg, (size_t)(eq - optarg));
			o->txt[o->filter.n_txt].key = o->txt_keys[o->filter.n_txt];
			o->txt[o->filter.n_txt].value = eq + 1;
			o->filter.n_txt++;
			break;
		}
		case OPT_FAMILY:
			if (strcmp(optarg, "ipv4") == 0)
				o->filter.family = LANYARD_FAMILY_IPV4;
			else if (strcmp(optarg, "ipv6") == 0)
				o->filter.family = LANYARD_FAMILY_IPV6;
			else
				return usage_error("--family wants ipv4 or ipv6, not '%s'", optarg);
			break;
		case OPT_DOMAIN:
			o->filter.domain = optarg;
			break;
		case OPT_ANY_DOMAIN:
			o->any_domain = true;
			break;
		case OPT_POLICY:
			o->policy = optarg;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case OPT_PREFER_LOCAL:
			o->prefer_local = true;
			break;
		case OPT_SERVICE:
			o->service = optarg;
			break;
		case OPT_LATENCY:
			if (parse_number(optarg, &o->latency_ms) < 0 || o->latency_ms < 0)
				return usage_error("invalid --latency '%s'", optarg);
			break;
		case OPT_OUTPUT:
		case OPT_REASON:
			o->text = optarg;
			break;
		case OPT_RETRIES:
			if (parse_number(optarg, &d) < 0 || d < 0 || d > CLI_EXEC_RETRIES_MAX ||
			    d != (unsigned)d)
				return usage_error("invalid --retries '%s' (0 to %d)", optarg,
				                   CLI_EXEC_RETRIES_MAX);
			o->run.retries = (unsigned)d;
			break;
		case OPT_PARALLEL:
			if (parse_number(optarg, &d) < 0 || d < 1 || d > CLI_FANOUT_PARALLEL_MAX ||
			    d != (unsigned)d)
				return usage_error("invalid --parallel '%s' (1 to %d)", optarg,
				                   CLI_FANOUT_PARALLEL_MAX);
			o->run.parallel = (unsigned)d;
			break;
		case OPT_MERGE:
			if (strcmp(optarg, "json") != 0)
				return usage_error("--merge wants json, not '%s'", optarg);
			o->run.merge_json = true;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_AVAHI_CONFIG:
			o->avahi_config = optarg;
			break;
		case 'h':
		case OPT_HELP:
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		default:
			return usage_error("invalid arguments");
		}
	}
	if (o->prefer_local && o->any_domain)
		return usage_error("--prefer-local and --any-domain cannot be combined");
	return -1;
}

/* ---- output ------------------------------------------------------------ */

/* Print the agent's last line, minus the request id that the library
 * added, through cli_put_json(): the same JSON, safe on a terminal. */
static void print_json_response(struct lanyard *h)
{
	char *line = lanyard_last_response(h);
	json_t *j = line ? json_loads(line, 0, NULL) : NULL;

	if (j) {
		json_object_del(j, "id");
		cli_put_json(stdout, j, JSON_COMPACT | JSON_REAL_PRECISION(16));
		putchar('\n');
	} else if (line) {
		/* not JSON (the library would have refused it): as text */
		char *s = cli_shown(line);

		puts(s ? s : "?");
		free(s);
	}
	free(line);
	json_decref(j);
	fflush(stdout);
}

/* ---- commands ------------------------------------------------------------ */

static int cmd_list(struct lanyard *h, struct opts *o)
{
	struct lanyard_instance_list *list;
	int r = lanyard_list(h, &o->filter, &list), status;

	if (r < 0)
		return cli_fail(h, r, "list");
	if (o->json)
		print_json_response(h);
	else if (list->n > 0)
		show_instances(stdout, list);
	else
		fprintf(stderr, "lanyard: no matching instance\n");
	status = list->n > 0 ? CLI_EXIT_OK : CLI_EXIT_NOTHING;
	lanyard_instance_list_free(list);
	return status;
}

static int cmd_resolve(struct lanyard *h, struct opts *o)
{
	struct lanyard_instance *in;
	int r = lanyard_resolve(h, &o->filter, o->policy, o->key,
	                        (o->prefer_local ? LANYARD_PREFER_LOCAL : 0) |
	                                (o->any_domain ? LANYARD_ANY_DOMAIN : 0),
	                        &in);

	if (r < 0) {
		if (o->json && r == LANYARD_E_NOT_FOUND)
			print_json_response(h);
		return cli_fail(h, r, "resolve");
	}
	if (o->json)
		print_json_response(h);
	else
		show_pick(stdout, in, o->filter.family);
	lanyard_instance_free(in);
	return CLI_EXIT_OK;
}

static int cmd_services(struct lanyard *h, struct opts *o)
{
	struct lanyard_service_list *list;
	int r = lanyard_services(h, &list), status;

	if (r < 0)
		return cli_fail(h, r, "services");
	if (o->json)
		print_json_response(h);
	else if (list->n > 0)
		show_services(stdout, list);
	else
		fprintf(stderr, "lanyard: no services known\n");
	status = list->n > 0 ? CLI_EXIT_OK : CLI_EXIT_NOTHING;
	lanyard_service_list_free(list);
	return status;
}

static int cmd_status(struct lanyard *h, struct opts *o)
{
	char *text;
	int r = lanyard_status(h, &text);

	if (r < 0)
		return cli_fail(h, r, "status");
	if (o->json)
		print_json_response(h);
	else
		show_status(stdout, text);
	free(text);
	return CLI_EXIT_OK;
}

static int cmd_watch(struct lanyard *h, struct opts *o)
{
	struct lanyard_event *ev;
	int r = lanyard_watch(h, &o->filter, NULL);

	if (r < 0)
		return cli_fail(h, r, "watch");
	if (o->json)
		print_json_response(h);
	for (;;) {
		r = lanyard_next_event(h, -1, &ev);
		if (r < 0)
			return cli_fail(h, r, "watch");
		if (o->json)
			print_json_response(h);
		else
			show_event(stdout, ev);
		fflush(stdout);
		lanyard_event_free(ev);
	}
}

static int cmd_report(struct lanyard *h, struct opts *o, const char *instance, const char *result)
{
	int r = lanyard_report(h, o->service, instance, strcmp(result, "ok") == 0, o->latency_ms);

	if (r < 0)
		return cli_fail(h, r, "report");
	if (o->json)
		print_json_response(h);
	return CLI_EXIT_OK;
}

static int cmd_check(struct lanyard *h, struct opts *o, const char *service, const char *status)
{
	enum lanyard_check_status st = strcmp(status, "pass") == 0   ? LANYARD_CHECK_PASS
	                               : strcmp(status, "warn") == 0 ? LANYARD_CHECK_WARN
	                                                             : LANYARD_CHECK_FAIL;
	int r = lanyard_check(h, service, st, o->text);

	if (r < 0)
		return cli_fail(h, r, "check");
	if (o->json)
		print_json_response(h);
	return CLI_EXIT_OK;
}

static int cmd_maint(struct lanyard *h, struct opts *o, const char *service, const char *state)
{
	int r = lanyard_maint(h, service, strcmp(state, "on") == 0, o->text);

	if (r < 0)
		return cli_fail(h, r, "maint");
	if (o->json)
		print_json_response(h);
	return CLI_EXIT_OK;
}

/* Check the positional arguments of CMD; SERVICE goes into the filter. */
static int check_args(const char *cmd, int n, char **args, struct opts *o)
{
	if (strcmp(cmd, "list") == 0 || strcmp(cmd, "watch") == 0) {
		if (n > 1)
			return usage_error("%s takes at most one SERVICE", cmd);
		o->filter.service = n ? args[0] : NULL;
	} else if (strcmp(cmd, "resolve") == 0) {
		if (n != 1)
			return usage_error("resolve takes exactly one SERVICE");
		o->filter.service = args[0];
	} else if (strcmp(cmd, "report") == 0) {
		if (n != 2 || (strcmp(args[1], "ok") != 0 && strcmp(args[1], "fail") != 0))
			return usage_error("usage: lanyard report INSTANCE ok|fail");
	} else if (strcmp(cmd, "check") == 0) {
		if (n != 2 || (strcmp(args[1], "pass") != 0 && strcmp(args[1], "warn") != 0 &&
		               strcmp(args[1], "fail") != 0))
			return usage_error(
			        "usage: lanyard check SERVICE pass|warn|fail [--output TEXT]");
	} else if (strcmp(cmd, "maint") == 0) {
		if (n != 2 || (strcmp(args[1], "on") != 0 && strcmp(args[1], "off") != 0))
			return usage_error("usage: lanyard maint SERVICE on|off [--reason TEXT]");
	} else if (strcmp(cmd, "exec") == 0 || strcmp(cmd, "fanout") == 0) {
		if (n != 1)
			return usage_error(
			        "usage: lanyard %s SERVICE [OPTIONS] -- COMMAND [ARG...]", cmd);
		if (o->run.argc == 0)
			return usage_error("%s: no COMMAND after '--'", cmd);
		if (o->json)
			return usage_error("--json is not valid for %s", cmd);
		o->filter.service = args[0];
	} else if (strcmp(cmd, "services") == 0 || strcmp(cmd, "status") == 0 ||
	           strcmp(cmd, "doctor") == 0) {
		if (n != 0)
			return usage_error("%s takes no arguments", cmd);
	} else {
		return usage_error("unknown command '%s'", cmd);
	}
	return -1;
}

/* Connect to the agent of O; an exit status on failure, else -1. */
static int open_agent(const struct opts *o, struct lanyard **h)
{
	int r = lanyard_open(o->socket, h);

	if (r < 0) {
		const char *path = o->socket ? o->socket : getenv("LANYARD_SOCKET");

		fprintf(stderr, "lanyard: cannot connect to %s: %s\n",
		        path && *path ? path : LANYARD_DEFAULT_SOCKET,
		        r == LANYARD_E_CONNECT ? strerror(errno) : lanyard_strerror(r));
		return CLI_EXIT_ERROR;
	}
	if (o->timeout_ms >= 0)
		lanyard_set_timeout(*h, o->timeout_ms);
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o = {.timeout_ms = -1, .latency_ms = -1};
	struct lanyard *h = NULL;
	const char *cmd;
	char **args;
	int r, n;

	r = parse_opts(argc, argv, NULL, &o);
	if (r >= 0)
		goto out;
	if (optind >= argc) {
		r = usage_error("missing command");
		goto out;
	}
	cmd = argv[optind];
	/* Parse the command's own options; optind = 0 makes glibc start
	 * afresh (permuting, unlike the "+" scan above). */
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "register") == 0) {
		/* Its own options, and a command after "--". */
		r = open_agent(&o, &h);
		if (r < 0)
			r = cli_register(argc, argv, h, o.json);
		goto out;
	}
	/* exec and fanout: the command after "--" is not parsed. */
	if (strcmp(cmd, "exec") == 0 || strcmp(cmd, "fanout") == 0) {
		for (n = 1; n < argc && strcmp(argv[n], "--") != 0; n++)
			;
		if (n == argc) {
			r = usage_error("%s: '--' must come before the COMMAND", cmd);
			goto out;
		}
		o.run.argv = argv + n + 1;
		o.run.argc = argc - n - 1;
		argc = n;
	}
	optind = 0;
	r = parse_opts(argc, argv, cmd, &o);
	if (r >= 0)
		goto out;
	n = argc - optind;
	args = argv + optind;
	r = check_args(cmd, n, args, &o);
	if (r >= 0)
		goto out;
	o.filter.tags = o.tags;
	o.filter.txt = o.txt;

	/* doctor connects by itself: an agent out of reach is a finding. */
	if (strcmp(cmd, "doctor") == 0) {
		struct cli_doctor_opts d = {.socket = o.socket,
		                            .config = o.config,
		                            .avahi_config = o.avahi_config,
		                            .timeout_ms = o.timeout_ms,
		                            .json = o.json};

		r = cli_doctor(&d);
		goto out;
	}
	r = open_agent(&o, &h);
	if (r >= 0)
		goto out;
	if (strcmp(cmd, "list") == 0)
		r = cmd_list(h, &o);
	else if (strcmp(cmd, "resolve") == 0)
		r = cmd_resolve(h, &o);
	else if (strcmp(cmd, "services") == 0)
		r = cmd_services(h, &o);
	else if (strcmp(cmd, "status") == 0)
		r = cmd_status(h, &o);
	else if (strcmp(cmd, "watch") == 0)
		r = cmd_watch(h, &o);
	else if (strcmp(cmd, "check") == 0)
		r = cmd_check(h, &o, args[0], args[1]);
	else if (strcmp(cmd, "maint") == 0)
		r = cmd_maint(h, &o, args[0], args[1]);
	else if (strcmp(cmd, "exec") == 0)
		r = cli_exec(h, &o.filter, o.policy, o.key,
		             (o.prefer_local ? LANYARD_PREFER_LOCAL : 0) |
		                     (o.any_domain ? LANYARD_ANY_DOMAIN : 0),
		             &o.run);
	else if (strcmp(cmd, "fanout") == 0)
		r = cli_fanout(h, &o.filter, &o.run);
	else
		r = cmd_report(h, &o, args[0], args[1]);
out:
	lanyard_close(h);
	for (size_t i = 0; i < o.filter.n_txt; i++)
		free(o.txt_keys[i]);
	return r;
}
