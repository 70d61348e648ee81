# SPDX-License-Identifier: MIT
# Build fragment for tests/, included by the top Makefile.am.

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
