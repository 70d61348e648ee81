/* SPDX-License-Identifier: MIT */
/* lanyard doctor's pure readers: avahi-daemon.conf as avahi-daemon reads
 * it, and packet filter rules (nft JSON, iptables-save text, samples in
 * tests/data/doctor/ taken from real nft and iptables) against mDNS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lanyard-doctor-avahi.h"
#include "client/lanyard-doctor-firewall.h"
#include "tests/unit/tap.h"

/* The file NAME of tests/data/doctor (the current directory), whole. */
static char *slurp(const char *name, size_t *ret_len)
{
	FILE *f = fopen(name, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f) {
		FAIL("cannot open %s", name);
		*ret_len = 0;
		return strdup("");
	}
	do {
		char *nb = realloc(buf, cap + 4096 + 1);

		if (!nb)
			abort();
		buf = nb;
		cap += 4096;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

/* ---- avahi-daemon.conf ------------------------------------------------------ */

static int parse_file(struct doctor_avahi_conf *c, const char *name, char *err, size_t errlen)
{
	size_t len;
	char *text = slurp(name, &len);
	int r = doctor_avahi_conf_parse(c, text, len, err, errlen);

	free(text);
	return r;
}

static int parse_text(struct doctor_avahi_conf *c, const char *text, char *err, size_t errlen)
{
	return doctor_avahi_conf_parse(c, text, strlen(text), err, errlen);
}

static void test_avahi_stock(void)
{
	struct doctor_avahi_conf c;
	char err[256];

	/* Debian's file: every limit commented out, so the defaults hold */
	doctor_avahi_conf_init(&c);
	CHECK_INT_EQ(parse_file(&c, "avahi-debian.conf", err, sizeof(err)), 0);
	CHECK_INT_EQ(c.objects_per_client_max, 1024);
	CHECK_INT_EQ(c.cache_entries_max, 4096);
	CHECK(!c.objects_set && !c.cache_set);
	CHECK(c.use_ipv4 && c.use_ipv6);
	CHECK(c.allow_interfaces == NULL && c.deny_interfaces == NULL);
	CHECK(doctor_avahi_conf_uses(&c, "eth0"));
	doctor_avahi_conf_clear(&c);
}

static void test_avahi_tuned(void)
{
	struct doctor_avahi_conf c;
	char err[256];

	/* what scripts/netlab writes for NETLAB_AVAHI=tuned, and more */
	doctor_avahi_conf_init(&c);
	CHECK_INT_EQ(parse_file(&c, "avahi-tuned.conf", err, sizeof(err)), 0);
	CHECK_INT_EQ(c.objects_per_client_max, 65536);
	CHECK_INT_EQ(c.cache_entries_max, 0x10000); /* written 0x10000: strtoul base 0 */
	CHECK(c.objects_set && c.cache_set);
	CHECK(c.use_ipv4 && !c.use_ipv6);
	CHECK(c.allow_interfaces && c.allow_interfaces[0] && c.allow_interfaces[1] &&
	      !c.allow_interfaces[2]);
	CHECK_STR_EQ(c.allow_interfaces[0], "eth0");
	CHECK_STR_EQ(c.allow_interfaces[1], "wlan0");
	CHECK(doctor_avahi_conf_uses(&c, "ETH0")); /* without case, as avahi-core */
	CHECK(!doctor_avahi_conf_uses(&c, "docker0"));
	CHECK(!doctor_avahi_conf_uses(&c, "lo"));
	doctor_avahi_conf_clear(&c);
}

static void test_avahi_rules(void)
{
	struct doctor_avahi_conf c;
	char err[256];

	/* keys without case; untrimmed keys are other keys; later wins */
	doctor_avahi_conf_init(&c);
	CHECK_INT_EQ(parse_text(&c,
	                        "  # comment\n% also a comment\n[SERVER]\nCache-Entries-Max=100\n"
	                        "objects-per-client-max =5\ncache-entries-max=200\r\n",
	                        err, sizeof(err)),
	             0);
	CHECK_INT_EQ(c.cache_entries_max, 200);
	CHECK_INT_EQ(c.objects_per_client_max, 1024);
	/* strtoul: leading blanks pass, trailing ones do not */
	CHECK_INT_EQ(parse_text(&c, "[server]\ncache-entries-max= 300\n", err, sizeof(err)), 0);
	CHECK_INT_EQ(c.cache_entries_max, 300);
	CHECK_INT_EQ(parse_text(&c, "[server]\ncache-entries-max=300 \n", err, sizeof(err)),
	             -EINVAL);
	CHECK_STR_EQ(err, "line 2: invalid cache-entries-max setting \"300 \"");
	CHECK_INT_EQ(parse_file(&c, "avahi-bad.conf", err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "line 4: invalid objects-per-client-max setting \"lots\"");
	CHECK_INT_EQ(parse_text(&c, "[server\n", err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "line 1: unclosed group header");
	CHECK_INT_EQ(parse_text(&c, "use-ipv4=no\n", err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "line 1: assignment outside a group");
	CHECK_INT_EQ(parse_text(&c, "[server]\nuse-ipv4\n", err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "line 2: missing assignment");
	CHECK_INT_EQ(parse_text(&c, "[server]\ncache-entries-max=-1\n", err, sizeof(err)), -EINVAL);
	CHECK_INT_EQ(parse_text(&c, "[server]\ncache-entries-max=4294967296\n", err, sizeof(err)),
	             -EINVAL);
	/* an empty list resets, a list adds (conf.d files after the main one) */
	CHECK_INT_EQ(parse_text(&c, "[server]\nallow-interfaces=a, b\nallow-interfaces= c ,,\n",
	                        err, sizeof(err)),
	             0);
	CHECK(c.allow_interfaces && c.allow_interfaces[2] && !c.allow_interfaces[3]);
	CHECK_STR_EQ(c.allow_interfaces[2], "c");
	CHECK_INT_EQ(parse_text(&c, "[server]\nallow-interfaces=\n", err, sizeof(err)), 0);
	CHECK(c.allow_interfaces == NULL);
	doctor_avahi_conf_clear(&c);
	CHECK_INT_EQ(c.cache_entries_max, 4096);
}

/* ---- packet filter ------------------------------------------------------------ */

enum src { NFT, IPT4, IPT6 };

/* Read NAME as SRC; expect N_HITS findings, and the first to contain
 * WANT (when given). */
static void fw_case(const char *name, enum src src, unsigned n_hits, const char *want)
{
	struct doctor_fw_report r = {0};
	char err[256] = "";
	size_t len;
	char *text = slurp(name, &len);
	int ret = src == NFT ? doctor_fw_nft(&r, text, len, err, sizeof(err))
	                     : doctor_fw_iptables(&r, text, len, src == IPT6);

	CHECK_MSG(ret == 0, "%s: %d %s", name, ret, err);
	CHECK_MSG(r.n_hits == n_hits, "%s: %u hits, expected %u; first: %s", name, r.n_hits, n_hits,
	          r.n_hits ? r.hits[0] : "-");
	if (want && r.n_hits)
		CHECK_MSG(strstr(r.hits[0], want), "%s: \"%s\" lacks \"%s\"", name, r.hits[0],
		          want);
	CHECK_MSG(r.tables > 0 || strstr(name, "empty"), "%s: no table read", name);
	free(text);
}

static void test_nft(void)
{
	struct doctor_fw_report r = {0};
	char err[256];

	fw_case("nft-empty.json", NFT, 0, NULL);
	/* udp dport 5353 drop, in an inet input chain */
	fw_case("nft-drop-5353.json", NFT, 1,
	        "nft table inet ldt chain input: rule handle 3: drop");
	fw_case("nft-drop-5353.json", NFT, 1, ": drop (IPv4, IPv6)");
	/* policy drop behind ssh and established: mDNS never gets in */
	fw_case("nft-policy-drop.json", NFT, 1, "policy drop, and no rule before it accepts");
	/* the same with udp dport 5353 accept: fine */
	fw_case("nft-policy-drop-mdns.json", NFT, 0, NULL);
	/* ... with only ip daddr 224.0.0.251 accept: IPv6 is still dropped */
	fw_case("nft-policy-drop-mdns4.json", NFT, 1, "(IPv6)");
	/* rules that name mDNS with other conditions count; others do not:
	 * iifname "eth9" udp dport 5353 drop (counts), ip saddr 10.0.0.0/8
	 * drop (does not), udp dport 53 drop, tcp dport 5353 drop, udp dport
	 * 5353 ct state established drop (do not), ip daddr 224.0.0.0/4 reject
	 * in an ip output chain, udp sport { 53, 5353 } drop, th dport
	 * 5000-6000 drop in a netdev ingress chain (count) */
	fw_case("nft-mixed.json", NFT, 4, "chain input: rule handle 3: drop (IPv4, IPv6)");
	/* forward chains are not this host's traffic */
	fw_case("nft-forward.json", NFT, 0, NULL);
	/* what iptables-nft writes (iptables -A INPUT -p udp --dport 5353 -j DROP) */
	fw_case("nft-iptables-nft.json", NFT, 1, "nft table ip filter chain INPUT");

	CHECK_INT_EQ(doctor_fw_nft(&r, "[1]", 3, err, sizeof(err)), -EINVAL);
	CHECK_INT_EQ(doctor_fw_nft(&r, "nope", 4, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not nft's JSON"));
}

static void test_iptables(void)
{
	fw_case("iptables-drop.txt", IPT4, 1,
	        "iptables -t filter chain INPUT: \"-A INPUT -p udp -m udp --dport 5353 -j DROP\"");
	fw_case("iptables-policy-drop.txt", IPT4, 1, "iptables -t filter chain INPUT: policy drop");
	fw_case("iptables-policy-drop-mdns.txt", IPT4, 0, NULL);
	/* multiport ranges, old-style negation, other ports, sources, FORWARD */
	fw_case("iptables-mixed.txt", IPT4, 2, "--dports 53,5350:5360");
	fw_case("ip6tables-drop.txt", IPT6, 1, "ip6tables -t filter chain INPUT");
	fw_case("ip6tables-drop.txt", IPT6, 1, "(IPv6)");
	/* another group, and tcp, are not mDNS */
	fw_case("ip6tables-other.txt", IPT6, 0, NULL);
}

int main(void)
{
	char *top = realpath(getenv("top_srcdir") ? getenv("top_srcdir") : ".", NULL);
	char *dir = NULL;

	if (!top || asprintf(&dir, "%s/tests/data/doctor", top) < 0 || chdir(dir) < 0) {
		fprintf(stderr, "cannot enter tests/data/doctor under %s\n", top ? top : ".");
		free(dir);
		free(top);
		return 1;
	}
	free(dir);
	free(top);
	test_avahi_stock();
	test_avahi_tuned();
	test_avahi_rules();
	test_nft();
	test_iptables();
	return test_summary();
}
