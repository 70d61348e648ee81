#!/bin/bash
# SPDX-License-Identifier: MIT
# Changes on the LAN reach every agent's cache and every watch: a TXT change by reload, a foreign publisher's port change, and a withdrawal (goodbye: gone long before any TTL would expire). Delays are printed, not asserted (scripts/bench measures them).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
lab_up 4
consumer_workdir

agents="h1 h2 h3"
FOREIGN="foreign payments"

# config N VERSION ZONE: h<N>'s configuration.
config() {
	cat <<YAML
agent:
  socket: $T/h$1.sock
services:
  - name: payments
    port: 800$1
    version: $2
    weight: $1
    txt: {zone: $3}
YAML
}
for n in 1 2 3; do config "$n" "1.0.$n" "z$n" >"$T/h$n.yaml"; done
for h in $agents; do agent_start_ready "$h" "$T/$h.yaml"; done
publish_start h4 "$T/h4.publish.log" "$FOREIGN" _payments._tcp 9004 "version=1.0.0" "k=v"
FOREIGN_PID=$PUB_PID

# field HOST INSTANCE JQ: a field of INSTANCE in HOST's list of payments.
field() {
	req "$1" '{"op":"list","service":"payments"}' |
		jq -r --arg i "$2" ".instances[] | select(.instance == \$i) | $3" 2>/dev/null
}
for h in $agents; do
	wait_for 30 eval '[ "$(list_count '"$h"' payments)" = 4 ]' ||
		fail "$h lists $(list_count "$h" payments) instances of payments, not 4:
$(list_lines "$h" payments)"
done
for h in $agents; do watch_record "$h" payments "$T/$h.watch"; done
for h in $agents; do
	n=$(grep -c '"event":"added"' "$T/$h.watch")
	[ "$n" = 4 ] || fail "$h: the watch snapshot has $n added events, not 4"
done

# ---- (a) TXT change by reload ------------------------------------------------
config 1 1.1.0 z1-new >"$T/h1.yaml"
t0=$(now)
agent_reload h1
new_txt() { [ "$(field "$1" payments@h1 '"\(.version) \(.txt.zone) \(.txt.version)"')" = "1.1.0 z1-new 1.1.0" ]; }
for h in $agents; do
	wait_for 30 new_txt "$h" || fail "$h does not list the new TXT of payments@h1: $(field "$h" payments@h1 .txt)"
done
log "every list shows the new TXT ($(elapsed_ms "$t0") ms after SIGHUP)"
worst=0
for h in $agents; do
	changed_new() {
		watch_events "$T/$1.watch" changed payments@h1 "$t0" |
			cut -d' ' -f2- | jq -e 'select(.instance.txt.zone == "z1-new" and .instance.version == "1.1.0")' >/dev/null
	}
	wait_for 30 changed_new "$h" || fail "$h: no \"changed\" event with the new TXT of payments@h1:
$(watch_events "$T/$h.watch" changed payments@h1)"
	t=$(watch_events "$T/$h.watch" changed payments@h1 "$t0" | while read -r ts line; do
		jq -e 'select(.instance.txt.zone == "z1-new")' <<<"$line" >/dev/null && { echo "$ts"; break; }
	done)
	ms=$(ms_between "$t0" "$t")
	[ "$ms" -gt "$worst" ] && worst=$ms
	# A TXT update in place: no removal, no re-add.
	[ -z "$(watch_events "$T/$h.watch" removed payments@h1 "$t0")" ] || fail "$h: payments@h1 was removed during a TXT-only reload"
	[ -z "$(watch_events "$T/$h.watch" added payments@h1 "$t0")" ] || fail "$h: payments@h1 was re-added during a TXT-only reload"
done
timing reload_txt_to_watch "$worst"

# ---- (b) port change of the foreign publisher --------------------------------
publish_stop "$FOREIGN_PID"
t0=$(now)
publish_start h4 "$T/h4.publish2.log" "$FOREIGN" _payments._tcp 9005 "version=1.0.0" "k=v"
FOREIGN_PID=$PUB_PID
for h in $agents; do
	wait_for 30 eval '[ "$(field '"$h"' "$FOREIGN" .port)" = 9005 ]' ||
		fail "$h lists \"$FOREIGN\" with port '$(field "$h" "$FOREIGN" .port)', not 9005"
	[ "$(field "$h" "$FOREIGN" .port)" = 9005 ] || fail "$h: two entries for \"$FOREIGN\"?"
	[ "$(list_count "$h" payments)" = 4 ] || fail "$h lists $(list_count "$h" payments) instances after the port change:
$(list_lines "$h" payments)"
done
worst=0
for h in $agents; do
	new_port_event() {
		{
			watch_events "$T/$1.watch" added "$FOREIGN" "$t0"
			watch_events "$T/$1.watch" changed "$FOREIGN" "$t0"
		} | sort -n | while read -r ts line; do
			[ "$(jq -r .instance.port <<<"$line")" = 9005 ] && { echo "$ts"; break; }
		done
	}
	wait_for 30 eval '[ -n "$(new_port_event '"$h"')" ]' || fail "$h: the watch saw no event with port 9005 for \"$FOREIGN\":
$(grep -F "$FOREIGN" "$T/$h.watch" | tail -n 5)"
	ms=$(ms_between "$PUB_EST" "$(new_port_event "$h")")
	[ "$ms" -gt "$worst" ] && worst=$ms
done
timing port_change_announce_to_watch "$worst"

# ---- (c) the publisher withdraws (goodbye) -----------------------------------
t0=$(now)
publish_stop "$FOREIGN_PID"
gone() { [ -z "$(field "$1" "$FOREIGN" .instance)" ] && [ "$(list_count "$1" payments)" = 3 ]; }
# 30 s: a loaded machine's margin; without the goodbye the PTR record would
# stay for its 75-minute TTL.
for h in $agents; do
	wait_for 30 gone "$h" || fail "$h still lists \"$FOREIGN\" $(elapsed_ms "$t0") ms after its goodbye"
done
worst=0
for h in $agents; do
	wait_for 30 eval '[ -n "$(watch_events "$T/'"$h"'.watch" removed "$FOREIGN" "$t0")" ]' ||
		fail "$h: no \"removed\" event for \"$FOREIGN\""
	t=$(watch_events "$T/$h.watch" removed "$FOREIGN" "$t0" | head -n 1 | cut -d' ' -f1)
	ms=$(ms_between "$t0" "$t")
	[ "$ms" -gt "$worst" ] && worst=$ms
done
timing goodbye_to_removed "$worst"

# Removed events carry the identity of what went away.
for h in $agents; do
	ev=$(watch_events "$T/$h.watch" removed "$FOREIGN" "$t0" | head -n 1 | cut -d' ' -f2-)
	[ "$(jq -r '.instance.type' <<<"$ev")" = _payments._tcp ] || fail "$h: removed event without the type: $ev"
done

# Nothing else moved: the lanyard instances were neither removed nor re-added.
for h in $agents; do
	for i in payments@h1 payments@h2 payments@h3; do
		[ -z "$(watch_events "$T/$h.watch" removed "$i")" ] || fail "$h: $i was removed"
	done
	[ "$(list_count "$h" payments)" = 3 ] || fail "$h lists $(list_count "$h" payments) instances at the end"
done

for h in $agents; do agent_alive "$h" || fail "lanyardd on $h died"; done
for h in $agents; do agent_stop "$h" || fail "lanyardd on $h exited $AGENT_RC"; done
exit 0
