#!/bin/bash
# SPDX-License-Identifier: MIT
# A step of the wall clock (an operator's date, an NTP step) neither ends
# nor stretches an ejection (issue 11, finding 8): durations run on the
# monotonic clock. The step is made for lanyardd alone, by an LD_PRELOAD
# shim (tests/shims/clock-step.c) that shifts CLOCK_REALTIME, gettimeofday
# and time by the seconds in a file; a health check's last_run (a wall-clock
# timestamp) shows that lanyardd saw each step.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
# The test hooks (fake instances) are in lanyardd-test only.
LANYARDD=${LANYARDD_TEST:-$top_builddir/agent/lanyardd-test}
. "$top_srcdir/tests/integration/lib-consumer.sh"

[ -x "$LANYARDD" ] || fail "lanyardd not built: $LANYARDD"
CC=${CC:-cc}
command -v "$CC" >/dev/null || fail "no C compiler ($CC) for the clock shim"
consumer_workdir
"$CC" -shared -fPIC -O1 -o "$T/clock-step.so" "$top_srcdir/tests/shims/clock-step.c" -ldl ||
	fail "cannot build the clock shim"
echo 0 >"$T/step"
# The shim is checked on date(1) first: the test means nothing without it.
[ $(($(CLOCK_STEP_FILE=$T/step LD_PRELOAD=$T/clock-step.so date +%s) - $(date +%s))) -le 1 ] ||
	fail "the shim moves the clock at step 0"
echo 3600 >"$T/step"
d=$(($(CLOCK_STEP_FILE=$T/step LD_PRELOAD=$T/clock-step.so date +%s) - $(date +%s)))
[ "$d" -ge 3599 ] && [ "$d" -le 3601 ] || fail "the shim does not step date(1): $d"
echo 0 >"$T/step"

S=$T/a.sock
cat >"$T/a.yaml" <<YAML
agent:
  socket: $S
services:
  - name: clocked
    port: 9
    checks:
      - {tcp: "127.0.0.1:9", interval: 1s, timeout: 500ms}
YAML
# ASan wants its runtime first among the preloaded libraries: the shim
# comes first here on purpose.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	CLOCK_STEP_FILE=$T/step LD_PRELOAD=$T/clock-step.so \
	DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-such-bus LANYARD_TEST_FAKE_INSTANCES=4 \
	"$LANYARDD" -f -c "$T/a.yaml" </dev/null >"$T/agent.log" 2>&1 &
APID=$!
CONSUMER_PIDS="$CONSUMER_PIDS $APID"
q() { printf '%s\n' "$@" | socat -t 5 - "UNIX-CONNECT:$S" 2>/dev/null; }
st() { q '{"op":"status"}' | jq -r ".status$1"; }
wait_for 20 eval '[ "$(st .cache.instances)" = 4 ]' ||
	fail "lanyardd does not answer: $(tail -n 5 "$T/agent.log")"
last_run() { q '{"op":"status"}' | jq -r '[.. | objects | .last_run? // empty] | max // 0'; }
health() { q '{"op":"list","service":"_fake0._tcp","instance":"fake-1"}' | jq -c '.instances[0].health'; }

# Eject fake-1: five failures in a row (30 s the first time).
rep='{"op":"report","service":"_fake0._tcp","instance":"fake-1","result":"fail"}'
q "$rep" "$rep" "$rep" "$rep" "$rep" >/dev/null
h=$(health)
[ "$(jq -r .ejected <<<"$h")" = true ] || fail "five failures did not eject fake-1: $h"
left0=$(jq -r .time_left <<<"$h")
log "ejected: $h"

# The clock jumps an hour ahead: the ejection does not end.
wait_for 10 eval '[ "$(last_run)" != 0 ]' || fail "the check never ran: $(st .publishing)"
before=$(last_run)
echo 3600 >"$T/step"
wait_for 10 eval 'awk -v a="$(last_run)" -v b="$before" "BEGIN { exit !(a > b + 3000) }"' ||
	fail "lanyardd did not see the clock step: last_run $(last_run), was $before"
h=$(health)
log "an hour later on the wall clock: $h"
[ "$(jq -r .ejected <<<"$h")" = true ] || fail "a wall-clock step ended the ejection: $h"
awk -v l="$(jq -r .time_left <<<"$h")" -v l0="$left0" 'BEGIN { exit !(l <= l0 && l > 0) }' ||
	fail "time_left went from $left0 to $(jq -r .time_left <<<"$h")"

# And an hour behind: the ejection does not stretch.
before=$(last_run)
echo -3600 >"$T/step"
wait_for 10 eval 'awk -v a="$(last_run)" -v b="$before" "BEGIN { exit !(a < b - 3000) }"' ||
	fail "lanyardd did not see the clock step back: last_run $(last_run), was $before"
h=$(health)
log "an hour earlier on the wall clock: $h"
awk -v l="$(jq -r .time_left <<<"$h")" -v l0="$left0" 'BEGIN { exit !(l <= l0) }' ||
	fail "a step back stretched the ejection: time_left $left0 -> $(jq -r .time_left <<<"$h")"
up=$(st .agent.uptime)
awk -v u="$up" 'BEGIN { exit !(u >= 0 && u < 600) }' || fail "uptime follows the wall clock: $up"

kill -0 "$APID" || fail "lanyardd died: $(tail -n 5 "$T/agent.log")"
log "PASS"
