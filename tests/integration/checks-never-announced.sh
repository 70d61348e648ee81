#!/bin/bash
# SPDX-License-Identifier: MIT
# A service whose check fails from the start is never on the LAN: plain avahi-browse on a peer never sees it, while it sees a sibling without checks published in the same batch (the positive control), also after the failing check ran many times; the status says why.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"
. "$top_srcdir/tests/integration/lib-checks.sh"

skip_unless_root_netns
need_lanyardd
lab_up 2
consumer_workdir

# broken: nothing listens on 127.0.0.1:7999 in h1, and its exec check fails
# too; sibling: no checks. With fall 3 at 1 s intervals, a service that
# wrongly started as passing would stay announced for 2 s, long enough to
# get through mDNS probing onto the LAN.
cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
services:
  - name: broken
    port: 7999
    checks:
      - tcp: 127.0.0.1:7999
        fall: 3
      - exec: [/bin/sh, -c, "echo db unreachable; exit 2"]
        fall: 3
  - name: sibling
    port: 7998
YAML

# Record every service on the LAN, as any DNS-SD browser sees it, from
# before lanyardd starts.
browse_record h2 all "$T/h2.rec"
agent_start_ready h1 "$T/h1.yaml"
wait_for 20 eval '[ -n "$(rec_first "$T/h2.rec" = sibling@h1 _sibling._tcp)" ]' ||
	fail "avahi-browse on h2 never sees sibling@h1 (the positive control):
$(cat "$T/h2.rec")"
# Let the failing checks run several times, seen in h1's status...
wait_for 30 eval '[ "$(pub h1 broken ".checks[0].failures >= 5 and .checks[1].failures >= 5")" = true ]' ||
	fail "the checks of broken did not keep running: $(pub h1 broken .checks)"
# ... and sibling resolve on h2 once more after that: whatever h1 sent
# before this point has reached h2.
[ -n "$(resolved h2 _sibling._tcp | grep '^sibling@h1|')" ] || fail "h2 no longer resolves sibling@h1"
[ -z "$(resolved h2 _broken._tcp)" ] || fail "h2 resolves broken: $(resolved h2 _broken._tcp)"
n=$(grep -c 'broken' "$T/h2.rec")
[ "$n" = 0 ] || fail "avahi-browse on h2 saw broken@h1 $n time(s):
$(grep broken "$T/h2.rec")"

withheld h1 broken || fail "h1 says broken is announced: $(pub h1 broken .)"
[ "$(pub h1 broken .health)" = critical ] || fail "broken's health: $(pub h1 broken .)"
why=$(pub h1 broken .why)
case $why in
"check tcp 127.0.0.1:7999 is critical: connect: Connection refused") ;;
*) fail "h1 gives as why broken is withheld: '$why'" ;;
esac
[ "$(pub h1 broken '.checks[1].output')" = "exit status 2
db unreachable" ] || fail "the exec check's output: $(pub h1 broken '.checks[1]')"
[ "$(pub h1 broken '.checks[1].kind + " " + .checks[1].target')" = 'exec /bin/sh -c echo db unreachable; exit 2' ] ||
	fail "the exec check: $(pub h1 broken '.checks[1]')"
announced h1 sibling || fail "h1 says sibling is not announced: $(pub h1 sibling .)"
[ "$(pub h1 sibling '.checks | length')" = 0 ] || fail "sibling has checks: $(pub h1 sibling .checks)"

agent_stop h1 || fail "lanyardd on h1 exited $AGENT_RC"
exit 0
