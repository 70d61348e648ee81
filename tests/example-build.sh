#!/bin/sh
# SPDX-License-Identifier: MIT
# docs/examples/exec-pick.c builds the way its comment says, with
# `cc $(pkg-config --cflags --libs lanyard)`: the built lanyard.pc, its
# includedir and libdir pointed at this tree, and nothing else; the
# program then runs and answers a missing agent as documented.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
cc=${EXAMPLE_CC:-cc}
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not installed"; exit 77; }
pc=$top_builddir/client/lanyard.pc
libs=$top_builddir/client/.libs
[ -f "$pc" ] && [ -e "$libs/liblanyard.so" ] || { echo "FAIL: build the tree first ($pc, $libs)"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# pkg-config finds the .pc by name on its path: a copy named lanyard.pc.
cp "$pc" "$tmp/lanyard.pc"
flags=$(PKG_CONFIG_PATH=$tmp pkg-config --define-variable=includedir="$top_srcdir/client" \
	--define-variable=libdir="$libs" --cflags --libs lanyard) || { echo "FAIL: pkg-config lanyard"; exit 1; }
echo "# $cc exec-pick.c $flags"
# shellcheck disable=SC2086 # the flags are words
if ! $cc -Wall -Wextra -Werror -o "$tmp/exec-pick" \
	"$top_srcdir/docs/examples/exec-pick.c" $flags -Wl,-rpath,"$libs"; then
	echo "FAIL: docs/examples/exec-pick.c does not build with pkg-config's flags"
	exit 1
fi
rc=0
LANYARD_SOCKET=$tmp/no.sock "$tmp/exec-pick" payments true 2>"$tmp/err" || rc=$?
[ "$rc" = 1 ] || { echo "FAIL: exec-pick without an agent exited $rc, expected 1"; exit 1; }
grep -q "cannot connect" "$tmp/err" || { echo "FAIL: exec-pick without an agent said: $(cat "$tmp/err")"; exit 1; }
rc=0
"$tmp/exec-pick" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || { echo "FAIL: exec-pick without arguments exited $rc, expected 2"; exit 1; }
echo "PASS: exec-pick builds with pkg-config lanyard and runs"
