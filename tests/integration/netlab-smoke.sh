#!/bin/bash
# SPDX-License-Identifier: MIT
# The simulated LAN itself: hosts see each other's mDNS services, a crashed host stays down, avahi restarts, teardown leaves nothing behind.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

skip_unless_root_netns
lab_up 3

a1=$(host_addr h1)
[ "$a1" = 192.0.2.11 ] || fail "h1 has address '$a1', expected 192.0.2.11"

# Every host is its own machine: host name, dbus, avahi-daemon, eth0 only.
for h in h1 h2 h3; do
	[ "$(on $h hostname)" = "$h" ] || fail "$h: hostname is '$(on $h hostname)'"
	on $h avahi-daemon -c || fail "$h: avahi-daemon -c says no daemon"
	on $h test -S /run/dbus/system_bus_socket || fail "$h: no private system bus"
	links=$(on $h ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')
	[ "$links" = "eth0 lo " ] || fail "$h: interfaces are '$links'"
done
p1=$(on h1 cat /run/avahi-daemon/pid)
p2=$(on h2 cat /run/avahi-daemon/pid)
[ "$p1" != "$p2" ] || fail "h1 and h2 share an avahi-daemon ($p1)"

# Publish on h1, resolve on h2 with h1's address and the TXT record.
browse_record h2 _nlsmoke._tcp "$T/h2.rec"
t0=$(now)
on_bg h1 avahi-publish -s "smoke test" _nlsmoke._tcp 4242 "k1=v1" "path=/a b" >"$T/publish.log" 2>&1
pub=$BG_PID
want="smoke test|_nlsmoke._tcp|h1.local|$a1|4242|k1=v1|path=/a b"
wait_for 10 eval '[ "$(resolved h2 _nlsmoke._tcp)" = "$want" ]' ||
	fail "h2 does not resolve the service: got '$(resolved h2 _nlsmoke._tcp)'"
timing publish_to_resolved "$(ms_between "$t0" "$(rec_first "$T/h2.rec" = "smoke test")")"
[ "$(parse_resolved <"$T/h2.rec")" = "$want" ] || fail "recording differs: $(parse_resolved <"$T/h2.rec")"
# h3 sees it too, and h1 sees its own service.
[ "$(resolved h3 _nlsmoke._tcp)" = "$want" ] || fail "h3 does not resolve it"
[ "$(resolved h1 _nlsmoke._tcp)" = "$want" ] || fail "h1 does not resolve its own service"

# Crash h1: every process of h1 is SIGKILLed, the rest of the lab lives on.
h1pids=$("$NETLAB" pids "$LAB" h1 | sort -n | tr '\n' ' ')
echo "$h1pids" | grep -qw "$pub" || fail "avahi-publish ($pub) not among h1's pids ($h1pids)"
"$NETLAB" crash "$LAB" h1 || fail "netlab crash failed"
[ -z "$("$NETLAB" pids "$LAB" h1)" ] || fail "processes left in h1 after crash"
# avahi-publish is killed with the rest; it may see its avahi-daemon vanish
# and exit on its own a moment before its own SIGKILL lands (exit 0 or 1).
wait "$pub"
echo "# avahi-publish exit status after the crash: $?"
for p in $h1pids; do
	if [ -e /proc/$p ] && ! grep -q ') Z' /proc/$p/stat 2>/dev/null; then fail "h1 process $p survived"; fi
done
"$NETLAB" status "$LAB" | grep -q "^$LAB/h1.*down" || fail "status does not show h1 down"
on h1 true 2>/dev/null && fail "exec on a crashed host succeeded"
on h2 avahi-daemon -c || fail "h2's avahi-daemon died with h1"
# No goodbye was sent: the dead service is still listed on h2 (PTR TTL 75 min).
[ "$(resolved h2 _nlsmoke._tcp | cut -d'|' -f1)" = "smoke test" ] ||
	echo "# note: h2 no longer lists the crashed service"

# avahi-restart on h3: a new daemon, and h3 resolves again.
old=$(on h3 cat /run/avahi-daemon/pid)
t0=$(now)
"$NETLAB" avahi-restart "$LAB" h3 || fail "avahi-restart h3 failed"
timing avahi_restart "$(ms_between "$t0" "$(now)")"
new=$(on h3 cat /run/avahi-daemon/pid)
[ "$old" != "$new" ] || fail "avahi-daemon pid unchanged after restart ($old)"
kill -0 "$old" 2>/dev/null && ! grep -q ') Z' /proc/$old/stat && fail "old avahi-daemon $old still running"
on_bg h2 avahi-publish -s "after restart" _nlsmoke2._tcp 4343 >/dev/null 2>&1
wait_for 10 eval '[ "$(resolved h3 _nlsmoke2._tcp | cut -d"|" -f1,4)" = "after restart|$(host_addr h2)" ]' ||
	fail "restarted h3 does not resolve h2's service"

# avahi-stop / avahi-start.
"$NETLAB" avahi-stop "$LAB" h3 || fail "avahi-stop failed"
on h3 avahi-daemon -c 2>/dev/null && fail "avahi-daemon still running on h3 after avahi-stop"
"$NETLAB" avahi-start "$LAB" h3 || fail "avahi-start failed"
on h3 avahi-daemon -c || fail "avahi-daemon not running on h3 after avahi-start"

# A crashed host boots again.
t0=$(now)
"$NETLAB" boot "$LAB" h1 || fail "netlab boot h1 failed"
timing host_boot "$(ms_between "$t0" "$(now)")"
on h1 avahi-daemon -c || fail "h1 has no avahi-daemon after boot"
wait_for 10 eval '[ "$(resolved h1 _nlsmoke2._tcp | cut -d"|" -f1)" = "after restart" ]' ||
	fail "rebooted h1 does not resolve h2's service"

# Teardown leaves nothing: no namespace, link, state or process of the lab.
all=""
for h in h1 h2 h3; do all="$all $("$NETLAB" pids "$LAB" $h | tr '\n' ' ')"; done
"$NETLAB" down "$LAB" || fail "netlab down failed"
ip netns list | grep -q "^$LAB-" && fail "namespaces left: $(ip netns list | grep "^$LAB-")"
ip -o link show | grep -q ": $LAB-" && fail "links left"
[ -e "/run/netlab/$LAB" ] && fail "state directory left"
for p in $all; do
	if [ -e /proc/$p ] && ! grep -q ') Z' /proc/$p/stat 2>/dev/null; then
		fail "process $p ($(cat /proc/$p/comm)) survived netlab down"
	fi
done
"$NETLAB" down "$LAB" || fail "second netlab down failed (not idempotent)"
exit 0
