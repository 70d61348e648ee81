#!/bin/bash
# SPDX-License-Identifier: MIT
# lanyardd started as root gives root up once its socket exists (issue 12,
# least privilege): it runs as agent.user, the socket is that user's, exec
# health checks run as that user, it still publishes through avahi-daemon's
# D-Bus API, and a configured user that does not exist stops it at start.
# Without agent.user it stays as it was started, whatever accounts exist.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
lab_up 2
consumer_workdir
NOBODY_UID=$(id -u nobody) || fail "no user nobody"

ids() { awk '/^Uid:|^Gid:/ { printf "%s %s %s %s %s\n", $1, $2, $3, $4, $5 }' "/proc/$1/status"; }

cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
  user: nobody
services:
  - name: payments
    port: 8443
    checks:
      - exec: [sh, -c, 'echo "uid=\$(id -u)"']
        interval: 1s
YAML
agent_start_ready h1 "$T/h1.yaml"
pid=${AGENT_PID[h1]}
# AGENT_PID is netlab's exec; the agent is its child or the process itself.
apid=$(pgrep -P "$pid" -x lanyardd || pgrep -P "$pid" -x lanyardd-test || echo "$pid")
[ "$(tr -d '\0' <"/proc/$apid/comm")" != netlab ] || fail "cannot find lanyardd's pid under $pid"
log "lanyardd (pid $apid): $(ids "$apid" | tr '\n' ' ')"
[ "$(ids "$apid")" = "Uid: $NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID
Gid: $(id -g nobody) $(id -g nobody) $(id -g nobody) $(id -g nobody)" ] ||
	fail "lanyardd does not run as nobody: $(ids "$apid")"
grep -q "running as uid $NOBODY_UID" "$(agent_log h1)" || fail "no 'running as' line in the log"
[ "$(stat -c %u "$T/h1.sock")" = "$NOBODY_UID" ] || fail "the socket belongs to uid $(stat -c %u "$T/h1.sock")"
# Its exec check runs as nobody, and passes: payments is announced.
wait_for 20 eval '[ "$(status_get h1 ".publishing[0].checks[0].output")" = "uid=$NOBODY_UID" ]' ||
	fail "the exec check's output: $(status_get h1 '.publishing[0].checks[0]')"
wait_for 20 published h1 payments || fail "payments is not published by lanyardd running as nobody"
# Published through avahi-daemon: a plain mDNS browser on h2 resolves it.
wait_for 20 eval 'resolved h2 _payments._tcp | grep -q "payments@h1"' ||
	fail "h2's avahi-browse does not see payments@h1"
# Root may still do everything on the socket (maint is for administrators).
req_ok h1 '{"op":"maint","service":"payments","state":"on","reason":"privs test"}' >/dev/null
req_ok h1 '{"op":"maint","service":"payments","state":"off"}' >/dev/null
agent_stop h1 || fail "lanyardd as nobody exited $AGENT_RC on SIGTERM"

# A configured user that does not exist: lanyardd refuses to run (as root).
cat >"$T/bad.yaml" <<YAML
agent:
  socket: $T/bad.sock
  user: no-such-user-lanyard
YAML
rc=0
on h1 timeout 20 "$LANYARDD" -f -c "$T/bad.yaml" </dev/null >"$T/bad.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "agent.user no-such-user-lanyard: exit $rc (want 1): $(tail -n 2 "$T/bad.log")"
grep -q 'agent.user "no-such-user-lanyard": no such user' "$T/bad.log" || fail "no clear message: $(cat "$T/bad.log")"

# Without agent.user: as started (root here), whatever accounts exist (a
# "lanyard" user made by the packages or left by a test changes nothing).
printf 'agent:\n  socket: %s\n' "$T/d.sock" >"$T/d.yaml"
on_bg h1 "$LANYARDD" -f -c "$T/d.yaml" </dev/null >"$T/d.log" 2>&1
DPID=$BG_PID
CONSUMER_PIDS="$CONSUMER_PIDS $DPID"
wait_for 10 test -S "$T/d.sock" || fail "the default agent did not start: $(cat "$T/d.log")"
wait_for 10 eval '[ "$(printf "{\"op\":\"status\"}\n" | socat -t 5 - UNIX-CONNECT:$T/d.sock | jq -r .ok)" = true ]' ||
	fail "the default agent does not answer"
dpid=$(pgrep -P "$DPID" -x lanyardd || pgrep -P "$DPID" -x lanyardd-test || echo "$DPID")
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$dpid/status")" = 0 ] ||
	fail "without agent.user lanyardd runs as uid $(awk '/^Uid:/ { print $2 }' "/proc/$dpid/status"), want 0 (as started)"
grep -q 'running as root: set agent.user' "$T/d.log" || fail "no warning about staying root: $(cat "$T/d.log")"
log "without agent.user: uid 0 (root), with the warning; a lanyard user exists: $(id -u lanyard >/dev/null 2>&1 && echo yes || echo no)"
kill "$DPID"
wait "$DPID" 2>/dev/null
log "PASS"
