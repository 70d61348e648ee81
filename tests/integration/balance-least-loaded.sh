#!/bin/bash
# SPDX-License-Identifier: MIT
# least_loaded: providers publish their load in TXT (agent.publish_load, here
# from $LANYARD_LOAD_FILE so the figures are known), a consumer's agent picks
# the least loaded endpoint, and follows when the loads swap.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
# The test hooks (fake instances, a load file) are in lanyardd-test only.
LANYARDD=${LANYARDD_TEST:-$top_builddir/agent/lanyardd-test}

skip_unless_root_netns
lab_up 3
LANYARD=${LANYARD:-$top_builddir/client/lanyard}
a1=$(host_addr h1)
a2=$(host_addr h2)

for h in h1 h2; do
	cat >"$T/$h.yaml" <<YAML
agent:
  socket: $T/$h.sock
  publish_load: true
  load_interval: 1s
services:
  - name: work
    port: 7000
YAML
done
cat >"$T/h3.yaml" <<YAML
agent:
  socket: $T/h3.sock
  browse: [work]
YAML
echo 0.90 >"$T/h1.load"
echo 0.10 >"$T/h2.load"
LANYARD_LOAD_FILE="$T/h1.load" agent_start h1 "$T/h1.yaml"
LANYARD_LOAD_FILE="$T/h2.load" agent_start h2 "$T/h2.yaml"
agent_start h3 "$T/h3.yaml"

pick() { on h3 "$LANYARD" --socket "$T/h3.sock" resolve work --policy least_loaded 2>&1; }
loads_seen() { # loads_seen L1 L2: h3's cache holds those load figures
	local out
	out=$(on h3 "$LANYARD" --socket "$T/h3.sock" --json list work 2>/dev/null) || return 1
	[ "$(jq -r '.instances[] | select(.instance == "work@h1") | .txt.load' <<<"$out")" = "$1" ] &&
		[ "$(jq -r '.instances[] | select(.instance == "work@h2") | .txt.load' <<<"$out")" = "$2" ]
}
wait_for 15 loads_seen 0.90 0.10 || fail "h3 does not see load=0.90 / 0.10:
$(on h3 "$LANYARD" --socket "$T/h3.sock" --json list work)"

for i in $(seq 20); do
	got=$(pick)
	[ "$got" = "$a2 7000" ] || fail "pick $i: '$got', expected h2 ($a2 7000), the least loaded"
done

# The loads swap: the next published figures move the picks to h1.
t0=$(now)
echo 0.05 >"$T/h1.load"
echo 0.95 >"$T/h2.load"
wait_for 20 loads_seen 0.05 0.95 || fail "h3 does not see the swapped loads"
timing load_change_to_cache "$(ms_between "$t0" "$(now)")"
for i in $(seq 20); do
	got=$(pick)
	[ "$got" = "$a1 7000" ] || fail "pick $i after the swap: '$got', expected h1 ($a1 7000)"
done

# Hysteresis: a move smaller than 0.1 is not republished.
echo 0.10 >"$T/h1.load"
sleep 4
loads_seen 0.05 0.95 || fail "a load move of 0.05 was republished (hysteresis is 0.1)"
exit 0
