#!/bin/bash
# SPDX-License-Identifier: MIT
# DNS-SD over unicast DNS (issue 14): a knotd primary on h1 takes signed
# updates; lanyardd on h2 with agent.wide_area publishes its service there
# (PTR, subtype PTR, SRV, TXT, _services PTR, the host's A), follows a
# reload (port and TXT), catches up after the server was down, moves to
# another zone, leaves it when agent.wide_area goes, deletes everything on
# a clean stop, and with a wrong TSIG key is refused and
# says so in status and its log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-knot.sh"

knot_test_setup
lab_up 2
a1=$(host_addr h1)
a2=$(host_addr h2)
Z=lan-a.sd.example
Z2=lan-b.sd.example

# --- the DNS server: knotd on h1, updates allowed with key "lanyard-upd" ----
knot_primary h1 "$Z" "$Z2"
secret=$KNOT_SECRET
tsig_key_file "$T/wrong.key" "$(head -c 32 /dev/urandom | base64)"

# dig NAME TYPE: the answer's rdata from h2, one per line, sorted.
dig() { on h2 kdig +short +time=1 +retry=0 "@$a1" "$1" "$2" 2>/dev/null | sort; }

# status_of HOST JQ: a member of the wide_area status of HOST's lanyardd.
status_of() { on "$1" "$LANYARD" --json status 2>/dev/null | jq -r "(.status // .).wide_area$2"; }

config() { # PORT PATH KEY [ZONE]
	cat >"$T/h2.yaml" <<YAML
agent:
  user: root
  wide_area:
    zone: ${4:-$Z}.
    server: $a1
    tsig_key: $3
    refresh: 2s
services:
  - name: payments
    port: $1
    subtypes: [_api]
    txt: {path: $2}
YAML
}

inst='payments\@h2._payments._tcp'.$Z.
published() { # PORT PATH
	[ "$(dig _payments._tcp.$Z PTR)" = "$inst" ] &&
		[ "$(dig _api._sub._payments._tcp.$Z PTR)" = "$inst" ] &&
		[ "$(dig "payments@h2._payments._tcp.$Z" SRV)" = "0 0 $1 h2.$Z." ] &&
		[ "$(dig "payments@h2._payments._tcp.$Z" TXT)" = "\"weight=1\" \"priority=0\" \"path=$2\"" ] &&
		[ "$(dig _services._dns-sd._udp.$Z PTR)" = "_payments._tcp.$Z." ] &&
		[ "$(dig h2.$Z A)" = "$a2" ]
}
show() {
	for q in "_payments._tcp.$Z PTR" "payments@h2._payments._tcp.$Z SRV" \
		"payments@h2._payments._tcp.$Z TXT" "h2.$Z A"; do
		# shellcheck disable=SC2086
		echo "# $q: $(dig $q | tr '\n' ' ')"
	done
}

# --- publish -------------------------------------------------------------------
config 8443 /v2 "$T/tsig.key"
on h2 "$LANYARDD" --check-config -c "$T/h2.yaml" >"$T/check.out" 2>&1 || { cat "$T/check.out"; fail "--check-config"; }
t0=$(now)
agent_start h2 "$T/h2.yaml"
wait_for 10 published 8443 /v2 || { show; fail "h2's records did not appear in $Z within 10 s"; }
timing start_to_zone "$(ms_between "$t0" "$(now)")"
wait_for 5 eval '[ "$(status_of h2 .state)" = synced ]' || fail "status: $(status_of h2 '')"
[ "$(status_of h2 .last_answer)" = NOERROR ] || fail "status: $(status_of h2 '')"
[ "$(status_of h2 .published)" = 1 ] || fail "status: $(status_of h2 '')"

# --- a reload moves the port and changes the TXT -------------------------------
config 9443 /v3 "$T/tsig.key"
t0=$(now)
agent_reload h2
wait_for 10 published 9443 /v3 || { show; fail "the reload's port and TXT did not reach $Z within 10 s"; }
timing reload_to_zone "$(ms_between "$t0" "$(now)")"
agent_alive h2 || fail "lanyardd exited"

