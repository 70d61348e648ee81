/* SPDX-License-Identifier: MIT */
/* lanyard doctor's checks of the host itself: interfaces up with
 * multicast, a packet filter that lets mDNS through, the NSS hosts line,
 * and the clock. */
#include <errno.h>
#include <glob.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "client/lanyard-doctor-firewall.h"
#include "client/lanyard-doctor-run.h"
#include "client/lanyard-doctor.h"
#include "config/config.h"

#define NSSWITCH_CONF     "/etc/nsswitch.conf"
#define FW_TIMEOUT_MS     5000
#define FW_OUTPUT_MAX     (64u * 1024 * 1024)
#define IFACES_MAX        64
#define CLOCK_UNSET_UNTIL 1577836800 /* 2020-01-01T00:00:00Z */

/* A bounded line being written. */
struct line {
	char s[1024];
	size_t n;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (l->n >= sizeof(l->s) - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(l->s + l->n, sizeof(l->s) - l->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		l->n += (size_t)k < sizeof(l->s) - l->n ? (size_t)k : sizeof(l->s) - 1 - l->n;
}

/* ---- interfaces -------------------------------------------------------- */

struct iface {
	char name[IF_NAMESIZE];
	unsigned flags;
	bool v4, v6;
};

static struct iface *iface_of(struct iface *t, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	if (*n == IFACES_MAX)
		return NULL;
	t[*n] = (struct iface){0};
	snprintf(t[*n].name, sizeof(t[*n].name), "%s", name);
	return &t[(*n)++];
}

/* Why avahi-daemon with C would not use I (avahi-core/iface-linux.c:
 * up, multicast, not loopback, point-to-point only when allowed, and an
 * address of a protocol it uses), or NULL if it would. */
static const char *unfit(const struct iface *i, const struct doctor_avahi_conf *c)
{
	if (!(i->flags & IFF_UP))
		return "down";
	if (i->flags & IFF_LOOPBACK)
		return "loopback";
	if (!(i->flags & IFF_MULTICAST))
		return "without the MULTICAST flag";
	if ((i->flags & IFF_POINTOPOINT) && !c->allow_point_to_point)
		return "point-to-point (allow-point-to-point is off)";
	if (!((c->use_ipv4 && i->v4) || (c->use_ipv6 && i->v6)))
		return "without an address of a protocol avahi-daemon uses";
	return NULL;
}

static const char *families(const struct iface *i)
{
	return i->v4 && i->v6 ? "IPv4, IPv6" : i->v4 ? "IPv4" : "IPv6";
}

/* Contract in lanyard-doctor.h. */
void doctor_check_interfaces(struct doctor *d)
{
	const struct doctor_avahi_conf *c = &d->avahi;
	struct iface t[IFACES_MAX];
	struct line good = {.n = 0}, bad = {.n = 0};
	struct ifaddrs *list, *a;
	struct doctor_finding *f;
	size_t n = 0;

	if (getifaddrs(&list) < 0) {
		doctor_add(d, "interfaces", DOCTOR_PROBLEM, "cannot list interfaces: %s",
		           strerror(errno));
		return;
	}
	for (a = list; a; a = a->ifa_next) {
		struct iface *i = iface_of(t, &n, a->ifa_name);

		if (!i)
			continue;
		i->flags |= a->ifa_flags;
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET)
			i->v4 = true;
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET6)
			i->v6 = true;
	}
	freeifaddrs(list);

