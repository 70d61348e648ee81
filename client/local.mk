# SPDX-License-Identifier: MIT
# Build fragment for client/, included by the top Makefile.am.
