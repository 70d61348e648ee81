#!/bin/bash
# SPDX-License-Identifier: MIT
# Every agent's cache holds every instance of a service on the LAN (lanyard peers and a foreign Avahi publisher) with exact addresses, ports, TXT and the local flag; times announce-to-cache.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
lab_up 4
consumer_workdir

agents="h1 h2 h3"
for n in 1 2 3; do
	cat >"$T/h$n.yaml" <<YAML
agent:
  socket: $T/h$n.sock
services:
  - name: payments
    port: 800$n
    version: 1.$n.0
    weight: $n
    tags: [pay, zone$n]
    txt: {zone: z$n}
YAML
done

# expected HOST-NUMBER LOCAL-HOST-NUMBER: the line list_lines prints for
# payments@hN as seen by the agent of hL.
expected() {
	local n=$1 l=$2 loc=false
	[ "$n" = "$l" ] && loc=true
	printf 'payments@h%s|h%s.local|%s|800%s|priority=0,tags=pay,zone%s,version=1.%s.0,weight=%s,zone=z%s|1.%s.0|%s|pay,zone%s|%s\n' \
		"$n" "$n" "$(host_addr "h$n")" "$n" "$n" "$n" "$n" "$n" "$n" "$n" "$n" "$loc"
}
FOREIGN="foreign payments"
# expected_foreign PORT [LOCAL]: the line for the avahi-publish instance on h4
# ("local" means published by this lanyardd: never another process's
# avahi-publish, even on the same host; issue 11).
expected_foreign() {
	printf '%s|h4.local|%s|%s|k=v,version=1.0.0,weight=5|1.0.0|5||%s\n' "$FOREIGN" "$(host_addr h4)" "$1" "${2:-false}"
}

# --- lanyard peers -------------------------------------------------------------
t0=$(now)
for h in $agents; do agent_start_ready "$h" "$T/$h.yaml"; done
for h in $agents; do
	wait_for 10 published "$h" payments || fail "$h: payments not established: $(status_get "$h" .publishing)"
done
log "3 agents up and published in $(elapsed_ms "$t0") ms"

peers_expected() {
	local l=$1 n
	for n in 1 2 3; do expected "$n" "${l#h}"; done
}
for h in $agents; do
	wait_for 10 eval '[ "$(list_lines '"$h"' payments)" = "$(peers_expected '"$h"')" ]' ||
		fail "$h lists for payments:
$(list_lines "$h" payments)
expected:
$(peers_expected "$h")"
done
log "every agent lists the 3 lanyard instances"

# --- a foreign publisher appears: announce -> cache ----------------------------
for h in $agents; do watch_record "$h" payments "$T/$h.watch"; done
publish_start h4 "$T/h4.publish.log" "$FOREIGN" _payments._tcp 9004 "version=1.0.0" "weight=5" "k=v"
t_pub=$PUB_T0
t_est=$PUB_EST

all_expected() {
	local l=$1
	{
		peers_expected "$l"
		expected_foreign 9004
	} | sort
}
for h in $agents; do
	wait_for 10 eval '[ -n "$(watch_events "$T/'"$h"'.watch" added "$FOREIGN")" ]' ||
		fail "$h: no added event for \"$FOREIGN\" within 10 s of its announcement"
done
worst=0
for h in $agents; do
	t=$(watch_events "$T/$h.watch" added "$FOREIGN" | head -n 1 | cut -d' ' -f1)
	ms=$(ms_between "$t_est" "$t")
	log "$h: \"$FOREIGN\" in the cache $ms ms after avahi-publish reported it established"
	[ "$ms" -gt "$worst" ] && worst=$ms
done
timing announce_to_cache "$worst"
worst=0
for h in $agents; do
	t=$(watch_events "$T/$h.watch" added "$FOREIGN" | head -n 1 | cut -d' ' -f1)
	ms=$(ms_between "$t_pub" "$t")
	[ "$ms" -gt "$worst" ] && worst=$ms
done
timing publish_start_to_cache "$worst"

for h in $agents; do
	got=$(list_lines "$h" payments)
	[ "$got" = "$(all_expected "$h")" ] || fail "$h lists for payments:
