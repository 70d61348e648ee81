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
wait_for 30 eval '[ "$(view | sort)" = "$before" ]' || fail "before reload, h2 sees:
$(view | sort)"

# in_rec SIGN NAME TYPE [SINCE]: h2's recording has an event SIGN for NAME.
in_rec() { [ -n "$(rec_first "$T/h2.rec" "$@")" ]; }
browse_record h2 all "$T/h2.rec"
# Two markers published on h1 by avahi-publish: their goodbyes, sent after a
# reload was handled, show that anything the reload withdrew has reached h2.
on_bg h1 avahi-publish -s mark1 _mark._tcp 1 >/dev/null 2>&1
MARK1=$BG_PID
on_bg h1 avahi-publish -s mark2 _mark._tcp 2 >/dev/null 2>&1
MARK2=$BG_PID
for i in keep@h1:_keep._tcp mark1:_mark._tcp mark2:_mark._tcp; do
	wait_for 30 in_rec = "${i%%:*}" "${i#*:}" || fail "recorder does not see ${i%%:*}"
done
pid=${AGENT_PID[h1]}
cp "$T/after.yaml" "$T/h1.yaml"
t0=$(now)
agent_reload h1
wait_for 30 eval '[ "$(view | sort)" = "$after" ]' || fail "after reload, h2 sees:
$(view | sort)
expected:
$after"
# (an upper bound: polled with avahi-browse -t, about 1 s a round)
timing reload_to_new_set_polled "$(ms_between "$t0" "$(now)")"
t=$(rec_first "$T/h2.rec" = added@h1 _added._tcp "$t0")
[ -n "$t" ] && timing reload_to_added_resolvable "$(ms_between "$t0" "$t")"
wait_for 30 in_rec - gone@h1 _gone._tcp "$t0" || fail "no goodbye for the removed service gone@h1 on h2"
timing reload_to_removed_gone "$(ms_between "$t0" "$(rec_first "$T/h2.rec" - gone@h1 _gone._tcp "$t0")")"
[ "${AGENT_PID[h1]}" = "$pid" ] && agent_alive h1 || fail "lanyardd did not survive the reload"

# The unchanged service was never withdrawn, not even for a moment: a
# withdrawal would reach h2 before mark1's goodbye, sent now.
kill -TERM "$MARK1"
wait_for 30 in_rec - mark1 _mark._tcp "$t0" || fail "no goodbye for mark1 on h2"
n=$(rec_count "$T/h2.rec" - keep@h1 _keep._tcp)
[ "$n" = 0 ] || fail "keep@h1 was withdrawn $n time(s) during the reload:
$(grep 'keep\\064h1' "$T/h2.rec")"
[ "$(view | sort)" = "$after" ] || fail "h2's view changed after the reload settled"

# An invalid file changes nothing.
printf 'services:\n  - name: [broken\n' >"$T/h1.yaml"
t0=$(now)
agent_reload h1
wait_for 30 grep -q "reload failed: keeping the running configuration" "$(agent_log h1)" ||
	fail "lanyardd did not report the failed reload: $(tail -n 5 "$(agent_log h1)")"
agent_alive h1 || fail "lanyardd exited on an invalid configuration"
# As above: a withdrawal would reach h2 before mark2's goodbye.
kill -TERM "$MARK2"
wait_for 30 in_rec - mark2 _mark._tcp "$t0" || fail "no goodbye for mark2 on h2"
[ "$(rec_count "$T/h2.rec" - keep@h1 _keep._tcp "$t0")" = 0 ] || fail "invalid reload withdrew keep@h1"
[ "$(view | sort)" = "$after" ] || fail "an invalid reload changed what h2 sees:
$(view | sort)"

agent_stop h1 || fail "lanyardd exited $AGENT_RC"
exit 0
