# SPDX-License-Identifier: MIT
# Helpers for the integration tests: a netlab LAN per test, commands on its hosts, polling, lanyardd control and avahi-browse recorders.
#
# Source it from a bash test script:  . "$(dirname "$0")/lib.sh"
# Exit codes follow automake: 0 pass, 1 fail, 77 skip.
# Set LANYARD_IT_KEEP=1 to keep the work directory (configs, logs, recordings).
#
#   skip_unless_root WHY, skip_unless_root_netns, need_lanyardd, fail MSG, log MSG, timing NAME MS
#   lab_up N [PREFIX] (sets LAB, $T = work dir; torn down on EXIT/INT/TERM)
#   on HOST CMD..., on_bg HOST CMD... (pid in BG_PID), host_addr HOST
#   wait_for TIMEOUT_S CMD..., now, ms_between T0 T1
#   agent_start HOST CONFIG [ARGS], agent_reload HOST, agent_stop HOST [TIMEOUT_S]
#   (exit status in AGENT_RC), agent_alive HOST, agent_log HOST
#   browse_record HOST TYPE|all FILE, browse_stop FILE, rec_first, rec_count
#   avahi_browse_once HOST TYPE|all, resolved HOST TYPE|all, parse_resolved

set -u
export LC_ALL=C
# No test reads stdin. Started with it closed (as CI does), bash would hand
# descriptor 0 to the first pipe it makes, and commands in pipelines would
# get stray pipe ends: one avahi-browse -t waited on such a pipe for ever.
exec </dev/null

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
NETLAB=${NETLAB:-$top_srcdir/scripts/netlab}
LANYARDD=${LANYARDD:-$top_builddir/agent/lanyardd}
TEST_NAME=$(basename "$0" .sh)
LAB=""
T=""
declare -A AGENT_PID=()
declare -A BROWSE_PID=()
_lib_labs=""

# --- reporting ---------------------------------------------------------------

log() { printf '# %s %s\n' "$(date +%T.%3N)" "$*"; }

