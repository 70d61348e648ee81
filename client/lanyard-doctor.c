/* SPDX-License-Identifier: MIT */
/* lanyard doctor: is this host fit to run lanyardd? One finding per line
 * (or one JSON object per line) about lanyardd, its configuration and
 * socket, avahi-daemon and its limits, then the host's (interfaces,
 * packet filter, NSS, clock: client/lanyard-doctor-host.c); exit 1 when
 * any finding is a problem. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "client/lanyard-cli.h"
#include "client/lanyard-doctor.h"
#include "client/lanyard.h"
#include "config/config.h"

#define STATUS_TIMEOUT_MS  5000
#define AVAHI_CONF_MAX     (1024 * 1024)
#define OBJECTS_NEAR_LIMIT 0.9 /* of objects-per-client-max */
#define CACHE_NEAR_LIMIT   0.8 /* of cache-entries-max */

/* ---- findings ------------------------------------------------------------ */

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

/* Contract in lanyard-doctor.h. */
struct doctor_finding *doctor_add(struct doctor *d, const char *check, enum doctor_status status,
                                  const char *fmt, ...)
{
	struct doctor_finding *items = realloc(d->items, (d->n + 1) * sizeof(*items)), *f;
	va_list ap;

	if (!items) {
		d->oom = true;
		return NULL;
	}
	d->items = items;
	f = &items[d->n];
	va_start(ap, fmt);
	*f = (struct doctor_finding){.check = check, .status = status, .message = vformat(fmt, ap)};
	va_end(ap);
	if (!f->message) {
		d->oom = true;
		return NULL;
	}
	d->n++;
	return f;
}

/* Contract in lanyard-doctor.h. */
void doctor_hint(struct doctor_finding *f, const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return;
	free(f->hint);
	va_start(ap, fmt);
	f->hint = vformat(fmt, ap);
	va_end(ap);
}

/* Contract in lanyard-doctor.h. */
int doctor_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r = 0;
	size_t len = 0;
	char *buf;

	*ret = NULL;
	*ret_len = 0;
	if (fd < 0)
		return -errno;
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = -EFBIG;
			break;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* ---- the agent's status ---------------------------------------------------- */

/* The member at PATH ("avahi.state") of the status, or NULL. */
static const json_t *status_at(const struct doctor *d, const char *path)
{
	const json_t *o = d->status;
	char buf[128], *save = NULL, *part;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); part && o; part = strtok_r(NULL, ".", &save))
		o = json_object_get(o, part);
	return o;
}

static const char *status_str(const struct doctor *d, const char *path)
{
	return json_string_value(status_at(d, path));
}

/* The number at PATH, or DEF when there is none. */
static double status_num(const struct doctor *d, const char *path, double def)
{
	const json_t *v = status_at(d, path);

	return json_is_number(v) ? json_number_value(v) : def;
}

static void check_agent(struct doctor *d)
{
	struct lanyard *h = NULL;
	struct doctor_finding *f;
	const char *version;
	char *text = NULL;
	int r = lanyard_open(d->socket_path, &h);

	if (r < 0) {
		int e = r == LANYARD_E_CONNECT ? errno : EINVAL;

		d->connect_errno = e;
		f = doctor_add(d, "agent", DOCTOR_PROBLEM, "cannot connect to lanyardd at %s: %s",
		               d->socket_path,
		               r == LANYARD_E_CONNECT ? strerror(e) : lanyard_strerror(r));
		if (e == ENOENT || e == ECONNREFUSED)
			doctor_hint(f,
			            "start it (systemctl start lanyardd); if it listens elsewhere, "
			            "give --socket PATH or set LANYARD_SOCKET");
		else if (e == EACCES || e == EPERM)
			doctor_hint(f, "this user may not use the socket: see the socket line");
		return;
	}
	lanyard_set_timeout(h, d->timeout_ms);
	r = lanyard_status(h, &text);
	if (r == 0)
		d->status = json_loads(text, 0, NULL);
	if (!d->status) {
		const char *why = lanyard_last_error(h);

		f = doctor_add(d, "agent", DOCTOR_PROBLEM,
		               "lanyardd at %s does not answer status: %s", d->socket_path,
		               *why ? why : lanyard_strerror(r < 0 ? r : LANYARD_E_PROTOCOL));
		doctor_hint(f, "it is busy or stuck: see its log (journalctl -u lanyardd)");
		goto out;
	}
	version = status_str(d, "agent.version");
	f = doctor_add(d, "agent", DOCTOR_OK, "lanyardd %s (pid %.0f, up %.0f s) answers on %s",
	               version ? version : "?", status_num(d, "agent.pid", 0),
	               status_num(d, "agent.uptime", 0), d->socket_path);
	if (f && version && strcmp(version, PACKAGE_VERSION) != 0) {
		f->status = DOCTOR_INFO;
		doctor_hint(f,
		            "this lanyard is %s: install lanyard and lanyardd of the same version",
		            PACKAGE_VERSION);
	}
out:
	free(text);
	lanyard_close(h);
}

