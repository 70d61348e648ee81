#!/bin/bash
# SPDX-License-Identifier: MIT
# SIGTERM: lanyardd withdraws every service with goodbyes (gone from a peer, where without them the records would live out their 75-minute TTL) and exits 0.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

skip_unless_root_netns
need_lanyardd
lab_up 2
a1=$(host_addr h1)

cat >"$T/h1.yaml" <<'YAML'
services:
  - name: alpha
    port: 4000
    version: 3.0.0
  - name: beta
    type: _http._tcp
    port: 4001
    subtypes: [_admin]
YAML

browse_record h2 all "$T/h2.rec"
t0=$(now)
agent_start h1 "$T/h1.yaml"
both() {
	[ -n "$(rec_first "$T/h2.rec" = alpha@h1 _alpha._tcp)" ] &&
		[ -n "$(rec_first "$T/h2.rec" = beta@h1 _http._tcp)" ]
}
wait_for 30 both || fail "h2 did not resolve alpha@h1 and beta@h1"
ta=$(rec_first "$T/h2.rec" = alpha@h1 _alpha._tcp)
tb=$(rec_first "$T/h2.rec" = beta@h1 _http._tcp)
timing start_to_resolvable "$(ms_between "$t0" "$(printf '%s\n%s\n' "$ta" "$tb" | sort -n | tail -n1)")"
[ "$(resolved h2 _alpha._tcp | cut -d'|' -f1,4,5)" = "alpha@h1|$a1|4000" ] || fail "alpha not resolvable on h2"

t0=$(now)
agent_stop h1 30
rc=$AGENT_RC
t_exit=$(now)
[ "$rc" = 0 ] || fail "lanyardd exited $rc on SIGTERM, expected 0"
timing sigterm_to_exit "$(ms_between "$t0" "$t_exit")"

withdrawn() {
	[ -n "$(rec_first "$T/h2.rec" - alpha@h1 _alpha._tcp "$t0")" ] &&
		[ -n "$(rec_first "$T/h2.rec" - beta@h1 _http._tcp "$t0")" ]
}
# 30 s: a loaded machine's margin; removal by TTL expiry would take 75 min.
wait_for 30 withdrawn || fail "no removal ('-') on h2 for both services:
$(grep -e 'alpha' -e 'beta' "$T/h2.rec")"
ra=$(rec_first "$T/h2.rec" - alpha@h1 _alpha._tcp "$t0")
rb=$(rec_first "$T/h2.rec" - beta@h1 _http._tcp "$t0")
last=$(printf '%s\n%s\n' "$ra" "$rb" | sort -n | tail -n1)
ms=$(ms_between "$t0" "$last")
timing sigterm_to_removed "$ms"

# A fresh browser on h2 sees none of them, the subtype included.
[ -z "$(resolved h2 _alpha._tcp; resolved h2 _http._tcp; resolved h2 _admin._sub._http._tcp)" ] ||
	fail "still resolvable on h2 after SIGTERM"
exit 0
