#!/bin/bash
# SPDX-License-Identifier: MIT
# SIGHUP reload publishes exactly the new set (added, removed, TXT and port changes) and never withdraws an unchanged service.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

skip_unless_root_netns
need_lanyardd
lab_up 2
a1=$(host_addr h1)

cat >"$T/before.yaml" <<'YAML'
services:
  - name: keep
    port: 5000
    version: 1.0.0
    tags: [stable]
    txt: {path: /keep}
  - name: txtsvc
    port: 5001
    version: 1.0.0
    txt: {mode: old}
  - name: portsvc
    port: 5002
  - name: gone
    port: 5003
YAML
cat >"$T/after.yaml" <<'YAML'
services:
  - name: keep
    port: 5000
    version: 1.0.0
    tags: [stable]
    txt: {path: /keep}
  - name: txtsvc
    port: 5001
    version: 1.1.0
    weight: 5
    txt: {mode: new, extra: "yes"}
  - name: portsvc
    port: 6002
  - name: added
    port: 5004
    tags: [fresh]
YAML
cp "$T/before.yaml" "$T/h1.yaml"

# view: every lab service h2 resolves from h1, one line each.
view() {
	local t
	for t in keep txtsvc portsvc gone added; do resolved h2 "_$t._tcp"; done | grep -F "|$a1|"
}
before="gone@h1|_gone._tcp|h1.local|$a1|5003|priority=0|weight=1
keep@h1|_keep._tcp|h1.local|$a1|5000|path=/keep|priority=0|tags=stable|version=1.0.0|weight=1
portsvc@h1|_portsvc._tcp|h1.local|$a1|5002|priority=0|weight=1
txtsvc@h1|_txtsvc._tcp|h1.local|$a1|5001|mode=old|priority=0|version=1.0.0|weight=1"
after="added@h1|_added._tcp|h1.local|$a1|5004|priority=0|tags=fresh|weight=1
keep@h1|_keep._tcp|h1.local|$a1|5000|path=/keep|priority=0|tags=stable|version=1.0.0|weight=1
portsvc@h1|_portsvc._tcp|h1.local|$a1|6002|priority=0|weight=1
txtsvc@h1|_txtsvc._tcp|h1.local|$a1|5001|extra=yes|mode=new|priority=0|version=1.1.0|weight=5"

agent_start h1 "$T/h1.yaml"
wait_for 10 eval '[ "$(view | sort)" = "$before" ]' || fail "before reload, h2 sees:
$(view | sort)"

browse_record h2 all "$T/h2.rec"
wait_for 5 eval '[ -n "$(rec_first "$T/h2.rec" = keep@h1 _keep._tcp)" ]' || fail "recorder does not see keep@h1"
pid=${AGENT_PID[h1]}
cp "$T/after.yaml" "$T/h1.yaml"
t0=$(now)
agent_reload h1
wait_for 15 eval '[ "$(view | sort)" = "$after" ]' || fail "after reload, h2 sees:
$(view | sort)
expected:
$after"
# (an upper bound: polled with avahi-browse -t, about 1 s a round)
timing reload_to_new_set_polled "$(ms_between "$t0" "$(now)")"
t=$(rec_first "$T/h2.rec" = added@h1 _added._tcp "$t0")
[ -n "$t" ] && timing reload_to_added_resolvable "$(ms_between "$t0" "$t")"
t=$(rec_first "$T/h2.rec" - gone@h1 _gone._tcp "$t0")
[ -n "$t" ] || fail "no goodbye for the removed service gone@h1 on h2"
timing reload_to_removed_gone "$(ms_between "$t0" "$t")"
[ "${AGENT_PID[h1]}" = "$pid" ] && agent_alive h1 || fail "lanyardd did not survive the reload"

# The unchanged service was never withdrawn, not even for a moment.
sleep 1.5 # a late withdrawal would show up here
n=$(rec_count "$T/h2.rec" - keep@h1 _keep._tcp)
[ "$n" = 0 ] || fail "keep@h1 was withdrawn $n time(s) during the reload:
$(grep 'keep\\064h1' "$T/h2.rec")"
[ "$(view | sort)" = "$after" ] || fail "h2's view changed after the reload settled"

# An invalid file changes nothing.
printf 'services:\n  - name: [broken\n' >"$T/h1.yaml"
t0=$(now)
agent_reload h1
sleep 2
agent_alive h1 || fail "lanyardd exited on an invalid configuration"
[ "$(rec_count "$T/h2.rec" - keep@h1 _keep._tcp "$t0")" = 0 ] || fail "invalid reload withdrew keep@h1"
[ "$(view | sort)" = "$after" ] || fail "an invalid reload changed what h2 sees:
$(view | sort)"

agent_stop h1 || fail "lanyardd exited $AGENT_RC"
exit 0
