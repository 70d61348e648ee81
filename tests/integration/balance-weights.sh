#!/bin/bash
# SPDX-License-Identifier: MIT
# Weighted picks across providers on 3 hosts follow the weights 1/2/3 for concurrent consumers sharing one agent, round robin is even, and when a provider withdraws traffic shifts to the others with no error to any consumer.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
lab_up 4
consumer_workdir

for n in 1 2 3; do
	cat >"$T/h$n.yaml" <<YAML
agent:
  socket: $T/h$n.sock
services:
  - name: payments
    port: 800$n
    weight: $n
    version: 2.0.$n
YAML
done
printf 'agent:\n  socket: %s\n  browse: [payments]\n' "$T/h4.sock" >"$T/h4.yaml"
for h in h1 h2 h3 h4; do agent_start_ready "$h" "$T/$h.yaml"; done
wait_for 30 eval '[ "$(list_count h4 payments)" = 3 ]' || fail "the consumer's agent lists $(list_count h4 payments) instances of payments:
$(list_lines h4 payments)"
wait_for 30 eval '[ "$(req h4 "{\"op\":\"list\",\"service\":\"payments\",\"family\":\"ipv4\"}" | jq ".instances | length")" = 3 ]' ||
	fail "not every provider has its IPv4 address on h4"

# A consumer: resolves on one connection, one at a time, recording
#   TIME OK PORT-or-ERRORCODE
# per answer, TIME when the request was sent. resolver.pl SOCK POLICY
# COUNT|STOPFILE OUT: COUNT resolves, or until STOPFILE exists.
cat >"$T/resolver.pl" <<'PERL'
use strict; use warnings;
use IO::Socket::UNIX; use Socket; use JSON::PP; use Time::HiRes qw(time);
my ($path, $policy, $count, $out) = @ARGV;
alarm 300; # never outlive a test that was killed
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path) or die "connect $path: $!";
open my $o, '>', $out or die;
select((select($o), $| = 1)[0]); # the test reads the record while it grows
my $json = JSON::PP->new;
my $stop = $count =~ /^\d+$/ ? undef : $count;
my $req = '{"op":"resolve","service":"payments"' . ($policy ne '-' ? ",\"policy\":\"$policy\"" : '') . "}\n";
for (my $k = 0; defined $stop ? !-e $stop : $k < $count; $k++) {
	my $sent = time;
	print $s $req;
	$s->flush;
	my $line = <$s>;
	die "connection closed\n" unless defined $line;
	my $r = $json->decode($line);
	printf $o "%.6f %s %s\n", $sent, $r->{ok} ? 'ok' : 'err',
		$r->{ok} ? $r->{instance}{port} : $r->{error}{code};
}
close $o;
PERL
# consumers_start N POLICY COUNT|STOPFILE TAG: run N resolver processes in
# parallel against h4's agent; their records in $T/TAG.*.rec.
RESOLVERS=""
consumers_start() {
	local n=$1 policy=$2 count=$3 tag=$4 i
	RESOLVERS=""
	for ((i = 1; i <= n; i++)); do
		perl "$T/resolver.pl" "$(sock h4)" "$policy" "$count" "$T/$tag.$i.rec" 2>"$T/$tag.$i.err" &
		RESOLVERS="$RESOLVERS $!"
	done
	CONSUMER_PIDS="$CONSUMER_PIDS $RESOLVERS"
}
# consumers_wait TAG: wait for the resolvers of consumers_start.
consumers_wait() {
	local i
	for i in $RESOLVERS; do wait "$i" || fail "a resolver process failed: $(cat "$T/$1".*.err)"; done
}
# consumers N POLICY COUNT TAG: consumers_start and consumers_wait.
consumers() {
	consumers_start "$@"
	consumers_wait "$4"
}
# counts FILES...: "PORT COUNT" per picked port (errors as "err:CODE COUNT").
counts() { cat "$@" | awk '{ k = ($2 == "ok") ? $3 : "err:" $3; c[k]++ } END { for (k in c) print k, c[k] }' | sort; }
count_of() { awk -v p="$1" '$1 == p { print $2 }' <<<"$2"; }
# within_pct GOT WANT PCT: |GOT - WANT| <= PCT % of WANT.
within_pct() { awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d * 100 <= w * p) }'; }

# ---- weighted: 3 processes, 600 picks -----------------------------------------------
t0=$(now)
consumers 3 weighted 200 w
ms=$(elapsed_ms "$t0")
c=$(counts "$T"/w.*.rec)
log "weighted, 600 picks from 3 processes in $ms ms: $(tr '\n' ' ' <<<"$c")"
timing resolve_600_weighted_3_procs "$ms"
[ -z "$(grep '^err' <<<"$c")" ] || fail "weighted resolves failed: $c"
for n in 1 2 3; do
	got=$(count_of "800$n" "$c")
	printf '# timing: weighted_picks_h%s=%s\n' "$n" "${got:-0}"
	within_pct "${got:-0}" $((100 * n)) 5 || fail "provider h$n (weight $n) got ${got:-0} of 600 weighted picks, expected $((100 * n)) +- 5 %: $c"
done

# The CLI, from 4 concurrent shell loops, draws from the same agent-wide state.
loops=""
for i in 1 2 3 4; do
	(for ((k = 0; k < 30; k++)); do cli h4 resolve payments --policy weighted || echo "ERR $?"; done >"$T/cli.$i.out" 2>&1) &
	loops="$loops $!"
