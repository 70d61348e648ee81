# SPDX-License-Identifier: MIT
# Build fragment for tests/, included by the top Makefile.am.

# cache/balance tests
core_test_ldadd = agent/libcore.la $(M_LIBS)
check_PROGRAMS += tests/unit/test-txt tests/unit/test-cache tests/unit/test-balance \
	tests/unit/test-balance-churn
TESTS += tests/unit/test-txt tests/unit/test-cache tests/unit/test-balance \
	tests/unit/test-balance-churn
tests_unit_test_txt_LDADD = $(core_test_ldadd)
tests_unit_test_cache_LDADD = $(core_test_ldadd)
tests_unit_test_balance_LDADD = $(core_test_ldadd)
tests_unit_test_balance_churn_LDADD = $(core_test_ldadd)
# The fuzz harness replays its seed corpus in every `make check`; with
# --enable-fuzzing it is built as a libFuzzer target instead.
tests_fuzz_fuzz_txt_SOURCES = tests/fuzz/fuzz-txt.c
tests_fuzz_fuzz_txt_LDADD = $(core_test_ldadd)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-txt
tests_fuzz_fuzz_txt_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
tests_fuzz_fuzz_txt_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
else
check_PROGRAMS += tests/fuzz/fuzz-txt
TESTS += tests/fuzz/fuzz-txt
tests_fuzz_fuzz_txt_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_REPLAY
tests_fuzz_fuzz_txt_LDFLAGS = $(AM_LDFLAGS)
endif
EXTRA_DIST += tests/fuzz/corpus/txt
