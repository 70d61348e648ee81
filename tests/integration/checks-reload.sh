#!/bin/bash
# SPDX-License-Identifier: MIT
# SIGHUP with unchanged checks (the same file, then new timing and another service) never withdraws a passing service, neither a tcp-checked one nor a ttl-checked one (whose state, reset, would be "no report yet"): no goodbye reaches a peer's avahi-browse, no "removed" its lanyard watch; a withdrawal afterwards shows both would have seen one.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"
. "$top_srcdir/tests/integration/lib-checks.sh"

skip_unless_root_netns
need_lanyardd
lab_up 2
consumer_workdir

# config INTERVAL RISE FALL [EXTRA]: h1's configuration.
config() {
	cat <<YAML
agent:
  socket: $T/h1.sock
services:
  - name: pay
    port: 7201
    checks:
      - tcp: 127.0.0.1:7201
        interval: $1
        timeout: 100ms
        rise: $2
        fall: $3
  - name: batch
    port: 7202
    checks:
      - ttl: 5m
YAML
	[ -z "${4:-}" ] || printf '  - name: %s\n    port: 7203\n' "$4"
}
config 200ms 2 2 >"$T/h1.yaml"
printf 'agent:\n  socket: %s\n  browse: [pay, batch, extra]\n' "$T/h2.sock" >"$T/h2.yaml"

listener_start h1 7201
agent_start_ready h1 "$T/h1.yaml"
agent_start_ready h2 "$T/h2.yaml"
cli h1 check batch pass --output "fed before the reloads" || fail "lanyard check batch pass exited $?"
wait_for 20 seen h2 pay || fail "h2 never lists pay@h1"
wait_for 20 seen h2 batch || fail "h2 never lists batch@h1"
browse_record h2 all "$T/h2.rec"
watch_record h2 pay "$T/h2-pay.watch"
watch_record h2 batch "$T/h2-batch.watch"
wait_for 10 eval '[ -n "$(rec_first "$T/h2.rec" = pay@h1 _pay._tcp)" ] && [ -n "$(rec_first "$T/h2.rec" = batch@h1 _batch._tcp)" ]' ||
	fail "the recorder does not see pay@h1 and batch@h1"

# reload_and_settle: SIGHUP h1 and wait until it has reloaded and pay's
# check has passed 5 more times since.
reload_and_settle() {
	local n p
	n=$(status_get h1 .agent.reloads)
	agent_reload h1
	wait_for 20 eval '[ "$(status_get h1 .agent.reloads)" = $((n + 1)) ]' || fail "h1 did not reload"
	[ "$(status_get h1 .agent.reload_failures)" = 0 ] || fail "h1's reload failed"
	p=$(pub h1 pay '.checks[0].passes')
	wait_for 20 eval '[ "$(pub h1 pay ".checks[0].passes >= $((p + 5))")" = true ]' ||
		fail "pay's check stopped passing after the reload: $(pub h1 pay .checks)"
}

t0=$(now)
# 1. the same file
reload_and_settle
# 2. the same checks with new timing, rise and fall, and a new service (that
#    h2 sees it shows h1's changes after the reload reach h2)
config 300ms 3 4 extra >"$T/h1.yaml"
reload_and_settle
wait_for 20 seen h2 extra || fail "h2 does not list extra@h1 added by the reload"
[ "$(pub h1 pay '.checks[0] | "\(.interval_ms) \(.rise) \(.fall)"')" = "300 3 4" ] ||
	fail "pay's check did not take the new timing: $(pub h1 pay '.checks[0]')"

# Neither service left, not even for a moment.
for s in pay batch; do
	announced h1 "$s" || fail "h1 does not announce $s after the reloads: $(pub h1 "$s" .)"
	n=$(rec_count "$T/h2.rec" - "$s@h1" "_$s._tcp" "$t0")
	[ "$n" = 0 ] || fail "avahi-browse on h2 saw $n goodbye(s) for $s@h1 during the reloads"
	[ -z "$(watch_events "$T/h2-$s.watch" removed "$s@h1" "$t0")" ] ||
		fail "h2's watch saw $s@h1 removed during the reloads"
done
[ "$(pub h1 batch '.checks[0] | "\(.state) \(.output)"')" = "passing fed before the reloads" ] ||
	fail "batch's ttl check lost its state: $(pub h1 batch '.checks[0]')"

# The recorders do see a withdrawal: the listener dies.
t1=$(now)
listener_stop h1 7201
wait_for 20 eval '[ -n "$(watch_events "$T/h2-pay.watch" removed pay@h1 "$t1")" ]' ||
	fail "h2's watch never saw pay@h1 removed (the recorder's positive control)"
wait_for 10 eval '[ -n "$(rec_first "$T/h2.rec" - pay@h1 _pay._tcp "$t1")" ]' ||
	fail "avahi-browse on h2 never saw pay@h1's goodbye (the recorder's positive control)"

agent_stop h1 || fail "lanyardd on h1 exited $AGENT_RC"
agent_stop h2 || fail "lanyardd on h2 exited $AGENT_RC"
exit 0