	if (d->cfg && d->cfg->agent.n_interfaces > 0) {
		/* lanyardd was told which: each must be fit and used by avahi-daemon */
		for (size_t k = 0; k < d->cfg->agent.n_interfaces; k++) {
			const char *name = d->cfg->agent.interfaces[k];
			struct iface *i = NULL;
			const char *why;

			for (size_t j = 0; j < n && !i; j++)
				if (strcmp(t[j].name, name) == 0)
					i = &t[j];
			if (!i)
				add(&bad, "%s%s does not exist", bad.n ? "; " : "", name);
			else if ((why = unfit(i, c)))
				add(&bad, "%s%s is %s", bad.n ? "; " : "", name, why);
			else if (!doctor_avahi_conf_uses(c, name))
				add(&bad,
				    "%s%s is not used by avahi-daemon (allow-interfaces, "
				    "deny-interfaces)",
				    bad.n ? "; " : "", name);
			else
				add(&good, "%s%s (%s)", good.n ? ", " : "", name, families(i));
		}
		if (bad.n) {
			f = doctor_add(d, "interfaces", DOCTOR_PROBLEM, "agent.interfaces: %s",
			               bad.s);
			doctor_hint(
			        f,
			        "bring them up with multicast (ip link set DEV up multicast on), "
			        "or change agent.interfaces, or allow-interfaces in %s",
			        d->avahi_path);
		} else {
			doctor_add(d, "interfaces", DOCTOR_OK,
			           "agent.interfaces: %s up with multicast, used by avahi-daemon",
			           good.s);
		}
		return;
	}
	for (size_t j = 0; j < n; j++) {
		const char *why = unfit(&t[j], c);

		if (!doctor_avahi_conf_uses(c, t[j].name))
			continue;
		if (why)
			add(&bad, "%s%s is %s", bad.n ? "; " : "", t[j].name, why);
		else
			add(&good, "%s%s (%s)", good.n ? ", " : "", t[j].name, families(&t[j]));
	}
	if (!good.n) {
		f = doctor_add(
		        d, "interfaces", DOCTOR_PROBLEM,
		        "no interface avahi-daemon may use is up with multicast and an address "
		        "(%s)",
		        bad.n ? bad.s : "none");
		doctor_hint(f,
		            "bring one up (ip link set DEV up multicast on), and check "
		            "allow-interfaces and deny-interfaces in %s",
		            d->avahi_path);
		return;
	}
	doctor_add(d, "interfaces", DOCTOR_OK, "up with multicast, for avahi-daemon: %s", good.s);
}

/* ---- packet filter -------------------------------------------------------- */

/* Run TOOL's ARGV and feed its output to the reader; say what was read
 * in LOOKED, what could not be in FAILED. Returns true if it was read. */
static bool read_rules(struct doctor_fw_report *rep, const char *tool, char *const argv[], bool nft,
                       bool ipv6, bool nft_read, struct line *looked, struct line *failed,
                       bool *found)
{
	char path[512], err[256], *out = NULL;
	size_t len = 0;
	int r;

	if (doctor_find_program(tool, path, sizeof(path)) < 0)
		return false;
	*found = true;
	r = doctor_run(path, argv, FW_TIMEOUT_MS, FW_OUTPUT_MAX, &out, &len, err, sizeof(err));
	if (r != 0) {
		add(failed, "%s%s: %s", failed->n ? "; " : "", tool,
		    r < 0  ? strerror(-r)
		    : *err ? err
		           : "failed");
		free(out);
		return false;
	}
	if (nft) {
		r = doctor_fw_nft(rep, out, len, err, sizeof(err));
		if (r < 0)
			add(failed, "%s%s: %s", failed->n ? "; " : "", tool, err);
	} else if (nft_read && strstr(out, "nf_tables")) {
		/* iptables-nft: its rules are nft's, read already */
		add(looked, "%s%s (nf_tables: nft's rules)", looked->n ? ", " : "", tool);
		free(out);
		return true;
	} else {
		r = doctor_fw_iptables(rep, out, len, ipv6);
	}
	free(out);
	if (r == 0)
		add(looked, "%s%s", looked->n ? ", " : "", nft ? "nft -j list ruleset" : tool);
	return r == 0;
}

