# SPDX-License-Identifier: MIT
# Build fragment for tests/, included by the top Makefile.am. Each layer's
# tests sit in their own commented block.

# tree-wide checks
dist_check_SCRIPTS += tests/check-format.sh
TESTS += tests/check-format.sh
EXTRA_DIST += tests/valgrind-wrap tests/data tests/fuzz/corpus

# Lists used by scripts/test to run test groups separately.
print-unit-tests:
	@echo $(filter tests/unit/%,$(TESTS))
print-other-tests:
	@echo $(filter-out tests/unit/%,$(TESTS))
print-fuzz-targets:
	@echo $(filter tests/fuzz/%,$(noinst_PROGRAMS))
fuzz-targets: $(filter tests/fuzz/%,$(noinst_PROGRAMS))
.PHONY: print-unit-tests print-other-tests print-fuzz-targets fuzz-targets

# integration tests
# Multi-host LAN tests (scripts/netlab; need root, exit 77 otherwise). Each
# builds its own lab, so they can run in parallel (make -jN check).
EXTRA_DIST += tests/integration/lib.sh
integration_tests = \
	tests/integration/netlab-smoke.sh \
	tests/integration/netlab-two-labs.sh \
	tests/integration/publish-basic.sh \
	tests/integration/publish-collision.sh \
	tests/integration/publish-avahi-restart.sh \
	tests/integration/publish-reload.sh \
	tests/integration/publish-sigterm.sh
dist_check_SCRIPTS += $(integration_tests)
TESTS += $(integration_tests)
# end of integration tests