done
CONSUMER_PIDS="$CONSUMER_PIDS $loops"
for i in $loops; do wait "$i"; done
c=$(cat "$T"/cli.*.out | awk '{ print $NF }' | sort | uniq -c | awk '{ print $2, $1 }')
log "weighted, 120 CLI picks from 4 loops: $(tr '\n' ' ' <<<"$c")"
grep -q ERR "$T"/cli.*.out && fail "lanyard resolve failed: $(grep -h ERR "$T"/cli.*.out | head -n 3)"
for n in 1 2 3; do
	got=$(count_of "800$n" "$c")
	within_pct "${got:-0}" $((20 * n)) 10 || fail "CLI: provider h$n got ${got:-0} of 120 weighted picks, expected $((20 * n)): $c"
done

# ---- round robin: even, whatever the weights ---------------------------------------
consumers 3 round_robin 100 rr
c=$(counts "$T"/rr.*.rec)
log "round_robin, 300 picks: $(tr '\n' ' ' <<<"$c")"
for n in 1 2 3; do
	got=$(count_of "800$n" "$c")
	within_pct "${got:-0}" 100 5 || fail "round robin: h$n got ${got:-0} of 300 picks: $c"
done

# ---- a provider withdraws while consumers resolve -------------------------------------
# 3 consumers resolve until told to stop. Once h3 has been picked, h3's
# lanyardd stops (SIGTERM: goodbye); once h4 no longer lists h3, the
# consumers go on for 300 more resolves, sent after that: none may get h3.
consumers_start 3 weighted "$T/tr.stop" tr
wait_for 30 eval 'cat "$T"/tr.*.rec 2>/dev/null | grep -q " ok 8003$"' || fail "h3 was never picked during the transition"
t_stop=$(now)
agent_stop h3 || fail "lanyardd on h3 exited $AGENT_RC"
wait_for 30 eval '[ "$(list_count h4 payments)" = 2 ]' || fail "h4 lists $(list_count h4 payments) instances after h3 left"
t_gone=$(now)
sent_since() { cat "$T"/tr.*.rec 2>/dev/null | awk -v t="$1" '$1 > t' | wc -l; }
wait_for 60 eval '[ "$(sent_since "$t_gone")" -ge 300 ]' ||
	fail "only $(sent_since "$t_gone") resolves answered in 60 s after h3 left h4's list"
touch "$T/tr.stop"
consumers_wait tr
all=$(cat "$T"/tr.*.rec | sort -n)
total=$(wc -l <<<"$all")
errs=$(grep -c ' err ' <<<"$all")
log "transition: $total resolves, $errs errors"
printf '# timing: transition_resolves=%s\n' "$total"
[ "$errs" = 0 ] || fail "$errs resolves failed during the transition: $(grep ' err ' <<<"$all" | awk '{ print $3 }' | sort | uniq -c | tr '\n' ' ')"
last_h3=$(awk '$3 == 8003 { t = $1 } END { print t }' <<<"$all")
timing withdraw_to_last_pick "$(ms_between "$t_stop" "$last_h3")"
timing withdraw_to_unlisted "$(ms_between "$t_stop" "$t_gone")"
# After the switch: only h1 and h2, in the ratio of their weights.
after=$(awk -v t="$t_gone" '$1 > t' <<<"$all")
c=$(awk '{ print $3 }' <<<"$after" | sort | uniq -c | awk '{ print $2, $1 }')
log "after the withdrawal: $(tr '\n' ' ' <<<"$c")"
n3=$(count_of 8003 "$c")
[ "${n3:-0}" = 0 ] || fail "h3 was picked ${n3} times by resolves sent after h4 stopped listing it: $c"
n1=$(count_of 8001 "$c")
n2=$(count_of 8002 "$c")
[ $((${n1:-0} + ${n2:-0})) -ge 300 ] || fail "too few resolves after the withdrawal to judge: $c"
within_pct "$((${n2:-0}))" $((2 * ${n1:-0})) 10 || fail "after the withdrawal h1/h2 got ${n1:-0}/${n2:-0}, expected 1:2"

# ---- the last provider standing, then none ---------------------------------------------
agent_stop h2 || fail "lanyardd on h2 exited $AGENT_RC"
wait_for 30 eval '[ "$(list_count h4 payments)" = 1 ]' || fail "h2's withdrawal did not reach h4"
consumers 2 weighted 50 one
c=$(counts "$T"/one.*.rec)
[ "$c" = "8001 100" ] || fail "with only h1 left: $c"
agent_stop h1 || fail "lanyardd on h1 exited $AGENT_RC"
wait_for 30 eval '[ "$(list_count h4 payments)" = 0 ]' || fail "h1's withdrawal did not reach h4"
out=$(req h4 '{"op":"resolve","service":"payments"}')
[ "$(jq -r .error.code <<<"$out")" = not_found ] || fail "resolve with no provider left: $out"
rc=0
cli h4 resolve payments >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "lanyard resolve with no provider exited $rc (expected 3)"

agent_alive h4 || fail "the consumer's lanyardd died"
agent_stop h4 || fail "lanyardd on h4 exited $AGENT_RC"
exit 0
