#!/bin/bash
# SPDX-License-Identifier: MIT
# ttl checks fed by `lanyard check` (pass, warn with TXT health=warning on the LAN, fail, expiry) and `lanyard maint on/off` withdrawing and re-announcing by hand, kept across SIGHUP; a peer's list follows, the status says why.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"
. "$top_srcdir/tests/integration/lib-checks.sh"

skip_unless_root_netns
need_lanyardd
lab_up 2
consumer_workdir

cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
services:
  - name: batch
    port: 7101
    checks:
      - ttl: 45s
  - name: beat
    port: 7102
    checks:
      - ttl: 3s
  - name: web
    port: 7103
YAML
printf 'agent:\n  socket: %s\n  browse: [batch, beat, web]\n' "$T/h2.sock" >"$T/h2.yaml"
agent_start_ready h1 "$T/h1.yaml"
agent_start_ready h2 "$T/h2.yaml"

# check_cli ARGS...: `lanyard check ARGS` on h1, which must succeed.
check_cli() { cli h1 check "$@" || fail "lanyard check $* exited $?"; }
# txt_health HOST SERVICE: the TXT health= HOST's list shows for SERVICE@h1
# ("-" when there is none), and its "check" member.
txt_health() {
	req "$1" "{\"op\":\"list\",\"service\":\"$2\"}" |
		jq -r '.instances[] | select(.instance | startswith("'"$2"'@h1")) | "\(.txt.health // "-") \(.check // "-")"'
}

# ---- no report yet: withheld ----------------------------------------------------
wait_for 20 seen h2 web || fail "h2 never lists web@h1 (the positive control)"
seen h2 batch 0 || fail "h2 lists batch@h1 before any report"
withheld h1 batch || fail "h1 says batch is announced: $(pub h1 batch .)"
[ "$(pub h1 batch .why)" = "check ttl 45s is critical: no report yet" ] ||
	fail "why batch is withheld: $(pub h1 batch .why)"

# ---- reports ---------------------------------------------------------------------
check_cli batch pass --output "first run ok"
wait_for 20 seen h2 batch || fail "h2 does not list batch@h1 after a pass report"
[ "$(txt_health h2 batch)" = "- -" ] || fail "batch@h1 has health: $(txt_health h2 batch)"
[ "$(pub h1 batch '.checks[0] | "\(.kind) \(.state) \(.last_result) \(.output)"')" = "ttl passing pass first run ok" ] ||
	fail "batch's check: $(pub h1 batch '.checks[0]')"

# warn: still announced, with TXT health=warning for every browser to see
check_cli batch warn --output "queue at 80%"
wait_for 20 eval '[ "$(txt_health h2 batch)" = "warning warning" ]' ||
	fail "h2 does not see batch@h1 warning: $(txt_health h2 batch)"
resolved h2 _batch._tcp | grep -q '^batch@h1|.*|health=warning|' ||
	fail "avahi-browse on h2 does not see health=warning: $(resolved h2 _batch._tcp)"
cli h2 list batch | grep -Eq '^batch@h1 .* warning *$' || fail "lanyard list on h2:
$(cli h2 list batch)"
announced h1 batch || fail "a warning withdrew batch: $(pub h1 batch .)"
[ "$(pub h1 batch .health)" = warning ] || fail "batch's health: $(pub h1 batch .)"
check_cli batch pass
wait_for 20 eval '[ "$(txt_health h2 batch)" = "- -" ]' ||
	fail "health=warning stays on batch@h1 after a pass: $(txt_health h2 batch)"

# fail: withdrawn at once (ttl checks fall after one failure), back on pass
check_cli batch fail --output "db down"
wait_for 20 eval '! seen h2 batch' || fail "h2 still lists batch@h1 after a fail report"
[ "$(pub h1 batch .why)" = "check ttl 45s is critical: db down" ] ||
	fail "why batch is withheld: $(pub h1 batch .why)"
check_cli batch pass
wait_for 20 seen h2 batch || fail "h2 does not list batch@h1 again after a pass report"

# only services with a ttl check take reports
cli h1 check web pass 2>"$T/err"
rc=$?
[ "$rc" = 3 ] && grep -q 'service "web" declares no ttl check' "$T/err" ||
	fail "lanyard check web: exit $rc, $(cat "$T/err")"
