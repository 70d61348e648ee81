# SPDX-License-Identifier: MIT
# Build fragment for wide/, the unicast DNS backend (DNS-SD over unicast
# DNS: RFC 2136 updates signed with TSIG), included by the top Makefile.am.
# The only layer that includes ldns.
noinst_LTLIBRARIES += wide/libwide.la
wide_libwide_la_SOURCES = \
	wide/wide.c wide/wide.h wide/leave.c wide/claim.c wide/internal.h \
	wide/settings.c wide/settings.h \
	wide/reap.c wide/reap.h \
	wide/heartbeat.c wide/heartbeat.h \
	wide/browse.c wide/browse.h \
	wide/derive.c wide/derive.h \
	wide/zone.c wide/zone.h \
	wide/msg.c wide/msg.h \
	wide/answer.c wide/answer.h \
	wide/xfer.c wide/xfer.h \
	wide/hostaddr.c wide/hostaddr.h \
	wide/ldns-wrap.h
wide_libwide_la_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
wide_libwide_la_LIBADD = dnssd/libdnssd.la $(LDNS_LIBS) $(EV_LIBS)
