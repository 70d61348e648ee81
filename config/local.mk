# SPDX-License-Identifier: MIT
# Build fragment for config/, included by the top Makefile.am.
