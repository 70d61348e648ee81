#!/bin/bash
# SPDX-License-Identifier: MIT
# lanyard fanout on a simulated LAN: three hosts' tiny socat responders each
# answer one JSON object; `fanout --merge json` from h4 returns them merged
# (exit 0), then with h3's responder gone the merge has two and _endpoints
# says why h3 failed (exit 1, the failure reported to h4's agent), then with
# h3's responder hanging, --timeout kills the command and nothing of it is
# left on h4. A service nobody publishes: exit 3.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
lab_up 4
consumer_workdir

declare -A RESPONDER=()
# responder HOST N [SYSTEM-COMMAND]: socat on HOST port 900N answering
# {"host":"hN","n":N} (or running SYSTEM-COMMAND) per connection. (The
# object sits in a file: socat's address syntax would eat its quotes and
# commas.)
responder() {
	local h=$1 n=$2 cmd=${3:-"cat $T/$1.json"}
	printf '{"host":"%s","n":%s}\n' "$h" "$n" >"$T/$h.json"
	on_bg "$h" socat "TCP6-LISTEN:900$n,ipv6only=0,reuseaddr,fork" "SYSTEM:$cmd" </dev/null >/dev/null 2>&1
	RESPONDER[$h]=$BG_PID
	CONSUMER_PIDS="$CONSUMER_PIDS $BG_PID"
	wait_for 10 on "$h" bash -c "exec 3<>/dev/tcp/127.0.0.1/900$n" 2>/dev/null || fail "socat on $h does not listen"
}
for n in 1 2 3; do
	responder "h$n" "$n"
	publish_start "h$n" "$T/pub$n.log" "echo@h$n" _echo._tcp "900$n"
done
[ "$(on h1 socat -u TCP:127.0.0.1:9001,connect-timeout=2 STDOUT)" = '{"host":"h1","n":1}' ] ||
	fail "h1's responder answers \"$(on h1 socat -u TCP:127.0.0.1:9001 STDOUT)\""

printf 'agent:\n  socket: %s\n  browse: [echo]\n' "$T/h4.sock" >"$T/h4.yaml"
agent_start_ready h4 "$T/h4.yaml"
wait_for 15 eval '[ "$(req h4 "{\"op\":\"list\",\"service\":\"echo\",\"family\":\"ipv4\"}" | jq ".instances | length")" = 3 ]' ||
	fail "h4 lists $(list_count h4 echo) instances of echo with an IPv4 address, want 3"

# x ARGS...: the lanyard CLI inside h4.
x() { on h4 "$LANYARD" --socket "$(sock h4)" "$@"; }
CONNECT=(socat -u 'TCP:{address}:{port},connect-timeout=2' STDOUT)
health() {
	req h4 '{"op":"list","service":"echo"}' |
		jq -r --arg i "$1" ".instances[] | select(.instance == \$i) | .health.$2"
}
a1=$(host_addr h1)
a2=$(host_addr h2)
a3=$(host_addr h3)
answered() { jq -c '[._endpoints.answered[] | "\(.instance) \(.address) \(.port)"]' <<<"$1"; }

# ---- all three answer ------------------------------------------------------------------------
rc=0
out=$(x fanout echo --family ipv4 --merge json -- "${CONNECT[@]}" 2>"$T/f1.err") || rc=$?
log "merged: $out"
[ "$rc" = 0 ] || fail "fanout --merge json exited $rc: $(cat "$T/f1.err")"
[ "$(jq -c 'del(._endpoints)' <<<"$out")" = '{"host":["h1","h2","h3"],"n":[1,2,3]}' ] ||
	fail "merged object: $out"
[ "$(answered "$out")" = "[\"echo@h1 $a1 9001\",\"echo@h2 $a2 9002\",\"echo@h3 $a3 9003\"]" ] ||
	fail "_endpoints.answered: $(answered "$out")"
