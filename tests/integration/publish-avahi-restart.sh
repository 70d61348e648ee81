#!/bin/bash
# SPDX-License-Identifier: MIT
# lanyardd survives avahi-daemon going away: services come back after a restart, and an agent started before avahi-daemon publishes once it runs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

skip_unless_root_netns
need_lanyardd
lab_up 3
a1=$(host_addr h1)
a3=$(host_addr h3)

for h in h1 h3; do
	cat >"$T/$h.yaml" <<'YAML'
services:
  - name: orders
    port: 9000
    version: 1.0.0
    txt: {path: /orders}
  - name: ledger
    port: 9001
YAML
done

# sees HOST ADDR: h2 resolves both services of HOST at ADDR.
sees() {
	local o l
	o=$(resolved h2 _orders._tcp | cut -d'|' -f1,4,5)
	l=$(resolved h2 _ledger._tcp | cut -d'|' -f1,4,5)
	printf '%s\n' "$o" | grep -qx "orders@$1|$2|9000" && printf '%s\n' "$l" | grep -qx "ledger@$1|$2|9001"
}
gone() {
	! resolved h2 _orders._tcp | grep -q "|$2|" && ! resolved h2 _ledger._tcp | grep -q "|$2|"
}

# 1. avahi-daemon restarts under a running lanyardd.
agent_start h1 "$T/h1.yaml"
wait_for 30 sees h1 "$a1" || fail "h2 does not see h1's services"
pid=${AGENT_PID[h1]}
browse_record h2 _orders._tcp "$T/h2.rec"
"$NETLAB" avahi-stop "$LAB" h1 || fail "avahi-stop h1"
# avahi-daemon says goodbye for everything when it stops.
wait_for 30 gone h1 "$a1" || fail "services still on h2 with h1's avahi-daemon stopped"
agent_alive h1 || fail "lanyardd exited when avahi-daemon stopped"
t0=$(now)
"$NETLAB" avahi-start "$LAB" h1 || fail "avahi-start h1"
t1=$(now)
wait_for 30 sees h1 "$a1" || fail "services not back on h2 after avahi-daemon restarted (lanyardd not restarted)"
[ "${AGENT_PID[h1]}" = "$pid" ] && agent_alive h1 || fail "lanyardd on h1 is not the same process"
back=$(rec_first "$T/h2.rec" = orders@h1 _orders._tcp "$t0")
[ -n "$back" ] || fail "no resolve of orders@h1 recorded after the restart"
timing avahi_start_to_resolvable "$(ms_between "$t0" "$back")"
timing avahi_ready_to_resolvable "$(ms_between "$t1" "$back")"
# And once more, with a restart in one go (no pause while the daemon is away).
"$NETLAB" avahi-restart "$LAB" h1 || fail "avahi-restart h1"
wait_for 30 sees h1 "$a1" || fail "services not back on h2 after avahi-restart"
agent_alive h1 || fail "lanyardd exited across avahi-restart"

# 2. lanyardd starts while avahi-daemon is not running.
"$NETLAB" avahi-stop "$LAB" h3 || fail "avahi-stop h3"
agent_start h3 "$T/h3.yaml"
pid3=${AGENT_PID[h3]}
# It found avahi-daemon missing and said it waits; the same process must
# still be there once avahi-daemon runs and publish (checked below).
wait_for 30 grep -q 'avahi: connecting: ' "$(agent_log h3)" ||
	fail "lanyardd on h3 does not say it waits for avahi-daemon: $(tail -n 5 "$(agent_log h3)")"
agent_alive h3 || fail "lanyardd exits when avahi-daemon is not running (must wait for it)"
gone h3 "$a3" || fail "h3's services visible with no avahi-daemon on h3?"
t0=$(now)
"$NETLAB" avahi-start "$LAB" h3 || fail "avahi-start h3"
wait_for 30 sees h3 "$a3" || fail "h3's services never appeared after avahi-daemon started"
[ "${AGENT_PID[h3]}" = "$pid3" ] && agent_alive h3 || fail "lanyardd on h3 is not the process that waited for avahi-daemon"
timing late_avahi_start_to_resolvable "$(ms_between "$t0" "$(rec_first "$T/h2.rec" = orders@h3 _orders._tcp "$t0")")"
agent_alive h3 || fail "lanyardd on h3 exited"

agent_stop h1 || fail "lanyardd on h1 exited $AGENT_RC"
agent_stop h3 || fail "lanyardd on h3 exited $AGENT_RC"
exit 0
