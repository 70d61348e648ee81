#!/bin/bash
# SPDX-License-Identifier: MIT
# The HTTP interface under hostile clients: connections past max_connections, a request that never ends (idle_timeout), huge headers, huge and endless bodies, garbage, watchers that never read; the agent keeps answering its socket and HTTP meanwhile, and no client costs more than its connection.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
# The fake cache (many instances without a LAN) is in lanyardd-test only.
LANYARDD=${LANYARDD_TEST:-$top_builddir/agent/lanyardd-test}
. "$top_srcdir/tests/integration/lib-consumer.sh"

command -v curl >/dev/null || skip "curl not installed"
need_lanyardd
skip_unless_root_netns
lab_up 1
consumer_workdir
cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
  user: root
  # HTTP clients share uid 65534's quotas: the 6 stalled watchers below fill it.
  limits: {watches_per_user: 6}
  http:
    listen: "127.0.0.1:8787"
    max_connections: 8
    idle_timeout: 2s
    max_body: 4096
    allow_report: true
YAML
LANYARD_TEST_FAKE_INSTANCES=3000 agent_start h1 "$T/h1.yaml"
wait_for 10 agent_ready h1 || fail "lanyardd does not answer"

cat >"$T/client.pl" <<'PERL'
use strict; use warnings;
use IO::Socket::INET; use IO::Select; use Time::HiRes qw(time sleep);
$SIG{PIPE} = 'IGNORE';
$| = 1;
alarm 120;
my ($mode, @a) = @ARGV;
sub conn { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => 8787, Proto => 'tcp') }
# Read until EOF or $t seconds; returns (data, eof).
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
sub status_line { my ($b) = @_; return $b =~ /^(HTTP\/1\.\d \d+)/ ? $1 : 'none' }
if ($mode eq 'hold') {
	# hold N MAX READY STOP: open N connections, each asking for /v1/status
	# (kept alive). Wait (up to 10 s) until MAX are answered, then 0.5 s
	# more; print how many were answered 200 and the most answered at once
	# that were still open (a served connection that the server closed,
	# idle, frees its slot for one in the backlog). Keep them until STOP.
	my ($n, $max, $ready, $stop) = @a;
	my @s = grep { defined } map { conn() } 1 .. $n;
	syswrite($_, "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1:8787\r\n\r\n") for @s;
	my $sel = IO::Select->new(@s);
	my (%served, %ok);
	my ($closed, $most, $end) = (0, 0, time + 10);
	while (time < $end && $sel->count) {
		for my $s ($sel->can_read($end - time)) {
			my $got = sysread($s, my $x, 65536);
			if (!$got) {
				$closed++ if $served{$s};
				$sel->remove($s);
				next;
			}
			next if $served{$s};
			$served{$s} = 1;
			$ok{$s} = 1 if $x =~ /^HTTP\/1\.1 200/;
			my $open = scalar(keys %served) - $closed;
			$most = $open if $open > $most;
			# MAX answered: a 9th must not come while they are open.
			$end = time + 0.5 if scalar(keys %ok) == $max;
		}
	}
	print "connected=", scalar(@s), " answered=", scalar(keys %ok), " most_open=$most\n";
	open my $f, '>', $ready or die; close $f;
	sleep 0.05 until -e $stop;
} elsif ($mode eq 'partial') {
	# partial: half a request line, then nothing: how long until the server hangs up.
	my $s = conn() or die "connect: $!";
	syswrite($s, "GET /v1/sta");
	my $t0 = time;
	my ($buf, $eof) = drain($s, 15);
	printf "eof=%d after=%.1f status=%s\n", $eof, time - $t0, status_line($buf);
} elsif ($mode eq 'headers') {
	# headers BYTES: one header line of BYTES bytes.
	my $s = conn() or die "connect: $!";
	my $req = "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1:8787\r\nX-Big: " . ('a' x $a[0]) . "\r\n\r\n";
	my ($off, $end) = (0, time + 10);
	$s->blocking(0);
	while ($off < length($req) && time < $end) {
		my $n = syswrite($s, $req, 65536, $off);
		if (defined $n) { $off += $n; next; }
		last if $!{EPIPE} || $!{ECONNRESET};
		sleep 0.01;
	}
	$s->blocking(1);
	my ($buf, $eof) = drain($s, 10);
	print "status=", status_line($buf), " eof=$eof\n";
} elsif ($mode eq 'body') {
	# body BYTES CHUNKED: POST /v1/report with BYTES of body, sent as fast
	# as the server takes it (CHUNKED 1: chunked and ended, 2: chunked
	# without end); the status.
	my ($bytes, $chunked) = @a;
	my $s = conn() or die "connect: $!";
	my $head = "POST /v1/report HTTP/1.1\r\nHost: 127.0.0.1:8787\r\nContent-Type: application/json\r\n" .
		($chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: $bytes\r\n\r\n");
	syswrite($s, $head);
	$s->blocking(0);
	my ($sent, $end, $buf) = (0, time + 10, '');
	my $sel = IO::Select->new($s);
	while ($sent < $bytes && time < $end) {
		my $c = 'x' x 16384;
		$c = sprintf("%x\r\n%s\r\n", length($c), $c) if $chunked;
		$c .= "0\r\n\r\n" if $chunked && $sent + length($c) >= $bytes && $chunked == 1;
		my $n = syswrite($s, $c);
		if (defined $n) { $sent += $n; next; }
		last if $!{EPIPE} || $!{ECONNRESET};
		if ($sel->can_read(0.01)) { last }
	}
	$s->blocking(1);
	my ($b, $eof) = drain($s, 10);
	print "status=", status_line($b), " sent_enough=", ($sent < $bytes ? 0 : 1), "\n";
} elsif ($mode eq 'garbage') {
	# garbage N: N connections each sending random bytes and a blank line.
	my ($n) = @a;
	my %seen;
	for (1 .. $n) {
		my $s = conn() or next;
		my $g = join('', map { chr(int(rand(256))) } 1 .. 200 + int(rand(2000)));
		syswrite($s, "$g\r\n\r\n");
		my ($buf) = drain($s, 5);
		$seen{status_line($buf)}++;
	}
	print join(' ', map { "$_:$seen{$_}" } sort keys %seen), "\n";
} elsif ($mode eq 'idle') {
	# idle N READY STOP: N keep-alive connections, one after another, each
	# asking /v1/status once and reading its whole answer; then all of them
	# stay open and idle until STOP exists. Prints the statuses.
	my ($n, $ready, $stop) = @a;
	my (@s, %codes);
	for (1 .. $n) {
		my $s = conn() or last;
		syswrite($s, "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1:8787\r\n\r\n");
		my ($buf, $end) = ('', time + 10);
		my $sel = IO::Select->new($s);
		while (time < $end) {
			if ($buf =~ /^(.*?\r\n\r\n)/s) {
				my $h = $1;
				my $cl = $h =~ /content-length:\s*(\d+)/i ? $1 : 0;
				last if length($buf) >= length($h) + $cl;
			}
			last unless $sel->can_read($end - time);
			my $got = sysread($s, my $x, 65536);
			last unless $got;
			$buf .= $x;
		}
		$codes{status_line($buf)}++;
		push @s, $s;
	}
	print "connected=", scalar(@s), " ", join(' ', map { "$_:$codes{$_}" } sort keys %codes), "\n";
	open my $f, '>', $ready or die; close $f;
	sleep 0.05 until -e $stop;
} elsif ($mode eq 'sse-stall') {
	# sse-stall N READY STOP: N watches of everything that never read.
	my ($n, $ready, $stop) = @a;
	my @s;
	for (1 .. $n) {
		my $s = conn() or next;
		setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
		syswrite($s, "GET /v1/watch HTTP/1.1\r\nHost: 127.0.0.1:8787\r\n\r\n");
		push @s, $s;
	}
	open my $f, '>', $ready or die; close $f;
	sleep 0.05 until -e $stop;
}
PERL
pc() { on h1 perl "$T/client.pl" "$@"; }
# alive: the socket answers status, and HTTP answers /v1/status.
alive() {
	agent_ready h1 && [ "$(on h1 curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8787/v1/status)" = 200 ]
}

# --- past max_connections -----------------------------------------------------------
on_bg h1 perl "$T/client.pl" hold 40 8 "$T/hold.ready" "$T/hold.stop" >"$T/hold.out"
hold_pid=$BG_PID
CONSUMER_PIDS="$CONSUMER_PIDS $hold_pid"
wait_for 20 test -e "$T/hold.ready" || fail "hold client did not start"
out=$(cat "$T/hold.out")
log "40 connections at once: $out"
# The first 8 are served and kept alive; the rest wait in the listen
# backlog until one of them goes (idle_timeout), never served past the cap.
answered=$(sed -n 's/.* answered=\([0-9]*\) .*/\1/p' <<<"$out")
[ "${answered:-0}" -ge 8 ] && [[ $out == *" most_open=8" ]] ||
	fail "expected 8 connections served (max_connections), never more open at once: $out"
agent_ready h1 || fail "the socket does not answer while HTTP is full"
touch "$T/hold.stop"
wait "$hold_pid"
wait_for 10 alive || fail "HTTP does not answer once the idle connections are gone"

# --- a request that never ends: closed by idle_timeout -------------------------------
out=$(pc partial)
log "half a request line: $out"
[[ $out == "eof=1 "* ]] || fail "half a request was not closed: $out"
after=$(sed 's/.*after=\([0-9.]*\).*/\1/' <<<"$out")
awk -v a="$after" 'BEGIN { exit !(a < 10) }' || fail "closed after $after s (idle_timeout 2s)"

# --- huge headers ----------------------------------------------------------------------
out=$(pc headers 100000)
log "a 100 KB header: $out"
case $out in "status=HTTP/1.1 431"* | "status=HTTP/1.1 413"* | "status=HTTP/1.1 414"* | "status=none eof=1") ;;
*) fail "a 100 KB header: $out" ;; esac
alive || fail "not answering after a huge header"

