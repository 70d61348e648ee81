#!/bin/sh
# SPDX-License-Identifier: MIT
# Compile the live page into lanyardd: fill in the CSP hashes of its one
# inline <style> and <script>, then write it as a C string.
#
# Usage: embed.sh [--html] INDEX.HTML OUTPUT
#   OUTPUT is a C file defining http_page_html[] and http_page_html_len
#   (agent/page/page-data.h), or with --html the page as served.
# Needs only POSIX sh, sed, awk, and coreutils' sha256sum and base64.
# The page must be ASCII (write other characters as HTML entities or
# JavaScript \u escapes) and hold each of <style>, </style>, <script>
# and </script> alone on a line, once.
set -eu
export LC_ALL=C

html=no
if [ "${1:-}" = --html ]; then
	html=yes
	shift
fi
[ $# -eq 2 ] || { echo "usage: $0 [--html] INDEX.HTML OUTPUT" >&2; exit 2; }
in=$1
out=$2
die() { echo "$0: $in: $*" >&2; exit 1; }

[ -r "$in" ] || die "cannot read"
bad=$(grep -n '[^[:print:]	]' "$in" | head -n 1 | cut -d: -f1) || true
[ -z "$bad" ] || die "line $bad: not printable ASCII (use an entity or a \\u escape)"
for tag in '<style>' '</style>' '<script>' '</script>'; do
	[ "$(grep -c -x -F "$tag" "$in")" = 1 ] || die "'$tag' must stand alone on one line, once"
done

# hash TAG: CSP source of the text of the TAG element, i.e. from the
# newline after <TAG> to just before </TAG>.
hash() {
	awk -v start="<$1>" -v end="</$1>" '
		$0 == end { inside = 0 }
		inside { printf "%s\n", $0 }
		$0 == start { inside = 1; printf "\n" }
	' "$in" | sha256sum | cut -c1-64 | awk '{
		for (i = 1; i <= 64; i += 2) {
			hi = index("0123456789abcdef", substr($0, i, 1)) - 1
			lo = index("0123456789abcdef", substr($0, i + 1, 1)) - 1
			printf "\\%03o", hi * 16 + lo
		}
	}' >"$out.hex"
	# The digest's bytes through printf's octal escapes (POSIX), then base64.
	printf "sha256-%s" "$(printf "$(cat "$out.hex")" | base64 | tr -d "\n")"
	rm -f "$out.hex"
}
style=$(hash style)
script=$(hash script)
empty=sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
[ "$style" != "$empty" ] && [ "$script" != "$empty" ] || die "no <style> or <script> text to hash"

fill() { sed -e "s|@STYLE_HASH@|$style|g" -e "s|@SCRIPT_HASH@|$script|g" "$in"; }

if [ "$html" = yes ]; then
	fill >"$out"
	exit 0
fi
{
	echo "/* Generated from agent/page/index.html by agent/page/embed.sh: do not edit. */"
	echo "/* clang-format off */"
	echo '#include "agent/page/page-data.h"'
	echo
	echo "const unsigned char http_page_html[] ="
	# Each line a string literal; '?' escaped against trigraphs.
	fill | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/	/\\t/g' \
		-e 's/^/	"/' -e 's/$/\\n"/'
	echo "	;"
	echo "const size_t http_page_html_len = sizeof(http_page_html) - 1;"
} >"$out"