/* ---- the configuration ----------------------------------------------------- */

struct doctor_cfg {
	const char *path;
	int r;
	struct lanyard_config *cfg;
	struct cfg_diags diags;
};

static void cfg_try(struct doctor_cfg *c, const char *path)
{
	c->path = path;
	c->r = cfg_load(path, &c->cfg, &c->diags);
}

static void cfg_drop(struct doctor_cfg *c)
{
	cfg_free(c->cfg);
	cfg_diags_clear(&c->diags);
	*c = (struct doctor_cfg){0};
}

/* The same validation as lanyardd --check-config: config/ is linked in. */
static void check_config(struct doctor *d, struct doctor_cfg *c)
{
	struct doctor_finding *f;
	const char *first = NULL;
	size_t warnings = c->diags.n - c->diags.n_errors;

	if (c->r == 0) {
		d->cfg = c->cfg;
		f = doctor_add(d, "config", DOCTOR_OK, "%s is valid: %zu service%s declared%s",
		               c->path, c->cfg->n_services, c->cfg->n_services == 1 ? "" : "s",
		               warnings ? ", with warnings" : "");
		if (warnings)
			doctor_hint(f, "lanyardd --check-config -c %s shows them", c->path);
		return;
	}
	if (c->r == -EACCES || c->r == -EPERM) {
		f = doctor_add(d, "config", DOCTOR_INFO, "cannot read %s as uid %u: not checked",
		               c->path, (unsigned)getuid());
		doctor_hint(f, "run lanyard doctor as root to check it");
		return;
	}
	if (c->r == -ENOENT) {
		f = doctor_add(d, "config", DOCTOR_PROBLEM, "no configuration file at %s", c->path);
		doctor_hint(f, "lanyardd does not start without one: create it (an empty file is "
		               "valid), or name yours with --config FILE");
		return;
	}
	for (size_t i = 0; i < c->diags.n && !first; i++)
		if (c->diags.items[i].is_error)
			first = c->diags.items[i].text;
	f = doctor_add(d, "config", DOCTOR_PROBLEM, "%s is not valid: %s%s", c->path,
	               first ? first : strerror(-c->r),
	               c->diags.n_errors > 1 ? " (and more errors)" : "");
	doctor_hint(f,
	            "lanyardd --check-config -c %s lists every error; fix them, then reload "
	            "(systemctl reload lanyardd)%s",
	            c->path,
	            d->status ? "; the running lanyardd keeps its last valid configuration" : "");
}

/* ---- the socket ---------------------------------------------------------- */