# --- huge bodies ---------------------------------------------------------------------------
out=$(pc body 10000000 0)
log "a 10 MB report body: $out"
[[ $out == "status=HTTP/1.1 413"* ]] || fail "10 MB body with Content-Length: $out"
out=$(pc body 100000 1)
log "a 100 KB chunked report body: $out"
[[ $out == "status=HTTP/1.1 413"* ]] || fail "100 KB chunked body: $out"
out=$(pc body 20000000 2)
log "an endless chunked report body: $out"
[[ $out == "status=none sent_enough=0" ]] || fail "endless chunked body not cut off: $out"
alive || fail "not answering after huge bodies"

# --- garbage -------------------------------------------------------------------------------
out=$(pc garbage 30)
log "30 connections of garbage: $out"
[[ $out != *"HTTP/1.1 200"* && $out != *"HTTP/1.1 5"* ]] || fail "garbage got: $out"
alive || fail "not answering after garbage"

# --- watchers that never read --------------------------------------------------------------
on_bg h1 perl "$T/client.pl" sse-stall 6 "$T/sse.ready" "$T/sse.stop"
sse_pid=$BG_PID
CONSUMER_PIDS="$CONSUMER_PIDS $sse_pid"
wait_for 20 test -e "$T/sse.ready" || fail "stalled watchers did not start"
wait_for 10 eval '[ "$(status_get h1 .server.watches)" -ge 6 ]' || fail "the 6 watches are not open: $(status_get h1 .server)"
# A 7th watch over HTTP is past uid 65534's quota: the socket's busy, as 429.
out=$(on h1 curl -s -w ' %{http_code}' --max-time 5 http://127.0.0.1:8787/v1/watch)
[[ $out == *'"code":"busy"'*' 429' ]] || fail "a watch past watches_per_user over HTTP: $out"
log "a 7th watch: $out"
# The others are served meanwhile: a resolve over HTTP and the socket.
for i in $(seq 1 20); do
	code=$(on h1 curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8787/v1/resolve/_fake0._tcp)
	[ "$code" = 200 ] || fail "resolve over HTTP while watchers stall: $code"
	[ "$(req h1 '{"op":"resolve","service":"_fake0._tcp"}' | jq -r .ok)" = true ] || fail "socket resolve while watchers stall"
done
touch "$T/sse.stop"
wait "$sse_pid"
wait_for 10 eval '[ "$(status_get h1 .server.watches)" = 0 ]' || fail "watches left after the watchers hung up: $(status_get h1 .server)"
log "6 stalled watchers: the others served, their watches gone with them"

alive || fail "not answering at the end"
agent_stop h1 || fail "lanyardd exited with $AGENT_RC"
! grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$(agent_log h1)" || fail "sanitizer report in the log"

# --- idle keep-alive clients do not lock HTTP out ----------------------------------------
# (Regression: each idle keep-alive HTTP connection kept its socket side,
# all of uid 65534: connections_per_user of them filled that quota, and
# every new request was answered 429 busy.) connections_per_user 8: at
# most 2 idle socket sides are kept.
cat >"$T/h1-idle.yaml" <<YAML
agent:
  socket: $T/h1.sock
  user: root
  limits: {connections_per_user: 8}
  http:
    listen: "127.0.0.1:8787"
    max_connections: 200
    idle_timeout: 120s
    metrics_max_services: 2
YAML
# 4 fake types: _fake0 and _fake1 with 3 instances, _fake2 and _fake3 with 2.
LANYARD_TEST_FAKE_INSTANCES=10:4 agent_start h1 "$T/h1-idle.yaml"
wait_for 10 agent_ready h1 || fail "lanyardd does not answer (idle keep-alive case)"

# --- metrics_max_services keeps the types with most instances ----------------------------
# (Regression: it kept the types the cache saw last, _fake3 and _fake2.)
on h1 curl -s --max-time 5 http://127.0.0.1:8787/metrics >"$T/capped.metrics"
got=$(grep '^lanyard_cache_instances{' "$T/capped.metrics" | sed 's/.*type="\([^"]*\)"} \([0-9]*\)$/\1=\2/' | sort | tr '\n' ' ')
[ "$got" = "_fake0._tcp=3 _fake1._tcp=3 _other=4 " ] || fail "lanyard_cache_instances with metrics_max_services 2: $got"
log "metrics_max_services 2 keeps the 2 types with most instances: $got"
on_bg h1 perl "$T/client.pl" idle 140 "$T/idle.ready" "$T/idle.stop" >"$T/idle.out"
idle_pid=$BG_PID
CONSUMER_PIDS="$CONSUMER_PIDS $idle_pid"
wait_for 60 test -e "$T/idle.ready" || fail "the idle keep-alive client did not finish its requests"
out=$(cat "$T/idle.out")
log "140 keep-alive connections, one request each, then idle: $out"
[ "$out" = "connected=140 HTTP/1.1 200:140" ] || fail "140 keep-alive connections, one request each: $out"
code=$(on h1 curl -s -o "$T/idle.body" -w '%{http_code}' --max-time 5 http://127.0.0.1:8787/v1/status)
[ "$code" = 200 ] || fail "a new request with 140 idle keep-alive connections open: $code $(cat "$T/idle.body")"
conns=$(status_get h1 .server.connections)
[ "$conns" -le 4 ] || fail "$conns socket connections open for 140 idle HTTP connections (at most 2 idle sides kept)"
log "a new request with 140 idle keep-alive connections open: $code ($conns socket connections open)"
# 2 idle sides (of 2 more keep-alive connections) and 6 watches fill the
# 8: a new request's side is refused busy, the idle sides are closed and
# it is tried once more.
on_bg h1 perl "$T/client.pl" idle 2 "$T/idle2.ready" "$T/idle2.stop" >"$T/idle2.out"
idle2_pid=$BG_PID
CONSUMER_PIDS="$CONSUMER_PIDS $idle2_pid"
wait_for 20 test -e "$T/idle2.ready" || fail "the 2 keep-alive connections did not finish their requests"
[ "$(cat "$T/idle2.out")" = "connected=2 HTTP/1.1 200:2" ] || fail "2 more keep-alive connections: $(cat "$T/idle2.out")"
on_bg h1 perl "$T/client.pl" sse-stall 6 "$T/sse2.ready" "$T/sse2.stop"
sse2_pid=$BG_PID
CONSUMER_PIDS="$CONSUMER_PIDS $sse2_pid"
wait_for 20 test -e "$T/sse2.ready" || fail "the 6 watchers did not start"
wait_for 10 eval '[ "$(status_get h1 .server.watches)" -ge 6 ]' || fail "the 6 watches are not open: $(status_get h1 .server)"
conns=$(status_get h1 .server.connections)
code=$(on h1 curl -s -o "$T/idle.body" -w '%{http_code}' --max-time 5 http://127.0.0.1:8787/v1/status)
[ "$conns" = 9 ] || fail "6 watches, 2 idle sides and status: $conns socket connections"
[ "$code" = 200 ] || fail "a request with 6 watches and 2 idle sides filling connections_per_user 8: $code $(cat "$T/idle.body")"
log "6 watches + 2 idle sides at connections_per_user 8 ($conns socket connections, 1 of them status's): a new request $code"
touch "$T/sse2.stop" "$T/idle2.stop"
wait "$sse2_pid" "$idle2_pid"
touch "$T/idle.stop"
wait "$idle_pid"
alive || fail "not answering after the idle keep-alive clients"
agent_stop h1 || fail "lanyardd exited with $AGENT_RC"
! grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$(agent_log h1)" || fail "sanitizer report in the log"
log "OK"
