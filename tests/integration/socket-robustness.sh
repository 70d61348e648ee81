#!/bin/bash
# SPDX-License-Identifier: MIT
# The consumer socket survives hostile and broken clients (garbage, oversized and half lines, idle floods past the cap, readers that never read) while other clients keep being served exactly; the CLI's exit codes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
# The test hooks (fake instances, a load file) are in lanyardd-test only.
LANYARDD=${LANYARDD_TEST:-$top_builddir/agent/lanyardd-test}
. "$top_srcdir/tests/integration/lib-consumer.sh"

# No LAN needed: lanyardd runs here with a fake cache and no reachable
# avahi-daemon (a D-Bus address that does not exist).
command -v perl >/dev/null || skip "perl not installed"
[ -x "$LANYARDD" ] || fail "lanyardd not built: $LANYARDD"
consumer_workdir
NFAKE=200
S=$T/a.sock
cat >"$T/a.yaml" <<YAML
agent:
  socket: $S
  # The cap tested below (the default follows the descriptor limit).
  limits: {connections: 1024}
YAML

# --- a small socket client for what socat cannot do ---------------------------------
cat >"$T/client.pl" <<'PERL'
use strict; use warnings;
use IO::Socket::UNIX; use IO::Select; use Socket; use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';
$| = 1;
alarm 120; # never outlive a test that was killed
my ($mode, $path, @a) = @ARGV;
sub conn { IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path) }
# Read whatever arrives within $t seconds (until EOF); returns (data, eof).
sub drain {
	my ($s, $t) = @_;
	my ($buf, $eof, $end) = ('', 0, time + $t);
	my $sel = IO::Select->new($s);
	while (time < $end) {
		last unless $sel->can_read($end - time);
		my $n = sysread($s, my $chunk, 65536);
		if (!$n) { $eof = 1; last; }
		$buf .= $chunk;
	}
	return ($buf, $eof);
}
if ($mode eq 'big') {
	# big BYTES: one line of BYTES bytes (no newline until the end); print the
	# answer lines and "EOF" if the agent closed the connection.
	my $s = conn() or die "connect: $!";
	$s->blocking(0);
	my $data = '{"op":"list","service":"' . ('x' x ($a[0] - 30)) . "\"}\n";
	my ($off, $end) = (0, time + 5);
	while ($off < length($data) && time < $end) {
		my $n = syswrite($s, $data, 65536, $off);
		if (defined $n) { $off += $n; next; }
		last if $!{EPIPE} || $!{ECONNRESET};
		sleep 0.01;
	}
	$s->blocking(1);
	my ($buf, $eof) = drain($s, 5);
	print "sent=$off\n$buf", ($eof ? "EOF\n" : "OPEN\n");
} elsif ($mode eq 'half') {
	# half SENTFILE GOFILE: send half a request, create SENTFILE, wait for
	# GOFILE, send the rest, print the answer.
	my $s = conn() or die "connect: $!";
	syswrite($s, '{"op":"list","serv');
	open my $f, '>', $a[0] or die; close $f;
	sleep 0.05 until -e $a[1];
	syswrite($s, "ice\":\"_fake0._tcp\",\"id\":\"half\"}\n");
	my ($buf) = drain($s, 5);
	print $buf;
} elsif ($mode eq 'hold') {
	# hold N READYFILE STOPFILE: open N connections; each asks for a watch
	# that does not exist and reads its first line (answered not_found, or
	# refused busy); report, keep them open until STOPFILE exists.
	my ($n, $ready, $stop) = @a;
	my @socks;
	my ($busy, $failed) = (0, 0);
	for (1 .. $n) {
		my $s = conn();
		if (!$s) { $failed++; next; }
		push @socks, $s;
		syswrite($s, "{\"op\":\"unwatch\",\"watch\":1}\n");
		my ($l, $end, $sel) = ('', time + 10, IO::Select->new($s));
		while ($l !~ /\n/ && time < $end && $sel->can_read($end - time)) {
			sysread($s, my $c, 4096) or last;
			$l .= $c;
		}
		if ($l =~ /"code":"busy"/) { $busy++ } elsif ($l !~ /"code":"not_found"/) { $failed++ }
	}
	open my $f, '>', "$ready.tmp" or die; print $f "opened=" . scalar(@socks) . " failed=$failed busy=$busy\n"; close $f;
	rename "$ready.tmp", $ready;
	sleep 0.1 until -e $stop;
	close $_ for @socks;
} elsif ($mode eq 'slow') {
	# slow N READYFILE STOPFILE: a watch and N list requests, never read until
	# STOPFILE exists; then read everything and report bytes and EOF.
	my ($n, $ready, $stop) = @a;
	my $s = conn() or die "connect: $!";
	my $req = '{"op":"watch","service":"_fake0._tcp"}' . "\n" . ('{"op":"list"}' . "\n") x $n;
	$s->blocking(0);
	my $off = 0;
	my $end = time + 10;
	while ($off < length($req) && time < $end) {
		my $w = syswrite($s, $req, 65536, $off);
		if (defined $w) { $off += $w } else { last if $!{EPIPE} || $!{ECONNRESET}; sleep 0.01 }
	}
	$s->blocking(1);
	open my $f, '>', $ready or die; print $f "sent=$off\n"; close $f;
	sleep 0.1 until -e $stop;
	my ($buf, $eof) = drain($s, 10);
	my $lines = () = $buf =~ /\n/g;
	print "read=" . length($buf) . " lines=$lines eof=$eof\n";
} elsif ($mode eq 'hangup') {
	# hangup N: N clients that send a big request and close at once.
	for (1 .. $a[0]) {
		my $s = conn() or die "connect: $!";
		syswrite($s, '{"op":"list"}' . "\n" . '{"op":"watch"}' . "\n");
		close $s;
	}
	print "done\n";
}
PERL
client() { perl "$T/client.pl" "$1" "$S" "${@:2}"; }

