#!/bin/bash
# SPDX-License-Identifier: MIT
# On an unmodified avahi-daemon.conf (objects-per-client-max 1024, IPv4 and IPv6), 1 000 instances of one type from two peers all reach a consumer's cache with their IPv4 and IPv6 addresses, port and TXT, within avahi-daemon's object budget; a TXT change still arrives.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

PER_PEER=${LANYARD_STOCK_N:-500}
TYPE=_stock._tcp
N=$((2 * PER_PEER + 1)) # and one service declared by h2's lanyardd

skip_unless_root_netns
# avahi-daemon exactly as Debian ships it, AAAA records over IPv4 included.
NETLAB_AVAHI=stock NETLAB_AAAA_ON_IPV4=yes lab_up 3
consumer_workdir
for h in h1 h2 h3; do
	grep -q objects-per-client-max "/run/netlab/$LAB/$h/avahi.conf" &&
		fail "$h's avahi-daemon.conf is not stock: $(grep objects-per-client-max "/run/netlab/$LAB/$h/avahi.conf")"
done

# h2 and h3 announce PER_PEER instances each as avahi-daemon static services
# (one file each: name "<host>-<i>", port 30000 + i, TXT k=<i>).
for h in h2 h3; do
	mkdir -p "$T/services-$h"
	for ((i = 0; i < PER_PEER; i++)); do
		printf '<?xml version="1.0" standalone="no"?>\n<!DOCTYPE service-group SYSTEM "avahi-service.dtd">\n<service-group><name>%s-%d</name><service><type>%s</type><port>%d</port><txt-record>k=%d</txt-record></service></service-group>\n' \
			"$h" "$i" "$TYPE" $((30000 + i)) "$i" >"$T/services-$h/s$i.service"
	done
	on "$h" mount --bind "$T/services-$h" /etc/avahi/services || fail "cannot bind-mount $h's services"
done
# h2 also runs lanyardd with one declared service of the type: its TXT
# changes on a reload.
printf 'agent:\n  socket: %s\nservices:\n  - {name: stock, instance: live, port: 31000, version: 1.0.0}\n' \
	"$T/h2.sock" >"$T/h2.yaml"
agent_start_ready h2 "$T/h2.yaml"
printf 'agent:\n  socket: %s\n  browse: [%s]\n' "$T/h1.sock" "$TYPE" >"$T/h1.yaml"
agent_start_ready h1 "$T/h1.yaml"

t0=$(now)
for h in h2 h3; do
	pid=$(cat "/run/netlab/$LAB/$h/avahi.pid")
	kill -HUP "$pid" || fail "cannot signal $h's avahi-daemon"
done

# count FAMILY: instances h1 lists with an address of FAMILY.
count() { req h1 "{\"op\":\"list\",\"service\":\"$TYPE\",\"family\":\"$1\"}" | jq -r '.instances | length'; }
wait_for 120 eval '[ "$(count ipv4)" = "$N" ]' ||
	fail "h1 lists $(count ipv4) of $N instances with an IPv4 address 120 s after the announcement; status: $(status_get h1 '{avahi, browsing: (.browsing | del(.types))}' | jq -c .)"
timing all_listed_ipv4 "$(elapsed_ms "$t0")"
wait_for 60 eval '[ "$(count ipv6)" = "$N" ]' ||
	fail "h1 lists $(count ipv6) of $N instances with an IPv6 address"
timing all_listed_ipv6 "$(elapsed_ms "$t0")"

# What lanyardd holds in avahi-daemon (a report: avahi-daemon enforces its
# limit itself; every instance above was resolved within it).
log "h1: $(status_get h1 '.avahi | {objects, objects_max, calls}' | jq -c .), browsing $(status_get h1 '.browsing | {sightings, unresolved, resolvers, resolves}' | jq -c .)"
wait_for 30 eval '[ "$(status_get h1 .browsing.unresolved)" = 0 ]' ||
	fail "h1 has unresolved sightings: $(status_get h1 .browsing | jq -c 'del(.types)')"
[ "$(status_get h1 '.cache.dropped | [.[]] | add')" = 0 ] || fail "h1 dropped instances: $(status_get h1 .cache.dropped)"

# Every instance exactly: port, TXT, the right host's address.
got=$(req h1 "{\"op\":\"list\",\"service\":\"$TYPE\",\"family\":\"ipv4\"}" |
	jq -r '.instances[] | select(.instance != "live") | "\(.instance) \(.port) \(.txt.k) \(.addresses[0])"' | sort)
want=$(for h in h2 h3; do
	for ((i = 0; i < PER_PEER; i++)); do
		echo "$h-$i $((30000 + i)) $i $(host_addr "$h")"
	done
done | sort)
[ "$got" = "$want" ] || fail "h1's list differs from what h2 and h3 announce:
$(diff <(echo "$want") <(echo "$got") | head -n 20)"

# A TXT change (h2's lanyardd updates the record in place) reaches h1.
[ "$(req h1 "{\"op\":\"list\",\"service\":\"$TYPE\",\"instance\":\"live\"}" | jq -r '.instances[0].version')" = 1.0.0 ] ||
	fail "h1 does not list 'live' with version 1.0.0"
sed -i 's/version: 1.0.0/version: 1.0.1/' "$T/h2.yaml"
t1=$(now)
agent_reload h2
wait_for 60 eval '[ "$(req h1 "{\"op\":\"list\",\"service\":\"$TYPE\",\"instance\":\"live\"}" | jq -r ".instances[0].version")" = 1.0.1 ]' ||
	fail "the TXT change of 'live' did not reach h1 within 60 s"
timing txt_change_seen "$(elapsed_ms "$t1")"

for h in h1 h2; do agent_alive "$h" || fail "lanyardd on $h died"; done
for h in h1 h2; do agent_stop "$h" || fail "lanyardd on $h exited $AGENT_RC"; done
exit 0
