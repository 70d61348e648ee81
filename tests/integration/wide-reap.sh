#!/bin/bash
# SPDX-License-Identifier: MIT
# DNS servers keep no leases: lanyardd on h2 and h3 publish into knotd's
# zone on h1 with a 2 s refresh; h2's lanyardd is SIGKILLed (no goodbye);
# within 3 x refresh + 5 s h3 has deleted every record h2 left (PTR,
# subtype PTR, SRV, TXT, address, heartbeat, index line, and its type's
# _services._dns-sd._udp PTR, which no other host uses) and says so in
# status, while h3's own records stay.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-knot.sh"

knot_test_setup
lab_up 3
a1=$(host_addr h1)
Z=lan-a.sd.example
knot_primary h1 "$Z"

dig() { on h3 kdig +short +time=1 +retry=0 "@$a1" "$1" "$2" 2>/dev/null | sort; }

for h in h2:payments:8443 h3:ledger:5432; do
	IFS=: read -r host name port <<<"$h"
	cat >"$T/$host.yaml" <<YAML
agent:
  user: root
  wide_area:
    zone: $Z
    server: $a1
    tsig_key: $T/tsig.key
    refresh: 2s
services:
  - name: $name
    port: $port
    subtypes: [_api]
YAML
	agent_start "$host" "$T/$host.yaml"
done

h2_there() {
	[ -n "$(dig "payments@h2._payments._tcp.$Z" SRV)" ] && [ -n "$(dig h2._lanyard.$Z TXT)" ] &&
		[ -n "$(dig _api._sub._payments._tcp.$Z PTR)" ] && [ -n "$(dig h2.$Z A)" ]
}
h2_gone() {
	[ -z "$(dig _payments._tcp.$Z PTR)" ] && [ -z "$(dig "payments@h2._payments._tcp.$Z" SRV)" ] &&
		[ -z "$(dig "payments@h2._payments._tcp.$Z" TXT)" ] &&
		[ -z "$(dig _api._sub._payments._tcp.$Z PTR)" ] && [ -z "$(dig h2.$Z A)" ] &&
		[ -z "$(dig h2._lanyard.$Z TXT)" ] && [ -z "$(dig h2._lanyard.$Z PTR)" ] &&
		! dig _hosts._lanyard.$Z PTR | grep -q '^h2\._lanyard' &&
		! dig _services._dns-sd._udp.$Z PTR | grep -q '^_payments\._tcp'
}
h3_there() {
	[ "$(dig "ledger@h3._ledger._tcp.$Z" SRV)" = "0 0 5432 h3.$Z." ] &&
		[ "$(dig _api._sub._ledger._tcp.$Z PTR)" = "ledger\\@h3._ledger._tcp.$Z." ] &&
		[ -n "$(dig h3._lanyard.$Z TXT)" ] && [ -n "$(dig h3.$Z A)" ] &&
		dig _services._dns-sd._udp.$Z PTR | grep -q "^_ledger\._tcp\.$Z\.\$"
}
wait_for 10 eval 'h2_there && h3_there' || fail "h2's and h3's records did not appear"
dig _services._dns-sd._udp.$Z PTR | grep -q "^_payments\._tcp\.$Z\.\$" ||
	fail "no _services PTR for _payments._tcp: $(dig _services._dns-sd._udp.$Z PTR)"
[ "$(dig _hosts._lanyard.$Z PTR | tr '\n' ' ')" = "h2._lanyard.$Z. h3._lanyard.$Z. " ] ||
	fail "index: $(dig _hosts._lanyard.$Z PTR)"
# Both refresh their heartbeats: wait for a second one of h2's.
hb0=$(dig h2._lanyard.$Z TXT)
wait_for 5 eval '[ "$(dig h2._lanyard.$Z TXT)" != "$hb0" ]' || fail "h2's heartbeat does not move: $hb0"

# Live hosts are left alone: after those rounds nothing was reaped.
for h in h2 h3; do
	[ "$(on $h "$LANYARD" --json status | jq -r '(.status // .).wide_area.reaped')" = 0 ] ||
		fail "$h reaped a live host"
done

# --- h2 dies without a word --------------------------------------------------------
t0=$(now)
kill -KILL "${AGENT_PID[h2]}"
wait "${AGENT_PID[h2]}" 2>/dev/null
unset "AGENT_PID[h2]"
wait_for 11 h2_gone || fail "h2's records still in $Z 11 s (3 x refresh + 5 s) after it died: SRV '$(dig "payments@h2._payments._tcp.$Z" SRV)' hb '$(dig h2._lanyard.$Z TXT)'"
timing kill_to_reaped "$(ms_between "$t0" "$(now)")"
h3_there || fail "h3's own records went too"
agent_alive h3 || fail "lanyardd on h3 is gone"
on h3 test -S /run/lanyard/lanyard.sock || fail "h3's socket is gone: $(on h3 ls -la /run/lanyard 2>&1)"
[ "$(on h3 "$LANYARD" --json status | jq -r '(.status // .).wide_area.reaped')" = 1 ] ||
	fail "h3's status does not count the reaping: $(on h3 "$LANYARD" --json status | jq -c '(.status // .).wide_area')"

agent_stop h3 || fail "lanyardd on h3 exited $AGENT_RC on SIGTERM"
exit 0
