#!/bin/bash
# SPDX-License-Identifier: MIT
# Two LANs joined by a router (multicast does not cross it): knotd on LAN A
# is the zone's primary and takes lanyardd's signed updates there; knotd on
# LAN B is a secondary (NOTIFY + IXFR). A consumer on LAN B finds A's
# service through B's secondary, sees a TXT change arrive, and sees it go
# after a clean stop on A; over mDNS it sees nothing of A. On LAN B,
# lanyardd browses the zone through B's secondary: on h2, which has no
# avahi-daemon at all, A's service resolves, its TXT change arrives, the
# secondary's 20 s outage loses nothing, a clean stop and a crash on A take
# it out of the cache; on h1, B's own provider of the same service goes first
# unless the request asks for the zone or for any domain.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

. "$top_srcdir/tests/integration/lib-knot.sh"

knot_test_setup
workdir
Z=sd.example
knot_two_lans "$Z"
LAB=$A
a_h2=$(host_addr h2)

# bdig NAME TYPE: what LAN B's consumer (B/h2) gets from B's secondary.
bdig() { LAB=$B on h2 kdig +short +time=1 +retry=0 "@$b_dns" "$1" "$2" 2>/dev/null | sort; }

# --- lanyardd on A/h2 ------------------------------------------------------------
config() { # PATH
	cat >"$T/a-h2.yaml" <<YAML
agent:
  user: root
  wide_area:
    zone: $Z
    server: $a_dns
    tsig_key: $T/tsig.key
    refresh: 2s
services:
  - name: payments
    port: 8443
    txt: {path: $1}
YAML
}
inst="payments@h2._payments._tcp.$Z"
seen_on_b() { # PATH
	[ "$(bdig _payments._tcp.$Z PTR)" = "payments\\@h2._payments._tcp.$Z." ] &&
		[ "$(bdig "$inst" SRV)" = "0 0 8443 h2.$Z." ] &&
		[ "$(bdig "$inst" TXT)" = "\"weight=1\" \"priority=0\" \"path=$1\"" ] &&
		[ "$(bdig h2.$Z A)" = "$a_h2" ]
}
# --- lanyardd on LAN B: h1 with its own provider on mDNS, h2 without avahi ---------
LAB=$B
"$NETLAB" avahi-stop "$B" h2 || fail "cannot stop avahi-daemon on $B/h2"
# B/h2 publishes in the zone too (nothing yet, but it reaps): a host label
# of its own, as every host in a zone needs one (A has an h2).
LAB=$B on h2 hostname bh2 || fail "cannot name $B/h2"
cat >"$T/b-h1.yaml" <<YAML
agent:
  user: root
  socket: $T/b-h1.sock
  wide_area:
    server: $b_dns
    tsig_key: $T/tsig.key
    browse: [$Z]
    poll: 1s
services:
  - name: payments
    port: 9000
YAML
b_h2_conf() { # [zone]: browse only, or publish (nothing) and reap in the zone too
	cat >"$T/b-h2.yaml" <<YAML
agent:
  user: root
  socket: $T/b-h2.sock
  wide_area:
    ${1:+zone: $Z}
    server: $a_dns
    browse_server: $b_dns
    tsig_key: $T/tsig.key
    browse: [$Z]
    refresh: 2s
    poll: 1s
YAML
}
declare -A B_PID
b_h2_conf
# (agent_start keys its pids by host name, and A has an h2 too)
for h in h1 h2; do
	LAB=$B on_bg "$h" "$LANYARDD" -f -c "$T/b-$h.yaml" </dev/null >>"$T/b-$h.agent.log" 2>&1
	KNOT_PIDS="$KNOT_PIDS $BG_PID"
	B_PID[$h]=$BG_PID
done
# bq HOST ARGS...: LAN B's lanyard CLI on HOST.
bq() { LAB=$B on "$1" "$LANYARD" --socket "$T/b-$1.sock" "${@:2}" 2>/dev/null; }
wait_for 15 eval '[ "$(bq h2 --json status | jq -r '"'"'(.status // .).wide_area.browse[0].state'"'"')" = current ]' ||
	fail "B/h2 does not browse $Z: $(bq h2 --json status | jq -c '(.status // .).wide_area')"