# --- the agent ------------------------------------------------------------------------
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-such-bus LANYARD_TEST_FAKE_INSTANCES=$NFAKE \
	"$LANYARDD" -f -c "$T/a.yaml" </dev/null >"$T/agent.log" 2>&1 &
APID=$!
CONSUMER_PIDS="$CONSUMER_PIDS $APID"
a_alive() { kill -0 "$APID" 2>/dev/null && ! grep -q '^[^)]*) Z' "/proc/$APID/stat"; }
q() { printf '%s\n' "$@" | socat -t 5 -T 10 - "UNIX-CONNECT:$S" 2>/dev/null; }
st() { q '{"op":"status"}' | jq -r ".status$1"; }
wait_for 10 eval '[ "$(st .cache.instances)" = '$NFAKE' ]' || fail "lanyardd does not answer with $NFAKE fake instances: $(cat "$T/agent.log")"

# The reference answer every healthy client must keep getting.
REF=$(q '{"op":"list","service":"_fake0._tcp"}' | jq -S -c '.instances | map(del(.health)) | sort_by(.instance)')
[ "$(jq length <<<"$REF")" = $NFAKE ] || fail "reference list has $(jq length <<<"$REF") instances"
[ "$(jq -r '[.[] | select(.instance == "fake-7")][0] | "\(.addresses[0]) \(.port) \(.txt.weight)"' <<<"$REF")" = "192.0.2.8 10007 2" ] ||
	fail "fake-7 looks wrong: $(jq -c '.[] | select(.instance == "fake-7")' <<<"$REF")"
# healthy: a new client gets the exact reference list (within 30 s; how
# long it waited is printed, not asserted: scripts/bench measures latency).
healthy() {
	local t0 got ms
	t0=$(now)
	got=$(printf '%s\n' '{"op":"list","service":"_fake0._tcp"}' | socat -t 30 -T 30 - "UNIX-CONNECT:$S" 2>/dev/null |
		jq -S -c '.instances | map(del(.health)) | sort_by(.instance)')
	ms=$(elapsed_ms "$t0")
	log "a healthy client waited $ms ms ($1)"
	[ "$got" = "$REF" ] || fail "a healthy client got a wrong list ($1)"
	a_alive || fail "lanyardd died ($1)"
}
healthy start

