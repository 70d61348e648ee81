#!/bin/bash
# SPDX-License-Identifier: MIT
# Collision prerequisites: lanyardd on h2 and h3 publish the same instance
# name ("shop") into knotd's zone on h1. h2 comes first and keeps it; h3
# finds h2's SRV there and publishes "shop #2" (as avahi renames on mDNS),
# says so once in its log and in status; neither overwrote the other.
# Then h2 crashes and restarts: it finds its own SRV there and takes its
# name back without renaming; h3's records stay.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-knot.sh"

knot_test_setup
lab_up 3
a1=$(host_addr h1)
Z=lan-a.sd.example
knot_primary h1 "$Z"

dig() { on h1 kdig +short +time=1 +retry=0 "@$a1" "$1" "$2" 2>/dev/null | sort; }
status() { on "$1" "$LANYARD" --json status | jq -c '(.status // .).wide_area'; }
SHOP="shop._shop._tcp.$Z"
SHOP2='shop\032#2._shop._tcp.'$Z
SHOP2_SHOWN='shop\032\0352._shop._tcp.'$Z. # as kdig prints it

for h in h2:8082 h3:8083; do
	IFS=: read -r host port <<<"$h"
	cat >"$T/$host.yaml" <<YAML
agent:
  user: root
  wide_area:
    zone: $Z
    server: $a1
    tsig_key: $T/tsig.key
    refresh: 2s
services:
  - name: shop
    port: $port
    instance: shop
    txt: {from: $host}
YAML
done

# --- h2 first: the name is free ----------------------------------------------------
agent_start h2 "$T/h2.yaml"
wait_for 10 eval '[ "$(dig "$SHOP" SRV)" = "0 0 8082 h2.$Z." ]' ||
	fail "h2's shop did not appear: SRV '$(dig "$SHOP" SRV)'; $(status h2)"
[ "$(status h2 | jq -c .renamed)" = "[]" ] || fail "h2 reports a rename: $(status h2)"

# --- h3 asks for the same name: renamed, h2's records untouched ---------------------
agent_start h3 "$T/h3.yaml"
wait_for 10 eval '[ "$(dig "$SHOP2" SRV)" = "0 0 8083 h3.$Z." ]' ||
	fail "h3's shop #2 did not appear: '$(dig "$SHOP2" SRV)'; shop: '$(dig "$SHOP" SRV)'; $(status h3)"
[ "$(dig "$SHOP" SRV)" = "0 0 8082 h2.$Z." ] || fail "h3 overwrote h2's SRV: $(dig "$SHOP" SRV)"
dig "$SHOP" TXT | grep -qF '"from=h2"' || fail "h3 overwrote h2's TXT: $(dig "$SHOP" TXT)"
dig "$SHOP2" TXT | grep -qF '"from=h3"' || fail "h3's TXT: $(dig "$SHOP2" TXT)"
[ "$(dig "_shop._tcp.$Z" PTR | tr '\n' ' ')" = "shop._shop._tcp.$Z. $SHOP2_SHOWN " ] ||
	fail "type PTRs: $(dig "_shop._tcp.$Z" PTR)"
wait_for 5 eval '[ "$(status h3 | jq -c ".renamed")" = "[{\"type\":\"_shop._tcp\",\"instance\":\"shop\",\"published\":\"shop #2\",\"confirmed\":true}]" ]' ||
	fail "h3's status does not report the rename: $(status h3)"
[ "$(status h3 | jq -r .state)" = synced ] || fail "h3 not synced: $(status h3)"
# the manifest lists the published name: a reaper of h3 deletes h3's
dig "h3._lanyard.$Z" PTR | grep -qxF "$SHOP2_SHOWN" ||
	fail "h3's manifest: $(dig "h3._lanyard.$Z" PTR)"
! dig "h3._lanyard.$Z" PTR | grep -qxF "shop._shop._tcp.$Z." || fail "h3's manifest lists h2's name"
# said once: wait for a few more heartbeats first
hb0=$(dig "h3._lanyard.$Z" TXT)
wait_for 5 eval '[ "$(dig "h3._lanyard.$Z" TXT)" != "$hb0" ]' || fail "h3's heartbeat does not move"
n=$(grep -c 'instance name "shop" of _shop._tcp is another host.s in the zone; published as "shop #2"' "$(agent_log h3)")
[ "$n" = 1 ] || fail "h3 logged the rename $n times: $(grep 'wide area' "$(agent_log h3)")"
! grep -q 'published as' "$(agent_log h2)" || fail "h2 logged a rename"

# --- h2 crashes and comes back at once: its own name, no rename ---------------------
kill -KILL "${AGENT_PID[h2]}"
wait "${AGENT_PID[h2]}" 2>/dev/null
unset "AGENT_PID[h2]"
sed -i 's/from: h2/from: h2-again/' "$T/h2.yaml"
agent_start h2 "$T/h2.yaml"
wait_for 10 eval 'dig "$SHOP" TXT | grep -qF "\"from=h2-again\""' ||
	fail "h2 did not take its name back: TXT '$(dig "$SHOP" TXT)'; $(status h2)"
[ "$(dig "$SHOP" SRV)" = "0 0 8082 h2.$Z." ] || fail "h2's SRV after the restart: $(dig "$SHOP" SRV)"
[ "$(status h2 | jq -c .renamed)" = "[]" ] || fail "h2 renamed its own name: $(status h2)"
[ -z "$(dig 'shop\032#3._shop._tcp.'$Z SRV)" ] || fail "a shop #3 appeared"
[ "$(dig "$SHOP2" SRV)" = "0 0 8083 h3.$Z." ] || fail "h3's records went: $(dig "$SHOP2" SRV)"

for h in h2 h3; do
	agent_stop "$h" || fail "lanyardd on $h exited $AGENT_RC on SIGTERM"
done
# both withdrew their own names only
wait_for 5 eval '[ -z "$(dig "$SHOP" SRV)$(dig "$SHOP2" SRV)" ]' ||
	fail "records left: shop '$(dig "$SHOP" SRV)' shop #2 '$(dig "$SHOP2" SRV)'"
exit 0
