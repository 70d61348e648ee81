# SPDX-License-Identifier: MIT
# Helpers for the consumer-side integration tests (browse-*, socket-*, balance-*): talking to lanyardd's socket, normalising lists, recording watches, reading memory.
#
# Source it after lib.sh:
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
#   . "$top_srcdir/tests/integration/lib-consumer.sh"
# Every agent gets its socket at $T/HOST.sock (sock HOST). The sockets live in
# the shared file system, so the test talks to them from outside the hosts.

LANYARD=${LANYARD:-$top_builddir/client/lanyard}
declare -A WATCH_PID=()

for _c in socat jq perl; do
	command -v "$_c" >/dev/null 2>&1 || skip "'$_c' not installed"
done
unset _c

# sock HOST: the consumer socket of HOST's agent.
sock() { printf '%s\n' "$T/$1.sock"; }

# cli HOST ARGS...: the lanyard CLI against HOST's agent.
cli() {
	local h=$1
	shift
	"$LANYARD" --socket "$(sock "$h")" "$@"
}

# req HOST JSON...: send each JSON request line to HOST's agent on one
# connection and print the response lines (waits up to 5 s for the last).
req() {
	local h=$1
	shift
	printf '%s\n' "$@" | socat -t 5 -T 10 - "UNIX-CONNECT:$(sock "$h")" 2>/dev/null
}

# req_ok HOST JSON: one request whose response must be ok; prints the response.
req_ok() {
	local out
	out=$(req "$1" "$2")
	[ "$(jq -r .ok <<<"$out" 2>/dev/null)" = true ] || fail "request $2 to $1 failed: ${out:-<no answer>}"
	printf '%s\n' "$out"
}

# status_get HOST JQ_PATH: one field of HOST's status (e.g. .cache.instances).
status_get() {
	req "$1" '{"op":"status"}' | jq -r ".status$2" 2>/dev/null
}

# agent_ready HOST: the agent answers status on its socket.
agent_ready() {
	[ "$(req "$1" '{"op":"status"}' | jq -r .ok 2>/dev/null)" = true ]
}

# agent_start_ready HOST CONFIG [TIMEOUT_S]: agent_start and wait until it answers.
agent_start_ready() {
	agent_start "$1" "$2"
	wait_for "${3:-10}" agent_ready "$1" || fail "lanyardd on $1 does not answer on $(sock "$1")"
}

