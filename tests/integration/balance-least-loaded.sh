#!/bin/bash
# SPDX-License-Identifier: MIT
# least_loaded: providers publish their load in TXT (agent.publish_load, here
# from $LANYARD_LOAD_FILE so the figures are known), a consumer's agent picks
# the least loaded endpoint, and follows when the loads swap.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
# The test hooks (fake instances, a load file) are in lanyardd-test only.
LANYARDD=${LANYARDD_TEST:-$top_builddir/agent/lanyardd-test}

. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
lab_up 3
consumer_workdir
a1=$(host_addr h1)
a2=$(host_addr h2)

for h in h1 h2; do
	cat >"$T/$h.yaml" <<YAML
agent:
  socket: $T/$h.sock
  publish_load: true
  load_interval: 1s
services:
  - name: work
    port: 7000
YAML
done
cat >"$T/h3.yaml" <<YAML
agent:
  socket: $T/h3.sock
  browse: [work]
YAML
# set_load HOST FIGURE: HOST's load file, replaced in one step (a reader
# never meets it empty).
set_load() {
	echo "$2" >"$T/$1.load.tmp" && mv "$T/$1.load.tmp" "$T/$1.load"
}
# load_read_since HOST: HOST's agent read its load file after it was last
# written (its access time passed its modification time).
load_read_since() {
	perl -MTime::HiRes=stat -e 'my @s = stat($ARGV[0]) or exit 1; exit !($s[8] > $s[9])' "$T/$1.load"
}
set_load h1 0.90
set_load h2 0.10
LANYARD_LOAD_FILE="$T/h1.load" agent_start h1 "$T/h1.yaml"
LANYARD_LOAD_FILE="$T/h2.load" agent_start h2 "$T/h2.yaml"
agent_start h3 "$T/h3.yaml"

pick() { on h3 "$LANYARD" --socket "$T/h3.sock" resolve work --policy least_loaded 2>&1; }
loads_seen() { # loads_seen L1 L2: h3's cache holds those load figures
	local out
	out=$(on h3 "$LANYARD" --socket "$T/h3.sock" --json list work 2>/dev/null) || return 1
	[ "$(jq -r '.instances[] | select(.instance == "work@h1") | .txt.load' <<<"$out")" = "$1" ] &&
		[ "$(jq -r '.instances[] | select(.instance == "work@h2") | .txt.load' <<<"$out")" = "$2" ]
}
wait_for 30 loads_seen 0.90 0.10 || fail "h3 does not see load=0.90 / 0.10:
$(on h3 "$LANYARD" --socket "$T/h3.sock" --json list work)"

for i in $(seq 20); do
	got=$(pick)
	[ "$got" = "$a2 7000" ] || fail "pick $i: '$got', expected h2 ($a2 7000), the least loaded"
done

# The loads swap: the next published figures move the picks to h1.
t0=$(now)
set_load h1 0.05
set_load h2 0.95
wait_for 30 loads_seen 0.05 0.95 || fail "h3 does not see the swapped loads"
timing load_change_to_cache "$(ms_between "$t0" "$(now)")"
for i in $(seq 20); do
	got=$(pick)
	[ "$got" = "$a1 7000" ] || fail "pick $i after the swap: '$got', expected h1 ($a1 7000)"
done

# Hysteresis: a move smaller than 0.1 is not republished. Once h1's agent
# has read 0.10 (the file's access time), a move of 0.55 follows: h3's watch
# must see 0.60 arrive with no 0.10 before it.
watch_record h3 work "$T/h3.watch"
t1=$(now)
set_load h1 0.10
wait_for 30 load_read_since h1 || fail "h1's agent does not read its load file"
loads_seen 0.05 0.95 || fail "a load move of 0.05 was republished (hysteresis is 0.1)"
set_load h1 0.60
wait_for 30 loads_seen 0.60 0.95 || fail "h3 does not see h1's load move to 0.60"
wait_for 30 eval '[ -n "$(watch_events "$T/h3.watch" changed work@h1 "$t1")" ]' ||
	fail "h3's watch has no change of work@h1"
loads=$(watch_events "$T/h3.watch" changed work@h1 "$t1" | cut -d' ' -f2- | jq -r .instance.txt.load | tr '\n' ' ')
log "h1's load as h3's watch saw it change: $loads"
case " $loads" in
*" 0.10 "*) fail "a load move of 0.05 was republished (hysteresis is 0.1): h3 saw $loads" ;;
*" 0.60 "*) ;;
*) fail "h3's watch saw h1's load change to $loads, not to 0.60" ;;
esac
for h in h1 h2 h3; do agent_alive "$h" || fail "lanyardd on $h died"; done
exit 0