static bool in_group(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	if (getegid() == gid)
		return true;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* NAME (a group name or number, as agent.socket_group) is GID. */
static bool group_is(const char *name, gid_t gid)
{
	const struct group *gr;
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (*name && !*end && !errno)
		return n == gid;
	gr = getgrnam(name);
	return gr && gr->gr_gid == gid;
}

static void check_socket(struct doctor *d)
{
	const char *path = d->socket_path;
	struct doctor_finding *f;
	const struct passwd *pw;
	const struct group *gr;
	char owner[64], group[64], me[64], as[160];
	uid_t uid = getuid();
	struct stat st;
	bool can;

	if (stat(path, &st) < 0) {
		if (errno == EACCES) {
			f = doctor_add(
			        d, "socket", DOCTOR_PROBLEM,
			        "cannot reach %s: a directory on its path is closed to uid %u",
			        path, (unsigned)uid);
			doctor_hint(f, "the socket's directory must be searchable by its users "
			               "(mode 0755, as lanyardd makes it)");
		} else {
			f = doctor_add(d, "socket", DOCTOR_PROBLEM, "no socket at %s: %s", path,
			               strerror(errno));
			doctor_hint(f,
			            "lanyardd makes it when it starts (agent.socket, or --socket)");
		}
		return;
	}
	if (!S_ISSOCK(st.st_mode)) {
		f = doctor_add(d, "socket", DOCTOR_PROBLEM, "%s is not a socket", path);
		doctor_hint(f, "check agent.socket: lanyardd binds its socket there");
		return;
	}
	pw = getpwuid(st.st_uid);
	snprintf(owner, sizeof(owner), "%s", pw ? pw->pw_name : "?");
	gr = getgrgid(st.st_gid);
	snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : "?");
	if (!gr)
		snprintf(group, sizeof(group), "%u", (unsigned)st.st_gid);
	pw = getpwuid(uid);
	snprintf(me, sizeof(me), "%s", pw ? pw->pw_name : "?");
	if (uid == 0)
		snprintf(as, sizeof(as), "root");
	else if (st.st_uid == uid)
		snprintf(as, sizeof(as), "its owner");
	else if (in_group(st.st_gid))
		snprintf(as, sizeof(as), "a member of group %s", group);
	else
		snprintf(as, sizeof(as), "neither its owner nor a member of group %s", group);
	/* access() asks the kernel with this user's groups; a connect that
	 * failed with EACCES says the same. */
	can = access(path, W_OK) == 0 && d->connect_errno != EACCES && d->connect_errno != EPERM;
	if (can) {
		f = doctor_add(d, "socket", DOCTOR_OK,
		               "%s: mode %04o, owner %s, group %s; this user (%s, uid %u) may "
		               "connect, being %s",
		               path, (unsigned)(st.st_mode & 07777), owner, group, me,
		               (unsigned)uid, as);
	} else {
		f = doctor_add(d, "socket", DOCTOR_PROBLEM,
		               "this user (%s, uid %u) may not connect to %s: mode %04o, owner %s, "
		               "group %s, and this user is %s",
		               me, (unsigned)uid, path, (unsigned)(st.st_mode & 07777), owner,
		               group, as);
		if (st.st_mode & S_IWGRP)
			doctor_hint(
			        f,
			        "join group %s (usermod -aG %s %s, then log in again), or run as "
			        "root",
			        group, group, me);
		else
			doctor_hint(
			        f,
			        "only %s may connect: set agent.socket_mode \"0660\" and "
			        "agent.socket_group to a group of its users, then restart lanyardd",
			        owner);
	}
	if (f && d->cfg && d->cfg->agent.socket_group &&
	    !group_is(d->cfg->agent.socket_group, st.st_gid)) {
		f->status = DOCTOR_PROBLEM;
		doctor_hint(f,
		            "the socket's group is %s but agent.socket_group says \"%s\": restart "
		            "lanyardd to apply it",
		            group, d->cfg->agent.socket_group);
	}
}

/* ---- avahi-daemon ---------------------------------------------------------- */

static const char *avahi_state_name(int state)
{
	switch (state) {
	case DOCTOR_AVAHI_INVALID:
		return "invalid";
	case DOCTOR_AVAHI_REGISTERING:
		return "registering";
	case DOCTOR_AVAHI_RUNNING:
		return "running";
	case DOCTOR_AVAHI_COLLISION:
		return "collision";
	case DOCTOR_AVAHI_FAILURE:
		return "failure";
	}
	return "unknown";
}

