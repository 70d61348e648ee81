#!/bin/bash
# SPDX-License-Identifier: MIT
# Runtime registration: `lanyard register ... -- COMMAND` publishes a service
# for exactly the life of the registering process (a peer resolves it; a
# SIGKILL of the process removes it from the peer within seconds); a
# registration survives a SIGHUP and avahi-daemon's restart; a user
# agent.register does not allow is refused; deregister withdraws one early;
# a clash with a declared service is a conflict. Prints the times.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
lab_up 2
consumer_workdir
command -v setpriv >/dev/null || fail "setpriv (util-linux) not installed"

cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
  socket_mode: "0666"
  register: {max_per_connection: 2}
services:
  - name: payments
    port: 8443
YAML
cat >"$T/h2.yaml" <<YAML
agent:
  socket: $T/h2.sock
YAML
agent_start_ready h1 "$T/h1.yaml"
agent_start_ready h2 "$T/h2.yaml"
wait_for 15 eval '[ "$(list_count h2 payments)" = 1 ]' || fail "h2 never lists payments@h1"

lists() { req "$1" "{\"op\":\"list\",\"service\":\"$2\"}" | jq -e --arg i "$3" '.instances[] | select(.instance == $i)' >/dev/null; }

# --- register for the life of a process -----------------------------------
watch_record h2 web "$T/h2.watch"
t0=$(now)
on_bg h1 "$LANYARD" --socket "$T/h1.sock" register web 8080 --version 1.2.0 --tag blue -- sleep 300 \
	2>"$T/reg.err"
REG_PID=$BG_PID
CONSUMER_PIDS="$CONSUMER_PIDS $REG_PID"
wait_for 15 lists h2 web web@h1 || fail "h2 never lists web@h1 (register: $(cat "$T/reg.err"))"
timing register_to_peer "$(elapsed_ms "$t0")"
[ "$(cli h2 resolve web)" = "$(host_addr h1) 8080" ] || fail "h2 resolves web to '$(cli h2 resolve web)'"
[ "$(status_get h1 '.publishing[] | select(.service == "web") | .registration.pid')" -gt 0 ] ||
	fail "h1 status shows no owner: $(status_get h1 .publishing)"
grep -q "registered as web@h1" "$T/reg.err" || fail "register said: $(cat "$T/reg.err")"
# h1's own list says whose it is.
[ "$(req h1 '{"op":"list","service":"web"}' | jq -r '.instances[0].registration.uid')" = 0 ] ||
	fail "h1's list shows no owner: $(req h1 '{"op":"list","service":"web"}')"

# SIGHUP and avahi-daemon's restart keep it.
agent_reload h1
wait_for 10 eval '[ "$(status_get h1 .agent.reloads)" = 1 ]' || fail "h1 did not reload"
lists h1 web web@h1 || fail "a reload dropped the registration"
"$NETLAB" avahi-restart "$LAB" h1 || fail "avahi-restart h1"
wait_for 20 eval '[ "$(status_get h1 ".publishing[] | select(.service == \"web\") | .state")" = established ]' ||
	fail "the registration was not published again after avahi-daemon's restart: $(status_get h1 .publishing)"
wait_for 20 lists h2 web web@h1 || fail "h2 lost web@h1 after h1's avahi-daemon restarted"

# The registering process dies: the registration goes with it.
t_kill=$(now)
kill -KILL "$REG_PID"
wait_for 15 eval '[ -n "$(watch_events "$T/h2.watch" removed web@h1 '"$t_kill"')" ]' ||
	fail "h2 never saw web@h1 removed after the registering process was killed"
gone=$(ms_between "$t_kill" "$(watch_events "$T/h2.watch" removed web@h1 "$t_kill" | head -n 1 | cut -d' ' -f1)")
timing sigkill_to_gone_on_peer "$gone"
lists h1 web web@h1 && fail "h1 still lists web@h1"
log "registration: on h2 in $(ms_between "$t0" "$t_kill") ms window, gone $gone ms after SIGKILL"

# --- a registration's health check -------------------------------------------
on_bg h1 socat TCP-LISTEN:7300,reuseaddr,fork SYSTEM:true </dev/null >/dev/null 2>&1
LISTEN_PID=$BG_PID
CONSUMER_PIDS="$CONSUMER_PIDS $LISTEN_PID"
on_bg h1 "$LANYARD" --socket "$T/h1.sock" register checked 7300 --check-tcp 127.0.0.1:7300 \
	-- sleep 300 2>/dev/null