config /v1
LAB=$A
t0=$(now)
agent_start h2 "$T/a-h2.yaml"
wait_for 15 seen_on_b /v1 || fail "A's service not seen through B's secondary within 15 s: PTR '$(bdig _payments._tcp.$Z PTR)' SRV '$(bdig "$inst" SRV)'"
timing start_on_a_to_secondary_on_b "$(ms_between "$t0" "$(now)")"
wait_for 15 eval '[ "$(bq h2 resolve payments)" = "$a_h2 8443" ]' ||
	fail "B/h2 (no avahi-daemon) cannot resolve A's service: '$(bq h2 resolve payments)' $(bq h2 --json status | jq -c '(.status // .).wide_area.browse')"
timing start_on_a_to_resolvable_on_b "$(ms_between "$t0" "$(now)")"
got=$(bq h2 --json list payments | jq -c '[.instances[] | {domain, interfaces, path: .txt.path}]')
[ "$got" = "[{\"domain\":\"$Z\",\"interfaces\":[\"dns\"],\"path\":\"/v1\"}]" ] ||
	fail "B/h2's view of A's instance: $got"

# LAN B's own provider goes first on B/h1; the zone's on request.
b_h1=$b_dns # B/h1 runs the secondary and a provider
wait_for 15 eval '[ "$(bq h1 --json list payments | jq ".instances | length")" = 2 ]' ||
	fail "B/h1 does not see both providers: $(bq h1 --json list payments | jq -c '[.instances[] | {domain, port}]')"
for i in 1 2 3 4 5 6; do
	[ "$(bq h1 resolve payments)" = "$b_h1 9000" ] || fail "B/h1 picked $(bq h1 resolve payments), not its LAN's provider"
done
[ "$(bq h1 resolve payments --domain "$Z")" = "$a_h2 8443" ] || fail "--domain $Z picked $(bq h1 resolve payments --domain "$Z")"
[ "$(bq h1 resolve payments --domain local)" = "$b_h1 9000" ] || fail "--domain local picked $(bq h1 resolve payments --domain local)"
picks=$(for i in $(seq 20); do bq h1 resolve payments --any-domain; done | sort -u | tr '\n' ' ')
[ "$picks" = "$(printf '%s\n' "$a_h2 8443" "$b_h1 9000" | sort | tr '\n' ' ')" ] || fail "--any-domain picked only: $picks"

grep -q "IXFR\|AXFR" "$T/sec/knotd.log" || fail "the secondary did not transfer"

# mDNS stops at the router: B/h2's avahi sees nothing of A.
[ -z "$(LAB=$B avahi_browse_once h2 _payments._tcp | grep '^=')" ] || fail "mDNS crossed the router"

# --- a TXT change on A reaches B ---------------------------------------------------
config /v2
t0=$(now)
LAB=$A agent_reload h2
wait_for 15 seen_on_b /v2 || fail "the TXT change did not reach B's secondary"
timing txt_change_on_a_to_secondary_on_b "$(ms_between "$t0" "$(now)")"
wait_for 15 eval '[ "$(bq h2 --json list payments | jq -r ".instances[0].txt.path")" = /v2 ]' ||
	fail "the TXT change did not reach B/h2's cache: $(bq h2 --json list payments | jq -c '.instances[0].txt')"
timing txt_change_on_a_to_b_cache "$(ms_between "$t0" "$(now)")"

# --- B's secondary down for 20 s: B/h2 keeps what it had, then catches up ----------
kill "$SEC_PID" && wait "$SEC_PID" 2>/dev/null
browse_state() { bq h2 --json status | jq -r '(.status // .).wide_area.browse[0].state'; }
wait_for 10 eval '[ "$(browse_state)" = failing ]' || fail "B/h2 did not notice its server is gone: $(browse_state)"
t0=$(now)
while [ "$(ms_between "$t0" "$(now)")" -lt 20000 ]; do
	[ "$(bq h2 resolve payments)" = "$a_h2 8443" ] || fail "B/h2 lost A's service while its server was down"
	sleep 1
done
# The back-off stops at four polls (4 s here): after a 20 s outage the server
# is asked again within 4 s (plain doubling took 14 s in a run, 16-32 s at
# worst); 10 s leaves room for a loaded machine.
t0=$(now)
sec_start
wait_for 10 eval '[ "$(browse_state)" = current ]' || fail "B/h2 did not catch up after its server came back: $(bq h2 --json status | jq -c '(.status // .).wide_area.browse')"
timing server_back_to_b_current "$(ms_between "$t0" "$(now)")"
[ "$(bq h2 resolve payments)" = "$a_h2 8443" ] || fail "A's service gone from B/h2 after the outage"
grep -q "IXFR" "$T/sec/knotd.log" || log "no IXFR in the secondary's log (AXFR only?)"

