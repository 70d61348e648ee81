#!/bin/bash
# SPDX-License-Identifier: MIT
# agent.probe (opt-in): the endpoints a host's consumers are handed get a TCP
# connect every interval; one that fails is marked down and no longer handed
# out, whatever published it (here plain avahi-publish on a host without
# lanyardd), and comes back once it answers. Without agent.probe nothing is
# probed and mDNS's timing holds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
lab_up 3
consumer_workdir

GONE_S=15 # generous for a loaded machine; the default settings need ~2 s

cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
  probe:
    interval: 1s
    timeout: 500ms
    fall: 2
    rise: 1
YAML
cat >"$T/h3.yaml" <<YAML
agent:
  socket: $T/h3.sock
YAML

# A TCP listener on h2 port 9001 (socat, forking): "live"; nothing on 9002: "dead".
listen_start() {
	on_bg h2 socat TCP-LISTEN:9001,reuseaddr,fork SYSTEM:true </dev/null >/dev/null 2>&1
	LISTEN_PID=$BG_PID
	CONSUMER_PIDS="$CONSUMER_PIDS $LISTEN_PID"
	wait_for 10 on h2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9001' 2>/dev/null || fail "socat on h2 does not listen"
}
listen_start
publish_start h2 "$T/live.log" live _payments._tcp 9001
publish_start h2 "$T/dead.log" dead _payments._tcp 9002

agent_start_ready h1 "$T/h1.yaml"
agent_start_ready h3 "$T/h3.yaml"
[ "$(status_get h1 .probing.enabled)" = true ] || fail "h1: probing not enabled: $(status_get h1 .probing)"
[ "$(status_get h3 .probing.enabled)" = false ] || fail "h3: probing enabled without agent.probe"

names() { req "$1" '{"op":"list","service":"payments"}' | jq -r 'select(.ok) | .instances[].instance' | sort | tr '\n' ' '; }
for h in h1 h3; do
	wait_for 15 eval '[ "$(names '$h')" = "dead live " ]' || fail "$h lists \"$(names $h)\", want dead and live"
done

# down HOST INSTANCE: HOST's list marks INSTANCE down.
down() {
	[ "$(req "$1" '{"op":"list","service":"payments"}' |
		jq -r --arg i "$2" '.instances[] | select(.instance == $i) | .down // false')" = true ]
}
# resolves HOST N: the instance names of N resolves on HOST, sorted, unique.
resolves() {
	local i
	for ((i = 0; i < $2; i++)); do
		req "$1" '{"op":"resolve","service":"payments"}' | jq -r '.instance.instance // .error.code'
	done | sort -u | tr '\n' ' '
}

watch_record h1 payments "$T/h1.watch"
# Round robin hands out both: both get probed; "dead" refuses connections.
t0=$(now)
[ "$(resolves h1 4)" = "dead live " ] || fail "h1 did not hand out both endpoints before probing"
wait_for $GONE_S down h1 dead || fail "h1 never marked dead (port 9002 closed) down: $(status_get h1 .probing)"
timing probe_dead_marked_down "$(elapsed_ms "$t0")"
[ "$(resolves h1 10)" = "live " ] || fail "h1 still hands out the down endpoint: $(resolves h1 10)"
down h1 live && fail "h1 marked the live endpoint down"
wait_for 5 eval '[ -n "$(grep "\"down\":true" "$T/h1.watch")" ]' || fail "h1's watch saw no change to down"
[ "$(status_get h1 .probing.down)" = 1 ] || fail "h1 status: $(status_get h1 .probing)"
# Without agent.probe, h3 still hands out both (mDNS has not withdrawn it).
[ "$(resolves h3 6)" = "dead live " ] || fail "h3 (no agent.probe) stopped handing out dead: $(resolves h3 6)"
down h3 dead && fail "h3 marked dead down without agent.probe"
log "probing: the closed port is marked down in $(elapsed_ms "$t0") ms and no longer handed out"

# The listener dies: live goes down too; nothing left to hand out.
t1=$(now)
kill "$LISTEN_PID"
wait_for $GONE_S down h1 live || fail "h1 never marked live down after its listener died"
timing probe_killed_marked_down "$(elapsed_ms "$t1")"
[ "$(resolves h1 3)" = "not_found " ] || fail "h1 resolves $(resolves h1 3) with every endpoint down"
# And back: the listener restarts, the next probe succeeds (rise 1).
listen_start
t2=$(now)
wait_for $GONE_S eval '! down h1 live' || fail "h1 never brought live back after its listener restarted"
timing probe_back "$(elapsed_ms "$t2")"
[ "$(resolves h1 4)" = "live " ] || fail "h1 does not hand out live again: $(resolves h1 4)"
down h1 dead || fail "dead came back without a listener"

# A reload turning probing off clears the marks: mDNS's timing again.
sed -i '/probe:/,$d' "$T/h1.yaml"
agent_reload h1
wait_for 10 eval '[ "$(status_get h1 .probing.enabled)" = false ]' || fail "reload did not turn probing off"
! down h1 dead || fail "dead still marked down with probing off"
[ "$(resolves h1 6)" = "dead live " ] || fail "h1 with probing off does not hand out both: $(resolves h1 6)"
log "probing off by reload: marks cleared"

exit 0
