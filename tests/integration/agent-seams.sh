#!/bin/bash
# SPDX-License-Identifier: MIT
# Regression tests for bugs found at the seams (issue 8): random picks differ between agents (the RNG was seeded with 0 everywhere); one cap on browsed types, enforced in one place, with idle on-demand browses released; a reload keeps --socket in force and in status.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
# The test hooks (fake instances) are in lanyardd-test only.
LANYARDD=${LANYARDD_TEST:-$top_builddir/agent/lanyardd-test}
. "$top_srcdir/tests/integration/lib-consumer.sh"

# No LAN needed: fake instances, no reachable avahi-daemon.
[ -x "$LANYARDD" ] || fail "lanyardd-test not built: $LANYARDD"
consumer_workdir

# start NAME CONFIG [ARGS]: an agent with 10 fake instances of _fake0._tcp.
declare -A APID=()
start() {
	local name=$1 conf=$2
	shift 2
	DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-such-bus LANYARD_TEST_FAKE_INSTANCES=10 \
		"$LANYARDD" -f -c "$conf" "$@" </dev/null >"$T/$name.log" 2>&1 &
	APID[$name]=$!
	CONSUMER_PIDS="$CONSUMER_PIDS $!"
}
q() { printf '%s\n' "${@:2}" | socat -t 5 -T 20 - "UNIX-CONNECT:$1" 2>/dev/null; }
st() { q "$1" '{"op":"status"}' | jq -r ".status$2"; }

for n in a b; do
	printf 'agent:\n  socket: %s\n  browse_idle: 2s\n' "$T/$n.sock" >"$T/$n.yaml"
	start "$n" "$T/$n.yaml"
done
for n in a b; do
	wait_for 10 eval '[ "$(st "$T/$n.sock" .cache.instances)" = 10 ]' ||
		fail "agent $n does not answer with 10 fake instances: $(cat "$T/$n.log")"
done

# --- random picks: each agent its own sequence -----------------------------------------
# 40 picks among 10 instances: equal sequences by chance are 1 in 10^40.
picks() {
	local i
	for ((i = 0; i < 40; i++)); do
		printf '{"op":"resolve","service":"_fake0._tcp","policy":"random"}\n'
	done | socat -t 5 - "UNIX-CONNECT:$1" | jq -r '.instance.instance' | tr '\n' ' '
}
pa=$(picks "$T/a.sock")
pb=$(picks "$T/b.sock")
[ "$(wc -w <<<"$pa")" = 40 ] && [ "$(wc -w <<<"$pb")" = 40 ] || fail "picks missing: '$pa' / '$pb'"
[ "$pa" != "$pb" ] || fail "two agents made the same 40 random picks: the RNG is not seeded per agent"
# p2c and keyless hash pick at random too.
for p in p2c hash; do
	sa=$(for ((i = 0; i < 40; i++)); do printf '{"op":"resolve","service":"_fake0._tcp","policy":"%s"}\n' $p; done |
		socat -t 5 - "UNIX-CONNECT:$T/a.sock" | jq -r '.instance.instance' | tr '\n' ' ')
	sb=$(for ((i = 0; i < 40; i++)); do printf '{"op":"resolve","service":"_fake0._tcp","policy":"%s"}\n' $p; done |
		socat -t 5 - "UNIX-CONNECT:$T/b.sock" | jq -r '.instance.instance' | tr '\n' ' ')
	[ "$sa" != "$sb" ] || fail "policy $p: two agents picked in lockstep"
done
log "random, p2c and keyless hash picks differ between agents"

# --- one cap on browsed types; idle on-demand browses released ---------------------------
max=$(st "$T/a.sock" .browsing.max_types)
[ "$max" -gt 0 ] 2>/dev/null || fail "status has no browsing.max_types"
n=$((max + 40))
# A consumer names N distinct services: each answered (no instance known,
# avahi-daemon absent, so no wait), past the cap too.
for ((i = 0; i < n; i++)); do printf '{"op":"list","service":"svc%d"}\n' "$i"; done |
	socat -t 5 -T 30 - "UNIX-CONNECT:$T/a.sock" >"$T/lists.out"