CONSUMER_PIDS="$CONSUMER_PIDS $BG_PID"
wait_for 20 lists h2 checked checked@h1 || fail "h2 never lists checked@h1 (its tcp check passing)"
t_chk=$(now)
kill "$LISTEN_PID"
wait_for 20 eval '! lists h2 checked checked@h1' || fail "checked@h1 stays on h2 with its listener dead"
timing registration_check_failed_to_gone "$(elapsed_ms "$t_chk")"
[ "$(status_get h1 '.publishing[] | select(.service == "checked") | .checks[0].state')" = critical ] ||
	fail "h1 status: $(status_get h1 .publishing)"

# --- the command's exit status, a conflict, a refused user --------------------
on h1 "$LANYARD" --socket "$T/h1.sock" register job 9000 -- sh -c 'exit 7' 2>/dev/null
[ $? = 7 ] || fail "register -- COMMAND does not exit with the command's status"
out=$(on h1 "$LANYARD" --socket "$T/h1.sock" register payments 1 -- true 2>&1)
[ $? = 1 ] && [[ $out == *"declared service has that name"* ]] || fail "no conflict for payments: $out"
out=$(on h1 setpriv --reuid=65534 --regid=65534 --clear-groups -- "$LANYARD" --socket "$T/h1.sock" \
	register sneaky 1 -- true 2>&1)
[ $? = 1 ] && [[ $out == *"may not register"* ]] || fail "nobody was not refused: $out"
out=$(on h1 "$LANYARD" --socket "$T/h1.sock" register web 1 --version nope -- true 2>&1)
[[ $out == *"'version': 'nope' is not a valid version"* ]] || fail "bad version: $out"

# --- a name collision on the LAN: the renamed registrant hears of it ---------
for h in h1 h2; do
	(
		printf '%s\n' '{"op":"register","id":1,"service":{"name":"coll","port":7400,"instance":"same"}}'
		sleep 12
	) | on "$h" socat -t 13 - "UNIX-CONNECT:$T/$h.sock" >"$T/coll.$h" 2>&1 &
	CONSUMER_PIDS="$CONSUMER_PIDS $!"
	# h1's first, so that h2's probe meets it.
	wait_for 10 eval '[ -n "$(status_get '"$h"' ".publishing[] | select(.service == \"coll\") | .state")" ]' ||
		fail "$h never took the coll registration"
done
wait_for 12 eval 'grep -q "\"event\":\"registration\"" "$T/coll.h1" "$T/coll.h2"' ||
	fail "no registration event after a collision: h1: $(cat "$T/coll.h1") h2: $(cat "$T/coll.h2")"
ev=$(grep -h '"event":"registration"' "$T/coll.h1" "$T/coll.h2" | head -n 1)
[ "$(jq -r .instance <<<"$ev")" != same ] && [ "$(jq -r .registration <<<"$ev")" -gt 0 ] ||
	fail "registration event: $ev"
log "collision: the renamed registration was told: $ev"

# --- the bounds: agent.register.max_per_connection (2 here) ---------------------
out=$(req h1 '{"op":"register","id":1,"service":{"name":"b1","port":7501}}' \
	'{"op":"register","id":2,"service":{"name":"b2","port":7502}}' \
	'{"op":"register","id":3,"service":{"name":"b3","port":7503}}')
[ "$(jq -r 'select(.id == 3) | .error.code' <<<"$out")" = busy ] &&
	[ "$(jq -r 'select(.id == 2) | .ok' <<<"$out")" = true ] || fail "bounds: $out"

# --- deregister on the same connection ----------------------------------------
out=$(req h1 '{"op":"register","id":1,"service":{"name":"temp","port":7000}}' \
	'{"op":"list","id":2,"service":"temp"}' '{"op":"deregister","id":3,"registration":9999}')
[ "$(jq -r 'select(.id == 1) | .ok' <<<"$out")" = true ] || fail "register: $out"
id=$(jq -r 'select(.id == 1) | .registration' <<<"$out")
[ "$(jq -r 'select(.id == 3) | .error.code' <<<"$out")" = not_found ] || fail "deregister 9999: $out"
out=$(req h1 '{"op":"register","id":1,"service":{"name":"temp2","port":7001}}' \
	"{\"op\":\"deregister\",\"id\":2,\"registration\":$((id + 1))}" '{"op":"status","id":3}')
[ "$(jq -r 'select(.id == 2) | .ok' <<<"$out")" = true ] || fail "deregister: $out"
[ "$(jq -r 'select(.id == 3) | [.status.publishing[].service] | index("temp2")' <<<"$out")" = null ] ||
	fail "temp2 still published after deregister: $out"

exit 0