# fail MSG: report and exit 1 (the EXIT trap tears the lab down).
fail() {
	printf 'FAIL: %s: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

skip() {
	printf 'SKIP: %s: %s\n' "$TEST_NAME" "$*" >&2
	exit 77
}

# timing NAME MS: one machine-readable timing line.
timing() { printf '# timing: %s=%sms\n' "$1" "$2"; }

# --- time --------------------------------------------------------------------

# now: wall clock in seconds with microseconds (same format as `date +%s.%N`).
now() { printf '%s\n' "$EPOCHREALTIME"; }

# ms_between T0 T1: whole milliseconds from T0 to T1 (both "s.frac").
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d\n", (b - a) * 1000 + 0.5 }'; }

# --- environment ---------------------------------------------------------------

# skip_unless_root WHY: exit 77 unless root, or when LANYARD_SKIP_ROOT_TESTS=1
# (make distcheck sets it: no labs, no other users in a distcheck).
skip_unless_root() {
	[ "${LANYARD_SKIP_ROOT_TESTS:-}" = 1 ] && skip "LANYARD_SKIP_ROOT_TESTS=1 (make distcheck): needs root ($1)"
	[ "$(id -u)" = 0 ] || skip "needs root ($1)"
	return 0
}

# Exit 77 unless this machine can run a lab: root, network namespaces,
# bridges, avahi-daemon, dbus-daemon and avahi-browse.
skip_unless_root_netns() {
	local c
	skip_unless_root "network namespaces"
	for c in ip nsenter unshare setsid avahi-daemon dbus-daemon avahi-browse avahi-publish stdbuf; do
		command -v "$c" >/dev/null 2>&1 || skip "'$c' not installed"
	done
	unshare -n -m true 2>/dev/null || skip "cannot create network/mount namespaces here"
	ip link add "nlchk$$-br" type bridge 2>/dev/null || skip "cannot create a bridge here"
	ip link del "nlchk$$-br" 2>/dev/null
	return 0
}

# --- the lab ------------------------------------------------------------------

_lib_cleanup() {
	local rc=$? p
	# A background child caught between fork and exec must not tear down.
	[ "$BASHPID" = "$$" ] || exit "$rc"
	trap - EXIT INT TERM
	for p in "${BROWSE_PID[@]}"; do kill "$p" 2>/dev/null; done
	# Processes still running in the lab die with it; do not report them.
	disown -a 2>/dev/null
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -n "$T" ]; then
		_lib_dump_logs
	fi
	for p in $_lib_labs; do
		"$NETLAB" down "$p" || echo "# warning: netlab down $p failed" >&2
	done
	if [ -n "$T" ]; then
		if [ "${LANYARD_IT_KEEP:-0}" = 1 ]; then
			echo "# work directory kept: $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

_lib_dump_logs() {
	local f
	for f in "$T"/*.log "$T"/*.rec; do
		[ -s "$f" ] || continue
		echo "# ---- $f (last 40 lines)"
		tail -n 40 "$f" | sed 's/^/#   /'
	done
	for f in /run/netlab/"$LAB"/h*/avahi.log; do
		[ -s "$f" ] || continue
		echo "# ---- $f (last 10 lines)"
		tail -n 10 "$f" | sed 's/^/#   /'
	done
}

_lib_trap() {
	trap _lib_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Work directory for configs, logs and recordings ($T); made on first use.
workdir() {
	if [ -z "$T" ]; then
		T=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-it-$TEST_NAME.XXXXXX") || fail "mktemp"
		chmod 755 "$T"
		_lib_trap
	fi
}

# lab_prefix [TAG]: a short lab prefix unique to this test run ("nl" + the
# first 3 - len(TAG) letters of the test name + TAG + pid), at most 10 characters.
lab_prefix() {
	local tag=${1:-} s
	s=$(printf '%s' "$TEST_NAME" | tr -cd 'a-z0-9')
	s=${s:0:$((3 - ${#tag}))}
	printf "nl%s%s%d\n" "$s" "$tag" $(($$ % 100000))
}

# lab_up N [PREFIX]: build hosts h1..hN; sets LAB; always torn down on exit.
lab_up() {
	local n=$1 p=${2:-$(lab_prefix)} t0
	workdir
	_lib_labs="$_lib_labs $p"
	t0=$(now)
	"$NETLAB" up "$p" "$n" || fail "netlab up $p $n failed"
	[ -n "$LAB" ] || LAB=$p
	log "lab $p: $n hosts up in $(ms_between "$t0" "$(now)") ms"
}

# on HOST CMD...: run CMD inside HOST of $LAB.
on() {
	local h=$1
	shift
	"$NETLAB" exec "$LAB" "$h" "$@"
}

# on_bg HOST CMD...: like `on`, in the background; its pid (the command itself)
# is left in BG_PID. Redirect the call to capture output.
BG_PID=""
on_bg() {
	local h=$1
	shift
	"$NETLAB" exec "$LAB" "$h" "$@" &
	BG_PID=$!
}

# host_addr HOST: HOST's IPv4 address.
host_addr() { "$NETLAB" addr "$LAB" "$1"; }

# wait_for TIMEOUT_S CMD...: run CMD every 0.1 s until it succeeds (0) or
# TIMEOUT_S seconds have passed (1).
wait_for() {
	local timeout=$1 end
	shift
	end=$(awk -v n="$(now)" -v t="$timeout" 'BEGIN { printf "%.6f\n", n + t }')
	while :; do
		"$@" && return 0
		awk -v n="$(now)" -v e="$end" 'BEGIN { exit !(n >= e) }' && return 1
		sleep 0.1
	done
}

# --- lanyardd -------------------------------------------------------------------

# need_lanyardd: fail at once (not skip) if lanyardd is not built.
need_lanyardd() {
	[ -x "$LANYARDD" ] || fail "lanyardd not built: $LANYARDD (build the tree first)"
}

# agent_start HOST CONFIG_FILE [ARGS...]: run lanyardd -f -c CONFIG_FILE in
# HOST, stdout+stderr to $T/HOST.agent.log; pid in AGENT_PID[HOST].
agent_start() {
	local h=$1 cfg=$2
	shift 2
	workdir
	[ -x "$LANYARDD" ] || fail "lanyardd not built: $LANYARDD"
	[ -z "${AGENT_PID[$h]:-}" ] || fail "agent_start: lanyardd already running on $h"
	echo "--- $(now) lanyardd -f -c $cfg $*" >>"$T/$h.agent.log"
	"$NETLAB" exec "$LAB" "$h" "$LANYARDD" -f -c "$cfg" "$@" </dev/null >>"$T/$h.agent.log" 2>&1 &
	AGENT_PID[$h]=$!
}

agent_log() { printf '%s\n' "$T/$1.agent.log"; }

# agent_alive HOST: lanyardd of HOST still running.
agent_alive() {
	local p=${AGENT_PID[$1]:-}
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && ! grep -q '^[^)]*) Z' "/proc/$p/stat" 2>/dev/null
}

# agent_reload HOST: SIGHUP.
agent_reload() {
	[ -n "${AGENT_PID[$1]:-}" ] || fail "agent_reload: no lanyardd on $1"
	kill -HUP "${AGENT_PID[$1]}" || fail "agent_reload: lanyardd on $1 is gone"
}

# agent_stop HOST [TIMEOUT_S]: SIGTERM, wait for exit (SIGKILL after
# TIMEOUT_S, default 10). Returns lanyardd's exit status (in AGENT_RC too).
AGENT_RC=""
agent_stop() {
	local h=$1 timeout=${2:-10} p i
	p=${AGENT_PID[$h]:-}
	[ -n "$p" ] || fail "agent_stop: no lanyardd on $h"
	kill -TERM "$p" 2>/dev/null
	for ((i = 0; i < timeout * 10; i++)); do
		agent_alive "$h" || break
		sleep 0.1
	done
	if agent_alive "$h"; then
		echo "# lanyardd on $h ignored SIGTERM for ${timeout}s, killing" >&2
		kill -KILL "$p" 2>/dev/null
	fi
	wait "$p"
	AGENT_RC=$?
	unset "AGENT_PID[$h]"
	echo "--- $(now) exit status $AGENT_RC" >>"$T/$h.agent.log"
	return "$AGENT_RC"
}

# --- avahi-browse ---------------------------------------------------------------

# timestamp_lines FIFO FILE: in the background, copy each line of FIFO to
# FILE prefixed by its arrival time ("1700000000.123456 LINE").
timestamp_lines() {
	(
		while IFS= read -r line; do
			printf '%s %s\n' "$EPOCHREALTIME" "$line"
		done <"$1" >"$2"
	) &
	disown $!
}

# browse_record HOST TYPE FILE: record `avahi-browse -rpk TYPE` (TYPE "all"
# = -a) on HOST into FILE, one event per line prefixed by its arrival time:
#   1700000000.123456 =;eth0;IPv4;name;_x._tcp;local;h1.local;192.0.2.11;80;"a=b"
# Returns after a short settle time so events from then on are seen.
browse_record() {
	local h=$1 type=$2 file=$3 fifo
	workdir
	fifo=$T/.fifo.$$.${#BROWSE_PID[@]}
	mkfifo "$fifo" || fail "mkfifo"
	[ "$type" = all ] && type=-a
	"$NETLAB" exec "$LAB" "$h" stdbuf -oL avahi-browse -rpk "$type" >"$fifo" 2>>"$file.err" </dev/null &
	BROWSE_PID[$file]=$!
	disown $!
	timestamp_lines "$fifo" "$file"
	sleep 0.5
}

browse_stop() {
	local p=${BROWSE_PID[$1]:-}
	[ -n "$p" ] && kill "$p" 2>/dev/null
	unset "BROWSE_PID[$1]"
	return 0
}

# avahi_browse_once HOST TYPE: `avahi-browse -rpkt TYPE` on HOST (TYPE "all" = -a;
# -k: raw type names, no "Web Site" descriptions).
avahi_browse_once() {
	local type=$2
	[ "$type" = all ] && type=-a
	on "$1" timeout 30 avahi-browse -rpkt "$type" 2>/dev/null
}

# unescape NAME: turn avahi-browse -p label escapes (\032, \., \\) into text.
unescape() {
	printf '%s\n' "$1" | perl -pe 's/\\(\d{3})/chr($1)/ge; s/\\(.)/$1/g'
}

# resolved HOST TYPE: the IPv4 services of TYPE that HOST resolves, one per
# line as NAME|TYPE|HOSTNAME|ADDRESS|PORT|TXT, NAME unescaped and TXT the
# record's strings sorted and joined by '|' (avahi-browse escapes removed).
resolved() {
	avahi_browse_once "$1" "$2" | parse_resolved
}

# parse_resolved: the filter behind `resolved`, on avahi-browse -p lines
# (optionally prefixed by a recorder timestamp and a space).
parse_resolved() {
	perl -ne '
		chomp; s/^\d+\.\d+ //;
		next unless /^=;[^;]*;IPv4;/;
		my @f = split /;/, $_, 10;
		my $name = $f[3]; $name =~ s/\\(\d{3})/chr($1)/ge; $name =~ s/\\(.)/$1/g;
		my @txt;
		my $t = $f[9] // "";
		while ($t =~ /"((?:[^"\\]|\\.)*)"/g) { my $s = $1; $s =~ s/\\(.)/$1/g; push @txt, $s; }
		print join("|", $name, $f[4], $f[6], $f[7], $f[8], sort @txt), "\n";
	' | sort -u
}

# rec_first FILE SIGN NAME [TYPE] [SINCE]: arrival time of the first IPv4
# event SIGN (+ - =) for instance NAME (unescaped) in a recording, at or after
# SINCE (default: any); empty if none.
rec_first() {
	local file=$1 sign=$2 name=$3 type=${4:-} since=${5:-0}
	perl -ne '
		my ($sign, $name, $type, $since) = @ARGV_X;
		BEGIN { @ARGV_X = splice @ARGV, 1; }
		chomp; my ($ts, $ev) = split / /, $_, 2;
		next if $ts < $since;
		my @f = split /;/, $ev, 10;
		next unless $f[0] eq $sign && $f[2] eq "IPv4";
		my $n = $f[3]; $n =~ s/\\(\d{3})/chr($1)/ge; $n =~ s/\\(.)/$1/g;
		next unless $n eq $name && ($type eq "" || $f[4] eq $type);
		print "$ts\n"; exit;
	' "$file" "$sign" "$name" "$type" "$since"
}

# rec_count FILE SIGN NAME [TYPE] [SINCE]: number of IPv4 events SIGN for NAME
# arriving at or after SINCE (default: all).
rec_count() {
	local file=$1 sign=$2 name=$3 type=${4:-} since=${5:-0}
	perl -ne '
		my ($sign, $name, $type, $since) = @ARGV_X;
		BEGIN { @ARGV_X = splice @ARGV, 1; $c = 0; }
		chomp; my ($ts, $ev) = split / /, $_, 2;
		next if $ts < $since;
		my @f = split /;/, $ev, 10;
		next unless $f[0] eq $sign && $f[2] eq "IPv4";
		my $n = $f[3]; $n =~ s/\\(\d{3})/chr($1)/ge; $n =~ s/\\(.)/$1/g;
		$c++ if $n eq $name && ($type eq "" || $f[4] eq $type);
		END { print "$c\n"; }
	' "$file" "$sign" "$name" "$type" "$since"
}
