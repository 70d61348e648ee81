#!/bin/bash
# SPDX-License-Identifier: MIT
# lanyardd publishes its declared services: a peer's avahi-browse sees each with its type, subtype, port, address and exactly the declared TXT.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

skip_unless_root_netns
need_lanyardd
lab_up 2
a1=$(host_addr h1)

cat >"$T/h1.yaml" <<'YAML'
services:
  - name: payments
    port: 8443
    instance: "payments@%h"
    version: 2.4.1
    weight: 10
    tags: [eu, primary]
    txt: {path: /v2}
    subtypes: [_api]
  - name: web
    type: _http._tcp
    port: 8080
    priority: 1
    txt:
      path: /
      env: test lab
  - name: cache
    port: 6379
    version: 7.0.0
    weight: 3
    priority: 2
    tags: [redis]
YAML

# Expected, as `resolved` prints it (TXT strings sorted). The default
# instance name is "<name>@<host name>".
exp_payments="payments@h1|_payments._tcp|h1.local|$a1|8443|path=/v2|priority=0|tags=eu,primary|version=2.4.1|weight=10"
exp_web="web@h1|_http._tcp|h1.local|$a1|8080|env=test lab|path=/|priority=1|weight=1"
exp_cache="cache@h1|_cache._tcp|h1.local|$a1|6379|priority=2|tags=redis|version=7.0.0|weight=3"

browse_record h2 all "$T/h2.rec"
t0=$(now)
agent_start h1 "$T/h1.yaml"

all_seen() {
	[ -n "$(rec_first "$T/h2.rec" = payments@h1 _payments._tcp)" ] &&
		[ -n "$(rec_first "$T/h2.rec" = web@h1 _http._tcp)" ] &&
		[ -n "$(rec_first "$T/h2.rec" = cache@h1 _cache._tcp)" ]
}
wait_for 10 all_seen || fail "h2 did not resolve all three services within 10 s"
agent_alive h1 || fail "lanyardd exited"
slowest=0
for s in payments:_payments._tcp web:_http._tcp cache:_cache._tcp; do
	ms=$(ms_between "$t0" "$(rec_first "$T/h2.rec" = "${s%%:*}@h1" "${s#*:}")")
	timing "start_to_resolvable_${s%%:*}" "$ms"
	[ "$ms" -gt "$slowest" ] && slowest=$ms
done
timing start_to_resolvable "$slowest"

# What a fresh browser on h2 sees, exactly.
got=$(resolved h2 _payments._tcp)
[ "$got" = "$exp_payments" ] || fail "payments on h2: got '$got', expected '$exp_payments'"
got=$(resolved h2 _http._tcp)
[ "$got" = "$exp_web" ] || fail "web on h2: got '$got', expected '$exp_web'"
got=$(resolved h2 _cache._tcp)
[ "$got" = "$exp_cache" ] || fail "cache on h2: got '$got', expected '$exp_cache'"

# TXT order on the wire: version, weight, priority, tags, then the user's
# pairs in file order, exactly as `avahi-publish -s ... version=.. weight=..`
# would put them (avahi-browse prints the strings in reverse order).
raw=$(avahi_browse_once h2 _payments._tcp | grep '^=;[^;]*;IPv4;' | cut -d';' -f10-)
[ "$raw" = '"path=/v2" "tags=eu,primary" "priority=0" "weight=10" "version=2.4.1"' ] ||
	fail "payments TXT order on the wire: $raw"

# The subtype is browsable.
got=$(resolved h2 _api._sub._payments._tcp | cut -d'|' -f1,4,5)
[ "$got" = "payments@h1|$a1|8443" ] || fail "subtype _api._sub._payments._tcp on h2: '$got'"
# Nothing else of h1's is announced.
others=$(resolved h2 all | grep -F "|h1.local|" | cut -d'|' -f1,2 | grep -v -e '^payments@h1|_payments._tcp$' -e '^web@h1|_http._tcp$' -e '^cache@h1|_cache._tcp$')
[ -z "$others" ] || fail "h1 announces more than declared: $others"

agent_stop h1 || fail "lanyardd exited $AGENT_RC on SIGTERM"
exit 0
