#!/bin/bash
# SPDX-License-Identifier: MIT
# Two labs with different prefixes run at the same time, same addresses, without seeing or disturbing each other.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

skip_unless_root_netns
workdir
A=$(lab_prefix a)
B=$(lab_prefix b)
[ "$A" != "$B" ] || fail "same prefix for both labs"

# Bring both up concurrently.
_lib_labs="$A $B"
t0=$(now)
"$NETLAB" up "$A" 2 >"$T/up-a.log" 2>&1 &
pa=$!
"$NETLAB" up "$B" 2 >"$T/up-b.log" 2>&1 &
pb=$!
wait $pa || fail "netlab up $A failed: $(cat "$T/up-a.log")"
wait $pb || fail "netlab up $B failed: $(cat "$T/up-b.log")"
timing two_labs_up "$(ms_between "$t0" "$(now)")"

# Same host names and addresses in both labs.
[ "$("$NETLAB" addr "$A" h1)" = "$("$NETLAB" addr "$B" h1)" ] || fail "labs use different address plans"

# Each lab's h2 records _nltwo._tcp. A leak of one lab's announcement into
# the other would reach the other's recording before a later announcement
# made in the other lab itself ("later in a", "later in b").
for l in a b; do
	LAB=$(eval echo "\$${l^^}")
	browse_record h2 _nltwo._tcp "$T/$l.rec"
done
LAB=$A
on_bg h1 avahi-publish -s "only in a" _nltwo._tcp 1111 lab=a >/dev/null 2>&1
LAB=$B
on_bg h1 avahi-publish -s "only in b" _nltwo._tcp 2222 lab=b >/dev/null 2>&1

LAB=$A
wait_for 30 eval '[ -n "$(resolved h2 _nltwo._tcp)" ]' || fail "$A/h2 sees nothing"
LAB=$B
wait_for 30 eval '[ -n "$(resolved h2 _nltwo._tcp)" ]' || fail "$B/h2 sees nothing"
for l in a b; do
	LAB=$(eval echo "\$${l^^}")
	on_bg h1 avahi-publish -s "later in $l" _nltwo._tcp 3000 >/dev/null 2>&1
done
for l in a b; do
	wait_for 30 eval '[ -n "$(rec_first "$T/'$l'.rec" = "later in '$l'")" ]' ||
		fail "lab $l's h2 does not record \"later in $l\""
done
grep -q 'in\\032b' "$T/a.rec" && fail "$A/h2 saw lab b's services: $(grep 'in\\032b' "$T/a.rec")"
grep -q 'in\\032a' "$T/b.rec" && fail "$B/h2 saw lab a's services: $(grep 'in\\032a' "$T/b.rec")"

LAB=$A
got=$(resolved h2 _nltwo._tcp | grep -v '^later in a|')
[ "$got" = "only in a|_nltwo._tcp|h1.local|192.0.2.11|1111|lab=a" ] || fail "$A/h2 sees: $got"
LAB=$B
got=$(resolved h2 _nltwo._tcp | grep -v '^later in b|')
[ "$got" = "only in b|_nltwo._tcp|h1.local|192.0.2.11|2222|lab=b" ] || fail "$B/h2 sees: $got"

# Crashing a host of A and tearing A down leaves B running.
"$NETLAB" crash "$A" h1 || fail "crash $A/h1"
"$NETLAB" down "$A" || fail "down $A"
ip netns list | grep -q "^$A-" && fail "namespaces of $A left"
LAB=$B
for h in h1 h2; do on $h avahi-daemon -c || fail "$B/$h lost its avahi-daemon when $A went down"; done
on_bg h2 avahi-publish -s "still here" _nltwo2._tcp 3333 >/dev/null 2>&1
wait_for 30 eval '[ "$(resolved h1 _nltwo2._tcp | cut -d"|" -f1)" = "still here" ]' ||
	fail "$B no longer works after $A went down"

# netlab ls lists B only.
"$NETLAB" ls | grep -q "^$A/" && fail "netlab ls still lists $A"
[ "$("$NETLAB" ls | grep -c "^$B/")" = 2 ] || fail "netlab ls does not list $B's two hosts"
exit 0