[ "$(jq -c ._endpoints.failed <<<"$out")" = '[]' ] || fail "_endpoints.failed: $out"
# The summary went to stderr: a header and one line per endpoint.
[ "$(grep -c '  ok  ' "$T/f1.err")" = 3 ] && head -n 1 "$T/f1.err" | grep -q '^INSTANCE  ADDRESS' ||
	fail "summary: $(cat "$T/f1.err")"
# Without --merge: each output, prefixed, then the summary on stdout.
out=$(x fanout echo --family ipv4 -- "${CONNECT[@]}") || fail "fanout exited $?: $out"
grep -qxF 'echo@h2: {"host":"h2","n":2}' <<<"$out" || fail "fanout's output: $out"
grep -qE "^echo@h3 +$a3:9003 +ok +[0-9.]+ ms$" <<<"$out" || fail "fanout's summary: $out"
for n in 1 2 3; do
	[ "$(health "echo@h$n" failures)" = 0 ] || fail "echo@h$n has $(health "echo@h$n" failures) failures"
done

# ---- h3's responder is gone ------------------------------------------------------------------
kill "${RESPONDER[h3]}"
wait_for 10 eval '! on h3 bash -c "exec 3<>/dev/tcp/127.0.0.1/9003" 2>/dev/null' || fail "h3's responder still answers"
rc=0
out=$(x fanout echo --family ipv4 --merge json -- "${CONNECT[@]}" 2>"$T/f2.err") || rc=$?
log "merged without h3: $out"
[ "$rc" = 1 ] || fail "fanout with one endpoint down exited $rc, want 1"
[ "$(jq -c 'del(._endpoints)' <<<"$out")" = '{"host":["h1","h2"],"n":[1,2]}' ] ||
	fail "merged object without h3: $out"
[ "$(jq -c '._endpoints.failed' <<<"$out")" = "[{\"instance\":\"echo@h3\",\"address\":\"$a3\",\"port\":9003,\"why\":\"exit status 1\"}]" ] ||
	fail "_endpoints.failed: $out"
grep -qE "^echo@h3 +$a3:9003 +exit status 1 +[0-9.]+ ms$" "$T/f2.err" || fail "summary: $(cat "$T/f2.err")"
[ "$(health echo@h3 failures)" -ge 1 ] || fail "h4's agent counts $(health echo@h3 failures) failures for echo@h3"
[ "$(health echo@h1 failures)" = 0 ] || fail "echo@h1 has failures"

# ---- h3's responder hangs: --timeout kills the command and its process group ----------------
responder h3 3 'sleep 60'
rc=0
out=$(x fanout echo --family ipv4 --merge json --timeout 1s -- "${CONNECT[@]}" 2>"$T/f3.err") || rc=$?
[ "$rc" = 1 ] || fail "fanout with a hanging endpoint exited $rc, want 1"
[ "$(jq -r '._endpoints.failed[] | "\(.instance) \(.why)"' <<<"$out")" = "echo@h3 timed out" ] ||
	fail "_endpoints.failed with h3 hanging: $out"
[ "$(jq -c '.n' <<<"$out")" = '[1,2]' ] || fail "merged with h3 hanging: $out"
grep -qE "^echo@h3 +$a3:9003 +timed out +[0-9.]+ ms$" "$T/f3.err" || fail "summary: $(cat "$T/f3.err")"
left=""
for p in $("$NETLAB" pids "$LAB" h4); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = socat ] && left="$left $p"
done
[ -z "$left" ] || fail "socat processes of the timed-out command are still on h4:$left"

# ---- nothing matches ---------------------------------------------------------------------------
rc=0
x fanout nosuchservice -- true 2>/dev/null || rc=$?
[ "$rc" = 3 ] || fail "fanout of a service nobody publishes exited $rc, want 3"

agent_alive h4 || fail "lanyardd on h4 died"
agent_stop h4 || fail "lanyardd on h4 exited $AGENT_RC"
exit 0
