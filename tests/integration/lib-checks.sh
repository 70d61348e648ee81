# SPDX-License-Identifier: MIT
# Helpers for the health-check integration tests (checks-*.sh): TCP listeners inside a host for tcp checks to watch, and what a host's agent says of its own services.
#
# Source it after lib.sh and lib-consumer.sh:
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
#   . "$top_srcdir/tests/integration/lib-consumer.sh"
#   . "$top_srcdir/tests/integration/lib-checks.sh"

declare -A LISTENER_PID=()

# listener_start HOST PORT: a TCP listener on 127.0.0.1:PORT inside HOST that
# accepts and closes every connection; returns once it accepts.
listener_start() {
	local h=$1 port=$2
	consumer_workdir
	on_bg "$h" perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0],
			Listen => 64, ReuseAddr => 1) or die "listen: $!\n";
		while (1) { my $c = $s->accept; close $c if $c; }
	' "$port" >>"$T/listener-$h-$port.log" 2>&1
	LISTENER_PID[$h:$port]=$BG_PID
	CONSUMER_PIDS="$CONSUMER_PIDS $BG_PID"
	wait_for 10 on "$h" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null ||
		fail "the listener on $h:$port does not accept: $(cat "$T/listener-$h-$port.log")"
	[ "$(cat "/proc/$BG_PID/comm" 2>/dev/null)" = perl ] || fail "pid $BG_PID is not the listener"
}

# listener_stop HOST PORT: SIGKILL the listener and wait until it is gone.
listener_stop() {
	local p=${LISTENER_PID[$1:$2]:-}
	[ -n "$p" ] || fail "listener_stop: no listener on $1:$2"
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	wait_for 5 eval '! pid_alive '"$p" || fail "the listener $p on $1:$2 did not die"
	unset "LISTENER_PID[$1:$2]"
}

# pub HOST SERVICE JQ: a field of SERVICE's entry in HOST's status
# "publishing" array (e.g. .announced, .why, .checks[0].state).
pub() {
	status_get "$1" "$(printf '.publishing[] | select(.service == "%s") | %s' "$2" "$3")"
}

# announced HOST SERVICE: HOST's agent says it announces SERVICE.
announced() { [ "$(pub "$1" "$2" .announced)" = true ]; }

# withheld HOST SERVICE: HOST's agent says it does not announce SERVICE.
withheld() { [ "$(pub "$1" "$2" .announced)" = false ]; }

# seen HOST SERVICE [N]: HOST's agent lists N (default 1) instances of SERVICE.
seen() { [ "$(list_count "$1" "$2")" = "${3:-1}" ]; }