/* Contract in lanyard-doctor.h. */
void doctor_check_firewall(struct doctor *d)
{
	static char *const nft_argv[] = {"nft", "-j", "list", "ruleset", NULL};
	static char *const ipt_argv[] = {"iptables-save", NULL};
	static char *const ip6t_argv[] = {"ip6tables-save", NULL};
	struct doctor_fw_report rep = {0};
	struct line looked = {.n = 0}, failed = {.n = 0}, hits = {.n = 0};
	struct doctor_finding *f;
	bool found = false, nft_read, read4, read6;

	nft_read = read_rules(&rep, "nft", nft_argv, true, false, false, &looked, &failed, &found);
	read4 = read_rules(&rep, "iptables-save", ipt_argv, false, false, nft_read, &looked,
	                   &failed, &found);
	read6 = read_rules(&rep, "ip6tables-save", ip6t_argv, false, true, nft_read, &looked,
	                   &failed, &found);
	if (rep.n_hits) {
		for (unsigned i = 0; i < rep.n_hits && i < DOCTOR_FW_HITS_MAX; i++)
			add(&hits, "%s%s", i ? "; " : "", rep.hits[i]);
		if (rep.n_hits > DOCTOR_FW_HITS_MAX)
			add(&hits, "; and %u more", rep.n_hits - DOCTOR_FW_HITS_MAX);
		f = doctor_add(d, "firewall", DOCTOR_PROBLEM, "mDNS (UDP 5353) is dropped: %s",
		               hits.s);
		doctor_hint(f,
		            "delete those rules, or accept mDNS before them (nft add rule inet "
		            "filter input udp dport 5353 accept; iptables -I INPUT -p udp --dport "
		            "5353 -j ACCEPT; ip6tables too); list them with nft -a list ruleset or "
		            "iptables -S");
		return;
	}
	if (!found) {
		f = doctor_add(d, "firewall", DOCTOR_INFO,
		               "neither nft nor iptables-save is installed: the packet filter was "
		               "not read");
		doctor_hint(f, "if this host filters packets, let UDP 5353 to 224.0.0.251 and "
		               "ff02::fb through, in and out");
		return;
	}
	if (!nft_read && !read4 && !read6) {
		f = doctor_add(d, "firewall", DOCTOR_INFO,
		               "the packet filter could not be read: %s", failed.s);
		doctor_hint(f, "run lanyard doctor as root to read it");
		return;
	}
	doctor_add(d, "firewall", DOCTOR_OK,
	           "no rule drops mDNS (UDP 5353 to 224.0.0.251, ff02::fb): read %s: %u tables, "
	           "%u input/output chains, %u rules%s%s%s",
	           looked.s, rep.tables, rep.chains, rep.rules,
	           rep.not_followed ? ", jumps to other chains not followed" : "",
	           failed.n ? "; not read: " : "", failed.s);
}

/* ---- NSS ------------------------------------------------------------------- */

static bool nss_module_installed(char *path, size_t size)
{
	static const char *const patterns[] = {"/lib/libnss_lanyard.so.2",
	                                       "/usr/lib/libnss_lanyard.so.2",
	                                       "/lib64/libnss_lanyard.so.2",
	                                       "/usr/lib64/libnss_lanyard.so.2",
	                                       "/usr/local/lib/libnss_lanyard.so.2",
	                                       "/lib/*-linux-*/libnss_lanyard.so.2",
	                                       "/usr/lib/*-linux-*/libnss_lanyard.so.2"};
	bool found = false;

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]) && !found; i++) {
		glob_t g;

		if (glob(patterns[i], 0, NULL, &g) == 0 && g.gl_pathc > 0) {
			snprintf(path, size, "%s", g.gl_pathv[0]);
			found = true;
		}
		globfree(&g);
	}
	return found;
}