$got
expected:
$(all_expected "$h")"
	# Addresses: the IPv4 one of the publishing host, any others link-local IPv6.
	bad=$(req "$h" '{"op":"list","service":"payments"}' |
		jq -r '.instances[] | .addresses[] | select(test("^[0-9.]+$") | not) | select(test("^fe80:"; "i") | not)')
	[ -z "$bad" ] || fail "$h: unexpected addresses in the list: $bad"
	# The same instances by DNS-SD type, and each exactly once.
	[ "$(list_lines "$h" _payments._tcp)" = "$(all_expected "$h")" ] || fail "$h: list by type differs:
$(list_lines "$h" _payments._tcp)"
	# services: payments with 4 instances, declared locally.
	svc=$(req_ok "$h" '{"op":"services"}' | jq -c '.services[] | select(.service == "payments") | [.type, .instances, .local]')
	[ "$svc" = '["_payments._tcp",4,true]' ] || fail "$h: services entry for payments is $svc"
done
log "every agent lists all 4 instances exactly"

# The foreign instance resolves by name; the agent's pick is h4's IPv4
# address (global before link-local).
for h in $agents; do
	out=$(req_ok "$h" "{\"op\":\"resolve\",\"service\":\"payments\",\"instance\":\"$FOREIGN\"}" |
		jq -r '.instance | "\(.instance)|\(.address) \(.port)"')
	[ "$out" = "$FOREIGN|$(host_addr h4) 9004" ] || fail "$h: resolve of the foreign instance gave '$out'"
done

# --- a new lanyard instance later: start-to-cache ---------------------------------
# h4 gets an agent too, declaring payments; the others see it within the DESIGN target.
cat >"$T/h4.yaml" <<YAML
agent:
  socket: $T/h4.sock
services:
  - name: payments
    port: 8004
    version: 1.4.0
    weight: 4
    tags: [pay, zone4]
    txt: {zone: z4}
YAML
t_start=$(now)
agent_start h4 "$T/h4.yaml"
for h in $agents; do
	wait_for 10 eval '[ -n "$(watch_events "$T/'"$h"'.watch" added payments@h4)" ]' ||
		fail "$h: no added event for payments@h4 within 10 s"
done
worst=0
for h in $agents; do
	t=$(watch_events "$T/$h.watch" added payments@h4 | head -n 1 | cut -d' ' -f1)
	ms=$(ms_between "$t_start" "$t")
	[ "$ms" -gt "$worst" ] && worst=$ms
done
timing agent_start_to_cache "$worst"
for h in $agents; do
	want=$({
		all_expected "$h"
		expected 4 "${h#h}"
	} | sort)
	wait_for 5 eval '[ "$(list_lines '"$h"' payments)" = "$want" ]' || fail "$h lists after h4's agent started:
$(list_lines "$h" payments)
expected:
$want"
done
wait_for 10 agent_ready h4 || fail "h4's agent does not answer"
want=$({
	for n in 1 2 3 4; do expected "$n" 4; done
	expected_foreign 9004 false
} | sort)
wait_for 10 eval '[ "$(list_lines h4 payments)" = "$want" ]' || fail "h4 lists:
$(list_lines h4 payments)
expected:
$want"

# The CLI prints the agent's pick ("ADDRESS PORT": global before link-local),
# not merely the first of the instance's addresses (which may be IPv6
# link-local, depending on which sighting came first).
for h in $agents h4; do
	for inst in payments@h1 payments@h2 payments@h3 payments@h4 "$FOREIGN"; do
		want=$(req_ok "$h" "{\"op\":\"resolve\",\"service\":\"payments\",\"instance\":\"$inst\"}" |
			jq -r '.instance | "\(.address) \(.port)"')
		case $want in 192.0.2.*) ;; *) fail "$h: the agent's pick for $inst is '$want', not its IPv4 address" ;; esac
		out=$(cli "$h" resolve payments --instance "$inst") || fail "$h: lanyard resolve --instance $inst failed: $out"
		[ "$out" = "$want" ] || fail "$h: 'lanyard resolve payments --instance \"$inst\"' printed '$out'; the agent picked '$want'"
		out=$(cli "$h" resolve payments --instance "$inst" --family ipv4) || fail "$h: lanyard resolve --family ipv4 failed: $out"
		[ "$out" = "$want" ] || fail "$h: lanyard resolve --instance $inst --family ipv4 printed '$out'"
	done
done

for h in $agents h4; do agent_alive "$h" || fail "lanyardd on $h died"; done
for h in $agents h4; do agent_stop "$h" || fail "lanyardd on $h exited $AGENT_RC"; done
exit 0
