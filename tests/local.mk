# SPDX-License-Identifier: MIT
# Build fragment for tests/, included by the top Makefile.am.

# config tests
check_PROGRAMS += tests/unit/test-config tests/unit/test-config-check
TESTS += tests/unit/test-config tests/unit/test-config-check
tests_unit_test_config_SOURCES = tests/unit/test-config.c tests/unit/tap.h
tests_unit_test_config_LDADD = config/libcfg.la
tests_unit_test_config_check_SOURCES = tests/unit/test-config-check.c tests/unit/tap.h
tests_unit_test_config_check_LDADD = config/libcfg.la
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_config_LDADD = config/libcfg.la
endif
EXTRA_DIST += tests/data/config tests/fuzz/corpus/config
# end config tests