/* avahi-daemon on the system bus, asked directly. */
static void check_avahi(struct doctor *d)
{
	struct doctor_bus *b = &d->bus;
	struct doctor_finding *f;

	doctor_bus_avahi(d->timeout_ms, b);
	if (!b->reachable) {
		f = doctor_add(d, "avahi", DOCTOR_PROBLEM, "%s (%s)", b->error, b->address);
		doctor_hint(f, "start the system bus (systemctl start dbus): avahi-daemon and "
		               "lanyardd talk over it");
	} else if (!b->owned) {
		f = doctor_add(
		        d, "avahi", DOCTOR_PROBLEM,
		        "avahi-daemon is not running: nobody owns org.freedesktop.Avahi on the "
		        "system bus%s%s",
		        *b->error ? ": " : "", b->error);
		doctor_hint(f, "start it (systemctl start avahi-daemon); lanyardd reconnects by "
		               "itself");
	} else if (b->state < 0) {
		f = doctor_add(d, "avahi", DOCTOR_PROBLEM,
		               "avahi-daemon (pid %u) is on the bus but: %s", (unsigned)b->pid,
		               b->error);
		doctor_hint(f,
		            "restart it (systemctl restart avahi-daemon); if it persists, see "
		            "whether /etc/dbus-1/system.d/avahi-dbus.conf lets this user ask it");
	} else if (b->state == DOCTOR_AVAHI_RUNNING) {
		doctor_add(d, "avahi", DOCTOR_OK, "%s (pid %u) is running, on the system bus (%s)",
		           *b->version ? b->version : "avahi-daemon", (unsigned)b->pid, b->address);
	} else if (b->state == DOCTOR_AVAHI_REGISTERING) {
		doctor_add(d, "avahi", DOCTOR_INFO,
		           "%s (pid %u) is registering its host name (state registering)",
		           *b->version ? b->version : "avahi-daemon", (unsigned)b->pid);
	} else {
		f = doctor_add(d, "avahi", DOCTOR_PROBLEM, "%s (pid %u) is in state %s",
		               *b->version ? b->version : "avahi-daemon", (unsigned)b->pid,
		               avahi_state_name(b->state));
		if (b->state == DOCTOR_AVAHI_COLLISION)
			doctor_hint(f, "another host on the LAN has this host name: rename one, or "
			               "set host-name in avahi-daemon.conf");
		else
			doctor_hint(f, "see its log (journalctl -u avahi-daemon) and restart it");
	}
}

/* lanyardd's own connection to avahi-daemon (status avahi.state). */
static void check_avahi_link(struct doctor *d)
{
	const char *state = status_str(d, "avahi.state");
	struct doctor_finding *f;

	if (!d->status) {
		doctor_add(d, "avahi-link", DOCTOR_INFO,
		           "lanyardd not reached: its connection to avahi-daemon is unknown");
		return;
	}
	if (!state) {
		doctor_add(d, "avahi-link", DOCTOR_INFO, "lanyardd's status has no avahi.state");
	} else if (strcmp(state, "running") == 0) {
		doctor_add(d, "avahi-link", DOCTOR_OK,
		           "lanyardd is connected to avahi-daemon (running), holds %.0f objects in "
		           "it, browsing %s",
		           status_num(d, "avahi.objects", 0),
		           json_is_true(status_at(d, "browsing.up")) ? "up" : "not up yet");
	} else if (strcmp(state, "registering") == 0) {
		doctor_add(d, "avahi-link", DOCTOR_INFO,
		           "lanyardd is connected to avahi-daemon, which is registering its host "
		           "name");
	} else if (strcmp(state, "connecting") == 0) {
		f = doctor_add(
		        d, "avahi-link", DOCTOR_PROBLEM,
		        "lanyardd cannot reach avahi-daemon (state connecting): its services "
		        "are not announced and what it lists is stale");
		if (d->bus.owned)
			doctor_hint(f, "avahi-daemon is on the bus now: lanyardd reconnects within "
			               "seconds; if it stays so, see lanyardd's log");
		else
			doctor_hint(f,
			            "start avahi-daemon (systemctl start avahi-daemon); lanyardd "
			            "reconnects by itself");
	} else {
		f = doctor_add(d, "avahi-link", DOCTOR_PROBLEM,
		               "lanyardd's connection to avahi-daemon is in state %s", state);
		doctor_hint(f, "see the logs of lanyardd and avahi-daemon (journalctl -u lanyardd "
		               "-u avahi-daemon)");
	}
}

static int conf_d_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".conf") == 0;
}

