#!/bin/bash
# SPDX-License-Identifier: MIT
# A service whose tcp check watches a local listener leaves a peer's list and resolve when the listener is killed (goodbye, status says which check) and comes back when it is restarted; a sibling without checks stays throughout.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"
. "$top_srcdir/tests/integration/lib-checks.sh"

skip_unless_root_netns
need_lanyardd
lab_up 2
consumer_workdir
a1=$(host_addr h1)

cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
services:
  - name: pay
    port: 7001
    checks:
      - tcp: 127.0.0.1:7001
        interval: 200ms
        timeout: 200ms
  - name: plain
    port: 7002
YAML
printf 'agent:\n  socket: %s\n  browse: [pay, plain]\n' "$T/h2.sock" >"$T/h2.yaml"

listener_start h1 7001
agent_start_ready h1 "$T/h1.yaml"
agent_start_ready h2 "$T/h2.yaml"
wait_for 20 seen h2 pay || fail "h2 never lists pay@h1: $(list_lines h2 pay)"
wait_for 20 seen h2 plain || fail "h2 never lists plain@h1"
[ "$(cli h2 resolve pay)" = "$a1 7001" ] || fail "h2 resolves pay to '$(cli h2 resolve pay)'"
announced h1 pay || fail "h1 does not say pay is announced: $(pub h1 pay .)"
[ "$(pub h1 pay '.checks[0].state')" = passing ] || fail "pay's check: $(pub h1 pay '.checks[0]')"
browse_record h2 _pay._tcp "$T/h2-pay.rec"
wait_for 10 eval '[ -n "$(rec_first "$T/h2-pay.rec" = pay@h1)" ]' || fail "the recorder does not see pay@h1"

# ---- the listener dies: withdrawn --------------------------------------------
t0=$(now)
listener_stop h1 7001
wait_for 20 eval '! seen h2 pay' || fail "h2 still lists pay@h1 with its listener dead:
$(list_lines h2 pay)"
timing listener_killed_to_gone_from_peer_list "$(elapsed_ms "$t0")"
cli h2 resolve pay >/dev/null 2>&1
rc=$?
[ "$rc" = 3 ] || fail "h2 resolves pay (exit $rc) with its listener dead"
t=$(rec_first "$T/h2-pay.rec" - pay@h1 _pay._tcp "$t0")
[ -n "$t" ] || fail "no goodbye for pay@h1 on h2 (withdrawn only by expiry?)"
timing listener_killed_to_goodbye "$(ms_between "$t0" "$t")"
withheld h1 pay || fail "h1 says pay is announced: $(pub h1 pay .)"
why=$(pub h1 pay .why)
case $why in
"check tcp 127.0.0.1:7001 is critical: connect: Connection refused") ;;
*) fail "h1 gives as why pay is withheld: '$why'" ;;
esac
[ "$(pub h1 pay '.checks[0].state')" = critical ] || fail "pay's check: $(pub h1 pay '.checks[0]')"
[ "$(pub h1 pay '.checks[0].failures >= 2')" = true ] || fail "pay's check: $(pub h1 pay '.checks[0]')"
# the positive control: h1 is still seen, only pay left
seen h2 plain || fail "h2 lost plain@h1 too"

# ---- the listener is back: announced again -------------------------------------
t0=$(now)
listener_start h1 7001
wait_for 20 seen h2 pay || fail "h2 does not list pay@h1 again after its listener came back"
timing listener_back_to_peer_list "$(elapsed_ms "$t0")"
[ "$(cli h2 resolve pay)" = "$a1 7001" ] || fail "h2 resolves pay to '$(cli h2 resolve pay)'"
announced h1 pay || fail "h1 does not say pay is announced: $(pub h1 pay .)"
[ "$(pub h1 pay '.checks[0].passes >= 2')" = true ] || fail "pay's check: $(pub h1 pay '.checks[0]')"
seen h2 plain || fail "h2 lost plain@h1"

agent_stop h1 || fail "lanyardd on h1 exited $AGENT_RC"
agent_stop h2 || fail "lanyardd on h2 exited $AGENT_RC"
exit 0