# --- the server down: changes wait, and catch up when it is back ----------------
kill "$KNOT_PID"
wait "$KNOT_PID" 2>/dev/null
config 9443 /v4 "$T/tsig.key"
agent_reload h2
wait_for 10 eval '[ "$(status_of h2 .state)" = failing ]' || fail "server down, status: $(status_of h2 '')"
grep -q "wide area: updates fail: " "$(agent_log h2)" || fail "no log line for the failing updates"
on "h2" "$LANYARD" status >/dev/null || fail "the socket does not answer while the server is down"
knot_start h1
t0=$(now)
wait_for 30 published 9443 /v4 || { show; fail "the change made while the server was down did not arrive"; }
timing server_back_to_zone "$(ms_between "$t0" "$(now)")"
wait_for 5 eval '[ "$(status_of h2 .state)" = synced ]' || fail "status: $(status_of h2 '')"
grep -q "wide area: updates go through again" "$(agent_log h2)" || fail "no log line for the recovery"

gone() { # [ZONE]
	local z=${1:-$Z}
	[ -z "$(dig _payments._tcp.$z PTR)" ] && [ -z "$(dig "payments@h2._payments._tcp.$z" SRV)" ] &&
		[ -z "$(dig "payments@h2._payments._tcp.$z" TXT)" ] &&
		[ -z "$(dig _api._sub._payments._tcp.$z PTR)" ] && [ -z "$(dig h2.$z A)" ] &&
		[ -z "$(dig _services._dns-sd._udp.$z PTR)" ]
}

# --- a reload to another zone moves the records; removing wide_area deletes them --
config 9443 /v4 "$T/tsig.key" $Z2
agent_reload h2
wait_for 10 eval '[ "$(dig "payments@h2._payments._tcp.$Z2" SRV)" = "0 0 9443 h2.$Z2." ]' ||
	fail "the records did not move to $Z2"
gone $Z || { show; fail "records left in $Z after the move to $Z2"; }
[ "$(dig h2.$Z2 A)" = "$a2" ] || fail "no address record in $Z2"
sed -i '/wide_area:/,/refresh:/d' "$T/h2.yaml"
agent_reload h2
wait_for 10 gone $Z2 || fail "records left in $Z2 after agent.wide_area was removed"
wait_for 5 eval '[ "$(status_of h2 "")" = null ]' || fail "status after removal: $(status_of h2 '')"
config 9443 /v4 "$T/tsig.key"
agent_reload h2
wait_for 10 published 9443 /v4 || { show; fail "not republished after agent.wide_area came back"; }

# --- a clean stop deletes what it published -------------------------------------
# First another publisher's instance of the same type (as another host's
# lanyardd would add it): the type's _services PTR must outlive h2's.
nsupdate() { printf '%s\n' "server $a1 53" "zone $Z." "$@" send | on h1 knsupdate -y "hmac-sha256:lanyard-upd:$secret"; }
other="other-h9._payments._tcp.$Z."
nsupdate "update add _payments._tcp.$Z. 30 PTR $other" || fail "knsupdate"
agent_stop h2 || fail "lanyardd exited $AGENT_RC on SIGTERM"
# lanyardd waits for the server's answers before it exits: gone already.
[ "$(dig _payments._tcp.$Z PTR)" = "$other" ] || { show; fail "h2's PTR left, or the other's deleted"; }
[ "$(dig _services._dns-sd._udp.$Z PTR)" = "_payments._tcp.$Z." ] || fail "the type's _services PTR went while in use"
nsupdate "update delete _payments._tcp.$Z. PTR $other" "update delete _services._dns-sd._udp.$Z. PTR" ||
	fail "knsupdate"
gone || { show; fail "records left in $Z after a clean stop"; }
grep -q "wide area: this host's records deleted" "$(agent_log h2)" || fail "no deletion line in the log"

# --- a wrong key: refused, reported, nothing published --------------------------
config 8443 /v2 "$T/wrong.key"
agent_start h2 "$T/h2.yaml"
wait_for 10 eval '[ "$(status_of h2 .last_answer)" = "NOTAUTH (BADSIG)" ]' ||
	fail "status with a wrong key: $(status_of h2 '')"
[ "$(status_of h2 .state)" = failing ] || fail "status: $(status_of h2 '')"
grep -q "wide area: updates fail: the server answered NOTAUTH (BADSIG)" "$(agent_log h2)" ||
	fail "no log line for the refused update"
# it keeps trying, backing off, and the loop keeps answering
wait_for 10 eval '[ "$(status_of h2 .failures)" -ge 2 ]' || fail "no retry: $(status_of h2 '')"
gone || { show; fail "records appeared with a wrong key"; }
agent_stop h2 || fail "lanyardd exited $AGENT_RC on SIGTERM"
exit 0