/* Contract in lanyard-doctor.h. */
void doctor_check_nss(struct doctor *d)
{
	char *text = NULL, *line = NULL, *save = NULL, *tok, module[512] = "";
	struct line hosts = {.n = 0};
	bool lanyard = false, mdns = false, dns_first = false, action_first = false, installed,
	     has_line;
	struct doctor_finding *f;
	size_t len;
	int r;

	installed = nss_module_installed(module, sizeof(module));
	r = doctor_read_file(NSSWITCH_CONF, 1024 * 1024, &text, &len);
	if (r < 0) {
		f = doctor_add(d, "nss", DOCTOR_INFO,
		               "cannot read " NSSWITCH_CONF
		               " (%s): NAME.lanyard is not resolved by "
		               "getaddrinfo",
		               strerror(-r));
		doctor_hint(f, "optional: see lanyard(1), \"Troubleshooting\"");
		return;
	}
	for (char *p = text; p && !line;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		p += strspn(p, " \t");
		if (strncmp(p, "hosts:", 6) == 0)
			line = p + 6;
		p = nl ? nl + 1 : NULL;
	}
	has_line = line != NULL;
	if (line)
		line[strcspn(line, "#")] = '\0';
	for (tok = line ? strtok_r(line, " \t", &save) : NULL; tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		add(&hosts, " %s", tok);
		if (strcmp(tok, "lanyard") == 0)
			lanyard = true;
		else if (strncmp(tok, "mdns", 4) == 0)
			mdns = true;
		else if (strcmp(tok, "dns") == 0 && !lanyard)
			dns_first = true;
		else if (tok[0] == '[' && strstr(tok, "=return") && !lanyard)
			action_first = true; /* e.g. resolve [!UNAVAIL=return] */
	}
	free(text);
	if (lanyard && installed) {
		f = doctor_add(d, "nss", dns_first || action_first ? DOCTOR_INFO : DOCTOR_OK,
		               "hosts:%s: NAME.lanyard resolves through lanyardd (%s)", hosts.s,
		               module);
		if (dns_first || action_first)
			doctor_hint(f, "put lanyard right after files on the hosts: line, so that "
			               "NAME.lanyard is neither asked of DNS servers first nor "
			               "stopped by an earlier [...=return] action");
	} else if (lanyard) {
		f = doctor_add(d, "nss", DOCTOR_INFO,
		               "hosts:%s names lanyard, but libnss_lanyard.so.2 is not installed "
		               "(glibc skips it)",
		               hosts.s);
		doctor_hint(f, "install lanyard's NSS module, or take lanyard off the hosts: line");
	} else {
		f = doctor_add(
		        d, "nss", DOCTOR_INFO,
		        "NAME.lanyard lookups are not enabled (hosts:%s; libnss_lanyard.so.2 "
		        "%s)%s",
		        has_line ? hosts.s : " none", installed ? "installed" : "not installed",
		        mdns ? "; .local names through nss-mdns" : "");
		doctor_hint(
		        f,
		        "optional: %sadd lanyard before dns on the hosts: line of " NSSWITCH_CONF
		        " for getaddrinfo(\"payments.lanyard\")",
		        installed ? "" : "install libnss_lanyard.so.2 and ");
	}
}

/* ---- clock -------------------------------------------------------------- */

/* Contract in lanyard-doctor.h. adjtimex(2) rather than timedatectl: the
 * kernel's own word (what timedatectl's NTPSynchronized reads), without
 * systemd, and read-only with modes 0. */
void doctor_check_clock(struct doctor *d)
{
	struct timex tx = {.modes = 0};
	struct doctor_finding *f;
	char when[64];
	struct tm tm;
	time_t now = time(NULL);
	int st;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (now < CLOCK_UNSET_UNTIL) {
		f = doctor_add(d, "clock", DOCTOR_PROBLEM, "the clock says %s: it was never set",
		               when);
		doctor_hint(f, "set it (an NTP client such as chrony or systemd-timesyncd, or "
		               "date -s): https checks fail on certificate dates and status times "
		               "are wrong until then");
		return;
	}
	st = adjtimex(&tx);
	if (st < 0) {
		doctor_add(d, "clock", DOCTOR_INFO, "%s; adjtimex: %s", when, strerror(errno));
	} else if (st == TIME_ERROR || (tx.status & STA_UNSYNC)) {
		f = doctor_add(
		        d, "clock", DOCTOR_INFO,
		        "%s, not synchronised to a time source (adjtimex: STA_UNSYNC, maximum "
		        "error %ld ms)",
		        when, tx.maxerror / 1000);
		doctor_hint(f,
		            "run an NTP client (chrony or systemd-timesyncd): lanyardd times its "
		            "work on the monotonic clock, but status times, logs and certificate "
		            "checks use this one");
	} else {
		doctor_add(d, "clock", DOCTOR_OK,
		           "%s, synchronised (adjtimex: estimated error %ld us, maximum %ld ms)",
		           when, tx.esterror, tx.maxerror / 1000);
	}
}
