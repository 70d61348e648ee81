# SPDX-License-Identifier: MIT
# Build fragment for dnssd/, included by the top Makefile.am before every
# other layer. libdnssd: every DNS-SD and naming rule, once (libc only);
# config/, wire/, mdns/ and agent/ link it.
noinst_LTLIBRARIES += dnssd/libdnssd.la
dnssd_libdnssd_la_SOURCES = \
	dnssd/utf8.c dnssd/utf8.h \
	dnssd/clock.c dnssd/clock.h \
	dnssd/duration.c dnssd/duration.h \
	dnssd/name.c dnssd/name.h \
	dnssd/version.c dnssd/version.h \
	dnssd/txt.c dnssd/txt.h \
	dnssd/record.c dnssd/record.h
