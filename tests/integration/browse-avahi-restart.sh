#!/bin/bash
# SPDX-License-Identifier: MIT
# avahi-daemon restarting on the browsing host: while it is down the agent's
# status says the browse is down and its entries are marked stale (served
# only as a last resort, flagged); once it is back the cache is rebuilt with
# no duplicates, and what vanished meanwhile is dropped.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

skip_unless_root_netns
lab_up 2
LANYARD=${LANYARD:-$top_builddir/client/lanyard}

cat >"$T/h1.yaml" <<YAML
agent: {socket: $T/h1.sock}
services:
  - {name: payments, port: 8443, tags: [eu]}
  - {name: search, port: 9200}
YAML
cat >"$T/h2.yaml" <<YAML
agent: {socket: $T/h2.sock, browse: [payments, search]}
YAML
agent_start h1 "$T/h1.yaml"
agent_start h2 "$T/h2.yaml"

q() { on h2 "$LANYARD" --socket "$T/h2.sock" --json "$@"; }
count() { q list "$1" | jq '.instances | length'; }
stale() { q list "$1" | jq -r '[.instances[] | .stale // false] | map(tostring) | join(",")'; }
browse_up() { q status | jq -r '.status.browsing.up'; }

wait_for 10 eval '[ "$(count payments)" = 1 ] && [ "$(count search)" = 1 ]' ||
	fail "h2 does not hold payments@h1 and search@h1: $(q list)"
[ "$(browse_up)" = true ] || fail "browse not up: $(q status | jq -c .status.browsing)"

# The family filter returns only that family's addresses (both exist here).
wait_for 10 eval '[ "$(q list payments --family ipv6 | jq ".instances[0].addresses | length")" = 1 ]' ||
	fail "no IPv6 address for payments@h1: $(q list payments)"
[ "$(q list payments --family ipv4 | jq -r '.instances[0].addresses | join(",")')" = "$(host_addr h1)" ] ||
	fail "--family ipv4: $(q list payments --family ipv4)"
case $(q list payments --family ipv6 | jq -r '.instances[0].addresses[0]') in
fe80:*%*) ;;
*) fail "--family ipv6: $(q list payments --family ipv6)" ;;
esac

# 1. avahi-daemon on h2 goes away: entries stay, marked stale, status says so.
"$NETLAB" avahi-stop "$LAB" h2 || fail "avahi-stop h2"
wait_for 5 eval '[ "$(browse_up)" = false ]' || fail "status still says the browse is up"
[ "$(stale payments)" = true ] || fail "payments@h1 not marked stale: $(q list payments)"
out=$(q resolve payments) || fail "resolve failed while the browse is down: $out"
[ "$(jq -r '.instance.stale' <<<"$out")" = true ] || fail "a stale pick is not flagged: $out"

# 2. It comes back: the same entries, fresh, no duplicates.
t0=$(now)
"$NETLAB" avahi-start "$LAB" h2 || fail "avahi-start h2"
wait_for 10 eval '[ "$(browse_up)" = true ] && [ "$(stale payments)" = false ]' ||
	fail "the browse did not recover: $(q status | jq -c .status.browsing) $(q list payments)"
timing avahi_back_to_fresh "$(ms_between "$t0" "$(now)")"
[ "$(count payments)" = 1 ] || fail "duplicates after the restart: $(q list payments)"
[ "$(count search)" = 1 ] || fail "search lost or duplicated: $(q list search)"

# 3. What disappears while the browse is down is gone once it is back.
"$NETLAB" avahi-stop "$LAB" h2 || fail "avahi-stop h2"
wait_for 5 eval '[ "$(browse_up)" = false ]' || fail "status still says the browse is up"
agent_stop h1 10
"$NETLAB" avahi-start "$LAB" h2 || fail "avahi-start h2"
wait_for 10 eval '[ "$(browse_up)" = true ]' || fail "the browse did not come back"
wait_for 5 eval '[ "$(count payments)" = 0 ] && [ "$(count search)" = 0 ]' ||
	fail "instances withdrawn while the browse was down are still cached: $(q list)"
exit 0
