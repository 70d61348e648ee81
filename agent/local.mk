# SPDX-License-Identifier: MIT
# Build fragment for agent/, included by the top Makefile.am.