# --- garbage and wrong types: bad_request, the connection stays usable ----------------
bad=(
	'garbage'
	'{'
	'{"op":"list"'
	'[1,2,3]'
	'"just a string"'
	'42'
	'null'
	'{}'
	'{"op":5}'
	'{"op":"list","service":5}'
	'{"op":"list","service":["a"]}'
	'{"op":"list","service":""}'
	'{"op":"list","tags":"eu"}'
	'{"op":"list","tags":[1]}'
	'{"op":"list","txt":["a"]}'
	'{"op":"list","txt":{"k":1}}'
	'{"op":"list","family":"ipx"}'
	'{"op":"list","version":">>1"}'
	'{"op":"list","bogus":1}'
	'{"op":"resolve"}'
	'{"op":"resolve","service":"_fake0._tcp","policy":7}'
	'{"op":"resolve","service":"_fake0._tcp","prefer":"yes"}'
	'{"op":"report","instance":"fake-1","result":7}'
	'{"op":"report","instance":"fake-1","result":"ok","latency_ms":-5}'
	'{"op":"unwatch","watch":"a"}'
	'{"op":"unwatch","watch":-1}'
	'{"op":"list","op":"status"}'
	'{"op":"list","service":"a\u0000b"}'
	'{"op":"list","service":"\u0007bell"}'
)
errors0=$(st .server.errors)
lines=("${bad[@]}" '{"op":"list","service":"_fake0._tcp","id":"after-garbage"}')
out=$(printf '%s\n' "${lines[@]}" | socat -t 5 - "UNIX-CONNECT:$S" 2>/dev/null)
n=$(wc -l <<<"$out")
[ "$n" = ${#lines[@]} ] || fail "${#lines[@]} request lines got $n answers:
$out"
i=0
while IFS= read -r line; do
	if [ $i -lt ${#bad[@]} ]; then
		code=$(jq -r 'select(.ok == false) | .error.code' <<<"$line" 2>/dev/null)
		[ "$code" = bad_request ] || fail "request ${bad[$i]} answered $line (expected a bad_request error)"
	fi
	i=$((i + 1))
done <<<"$out"
last=$(tail -n 1 <<<"$out")
[ "$(jq -r .id <<<"$last")" = after-garbage ] || fail "the request after garbage lost its id: ${last:0:200}"
[ "$(jq -S -c '.instances | map(del(.health)) | sort_by(.instance)' <<<"$last")" = "$REF" ] ||
	fail "the request after garbage got a wrong list"
# An unknown op is its own code.
out=$(q '{"op":"frobnicate","id":1}')
[ "$(jq -r '"\(.error.code) \(.id)"' <<<"$out")" = "unknown_op 1" ] || fail "unknown op answered $out"
# Raw bytes: invalid UTF-8, NUL and CR inside a line.
out=$(printf '{"op":"list","service":"\xff\xfe"}\n{"op":"li\0st"}\n{"op":"status"}\r\n{"op":"services","id":"raw"}\n' |
	socat -t 5 - "UNIX-CONNECT:$S" 2>/dev/null)
[ "$(jq -r -s 'map(.ok) | join(",")' <<<"$out")" = "false,false,true,true" ] || fail "raw bytes: $out"
[ "$(tail -n 1 <<<"$out" | jq -r .id)" = raw ] || fail "raw bytes: the last answer is $(tail -n 1 <<<"$out")"
errors=$(st .server.errors)
[ "$errors" -ge $((errors0 + ${#bad[@]} + 3)) ] || fail "status counts $((errors - errors0)) errors for $((${#bad[@]} + 3)) bad requests"
healthy garbage

# --- pipelining: 500 requests in one write, answered in order ---------------------
out=$(for ((k = 0; k < 500; k++)); do
	case $((k % 3)) in
	0) printf '{"op":"resolve","service":"_fake0._tcp","id":%d}\n' "$k" ;;
	1) printf '{"op":"status","id":%d}\n' "$k" ;;
	2) printf '{"op":"nosuch","id":%d}\n' "$k" ;;
	esac
done | socat -t 5 - "UNIX-CONNECT:$S" 2>/dev/null)
[ "$(jq -r .id <<<"$out" | tr '\n' ' ')" = "$(seq 0 499 | tr '\n' ' ')" ] || fail "pipelined answers are out of order or missing"
[ "$(jq -r 'select(.ok) | .instance.instance // empty' <<<"$out" | grep -c '^fake-')" = 167 ] || fail "pipelined resolves did not all succeed"

# --- a 1 MiB line: too_large, then closed ---------------------------------------------
out=$(client big $((1024 * 1024)))
log "1 MiB line: $(head -n 1 <<<"$out"), answer $(sed -n 2p <<<"$out" | cut -c1-120)"
[ "$(sed -n 2p <<<"$out" | jq -r .error.code 2>/dev/null)" = too_large ] || fail "a 1 MiB line was answered: $out"
[ "$(tail -n 1 <<<"$out")" = EOF ] || fail "the connection stayed open after a too_large line"
[ "$(st .server.too_large)" -ge 1 ] || fail "status does not count the too_large line"
healthy "1 MiB line"
# A line just under the limit is parsed normally (and is a bad service name here).
out=$(client big $((60 * 1024)))
[ "$(sed -n 2p <<<"$out" | jq -r .error.code 2>/dev/null)" = bad_request ] || fail "a 60 KiB line: $(sed -n 2p <<<"$out" | cut -c1-200)"
[ "$(tail -n 1 <<<"$out")" = OPEN ] || fail "a 60 KiB line closed the connection"

# --- half a line, then silence: the others are served -----------------------------------
client half "$T/sent.half" "$T/go.half" >"$T/half.out" &
HALF=$!
# The half line is sent and its connection accepted (the status request's
# own connection is the other one) before the healthy client connects.
wait_for 30 test -e "$T/sent.half" || fail "the half-line client did not send"
wait_for 30 eval '[ "$(st .server.connections)" -ge 2 ]' || fail "the half-line connection was not accepted"
healthy "half line pending"
touch "$T/go.half"
wait "$HALF"
[ "$(jq -r .id "$T/half.out")" = half ] && [ "$(jq -r '.instances | length' "$T/half.out")" = $NFAKE ] ||
	fail "the half line, once completed, got: $(cut -c1-200 "$T/half.out")"

# --- clients that hang up at once, mid-answer -----------------------------------------
# (200 full lists and watch snapshots are real work: let it drain first.)
t0=$(now)
client hangup 200 >/dev/null || fail "hangup clients failed"
wait_for 20 eval '[ "$(st .server.connections)" = 1 ]' || fail "connections of hung-up clients not released: $(st .server.connections)"
timing hangups_200_drained "$(elapsed_ms "$t0")"
healthy "hangups"

# --- 500 idle connections: others still served ------------------------------------------
client hold 500 "$T/hold1.ready" "$T/hold1.stop" >"$T/hold1.out" 2>&1 &
HOLD1=$!
CONSUMER_PIDS="$CONSUMER_PIDS $HOLD1"
wait_for 20 test -e "$T/hold1.ready" || fail "could not open 500 connections: $(cat "$T/hold1.out")"
log "500 idle: $(cat "$T/hold1.ready")"
[ "$(cat "$T/hold1.ready")" = "opened=500 failed=0 busy=0" ] || fail "500 idle connections: $(cat "$T/hold1.ready")"
cur=$(st .server.connections)
[ "$cur" -ge 501 ] || fail "status reports $cur current connections with 500 held"
t0=$(now)
healthy "500 idle connections"
for k in 1 2 3 4 5; do healthy "500 idle connections"; done
timing list_with_500_idle_connections $(($(elapsed_ms "$t0") / 6))

# --- past the connection cap: refused with "busy", never a hang ---------------------------
busy0=$(st .server.rejected_busy)
client hold 700 "$T/hold2.ready" "$T/hold2.stop" >"$T/hold2.out" 2>&1 &
HOLD2=$!
CONSUMER_PIDS="$CONSUMER_PIDS $HOLD2"
wait_for 30 test -e "$T/hold2.ready" || fail "could not open 700 more connections: $(cat "$T/hold2.out")"
log "700 more: $(cat "$T/hold2.ready")"
cap_busy=$(sed 's/.*busy=//' "$T/hold2.ready")
[ "$cap_busy" -gt 0 ] || fail "1200 connections and none refused: $(cat "$T/hold2.ready")"
# At the cap a new client is refused at once with a busy error (read
# without writing: a write may meet the closed socket first).
out=$(timeout 5 socat -u "UNIX-CONNECT:$S" STDOUT 2>/dev/null)
[ "$(jq -r .error.code <<<"$out")" = busy ] || fail "a client over the cap got: ${out:-<nothing>}"
touch "$T/hold2.stop"
wait "$HOLD2"
wait_for 5 eval '[ "$(st .server.connections)" -le 502 ]' || fail "connections not released: $(st .server.connections)"
[ "$(st .server.rejected_busy)" -gt "$busy0" ] || fail "status does not count refused connections"
healthy "after the cap"
touch "$T/hold1.stop"
wait "$HOLD1"
wait_for 5 eval '[ "$(st .server.connections)" = 1 ]' || fail "idle connections not released: $(st .server.connections)"

# --- a reader that never reads: dropped, the others served ------------------------------
slow0=$(st .server.dropped_slow)
client slow 400 "$T/slow.ready" "$T/slow.stop" >"$T/slow.out" 2>&1 &
SLOW=$!
CONSUMER_PIDS="$CONSUMER_PIDS $SLOW"
wait_for 15 test -e "$T/slow.ready" || fail "the slow client could not send"
# A paused reader is dropped after 10 s without reading (STALL_S in
# agent/conn.c), counted from its pause, before "ready": 30 s of margin.
wait_for 30 eval '[ "$(st .server.dropped_slow)" -gt '"$slow0"' ]' ||
	fail "a client that never reads 400 list answers was not dropped (dropped_slow $(st .server.dropped_slow))"
healthy "slow reader"
[ "$(st .server.watches)" = 0 ] || fail "the dropped client's watch is still registered"
touch "$T/slow.stop"
wait "$SLOW"
log "slow reader: $(cat "$T/slow.ready") then $(cat "$T/slow.out")"
grep -q 'eof=1' "$T/slow.out" || fail "the slow reader's connection was not closed: $(cat "$T/slow.out")"
bytes=$(sed 's/.*read=\([0-9]*\).*/\1/' "$T/slow.out")
[ "$bytes" -lt $((12 * 1024 * 1024)) ] || fail "the slow reader was sent $bytes bytes before the drop"
# A client that pipelines many big requests but reads all the while is not a
# slow reader: it must get every answer (DESIGN: pipelining allowed).
n=$(for ((k = 0; k < 100; k++)); do echo '{"op":"list"}'; done | socat -t 10 - "UNIX-CONNECT:$S" 2>/dev/null | wc -l)
[ "$n" = 100 ] || defer_fail "a reading client that pipelined 100 full lists (about 10 MB of answers) got $n answers; dropped_slow is now $(st .server.dropped_slow)"
healthy "pipelined lists"
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$APID/status")
printf '# timing: rss_kb_after_abuse=%s\n' "$rss"

# --- the CLI: exit codes ------------------------------------------------------------------
cli_rc() {
	local rc
	"$LANYARD" "$@" >"$T/cli.out" 2>&1
	rc=$?
	echo "$rc"
}
rc=$(cli_rc --socket "$S" resolve nosuch)
[ "$rc" = 3 ] || fail "lanyard resolve nosuch exited $rc (expected 3): $(cat "$T/cli.out")"
rc=$(cli_rc --socket "$S" list nosuch)
[ "$rc" = 3 ] || fail "lanyard list nosuch exited $rc (expected 3): $(cat "$T/cli.out")"
rc=$(cli_rc --socket "$S" resolve _fake0._tcp --instance fake-9)
[ "$rc" = 0 ] && [ "$(cat "$T/cli.out")" = "192.0.2.10 10009" ] || fail "lanyard resolve --instance fake-9: rc $rc, $(cat "$T/cli.out")"
for args in "" "frobnicate" "resolve" "--socket" "resolve _fake0._tcp --policy" "--timeout abc status" \
	"resolve a b c" "list --family ipx" "report fake-1 maybe" "--no-such-option status"; do
	# shellcheck disable=SC2086
	rc=$(cli_rc --socket "$S" $args)
	[ "$rc" = 2 ] || fail "lanyard $args exited $rc (expected 2, usage): $(cat "$T/cli.out")"
done
rc=$(cli_rc --socket "$T/no-such.sock" status)
[ "$rc" = 1 ] || fail "lanyard with an unreachable socket exited $rc (expected 1): $(cat "$T/cli.out")"
: >"$T/not-a-socket"
rc=$(cli_rc --socket "$T/not-a-socket" resolve _fake0._tcp)
[ "$rc" = 1 ] || fail "lanyard with a non-socket path exited $rc (expected 1): $(cat "$T/cli.out")"
rc=$(LANYARD_SOCKET=$S cli_rc services)
[ "$rc" = 0 ] && grep -q _fake0._tcp "$T/cli.out" || fail "LANYARD_SOCKET is not used: rc $rc, $(cat "$T/cli.out")"

# --- the end: alive, exact, and no connection leaked ----------------------------------------
healthy end
wait_for 5 eval '[ "$(st .server.connections)" = 1 ]' || fail "connections leaked: $(st .server.connections)"
log "status.server: $(q '{"op":"status"}' | jq -c .status.server)"
kill -TERM "$APID"
wait_for 10 eval '! a_alive' || fail "lanyardd ignored SIGTERM"
wait "$APID"
rc=$?
[ "$rc" = 0 ] || fail "lanyardd exited $rc: $(tail -n 20 "$T/agent.log")"
grep -E 'ERROR|Sanitizer|runtime error' "$T/agent.log" && fail "lanyardd reported errors"
[ -e "$S" ] && fail "the socket file was left behind"
deferred_check
exit 0