[ "$(jq -r 'select(.ok == true) | .ok' "$T/lists.out" | wc -l)" = "$n" ] ||
	fail "not every list past the cap was answered: $(grep -v '"ok":true' "$T/lists.out" | head -3)"
browsed=$(st "$T/a.sock" '.browsing.types | map(select(.type | startswith("_svc"))) | length')
refused=$(st "$T/a.sock" .browsing.types_refused)
log "$n services asked: $browsed types browsed (cap $max), $refused refused"
[ "$browsed" -le "$max" ] || fail "$browsed types browsed, over the cap of $max"
[ "$browsed" -ge $((max - 2)) ] || fail "only $browsed types browsed: the cap is $max"
[ "$refused" -gt 0 ] || fail "nothing counted as refused past the cap"
# browse_idle is 2 s: nobody asks again, every on-demand browse goes.
wait_for 15 eval '[ "$(st "$T/a.sock" ".browsing.types | map(select(.type | startswith(\"_svc\"))) | length")" = 0 ]' ||
	fail "idle on-demand browses not released: $(st "$T/a.sock" '.browsing.types | length') types left"
released=$(st "$T/a.sock" .browsing.types_released)
[ "$released" -ge "$browsed" ] || fail "status counts $released released, $browsed were browsed"
# The fake type (never browsed) and the cache stay.
[ "$(st "$T/a.sock" .cache.instances)" = 10 ] || fail "releasing browses touched the fake entries"
# Room again: a new service is browsed.
q "$T/a.sock" '{"op":"list","service":"again"}' | jq -e .ok >/dev/null || fail "list after release"
[ "$(st "$T/a.sock" '.browsing.types | map(select(.type == "_again._tcp")) | length')" = 1 ] ||
	fail "_again._tcp not browsed after the release"
log "cap of $max browsed types held, $released idle browses released"

# --- reload: --socket stays in force and in status ------------------------------------------
printf 'agent:\n  socket: %s\n  max_instances: 5000\n' "$T/other.sock" >"$T/c.yaml"
start c "$T/c.yaml" --socket "$T/c.sock"
wait_for 10 eval '[ "$(st "$T/c.sock" .cache.instances)" = 10 ]' || fail "agent c does not answer: $(cat "$T/c.log")"
[ "$(st "$T/c.sock" .agent.socket)" = "$T/c.sock" ] || fail "status shows socket $(st "$T/c.sock" .agent.socket)"
printf 'agent:\n  socket: %s\n  max_instances: 7000\n' "$T/other2.sock" >"$T/c.yaml"
r0=$(st "$T/c.sock" .agent.reloads)
kill -HUP "${APID[c]}"
wait_for 10 eval '[ "$(st "$T/c.sock" .agent.reloads)" = $((r0 + 1)) ]' || fail "reload not applied: $(tail -n 5 "$T/c.log")"
[ "$(st "$T/c.sock" .agent.socket)" = "$T/c.sock" ] ||
	fail "after a reload status shows socket $(st "$T/c.sock" .agent.socket), not the one in force"
[ "$(st "$T/c.sock" .cache.max_instances)" = 7000 ] || fail "max_instances not applied on reload"
[ ! -e "$T/other2.sock" ] || fail "a reload opened the configuration's socket"

for n in a b c; do
	kill "${APID[$n]}"
	wait "${APID[$n]}"
	rc=$?
	[ "$rc" = 0 ] || fail "agent $n exited $rc: $(tail -n 20 "$T/$n.log")"
	grep -E 'ERROR|Sanitizer|runtime error' "$T/$n.log" && fail "agent $n reported errors"
done
exit 0