static void set_note(struct doctor *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How avahi-daemon's settings were read, for the messages. */
static void set_note(struct doctor *d, const char *fmt, ...)
{
	va_list ap;

	free(d->avahi_note);
	va_start(ap, fmt);
	d->avahi_note = vformat(fmt, ap);
	va_end(ap);
}

/* avahi-daemon's settings: its file (D->avahi_path), then, as newer
 * avahi-daemons do, FILE.d/ *.conf. (Which file a running avahi-daemon
 * was started with cannot be told: it writes its title over its
 * arguments in /proc/PID/cmdline.) */
static void read_avahi_conf(struct doctor *d)
{
	char *text = NULL, err[256], *dir = NULL;
	struct dirent **names = NULL;
	size_t len;
	int r, n;

	doctor_avahi_conf_init(&d->avahi);
	r = doctor_read_file(d->avahi_path, AVAHI_CONF_MAX, &text, &len);
	if (r < 0) {
		set_note(d, "%s unreadable (%s): avahi-daemon's defaults assumed", d->avahi_path,
		         strerror(-r));
		return;
	}
	r = doctor_avahi_conf_parse(&d->avahi, text, len, err, sizeof(err));
	free(text);
	if (r < 0) {
		set_note(d, "%s: %s (avahi-daemon refuses such a file)", d->avahi_path, err);
		return;
	}
	set_note(d, "from %s", d->avahi_path);
	if (asprintf(&dir, "%s.d", d->avahi_path) < 0)
		return;
	n = scandir(dir, &names, conf_d_filter, alphasort);
	for (int i = 0; i < n; i++) {
		char *file = NULL;

		if (asprintf(&file, "%s/%s", dir, names[i]->d_name) >= 0 &&
		    doctor_read_file(file, AVAHI_CONF_MAX, &text, &len) == 0) {
			doctor_avahi_conf_parse(&d->avahi, text, len, err, sizeof(err));
			free(text);
		}
		free(file);
		free(names[i]);
	}
	if (n > 0)
		set_note(d, "from %s and %s/", d->avahi_path, dir);
	free(names);
	free(dir);
}

/* avahi-daemon's limits against what lanyardd holds (docs/operations.md,
 * "Large LANs"). */
static void check_avahi_limits(struct doctor *d)
{
	const struct doctor_avahi_conf *c = &d->avahi;
	struct doctor_finding *f;
	double objects, instances, hosts, need;
	const json_t *met;
	char why[512] = "";
	size_t n = 0;

	read_avahi_conf(d);
	if (!d->status) {
		doctor_add(d, "avahi-limits", DOCTOR_INFO,
		           "objects-per-client-max %u, cache-entries-max %u (%s); lanyardd not "
		           "reached: nothing to compare with",
		           c->objects_per_client_max, c->cache_entries_max,
		           d->avahi_note ? d->avahi_note : "?");
		return;
	}
	objects = status_num(d, "avahi.objects", 0);
	instances = status_num(d, "cache.instances", 0);
	hosts = status_num(d, "browsing.hosts", 0);
	/* each instance: PTR, SRV and TXT records, and its host's addresses,
	 * in each interface and protocol's cache: a floor, since avahi-daemon
	 * caches what else the LAN says too */
	need = 3 * instances + 2 * hosts;
	met = status_at(d, "avahi.objects_max");
	if (json_is_number(met))
		n += (size_t)snprintf(why + n, sizeof(why) - n,
		                      "lanyardd met avahi-daemon's objects-per-client-max (%.0f): "
		                      "instances past it are refreshed every 30 s instead of "
		                      "followed live",
		                      json_number_value(met));
	else if (c->objects_per_client_max &&
	         objects >= OBJECTS_NEAR_LIMIT * c->objects_per_client_max)
		n += (size_t)snprintf(why + n, sizeof(why) - n,
		                      "lanyardd holds %.0f of avahi-daemon's %u objects per client",
		                      objects, c->objects_per_client_max);
	if (n < sizeof(why) && need >= CACHE_NEAR_LIMIT * c->cache_entries_max)
		snprintf(why + n, sizeof(why) - n,
		         "%s%.0f instances on %.0f hosts need at least %.0f of avahi-daemon's %u "
		         "cache "
		         "entries per interface and protocol: past them it drops records silently",
		         n ? "; " : "", instances, hosts, need, c->cache_entries_max);
	if (*why) {
		f = doctor_add(d, "avahi-limits", DOCTOR_PROBLEM, "%s (limits %s)", why,
		               d->avahi_note ? d->avahi_note : "?");
		doctor_hint(
		        f,
		        "raise objects-per-client-max and cache-entries-max in %s, then restart "
		        "avahi-daemon (docs/operations.md, \"Large LANs\")",
		        d->avahi_path);
		return;
	}
	doctor_add(d, "avahi-limits", DOCTOR_OK,
	           "lanyardd holds %.0f of %u objects per client (%.0f resolvers), caches %.0f "
	           "instances: about %.0f of %u cache entries per interface and protocol (limits "
	           "%s)",
	           objects, c->objects_per_client_max, status_num(d, "browsing.resolvers", 0),
	           instances, need, c->cache_entries_max, d->avahi_note ? d->avahi_note : "?");
}

/* ---- output -------------------------------------------------------------- */

static const char *const status_words[] = {
        [DOCTOR_OK] = "ok",
        [DOCTOR_INFO] = "info",
        [DOCTOR_PROBLEM] = "problem",
};

/* One finding per line; strings from outside (paths, names, the agent's
 * and the config's messages) through cli_shown(). */
static void print_lines(const struct doctor *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct doctor_finding *f = &d->items[i];
		char *line = NULL, *shown;

		if (asprintf(&line, "%-7s %-12s %s%s%s", status_words[f->status], f->check,
		             f->message, f->hint ? " -> " : "", f->hint ? f->hint : "") < 0)
			continue;
		shown = cli_shown(line);
		puts(shown ? shown : "?");
		free(shown);
		free(line);
	}
}