# published HOST SERVICE: HOST's agent reports SERVICE established.
published() {
	[ "$(status_get "$1" ".publishing[] | select(.service == \"$2\") | .state")" = established ]
}

# JQ program turning one instance object into a comparable line:
#   instance|host|ipv4 addresses (sorted, comma-joined)|port|k=v,k=v (sorted)|version|weight|tags|local
JQ_INST='[.instance, .host, ([.addresses[] | select(test("^[0-9.]+$"))] | sort | join(",")),
	(.port | tostring), (.txt | to_entries | map("\(.key)=\(.value)") | sort | join(",")),
	(.version // "-"), ((.weight // "-") | tostring), ((.tags // []) | join(",")),
	(.local | tostring)] | join("|")'

# list_lines HOST SERVICE: HOST's `list SERVICE`, one normalised line per
# instance (JQ_INST), sorted; nothing if the request failed.
list_lines() {
	req "$1" "{\"op\":\"list\",\"service\":\"$2\"}" |
		jq -r "select(.ok) | .instances[] | $JQ_INST" 2>/dev/null | sort
}

# list_count HOST SERVICE: number of instances HOST lists for SERVICE.
list_count() {
	req "$1" "{\"op\":\"list\",\"service\":\"$2\"}" | jq -r 'select(.ok) | .instances | length' 2>/dev/null
}

# watch_record HOST SERVICE FILE: stream HOST's `lanyard --json watch SERVICE`
# into FILE, one line per response/event, prefixed by its arrival time
# ("1700000000.123456 {json}"). Returns once the snapshot has ended.
watch_record() {
	local h=$1 svc=$2 file=$3 fifo
	consumer_workdir
	fifo=$T/.wfifo.$$.${#WATCH_PID[@]}
	mkfifo "$fifo" || fail "mkfifo"
	"$LANYARD" --socket "$(sock "$h")" --json watch "$svc" >"$fifo" 2>>"$file.err" </dev/null &
	WATCH_PID[$file]=$!
	disown $!
	timestamp_lines "$fifo" "$file"
	wait_for 10 grep -q '"event":"snapshot_end"' "$file" || fail "watch on $h: no snapshot_end in $file"
}

# watch_stop FILE: stop the recorder of FILE.
watch_stop() {
	local p=${WATCH_PID[$1]:-}
	[ -n "$p" ] && kill "$p" 2>/dev/null
	unset "WATCH_PID[$1]"
	return 0
}

# Background processes of this file (pids) killed on exit, besides lib.sh's.
CONSUMER_PIDS=""

_consumer_cleanup() {
	local p
	for p in "${WATCH_PID[@]}" $CONSUMER_PIDS; do kill "$p" 2>/dev/null; done
	return 0
}

# consumer_workdir: workdir, with this file's cleanup chained before lib.sh's
# (which still sees the test's exit status).
consumer_workdir() {
	workdir
	trap '_consumer_rc=$?; _consumer_cleanup; (exit $_consumer_rc); _lib_cleanup' EXIT
}

# watch_events FILE EVENT INSTANCE [SINCE]: the events EVENT (added, changed,
# removed) for INSTANCE that arrived at or after SINCE, as "TIME JSON" lines.
watch_events() {
	local file=$1 ev=$2 inst=$3 since=${4:-0} ts line
	while read -r ts line; do
		awk -v a="$ts" -v b="$since" 'BEGIN { exit !(a >= b) }' || continue
		jq -e --arg e "$ev" --arg i "$inst" \
			'select(.event == $e and .instance.instance == $i)' <<<"$line" >/dev/null 2>&1 &&
			printf '%s %s\n' "$ts" "$line"
	done <"$file"
	return 0
}

# publish_start HOST LOG NAME TYPE PORT [TXT...]: run avahi-publish -s on HOST
# (a foreign, non-lanyard publisher), its output timestamped into LOG; waits
# until it is established. Sets PUB_PID (avahi-publish itself), PUB_T0 (start)
# and PUB_EST (when it reported "Established").
PUB_PID=""
PUB_T0=""
PUB_EST=""
publish_start() {
	local h=$1 log=$2 fifo
	shift 2
	consumer_workdir
	fifo=$T/.pfifo.$$.$RANDOM
	mkfifo "$fifo" || fail "mkfifo"
	(
		while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done <"$fifo" >"$log"
	) &
	disown $!
	PUB_T0=$(now)
	"$NETLAB" exec "$LAB" "$h" stdbuf -oL avahi-publish -s "$@" >"$fifo" 2>&1 </dev/null &
	PUB_PID=$!
	disown $!
	CONSUMER_PIDS="$CONSUMER_PIDS $PUB_PID"
	wait_for 10 grep -q 'Established' "$log" || fail "avahi-publish $* on $h did not establish: $(cat "$log")"
	PUB_EST=$(awk '/Established/ { print $1; exit }' "$log")
	[ "$(cat "/proc/$PUB_PID/comm" 2>/dev/null)" = avahi-publish ] ||
		fail "pid $PUB_PID is not avahi-publish"
}

# publish_stop PID: SIGTERM an avahi-publish (it withdraws: goodbye packets)
# and wait until it has exited.
publish_stop() {
	kill -TERM "$1" 2>/dev/null
	wait_for 5 eval '! pid_alive '"$1" || fail "avahi-publish $1 did not exit"
}

# pid_alive PID: PID exists and is not a zombie.
pid_alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

# defer_fail MSG: a wrong behaviour that should not hide the checks after it;
# deferred_check (at the end of the test) fails with every such message.
DEFERRED=""
defer_fail() {
	printf 'FAIL (deferred): %s: %s\n' "$TEST_NAME" "$*" >&2
	DEFERRED="$DEFERRED
- $*"
}
deferred_check() {
	[ -z "$DEFERRED" ] || fail "wrong behaviour seen earlier:$DEFERRED"
}

# rss_kb PID: resident memory of PID in KiB (VmRSS).
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# elapsed_ms T0: milliseconds since T0 (a `now` value).
elapsed_ms() { ms_between "$1" "$(now)"; }
