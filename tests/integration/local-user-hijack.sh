#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 11, finding 1: an unprivileged local user's avahi-publish of
# payments@evil with weight=65535 on h1 is not "local" to h1's lanyardd
# (which publishes payments itself): prefer-local picks never go to it. With
# trust.max_weight its weight counts as the cap; with trust.from (host
# names, then networks) it and a LAN rogue on h3 are never picked, while
# h2's real provider keeps its share and h1's own instance is exempt.
# Needs agent/agent.c to call balance_set_trust() at start and reload.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
command -v setpriv >/dev/null || fail "setpriv (util-linux) not installed"
lab_up 3
consumer_workdir

# h1's configuration with TRUST (YAML lines under the service, may be empty).
h1_config() {
	cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
  browse: [payments]
services:
  - name: payments
    port: 8001
$1
YAML
}
h1_config ""
printf 'agent:\n  socket: %s\nservices:\n  - name: payments\n    port: 8002\n' "$T/h2.sock" >"$T/h2.yaml"
agent_start_ready h1 "$T/h1.yaml"
agent_start_ready h2 "$T/h2.yaml"

# The rogues: a local unprivileged user on h1 (through h1's avahi-daemon,
# whose D-Bus policy lets everyone publish), and a peer on h3.
rogue_pub() {
	local h=$1 log=$2
	shift 2
	"$NETLAB" exec "$LAB" "$h" setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		stdbuf -oL avahi-publish -s "$@" >"$log" 2>&1 </dev/null &
	CONSUMER_PIDS="$CONSUMER_PIDS $!"
	wait_for 10 grep -q Established "$log" || fail "avahi-publish $* on $h as nobody: $(cat "$log")"
}
rogue_pub h1 "$T/rogue1.log" 'payments@evil' _payments._tcp 9999 weight=65535
rogue_pub h3 "$T/rogue3.log" 'payments@h3evil' _payments._tcp 9998 weight=65535 priority=0

wait_for 15 eval '[ "$(list_count h1 payments)" = 4 ]' ||
	fail "h1 lists $(list_count h1 payments) instances of payments: $(list_lines h1 payments)"
# Every address a sighting brings (IPv4 and IPv6) is in before picks count.
wait_for 10 eval '[ "$(req h1 "{\"op\":\"list\",\"service\":\"payments\"}" | jq "[.instances[] | select(.port == 8002 and (.addresses | length) >= 1)] | length")" = 1 ]' ||
	fail "h2's instance has no address on h1"

# local_of PORT: h1's "local" field of the instance on PORT.
local_of() { req h1 '{"op":"list","service":"payments"}' | jq -r ".instances[] | select(.port == $1) | .local"; }
[ "$(local_of 8001)" = true ] || fail "h1's own payments is not local: $(list_lines h1 payments)"
[ "$(local_of 9999)" = false ] || fail "the local user's payments@evil is local to lanyardd: $(list_lines h1 payments)"
[ "$(local_of 8002)" = false ] || fail "h2's payments is local on h1"

# picks N JSON_EXTRA: N resolves of payments on one connection; "PORT COUNT" lines.
picks() {
	local n=$1 extra=$2 i reqs=()
	for ((i = 0; i < n; i++)); do reqs+=("{\"op\":\"resolve\",\"service\":\"payments\"$extra}"); done
	req h1 "${reqs[@]}" | jq -r 'if .ok then .instance.port else "err:" + .error.code end' |
		sort | uniq -c | awk '{ print $2, $1 }'
}
count_of() { awk -v p="$1" '$1 == p { print $2 }' <<<"$2"; }

# ---- prefer local: only h1's own instance, whatever the policy -------------------
for policy in weighted round_robin random; do
	c=$(picks 20 ",\"prefer\":\"local\",\"policy\":\"$policy\"")
	log "prefer local, $policy: $(tr '\n' ' ' <<<"$c")"
	[ "$c" = "8001 20" ] || fail "prefer local ($policy) picks went elsewhere than h1's own: $c"
done
c=$(cli h1 resolve payments --prefer-local --policy weighted 2>&1)
[[ $c == *8001* ]] || fail "lanyard resolve --prefer-local: $c"

# Unconfigured, TXT weight is the publisher's word (mDNS has no
# authentication): the rogues' 65535 dominate plain weighted picks.
c=$(picks 40 ',"policy":"weighted"')
log "weighted, no trust: $(tr '\n' ' ' <<<"$c")"

# reload_with TRUST N: h1 reloads with TRUST and has done so N times.
reload_with() {
	h1_config "$1"
	agent_reload h1
	wait_for 10 eval '[ "$(status_get h1 .agent.reloads)" = '"$2"' ]' || fail "h1 did not reload ($2): $(tail -n 5 "$(agent_log h1)")"
}

# ---- trust.max_weight: the rogues' weight counts as 1 ------------------------------
reload_with "    trust: {max_weight: 1}" 1
c=$(picks 60 ',"policy":"weighted"')
log "weighted, max_weight 1: $(tr '\n' ' ' <<<"$c")"
for p in 8001 8002 9999 9998; do
	[ "$(count_of $p "$c")" = 15 ] || fail "with max_weight 1, port $p got $(count_of $p "$c") of 60 weighted picks (want 15 each): $c"
done
cap=$(req h1 '{"op":"list","service":"payments"}' | jq -c '.instances[] | select(.port == 9999) | .capped')
[ "$cap" = '{"weight":1,"priority":0}' ] || fail "list does not show the cap on payments@evil: $cap"
[ "$(req h1 '{"op":"list","service":"payments"}' | jq -c '.instances[] | select(.port == 8001) | .capped')" = null ] ||
	fail "h1's own instance is capped"

# ---- trust.from by host name: only h2 (and h1's own) -----------------------------
reload_with "    trust: {max_weight: 1, from: [h2]}" 2
c=$(picks 40 ',"policy":"weighted"')
log "weighted, from [h2]: $(tr '\n' ' ' <<<"$c")"
[ "$c" = "8001 20
8002 20" ] || fail "with from [h2], weighted picks: $c"
c=$(picks 40 ',"policy":"random"')
[ -z "$(count_of 9999 "$c")$(count_of 9998 "$c")" ] || fail "with from [h2], random picks reached a rogue: $c"
u=$(req h1 '{"op":"list","service":"payments"}' | jq -r '[.instances[] | select(.untrusted) | .port] | sort | join(",")')
[ "$u" = "9998,9999" ] || fail "list marks as untrusted: '$u' (want 9998,9999)"

# ---- trust.from by network: h2's IPv4 address and the link-local range ----------------
h2ip=$(host_addr h2)
reload_with "    trust: {from: [$h2ip/32, \"fe80::/10\"]}" 3
c=$(picks 40 ',"policy":"round_robin"')
log "round robin, from [$h2ip/32, fe80::/10]: $(tr '\n' ' ' <<<"$c")"
[ "$c" = "8001 20
8002 20" ] || fail "with from [$h2ip/32], round robin picks: $c"
c=$(cli h1 resolve payments --policy random 2>&1)
[[ $c == *8001* || $c == *8002* ]] || fail "lanyard resolve with from: $c"

# The agent took the rogues and stays up.
agent_alive h1 || fail "h1's lanyardd died"
agent_stop h1 || fail "lanyardd on h1 exited $AGENT_RC"
agent_stop h2 || fail "lanyardd on h2 exited $AGENT_RC"
exit 0
