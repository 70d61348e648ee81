# SPDX-License-Identifier: MIT
# Build fragment for wire/, included by the top Makefile.am.
# libwire: the one implementation of the consumer socket's message format,
# linked into lanyardd (agent/) and liblanyard (client/).
noinst_LTLIBRARIES += wire/libwire.la
wire_libwire_la_SOURCES = \
	wire/wire.c wire/wire.h \
	wire/request.c wire/request.h \
	wire/request-scan.c wire/request-scan.h \
	wire/instance.c wire/instance.h \
	wire/response.c wire/response.h
wire_libwire_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
wire_libwire_la_LIBADD = dnssd/libdnssd.la $(JANSSON_LIBS) $(M_LIBS)
