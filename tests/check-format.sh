#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails if any C source of the tree differs from what clang-format makes of it.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v clang-format >/dev/null || { echo "clang-format not installed (scripts/install-deps)"; exit 1; }
cd "$top" || exit 1
files=$(find dnssd agent config mdns wide wire client nss tests -name '*.[ch]' -not -path '*/build*' | sort)
[ -n "$files" ] || { echo "no C files found under $top"; exit 1; }
bad=0
for f in $files; do
	if ! clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "$(echo "$files" | wc -l) files checked, $bad not formatted"
[ "$bad" -eq 0 ]
