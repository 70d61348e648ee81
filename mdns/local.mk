# SPDX-License-Identifier: MIT
# Build fragment for mdns/, included by the top Makefile.am.

noinst_LTLIBRARIES += mdns/libmdns.la
mdns_libmdns_la_SOURCES = \
	mdns/mdns.h mdns/internal.h mdns/mdns.c \
	mdns/evpoll.c mdns/evpoll.h \
	mdns/publish.c mdns/publish.h \
	mdns/browse.c mdns/browse.h
mdns_libmdns_la_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
mdns_libmdns_la_LIBADD = $(AVAHI_LIBS) $(EV_LIBS)
