#!/bin/bash
# SPDX-License-Identifier: MIT
# lanyard exec on a simulated LAN: "dead" (avahi-publish'ed on h1, nothing
# listening on its port) and "live" (h2, a socat listener). With --retries
# every run gets through to live; each failure on dead is reported, so h3's
# agent counts them and ejects dead after 5, and the runs after that go
# straight to live. Placeholders, LANYARD_* variables, an IPv6 link-local
# address with its zone, the command's exit status.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
command -v bash >/dev/null || skip "bash not installed"
lab_up 3
consumer_workdir

# live: h2 port 9001 answers one line per connection, over IPv4 and IPv6.
on_bg h2 socat TCP6-LISTEN:9001,ipv6only=0,reuseaddr,fork SYSTEM:'echo live-h2' </dev/null >/dev/null 2>&1
CONSUMER_PIDS="$CONSUMER_PIDS $BG_PID"
wait_for 10 on h2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9001' 2>/dev/null || fail "socat on h2 does not listen"
publish_start h2 "$T/live.log" live _web._tcp 9001
publish_start h1 "$T/dead.log" dead _web._tcp 9002

printf 'agent:\n  socket: %s\n  browse: [web]\n' "$T/h3.sock" >"$T/h3.yaml"
agent_start_ready h3 "$T/h3.yaml"
names() { req h3 '{"op":"list","service":"web"}' | jq -r 'select(.ok) | .instances[].instance' | sort | tr '\n' ' '; }
wait_for 15 eval '[ "$(names)" = "dead live " ]' || fail "h3 lists \"$(names)\", want dead and live"
wait_for 10 eval '[ "$(req h3 "{\"op\":\"list\",\"service\":\"web\",\"family\":\"ipv4\"}" | jq ".instances | length")" = 2 ]' ||
	fail "not every instance has its IPv4 address on h3"

# x ARGS...: the lanyard CLI inside h3 (where the LAN's addresses are reachable).
x() { on h3 "$LANYARD" --socket "$(sock h3)" "$@"; }
# health INSTANCE FIELD: h3's selection state of INSTANCE (list's health member).
health() {
	req h3 '{"op":"list","service":"web"}' |
		jq -r --arg i "$1" ".instances[] | select(.instance == \$i) | .health.$2"
}
CONNECT=(socat -u 'TCP:{address}:{port},connect-timeout=2' STDOUT)

# ---- --retries moves past dead, and the failure reaches the agent ---------------------------
retried=0
ejected_after=""
for ((run = 1; run <= 12; run++)); do
	rc=0
	out=$(x exec web --policy round_robin --retries 2 -- "${CONNECT[@]}" 2>"$T/exec.$run.err") || rc=$?
	[ "$rc" = 0 ] && [ "$out" = live-h2 ] ||
		fail "run $run: exit $rc, output \"$out\", stderr: $(cat "$T/exec.$run.err")"
	if grep -qxF "lanyard: exec: dead ($(host_addr h1):9002): exit status 1; trying another pick (1 of 2)" "$T/exec.$run.err"; then
		retried=$((retried + 1))
		f=$(health dead failures)
		[ "$f" -ge 1 ] 2>/dev/null || [ "$(health dead ejected)" = true ] ||
			fail "run $run failed on dead, but h3 counts $f failures for it"
	elif [ -s "$T/exec.$run.err" ]; then
		fail "run $run said: $(cat "$T/exec.$run.err")"
	fi
	if [ "$(health dead ejected)" = true ]; then
		ejected_after=$run
		break
	fi
done
log "dead was tried first in $retried runs, ejected after run ${ejected_after:-never}"
[ -n "$ejected_after" ] || fail "dead not ejected after 12 runs ($retried failed on it): $(req h3 '{"op":"list","service":"web"}' | jq -c '.instances[] | {instance, health}')"
[ "$retried" -ge 5 ] || fail "only $retried runs tried dead before it was ejected"
[ "$(status_get h3 '.ejected[] | select(.instance == "dead") | .reason')" = failures ] ||
	fail "h3's status does not show dead ejected by failures: $(status_get h3 .ejected)"
[ "$(health live failures)" = 0 ] || fail "live has $(health live failures) failures"
for run in a b c; do
	out=$(x exec web --policy round_robin --retries 2 -- "${CONNECT[@]}" 2>"$T/exec.$run.err") ||
		fail "after the ejection: exit status $?"
	[ "$out" = live-h2 ] && [ ! -s "$T/exec.$run.err" ] ||
		fail "after the ejection, a run said \"$out\" and: $(cat "$T/exec.$run.err")"
done

# ---- what the command gets ------------------------------------------------------------------
out=$(x exec web --instance live -- sh -c 'echo "$LANYARD_INSTANCE|$LANYARD_SERVICE|$LANYARD_ADDRESS|$LANYARD_PORT|$LANYARD_HOST"')
[ "$out" = "live|web|$(host_addr h2)|9001|h2.local" ] || fail "the environment of a command: $out"
out=$(x exec web --instance live -- printf '%s %s\n' '{instance}@{host}' '{{port}}')
[ "$out" = "live@h2.local {9001}" ] || fail "placeholders: $out"
# An IPv6 link-local address keeps its zone, and works to connect.
if [ "$(req h3 '{"op":"list","service":"web","instance":"live","family":"ipv6"}' | jq '.instances | length')" = 1 ]; then
	addr=$(x exec web --instance live --family ipv6 -- echo '{address}')
	[[ $addr =~ ^fe80::[0-9a-f:]+%[0-9]+$ ]] || fail "IPv6 {address} of live: \"$addr\""
	out=$(x exec web --instance live --family ipv6 -- \
		bash -c 'exec 3<>"/dev/tcp/$LANYARD_ADDRESS/$LANYARD_PORT" && cat <&3')
	[ "$out" = live-h2 ] || fail "connecting to $addr port 9001 from h3: \"$out\""
	log "IPv6: $addr"
else
	log "live has no IPv6 address on h3: the zone is not checked"
fi

# ---- exit statuses --------------------------------------------------------------------------
rc=0
x exec web --instance live -- sh -c 'exit 7' || rc=$?
[ "$rc" = 7 ] || fail "a command exiting 7: lanyard exec exited $rc"
rc=0
x exec web --instance live -- sh -c 'kill -KILL $$' || rc=$?
[ "$rc" = 137 ] || fail "a command killed by SIGKILL: lanyard exec exited $rc"
rc=0
x exec nosuchservice -- true 2>/dev/null || rc=$?
[ "$rc" = 3 ] || fail "exec of a service nobody publishes exited $rc, want 3"
rc=0
x exec web -- 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "exec without a command exited $rc, want 2"

agent_alive h3 || fail "lanyardd on h3 died"
agent_stop h3 || fail "lanyardd on h3 exited $AGENT_RC"
exit 0
