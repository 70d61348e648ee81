#!/bin/bash
# SPDX-License-Identifier: MIT
# lanyardd.service's sandbox, as `systemd-analyze security --offline=yes`
# scores it: 2.0 or lower ("OK"), printed with the settings that still
# cost exposure. UNIT (default: the built dist/lanyardd.service) names the
# file; tests/packaging.sh measures the installed one the same way.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
unit=${UNIT:-$top_builddir/dist/lanyardd.service}
max=${MAX_EXPOSURE:-2.0}
fail() { echo "FAIL: $*"; exit 1; }

command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed (package systemd)"; exit 77; }
# --offline came with systemd 250.
systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' ||
	{ echo "SKIP: this systemd-analyze has no --offline ($(systemd-analyze --version | head -n 1))"; exit 77; }
[ -f "$unit" ] || fail "no unit file $unit (make builds dist/lanyardd.service)"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
# systemd-analyze reads the unit under the name it is given.
cp "$unit" "$T/lanyardd.service"
out=$(cd "$T" && systemd-analyze security --offline=yes --no-pager lanyardd.service 2>&1)
rc=$?
# The lines that still cost exposure (✗, or - in the C locale, with their
# weight), then the total.
grep -E '^(✗|-) ' <<<"$out" | sed 's/^/# /'
score=$(sed -n 's/.*Overall exposure level for lanyardd.service: \([0-9.]*\).*/\1/p' <<<"$out")
[ -n "$score" ] || fail "no score from systemd-analyze (exit $rc): $out"
echo "# systemd-analyze security --offline=yes: exposure $score (at most $max)"
awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || fail "exposure $score is above $max"
echo "PASS: lanyardd.service exposure $score"
