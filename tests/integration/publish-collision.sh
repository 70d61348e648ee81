#!/bin/bash
# SPDX-License-Identifier: MIT
# Two hosts declare the same instance name: both end up announced under distinct names and the renamed agent logs its new name.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

skip_unless_root_netns
need_lanyardd
lab_up 3
a1=$(host_addr h1)
a2=$(host_addr h2)

for h in h1 h2; do
	cat >"$T/$h.yaml" <<YAML
services:
  - name: shared
    port: 7000
    instance: "shared-svc"
    txt: {from: $h}
YAML
done

# instances_on_h3: "NAME|ADDRESS" of every _shared._tcp instance h3 resolves.
instances_on_h3() { resolved h3 _shared._tcp | cut -d'|' -f1,4; }
two_distinct() {
	local got
	got=$(instances_on_h3)
	[ "$(printf '%s\n' "$got" | grep -c .)" = 2 ] &&
		[ "$(printf '%s\n' "$got" | cut -d'|' -f1 | sort -u | grep -c .)" = 2 ] &&
		printf '%s\n' "$got" | grep -q "|$a1\$" && printf '%s\n' "$got" | grep -q "|$a2\$"
}

# 1. h1 first; h2 joins later and must rename.
agent_start h1 "$T/h1.yaml"
wait_for 30 eval '[ "$(instances_on_h3)" = "shared-svc|$a1" ]' ||
	fail "h3 does not see h1's shared-svc: '$(instances_on_h3)'"
browse_record h3 _shared._tcp "$T/h3.rec"
t0=$(now)
agent_start h2 "$T/h2.yaml"
wait_for 30 two_distinct || fail "h3 does not see two distinct instances: '$(instances_on_h3 | tr '\n' ' ')'"
got=$(instances_on_h3)
log "h3 sees: $(echo "$got" | tr '\n' ' ')"
echo "$got" | grep -qx "shared-svc|$a1" || fail "h1 (first) lost its name: $got"
renamed=$(echo "$got" | grep "|$a2\$" | cut -d'|' -f1)
[ "$renamed" != shared-svc ] || fail "h2 kept the name shared-svc"
# in_rec SIGN NAME: h3's recording has an event SIGN for NAME.
in_rec() { [ -n "$(rec_first "$T/h3.rec" "$1" "$2" _shared._tcp)" ]; }
wait_for 30 in_rec = "$renamed" || fail "h3's recording has no resolve of '$renamed'"
timing collision_to_renamed_resolvable "$(ms_between "$t0" "$(rec_first "$T/h3.rec" = "$renamed" _shared._tcp)")"
wait_for 30 grep -qF "$renamed" "$(agent_log h2)" ||
	fail "h2's log does not mention its new name '$renamed'"
agent_alive h1 || fail "lanyardd on h1 exited"
agent_alive h2 || fail "lanyardd on h2 exited"
# The first publisher was never withdrawn. A withdrawal during the collision
# would reach h3 before the goodbye h2 sends now, after it.
agent_stop h2 || fail "lanyardd on h2 exited $AGENT_RC"
wait_for 30 in_rec - "$renamed" || fail "h3's recording has no removal of '$renamed' after h2 stopped"
[ "$(rec_count "$T/h3.rec" - shared-svc)" = 0 ] || fail "h1's shared-svc was withdrawn during the collision"

# 2. Both at once (simultaneous probes): still two distinct names, and each
# agent whose name is not the declared one logs the name it ended up with.
agent_stop h1 || fail "lanyardd on h1 exited $AGENT_RC"
wait_for 30 eval '[ -z "$(instances_on_h3)" ]' || fail "instances left on h3 after both agents stopped: $(instances_on_h3)"
: >"$T/h1.agent.log"
: >"$T/h2.agent.log"
agent_start h1 "$T/h1.yaml"
agent_start h2 "$T/h2.yaml"
wait_for 30 two_distinct || fail "simultaneous start: h3 sees '$(instances_on_h3 | tr '\n' ' ')'"
got=$(instances_on_h3)
log "h3 sees: $(echo "$got" | tr '\n' ' ')"
for h in h1 h2; do
	name=$(echo "$got" | grep "|$(host_addr $h)\$" | cut -d'|' -f1)
	if [ "$name" != shared-svc ]; then
		wait_for 30 grep -qF "$name" "$(agent_log $h)" || fail "$h's log does not mention its new name '$name'"
	fi
done
echo "$got" | grep -q '^shared-svc|' || log "note: neither agent kept the declared name"
exit 0
