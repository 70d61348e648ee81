# SPDX-License-Identifier: MIT
# Build fragment for mdns/, included by the top Makefile.am.
