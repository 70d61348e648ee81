#!/bin/bash
# SPDX-License-Identifier: MIT
# Browse pinning (issue 11, finding 6): a local user who asks for hundreds
# of made-up services may start only agent.limits.browses_per_user browses
# on demand; the rest are refused "busy", and a real service asked for
# afterwards is still browsed and found (before, 260 made-up names filled
# the agent's 512 browsed types and the real one stayed not_found).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
command -v setpriv >/dev/null || fail "setpriv (util-linux) not installed"
lab_up 2
consumer_workdir
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --)

cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
  socket_mode: "0666"
  browse_timeout: 300ms
  limits: {browses_per_user: 16, connections_per_user: 32}
YAML
agent_start_ready h1 "$T/h1.yaml"
publish_start h2 "$T/pub.log" "realsvc@h2" _realsvc._tcp 7000

# nobody: 300 made-up names (600 types) on 10 connections at once.
pids=""
for k in $(seq 0 9); do
	lines=()
	for i in $(seq 0 29); do lines+=("{\"op\":\"resolve\",\"service\":\"junk$k-$i\"}"); done
	printf '%s\n' "${lines[@]}" |
		"${NOBODY[@]}" socat -t 30 -T 60 - "UNIX-CONNECT:$T/h1.sock" >"$T/junk.$k" 2>/dev/null &
	pids="$pids $!"
done
CONSUMER_PIDS="$CONSUMER_PIDS $pids"
wait $pids
answered=$(cat "$T"/junk.* | wc -l)
busy=$(cat "$T"/junk.* | jq -r '.error.code // "ok"' | grep -c '^busy$')
log "300 made-up names from nobody: $answered answered, $busy refused busy"
[ "$answered" = 300 ] || fail "only $answered of 300 resolves were answered"
# 16 types are 8 names (each a _tcp and a _udp type).
[ "$busy" = 292 ] || fail "$busy of 300 refused, want 292 (8 names allowed)"
cat "$T"/junk.* | jq -r '.error.message // empty' | grep -q browses_per_user ||
	fail "the refusal does not name the limit"
[ "$(status_get h1 .browsing.over_quota)" = 292 ] ||
	fail "status.browsing.over_quota: $(status_get h1 .browsing.over_quota)"

# A real service asked for now is browsed, and found.
wait_for 20 eval '[ "$(cli h1 resolve realsvc)" = "$(host_addr h2) 7000" ]' ||
	fail "realsvc is not found after nobody's flood: $(cli h1 resolve realsvc 2>&1)"
n=$(status_get h1 '.browsing.types | length')
log "types browsed on h1: $n"
[ "$n" -le 20 ] || fail "$n types browsed"
log "PASS"
