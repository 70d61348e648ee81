# SPDX-License-Identifier: MIT
# Build fragment for tests/, included by the top Makefile.am.

# mdns tests
check_PROGRAMS += tests/unit/test-evpoll
TESTS += tests/unit/test-evpoll
tests_unit_test_evpoll_SOURCES = tests/unit/test-evpoll.c
tests_unit_test_evpoll_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_evpoll_LDADD = mdns/libmdns.la
check_PROGRAMS += tests/unit/test-mdns
TESTS += tests/unit/test-mdns
tests_unit_test_mdns_SOURCES = tests/unit/test-mdns.c
tests_unit_test_mdns_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_mdns_LDADD = mdns/libmdns.la
check_PROGRAMS += tests/unit/test-mdns-publish
TESTS += tests/unit/test-mdns-publish
tests_unit_test_mdns_publish_SOURCES = tests/unit/test-mdns-publish.c
tests_unit_test_mdns_publish_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_mdns_publish_LDADD = mdns/libmdns.la $(AVAHI_LIBS)
check_PROGRAMS += tests/unit/test-mdns-browse
TESTS += tests/unit/test-mdns-browse
tests_unit_test_mdns_browse_SOURCES = tests/unit/test-mdns-browse.c
tests_unit_test_mdns_browse_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_mdns_browse_LDADD = mdns/libmdns.la $(AVAHI_LIBS)