cli h1 check nosuch pass 2>"$T/err"
rc=$?
[ "$rc" = 3 ] && grep -q 'no declared or registered service "nosuch"' "$T/err" ||
	fail "lanyard check nosuch: exit $rc, $(cat "$T/err")"
[ "$(req h1 '{"op":"check","service":"web","status":"pass"}' | jq -r .error.code)" = not_found ] ||
	fail "the check op for web is not not_found"

# ---- expiry: reports stop, withdrawn after the ttl ---------------------------------
# Fed every 0.5 s until h2 lists it (announcing can take longer than the ttl).
(
	while :; do
		"$LANYARD" --socket "$(sock h1)" check beat pass --output alive || exit 1
		sleep 0.5
	done
) &
feeder=$!
CONSUMER_PIDS="$CONSUMER_PIDS $feeder"
wait_for 20 seen h2 beat || fail "h2 does not list beat@h1 while it is fed"
kill "$feeder"
wait "$feeder" 2>/dev/null
t0=$(now)
wait_for 20 eval '! seen h2 beat' || fail "h2 still lists beat@h1 with no report for long past its ttl"
timing last_report_to_gone_from_peer "$(elapsed_ms "$t0")"
[ "$(pub h1 beat .why)" = "check ttl 3s is critical: no report within 3s" ] ||
	fail "why beat is withheld: $(pub h1 beat .why)"
seen h2 batch || fail "batch@h1 went with beat"

# ---- maintenance -------------------------------------------------------------------
browse_record h2 all "$T/h2.rec"
wait_for 10 eval '[ -n "$(rec_first "$T/h2.rec" = web@h1 _web._tcp)" ]' || fail "the recorder does not see web@h1"
t0=$(now)
cli h1 maint web on --reason "disk swap" || fail "lanyard maint web on exited $?"
wait_for 20 eval '! seen h2 web' || fail "h2 still lists web@h1 in maintenance"
[ -n "$(rec_first "$T/h2.rec" - web@h1 _web._tcp "$t0")" ] || fail "no goodbye for web@h1 on h2"
[ "$(pub h1 web '"\(.announced) \(.why) \(.maintenance)"')" = "false maintenance disk swap" ] ||
	fail "h1's status of web: $(pub h1 web .)"
# maintenance wins over passing checks
cli h1 maint batch on || fail "lanyard maint batch on exited $?"
check_cli batch pass
wait_for 20 eval '! seen h2 batch' || fail "h2 still lists batch@h1 in maintenance"
[ "$(pub h1 batch '"\(.announced) \(.why) \(.health)"')" = "false maintenance passing" ] ||
	fail "h1's status of batch: $(pub h1 batch .)"

# a reload keeps it
reloads=$(status_get h1 .agent.reloads)
agent_reload h1
wait_for 20 eval '[ "$(status_get h1 .agent.reloads)" = $((reloads + 1)) ]' || fail "h1 did not reload"
[ "$(pub h1 web '"\(.announced) \(.maintenance)"')" = "false disk swap" ] ||
	fail "a reload ended web's maintenance: $(pub h1 web .)"
withheld h1 batch || fail "a reload ended batch's maintenance: $(pub h1 batch .)"

# off: back on the LAN
t0=$(now)
cli h1 maint web off || fail "lanyard maint web off exited $?"
cli h1 maint batch off || fail "lanyard maint batch off exited $?"
wait_for 20 seen h2 web || fail "h2 does not list web@h1 after maintenance"
wait_for 20 seen h2 batch || fail "h2 does not list batch@h1 after maintenance"
timing maint_off_to_peer_list "$(elapsed_ms "$t0")"
[ "$(pub h1 web '"\(.announced) \(.maintenance // "none")"')" = "true none" ] ||
	fail "h1's status of web: $(pub h1 web .)"
cli h1 maint nosuch on 2>/dev/null
rc=$?
[ "$rc" = 3 ] || fail "lanyard maint nosuch on exited $rc"

agent_stop h1 || fail "lanyardd on h1 exited $AGENT_RC"
agent_stop h2 || fail "lanyardd on h2 exited $AGENT_RC"
exit 0