# --- a clean stop on A: gone on B ----------------------------------------------------
t0=$(now)
LAB=$A agent_stop h2 || fail "lanyardd exited $AGENT_RC on SIGTERM"
gone_on_b() { [ -z "$(bdig _payments._tcp.$Z PTR)" ] && [ -z "$(bdig "$inst" SRV)" ] && [ -z "$(bdig h2.$Z A)" ]; }
wait_for 15 gone_on_b || fail "A's records still on B's secondary after a clean stop"
timing stop_on_a_to_gone_on_b "$(ms_between "$t0" "$(now)")"
wait_for 15 eval '[ "$(bq h2 --json list payments | jq ".instances | length")" = 0 ]' ||
	fail "A's service still in B/h2's cache after a clean stop: $(bq h2 --json list payments | jq -c .)"
timing stop_on_a_to_gone_from_b_cache "$(ms_between "$t0" "$(now)")"

# --- a crash on A: B drops it when its heartbeat runs out, and reaps it ------------
# Another host's heartbeat keeps moving in the zone (a stand-in refreshed by
# knsupdate every second, no lanyardd behind it, so nobody reaps yet): the
# dead host falls behind it. B's agents only browse.
(
	while :; do
		printf 'server %s\nzone %s.\nupdate delete witness._lanyard.%s. TXT\nupdate add witness._lanyard.%s. 30 TXT "t=%s" "r=2"\nsend\n' \
			"$a_dns" "$Z" "$Z" "$Z" "$(date +%s)" || exit 0
		sleep 1
	done
) | LAB=$A on h1 knsupdate -y "hmac-sha256:lanyard-upd:$KNOT_SECRET" >/dev/null 2>&1 &
KNOT_PIDS="$KNOT_PIDS $!"
wait_for 10 eval '[ -n "$(bdig witness._lanyard.$Z TXT)" ]' || fail "the witness heartbeat is not in the zone"
LAB=$A agent_start h2 "$T/a-h2.yaml"
wait_for 15 eval '[ "$(bq h2 resolve payments)" = "$a_h2 8443" ]' || fail "A's service did not come back on B/h2"
bq h2 watch payments >"$T/watch.out" &
KNOT_PIDS="$KNOT_PIDS $!"
wait_for 10 grep -q -- '-- snapshot_end --' "$T/watch.out" || fail "no watch snapshot on B/h2: $(cat "$T/watch.out")"
t0=$(now)
kill -KILL "${AGENT_PID[h2]}"
wait "${AGENT_PID[h2]}" 2>/dev/null
unset "AGENT_PID[h2]"
wait_for 20 grep -q '^removed .*payments@h2 .*(host_down)' "$T/watch.out" ||
	fail "A's crashed host not dropped as host_down by B/h2: $(cat "$T/watch.out")"
timing crash_on_a_to_gone_from_b_cache "$(ms_between "$t0" "$(now)")"
[ -n "$(bdig _payments._tcp.$Z PTR)" ] || fail "the records went before anyone reaped them"
[ "$(bq h2 --json list payments | jq ".instances | length")" = 0 ] ||
	fail "A's crashed host still listed on B/h2: $(bq h2 --json list payments | jq -c .)"

# B/h2 brought its copy up to date with increments, not whole zones.
got=$(bq h2 --json status | jq -r '(.status // .).wide_area.browse[0] | "\(.transfers) \(.full_transfers)"')
read -r xfr full <<<"$got"
[ "$full" -ge 1 ] && [ "$xfr" -gt $((full + 3)) ] || fail "B/h2's transfers (all, whole zones): $got"

# B/h2 publishes in the zone too now (nothing, under a label of its own):
# its reaper deletes the dead host's records.
b_h2_conf zone
kill -HUP "${B_PID[h2]}"
wait_for 20 gone_on_b || fail "the crashed host's records are still in the zone: PTR '$(bdig _payments._tcp.$Z PTR)'"
timing crash_on_a_to_reaped "$(ms_between "$t0" "$(now)")"

exit 0