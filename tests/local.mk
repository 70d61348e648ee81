# SPDX-License-Identifier: MIT
# Build fragment for tests/, included by the top Makefile.am.

# mdns tests
check_PROGRAMS += tests/unit/test-evpoll
TESTS += tests/unit/test-evpoll
tests_unit_test_evpoll_SOURCES = tests/unit/test-evpoll.c
tests_unit_test_evpoll_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_evpoll_LDADD = mdns/libmdns.la
