# SPDX-License-Identifier: MIT
# Build fragment for wire/, included by the top Makefile.am.