/* One JSON object per finding and line. */
static void print_json(const struct doctor *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct doctor_finding *f = &d->items[i];
		/* "s?": a NULL hint is null */
		json_t *o =
		        json_pack("{s:s, s:s, s:s, s:s?}", "check", f->check, "status",
		                  status_words[f->status], "message", f->message, "hint", f->hint);

		if (o && cli_put_json(stdout, o, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0)
			putchar('\n');
		json_decref(o);
	}
}

/* Contract in lanyard-cli.h. */
int cli_doctor(const struct cli_doctor_opts *o)
{
	struct doctor d = {.timeout_ms = o->timeout_ms >= 0 ? o->timeout_ms : STATUS_TIMEOUT_MS};
	struct doctor_cfg first = {0}, agents = {0};
	const char *env = getenv("LANYARD_SOCKET"), *running;
	const char *socket = o->socket, *config = o->config;
	size_t problems = 0;

	doctor_avahi_conf_init(&d.avahi);
	d.avahi_path = o->avahi_config ? o->avahi_config : DOCTOR_AVAHI_CONF_PATH;
	/* The socket: the command line's, the environment's, the one the
	 * configuration names, or the default. */
	cfg_try(&first, config ? config : LANYARD_DEFAULT_CONFIG);
	d.socket_path = socket        ? socket
	                : env && *env ? env
	                : first.cfg   ? first.cfg->agent.socket
	                              : LANYARD_DEFAULT_SOCKET;
	check_agent(&d);
	/* The configuration: the one named, else the one lanyardd runs with
	 * (when it names it absolutely: a relative path was lanyardd's own). */
	running = status_str(&d, "agent.config");
	if (!config && running && running[0] == '/' && strcmp(running, first.path) != 0) {
		cfg_try(&agents, running);
		check_config(&d, &agents);
	} else {
		check_config(&d, &first);
	}
	check_socket(&d);
	check_avahi(&d);
	check_avahi_link(&d);
	check_avahi_limits(&d);
	doctor_check_interfaces(&d);
	doctor_check_firewall(&d);
	doctor_check_nss(&d);
	doctor_check_clock(&d);

	if (o->json)
		print_json(&d);
	else
		print_lines(&d);
	fflush(stdout);
	for (size_t i = 0; i < d.n; i++)
		problems += d.items[i].status == DOCTOR_PROBLEM;
	if (d.oom)
		fprintf(stderr, "lanyard: doctor: out of memory, findings lost\n");
	else if (!o->json)
		fprintf(stderr, "lanyard doctor: %zu problem%s found\n", problems,
		        problems == 1 ? "" : "s");

	for (size_t i = 0; i < d.n; i++) {
		free(d.items[i].message);
		free(d.items[i].hint);
	}
	free(d.items);
	json_decref(d.status);
	doctor_avahi_conf_clear(&d.avahi);
	free(d.avahi_note);
	cfg_drop(&first);
	cfg_drop(&agents);
	return problems || d.oom ? CLI_EXIT_PROBLEMS : CLI_EXIT_OK;
}
