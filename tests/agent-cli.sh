#!/bin/bash
# SPDX-License-Identifier: MIT
# lanyardd's command line as a user meets it: --help, --version, usage errors,
# --check-config on good and bad files (exact FILE:LINE:COL lines, exit
# codes), and a foreground run without avahi-daemon that answers on its
# socket, survives an invalid reload and stops cleanly on SIGTERM, also
# when started with its standard descriptors closed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
L=$top_builddir/agent/lanyardd
T=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# status: lanyardd's status response.
status() { echo '{"op":"status"}' | socat - "UNIX-CONNECT:$T/s.sock" 2>/dev/null; }
# wait_status JQ VALUE: poll status until JQ gives VALUE (at most 30 s).
wait_status() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(status | jq -r "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

"$L" --help | grep -q -- '--check-config' || fail "--help does not list --check-config"
[ "$("$L" --version)" = "lanyardd $(sed -n 's/^AC_INIT(\[lanyard\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")" ] ||
	fail "--version: $("$L" --version)"
# The test hooks (synthetic instances, a load file) exist in lanyardd-test
# only: the daemon that gets installed reads no such variable.
for v in LANYARD_TEST_FAKE_INSTANCES LANYARD_LOAD_FILE; do
	grep -q "$v" "$L" && fail "lanyardd contains the test hook $v"
	grep -q "$v" "$top_builddir/agent/lanyardd-test" || fail "lanyardd-test lacks the test hook $v"
done
"$L" --no-such-option 2>/dev/null
[ $? = 2 ] || fail "an unknown option must exit 2"
"$L" extra-arg 2>/dev/null
[ $? = 2 ] || fail "an extra argument must exit 2"

cat >"$T/good.yaml" <<YAML
agent: {socket: $T/s.sock, socket_mode: "0666", log_level: debug}
services:
  - {name: payments, port: 8443, version: 2.4.1, tags: [eu]}
YAML
out=$("$L" --check-config -c "$T/good.yaml" 2>&1) || fail "good config rejected: $out"
[ "$out" = "$T/good.yaml: OK" ] || fail "expected '$T/good.yaml: OK', got '$out'"

# A new user's typos, a tab, wrong types: every error, exact positions.
printf 'agent:\n  sockt: /x\nservices:\n  - name: web\n    port: "eighty"\n    tags: eu\n' >"$T/bad.yaml"
out=$("$L" --check-config -c "$T/bad.yaml" 2>&1)
[ $? = 1 ] || fail "a bad config must exit 1"
want="$T/bad.yaml:2:3: unknown key 'sockt' in 'agent' (did you mean 'socket'?)
$T/bad.yaml:5:11: 'port': expected an integer, got 'eighty'
$T/bad.yaml:6:11: 'tags': expected a list, got a string"
[ "$out" = "$want" ] || fail "bad config messages:
$out
expected:
$want"
printf 'services:\n\t- name: web\n' >"$T/tab.yaml"
out=$("$L" --check-config -c "$T/tab.yaml" 2>&1)
case $out in "$T/tab.yaml:2:1: "*tabs*) ;; *) fail "tab: $out" ;; esac
out=$("$L" --check-config -c "$T/none.yaml" 2>&1)
[ "$out" = "$T/none.yaml: cannot read: No such file or directory" ] || fail "missing file: $out"

# A run without avahi-daemon: it starts, answers, keeps its config on an
# invalid reload, applies a valid one, and exits 0 on SIGTERM.
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-bus "$L" -f -c "$T/good.yaml" 2>"$T/log" &
pid=$!
for _ in $(seq 300); do [ -S "$T/s.sock" ] && break; sleep 0.1; done
[ -S "$T/s.sock" ] || fail "no socket: $(cat "$T/log")"
st=$(echo '{"op":"status"}' | socat - "UNIX-CONNECT:$T/s.sock")
[ "$(jq -r .status.avahi.state <<<"$st")" = connecting ] || fail "status: $st"
[ "$(jq -r '.status.publishing[0].service' <<<"$st")" = payments ] || fail "status: $st"
# Who may do what: maint is for root (or lanyardd's user), not for any
# user who can reach the socket (here everyone: mode 0666).
C=$top_builddir/client/lanyard
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$T"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups -- "$C" --socket "$T/s.sock" \
		maint payments on --reason nobody 2>&1)
	rc=$?
	[ $rc != 0 ] && case $out in *"is for root or lanyardd's user"*) true ;; *) false ;; esac ||
		fail "maint as nobody: exit $rc: $out"
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$C" --socket "$T/s.sock" status >/dev/null ||
		fail "status as nobody refused"
	"$C" --socket "$T/s.sock" maint payments on --reason root >/dev/null || fail "maint as root refused"
	st=$(echo '{"op":"status"}' | socat - "UNIX-CONNECT:$T/s.sock")
	[ "$(jq -r '.status.publishing[0].maintenance' <<<"$st")" = root ] || fail "maint as root not applied: $st"
	"$C" --socket "$T/s.sock" maint payments off >/dev/null || fail "maint off as root refused"
fi
cp "$T/good.yaml" "$T/keep.yaml"
printf 'services:\n  - name: B_D\n' >"$T/good.yaml"
kill -HUP $pid
# The failure counted is the evidence that the reload was handled; the
# status request after it is answered by the same process.
wait_status .status.agent.reload_failures 1 || {
	kill -0 $pid || fail "an invalid reload killed lanyardd"
	fail "reload failure not counted: $(status)"
}
[ "$(status | jq -r .ok)" = true ] && kill -0 $pid || fail "an invalid reload killed lanyardd"
grep -q "2:11: 'name': 'B_D' is not a valid service name" "$T/log" || fail "reload error not logged: $(cat "$T/log")"
grep -q "reload failed: keeping the running configuration" "$T/log" || fail "no 'keeping' line"
st=$(status)
[ "$(jq -r '.status.publishing[0].port' <<<"$st")" = 8443 ] || fail "the invalid reload changed the port: $st"
sed 's/port: 8443/port: 9443/' "$T/keep.yaml" >"$T/good.yaml"
kill -HUP $pid
wait_status '.status.publishing[0].port' 9443 || fail "valid reload not applied: $(status)"
[ "$(status | jq -r .status.agent.reload_failures)" = 1 ] || fail "the valid reload counted as a failure: $(status)"
kill -TERM $pid
wait $pid
rc=$?
pid=""
[ $rc = 0 ] || fail "SIGTERM: exit $rc"
[ ! -e "$T/s.sock" ] || fail "socket left behind"

# Started with stdin, stdout and stderr closed, lanyardd puts /dev/null on
# them before it opens anything: otherwise its log lines (debug here) would
# go into whatever it opened first (its loop, the bus, the socket).
"$L" -f -c "$T/good.yaml" 0<&- 1>&- 2>&- &
pid=$!
wait_status .ok true || fail "started with 0-2 closed: no answer on the socket"
for n in 0 1 2; do
	[ "$(readlink "/proc/$pid/fd/$n")" = /dev/null ] ||
		fail "started with fd $n closed, it is now $(readlink "/proc/$pid/fd/$n")"
done
[ "$(status | jq -r .ok)" = true ] || fail "status with 0-2 closed: $(status)"
kill -TERM $pid
wait $pid
rc=$?
pid=""
[ $rc = 0 ] || fail "SIGTERM with 0-2 closed: exit $rc"
echo "lanyardd command line: ok"
