# SPDX-License-Identifier: MIT
# Build fragment for agent/'s pure core (the instance cache, selection and
# ejection), included by the top Makefile.am. No Avahi, no sockets, no
# libev: unit tests link it alone (with dnssd/, which parses TXT records).
noinst_LTLIBRARIES += agent/libcore.la
agent_libcore_la_SOURCES = \
	agent/cache.c agent/cache.h agent/cache-addr.c agent/cache-addr.h \
	agent/health.c agent/health.h \
	agent/balance.c agent/balance.h agent/balance-private.h \
	agent/balance-trust.c agent/balance-tier.c
agent_libcore_la_LIBADD = dnssd/libdnssd.la $(M_LIBS)
