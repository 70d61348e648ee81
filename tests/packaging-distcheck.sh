#!/bin/bash
# SPDX-License-Identifier: MIT
# `make distcheck` passes (issue 12): the tarball holds everything a build
# and its tests need, builds out of a read-only tree, installs under a
# prefix (the unit, sysusers.d and tmpfiles.d too) and uninstalls cleanly.
# Runs in a build directory of its own, two jobs; the root and namespace
# tests skip inside it (LANYARD_SKIP_ROOT_TESTS=1), and so does this test.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

[ "${LANYARD_IN_DISTCHECK:-}" = 1 ] && skip "already inside the make distcheck this test runs"
T=$(mktemp -d) || exit 1
# Tests run the built programs as nobody too (agent-cli.sh, hostile-socket.sh).
chmod 0755 "$T"
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
export LANYARD_IN_DISTCHECK=1
# A make of our own, not a job of the make running the tests.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"; }

t0=$(date +%s)
if [ -f "$top_srcdir/config.status" ]; then
	# Configured in the source tree: no second build can share it; use
	# that build and remove what distcheck leaves in it.
	b=$top_builddir
	trap 'chmod -R u+w "$T" "$b"/lanyard-[0-9]* 2>/dev/null; rm -rf "$T" "$b"/lanyard-[0-9]*' EXIT
else
	b=$T/build
	mkdir -p "$b"
	(cd "$b" && "$top_srcdir/configure" -q >"$T/configure.log" 2>&1) ||
		{ tail -n 30 "$T/configure.log"; fail "configure"; }
fi
if ! mk -C "$b" -j2 distcheck >"$T/distcheck.log" 2>&1; then
	grep -E '^(FAIL|ERROR):' "$T/distcheck.log" | head -n 20
	tail -n 60 "$T/distcheck.log"
	fail "make distcheck"
fi
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$T/distcheck.log" | sed 's/^/# distcheck /'
grep -q 'archives ready for distribution' "$T/distcheck.log" || fail "make distcheck made no archive"
echo "PASS: make distcheck in $(($(date +%s) - t0)) s"
