# SPDX-License-Identifier: MIT
# Build fragment for mdns/, included by the top Makefile.am.
# The mDNS backend: every libavahi-client call runs on its own thread.

noinst_LTLIBRARIES += mdns/libmdns.la
mdns_libmdns_la_SOURCES = \
	mdns/mdns.h mdns/internal.h mdns/mdns.c \
	mdns/client.c \
	mdns/evpoll.c mdns/evpoll.h \
	mdns/publish.c mdns/publish.h \
	mdns/presence.c mdns/presence.h \
	mdns/browse.c mdns/browse.h mdns/sighting.h \
	mdns/resolve.c mdns/resolve.h \
	mdns/liveness.c mdns/liveness.h
mdns_libmdns_la_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS) -pthread
mdns_libmdns_la_LIBADD = dnssd/libdnssd.la $(AVAHI_LIBS) $(EV_LIBS) -lpthread
