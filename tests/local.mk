# SPDX-License-Identifier: MIT
# Build fragment for tests/, included by the top Makefile.am.

# wire/client tests
WIRE_TEST_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
WIRE_TEST_LIBS = wire/libwire.la $(JANSSON_LIBS)
check_PROGRAMS += tests/unit/test-wire tests/unit/test-wire-version tests/unit/test-wire-response
TESTS += tests/unit/test-wire tests/unit/test-wire-version tests/unit/test-wire-response
tests_unit_test_wire_SOURCES = tests/unit/test-wire.c
tests_unit_test_wire_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_wire_LDADD = $(WIRE_TEST_LIBS)
tests_unit_test_wire_version_SOURCES = tests/unit/test-wire-version.c
tests_unit_test_wire_version_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_wire_version_LDADD = $(WIRE_TEST_LIBS)
tests_unit_test_wire_response_SOURCES = tests/unit/test-wire-response.c
tests_unit_test_wire_response_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_wire_response_LDADD = $(WIRE_TEST_LIBS)
check_PROGRAMS += tests/unit/test-server
TESTS += tests/unit/test-server
tests_unit_test_server_SOURCES = tests/unit/test-server.c
tests_unit_test_server_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_server_LDADD = agent/libserver.la $(WIRE_TEST_LIBS) $(EV_LIBS)
check_PROGRAMS += tests/unit/test-client
TESTS += tests/unit/test-client
tests_unit_test_client_SOURCES = tests/unit/test-client.c \
	tests/unit/test-client-fake.c tests/unit/test-client-fake.h
tests_unit_test_client_CFLAGS = $(WIRE_TEST_CFLAGS) -pthread
tests_unit_test_client_LDADD = client/liblanyard.la agent/libserver.la $(WIRE_TEST_LIBS) \
	$(EV_LIBS) -lpthread
check_PROGRAMS += tests/unit/test-client-cli
TESTS += tests/unit/test-client-cli
tests_unit_test_client_cli_SOURCES = tests/unit/test-client-cli.c \
	tests/unit/test-client-fake.c tests/unit/test-client-fake.h
tests_unit_test_client_cli_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_client_cli_LDADD = agent/libserver.la $(WIRE_TEST_LIBS) $(EV_LIBS)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-wire-request tests/fuzz/fuzz-wire-response
tests_fuzz_fuzz_wire_request_SOURCES = tests/fuzz/fuzz-wire-request.c
tests_fuzz_fuzz_wire_request_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_wire_request_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_wire_request_LDADD = $(WIRE_TEST_LIBS)
tests_fuzz_fuzz_wire_response_SOURCES = tests/fuzz/fuzz-wire-response.c
tests_fuzz_fuzz_wire_response_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_wire_response_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_wire_response_LDADD = $(WIRE_TEST_LIBS)
endif
EXTRA_DIST += tests/fuzz/corpus/wire
# end wire/client tests
