#!/bin/bash
# SPDX-License-Identifier: MIT
# The mdns/ layer's live tests (tests/unit/test-mdns-publish, test-mdns-browse)
# run inside a simulated host against its own avahi-daemon, with a second host
# publishing through Avahi's avahi-publish (remote collision, remote instance)
# and the daemon restarted under them. The unit suite skips them where no
# avahi-daemon is reachable; here they always run.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

skip_unless_root_netns
lab_up 2

# h2 announces the instance names the tests expect to meet on the LAN.
on h2 avahi-publish -s "remote-clash" _lytest._tcp 7001 >/dev/null 2>&1 &

on h2 avahi-publish -s "remote-peer" _lybr._tcp 7002 >/dev/null 2>&1 &

wait_for 10 eval '[ -n "$(resolved h1 _lytest._tcp)" ] && [ -n "$(resolved h1 _lybr._tcp)" ]' ||
	fail "h1 does not see h2's avahi-publish services"

stop="$NETLAB avahi-stop $LAB h1"
start="$NETLAB avahi-start $LAB h1"
rc=0
on h1 env MDNS_TEST_IFACE=eth0 MDNS_TEST_REMOTE_NAME=remote-clash \
	MDNS_TEST_STOP_CMD="$stop" MDNS_TEST_START_CMD="$start" \
	"$top_builddir/tests/unit/test-mdns-publish" >"$T/publish.out" 2>&1 || rc=$?
tail -n 5 "$T/publish.out"
[ "$rc" = 0 ] || fail "test-mdns-publish exited $rc:
$(grep 'check failed' "$T/publish.out")
$(tail -n 30 "$T/publish.out")"

rc=0
on h1 env MDNS_TEST_REMOTE_INSTANCE=remote-peer \
	MDNS_TEST_STOP_CMD="$stop" MDNS_TEST_START_CMD="$start" \
	"$top_builddir/tests/unit/test-mdns-browse" >"$T/browse.out" 2>&1 || rc=$?
tail -n 5 "$T/browse.out"
[ "$rc" = 0 ] || fail "test-mdns-browse exited $rc:
$(grep 'check failed' "$T/browse.out")
$(tail -n 30 "$T/browse.out")"
exit 0
