# SPDX-License-Identifier: MIT
# Build fragment for tests/, included by the top Makefile.am. Each layer's
# tests sit in their own commented block.

# tree-wide checks
dist_check_SCRIPTS += tests/check-format.sh
TESTS += tests/check-format.sh
EXTRA_DIST += tests/valgrind-wrap tests/valgrind-agent.sh tests/data tests/fuzz/corpus

# Lists used by scripts/test to run test groups separately.
print-unit-tests:
	@echo $(filter tests/unit/%,$(TESTS))
print-other-tests:
	@echo $(filter-out tests/unit/%,$(TESTS))
print-fuzz-targets:
	@echo $(filter tests/fuzz/%,$(noinst_PROGRAMS))
fuzz-targets: $(filter tests/fuzz/%,$(noinst_PROGRAMS))
.PHONY: print-unit-tests print-other-tests print-fuzz-targets fuzz-targets

# dnssd tests
check_PROGRAMS += tests/unit/test-dnssd-name tests/unit/test-dnssd-version \
	tests/unit/test-dnssd-txt
TESTS += tests/unit/test-dnssd-name tests/unit/test-dnssd-version tests/unit/test-dnssd-txt
tests_unit_test_dnssd_name_SOURCES = tests/unit/test-dnssd-name.c tests/unit/tap.h
tests_unit_test_dnssd_name_LDADD = dnssd/libdnssd.la
tests_unit_test_dnssd_version_SOURCES = tests/unit/test-dnssd-version.c tests/unit/tap.h
tests_unit_test_dnssd_version_LDADD = dnssd/libdnssd.la
tests_unit_test_dnssd_txt_SOURCES = tests/unit/test-dnssd-txt.c tests/unit/tap.h
tests_unit_test_dnssd_txt_LDADD = dnssd/libdnssd.la
# end dnssd tests

# config tests
check_PROGRAMS += tests/unit/test-config tests/unit/test-config-check
TESTS += tests/unit/test-config tests/unit/test-config-check
tests_unit_test_config_SOURCES = tests/unit/test-config.c tests/unit/tap.h
tests_unit_test_config_LDADD = config/libcfg.la
tests_unit_test_config_check_SOURCES = tests/unit/test-config-check.c tests/unit/tap.h
tests_unit_test_config_check_LDADD = config/libcfg.la
check_PROGRAMS += tests/unit/test-config-net
TESTS += tests/unit/test-config-net
tests_unit_test_config_net_SOURCES = tests/unit/test-config-net.c tests/unit/tap.h
tests_unit_test_config_net_LDADD = config/libcfg.la
check_PROGRAMS += tests/unit/test-tsig-key
TESTS += tests/unit/test-tsig-key
tests_unit_test_tsig_key_SOURCES = tests/unit/test-tsig-key.c tests/unit/tap.h
tests_unit_test_tsig_key_LDADD = config/libcfg.la
EXTRA_DIST += tests/data/config
# end config tests

# wide tests
# The unicast DNS backend's update messages and answers, read back with ldns.
check_PROGRAMS += tests/unit/test-wide-msg
TESTS += tests/unit/test-wide-msg
tests_unit_test_wide_msg_SOURCES = tests/unit/test-wide-msg.c tests/unit/tap.h
tests_unit_test_wide_msg_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
tests_unit_test_wide_msg_LDADD = wide/libwide.la $(LDNS_LIBS)
# The backend against a DNS server stand-in in the same loop, with short
# periods.
check_PROGRAMS += tests/unit/test-wide
TESTS += tests/unit/test-wide
tests_unit_test_wide_SOURCES = tests/unit/test-wide.c tests/unit/tap.h \
	wide/wide.c wide/leave.c wide/claim.c wide/internal.h wide/settings.c wide/reap.c \
	wide/heartbeat.c wide/msg.c wide/answer.c wide/xfer.c wide/hostaddr.c
tests_unit_test_wide_CPPFLAGS = $(AM_CPPFLAGS) -DWIDE_BACKOFF_MIN_S=0.1 -DXFER_UDP_RETRY_S=0.1
tests_unit_test_wide_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
tests_unit_test_wide_LDADD = dnssd/libdnssd.la $(LDNS_LIBS) $(EV_LIBS)
check_PROGRAMS += tests/unit/test-wide-zone
TESTS += tests/unit/test-wide-zone
tests_unit_test_wide_zone_SOURCES = tests/unit/test-wide-zone.c tests/unit/tap.h
tests_unit_test_wide_zone_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
tests_unit_test_wide_zone_LDADD = wide/libwide.la $(LDNS_LIBS)
# end wide tests

# mdns tests
check_PROGRAMS += tests/unit/test-evpoll
TESTS += tests/unit/test-evpoll
tests_unit_test_evpoll_SOURCES = tests/unit/test-evpoll.c
tests_unit_test_evpoll_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_evpoll_LDADD = mdns/libmdns.la
check_PROGRAMS += tests/unit/test-mdns
TESTS += tests/unit/test-mdns
tests_unit_test_mdns_SOURCES = tests/unit/test-mdns.c tests/unit/mdns-util.c \
	tests/unit/mdns-util.h tests/unit/tap.h
tests_unit_test_mdns_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_mdns_LDADD = mdns/libmdns.la
# A D-Bus peer that owns org.freedesktop.Avahi and never answers: test-mdns
# checks that a stalled avahi never stalls the caller's loop.
check_PROGRAMS += tests/unit/dbus-blackhole
tests_unit_dbus_blackhole_SOURCES = tests/unit/dbus-blackhole.c
tests_unit_dbus_blackhole_CFLAGS = $(AM_CFLAGS) $(DBUS_CFLAGS)
tests_unit_dbus_blackhole_LDADD = $(DBUS_LIBS)
# The browse/resolve state machine against a stand-in for libavahi-client,
# with short periods and small bounds.
check_PROGRAMS += tests/unit/test-mdns-resolve
TESTS += tests/unit/test-mdns-resolve
tests_unit_test_mdns_resolve_SOURCES = tests/unit/test-mdns-resolve.c tests/unit/tap.h \
	tests/unit/avahi-fake.c tests/unit/avahi-fake.h mdns/browse.c mdns/resolve.c
tests_unit_test_mdns_resolve_CPPFLAGS = $(AM_CPPFLAGS) -DINFLIGHT_MAX=4 -DKEPT_MAX=8 \
	-DREFRESH_S=0.3 -DSLOW_S=0.6 -DRETRY_S=0.2 -DREFRESH_PER_S=50 -DANSWER_S=0.4
tests_unit_test_mdns_resolve_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_mdns_resolve_LDADD = dnssd/libdnssd.la $(EV_LIBS)
check_PROGRAMS += tests/unit/test-mdns-liveness
TESTS += tests/unit/test-mdns-liveness
tests_unit_test_mdns_liveness_SOURCES = tests/unit/test-mdns-liveness.c tests/unit/tap.h \
	tests/unit/avahi-fake.c tests/unit/avahi-fake.h mdns/browse.c mdns/resolve.c \
	mdns/liveness.c mdns/presence.c
tests_unit_test_mdns_liveness_CPPFLAGS = $(AM_CPPFLAGS) -DREFRESH_S=0.3 -DSLOW_S=0.6 \
	-DRETRY_S=0.2 -DANSWER_S=0.4 -DLV_JUDGE_S=0.05 -DLV_PENDING_S=0.2 -DLV_PROBE_FIRST_S=0.1 \
	-DLV_PROBE_HOLD_S=0.2 -DLV_PROBE_PERIOD_S=0.4 -DLV_FAST_S=2.0 -DLV_SLOW_PERIOD_S=0.6 \
	-DLV_LINGER_S=1.0 -DLV_RECHECK_S=0.3 -DLV_RETRY_S=0.2 -DPRESENCE_RETRY_S=0.2
tests_unit_test_mdns_liveness_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_mdns_liveness_LDADD = dnssd/libdnssd.la $(EV_LIBS)
check_PROGRAMS += tests/unit/test-dnssd-record
TESTS += tests/unit/test-dnssd-record
tests_unit_test_dnssd_record_SOURCES = tests/unit/test-dnssd-record.c tests/unit/tap.h
tests_unit_test_dnssd_record_LDADD = dnssd/libdnssd.la
check_PROGRAMS += tests/unit/test-mdns-publish
TESTS += tests/unit/test-mdns-publish
tests_unit_test_mdns_publish_SOURCES = tests/unit/test-mdns-publish.c tests/unit/mdns-util.c \
	tests/unit/mdns-util.h tests/unit/tap.h
tests_unit_test_mdns_publish_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_mdns_publish_LDADD = mdns/libmdns.la $(AVAHI_LIBS)
# cache/balance tests
core_test_ldadd = agent/libcore.la $(M_LIBS)
check_PROGRAMS += tests/unit/test-cache tests/unit/test-balance tests/unit/test-balance-churn \
	tests/unit/test-balance-tier
TESTS += tests/unit/test-cache tests/unit/test-balance tests/unit/test-balance-churn \
	tests/unit/test-balance-tier
tests_unit_test_cache_LDADD = $(core_test_ldadd)
tests_unit_test_balance_LDADD = $(core_test_ldadd)
tests_unit_test_balance_churn_LDADD = $(core_test_ldadd)
tests_unit_test_balance_tier_LDADD = $(core_test_ldadd)
check_PROGRAMS += tests/unit/test-probe
TESTS += tests/unit/test-probe
tests_unit_test_probe_SOURCES = tests/unit/test-probe.c tests/unit/tap.h agent/probe.c
tests_unit_test_probe_LDADD = $(core_test_ldadd) $(EV_LIBS)
# wire/client tests
WIRE_TEST_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
WIRE_TEST_LIBS = wire/libwire.la $(JANSSON_LIBS)
check_PROGRAMS += tests/unit/test-wire tests/unit/test-wire-response
TESTS += tests/unit/test-wire tests/unit/test-wire-response
tests_unit_test_wire_SOURCES = tests/unit/test-wire.c
tests_unit_test_wire_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_wire_LDADD = $(WIRE_TEST_LIBS)
tests_unit_test_wire_response_SOURCES = tests/unit/test-wire-response.c
tests_unit_test_wire_response_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_wire_response_LDADD = $(WIRE_TEST_LIBS)
check_PROGRAMS += tests/unit/test-server
TESTS += tests/unit/test-server
tests_unit_test_server_SOURCES = tests/unit/test-server.c \
	tests/unit/server-child.c tests/unit/server-child.h tests/unit/tap.h
tests_unit_test_server_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_server_LDADD = agent/libserver.la $(WIRE_TEST_LIBS) $(EV_LIBS)
check_PROGRAMS += tests/unit/test-client
TESTS += tests/unit/test-client
tests_unit_test_client_SOURCES = tests/unit/test-client.c \
	tests/unit/test-client-fake.c tests/unit/test-client-fake.h \
	tests/unit/server-child.c tests/unit/server-child.h tests/unit/tap.h
tests_unit_test_client_CFLAGS = $(WIRE_TEST_CFLAGS) -pthread
tests_unit_test_client_LDADD = client/liblanyard.la agent/libserver.la $(WIRE_TEST_LIBS) \
	$(EV_LIBS) -lpthread
check_PROGRAMS += tests/unit/test-client-cli
TESTS += tests/unit/test-client-cli
tests_unit_test_client_cli_SOURCES = tests/unit/test-client-cli.c \
	tests/unit/test-client-fake.c tests/unit/test-client-fake.h \
	tests/unit/server-child.c tests/unit/server-child.h tests/unit/tap.h
tests_unit_test_client_cli_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_client_cli_LDADD = agent/libserver.la $(WIRE_TEST_LIBS) $(EV_LIBS)
# end wire/client tests

# fuzz targets
# One libFuzzer harness per parser of untrusted input. With --enable-fuzzing
# they are libFuzzer programs (`make fuzz-targets`; scripts/test runs them
# from tests/fuzz/corpus/<name without fuzz->, else the layer's corpus);
# otherwise tests/fuzz/replay.c gives each a main() that replays its seed
# corpus, FUZZ_CORPUS, in every `make check`. (SAN_CFLAGS instruments the
# whole tree for libFuzzer; only the link of a target differs.)
fuzz_targets = tests/fuzz/fuzz-config tests/fuzz/fuzz-txt tests/fuzz/fuzz-wire-request \
	tests/fuzz/fuzz-wire-response tests/fuzz/fuzz-dnssd-version tests/fuzz/fuzz-dnssd-name \
	tests/fuzz/fuzz-tsig-key tests/fuzz/fuzz-wide-answer tests/fuzz/fuzz-wide-xfr \
	tests/fuzz/fuzz-wide-claim
if ENABLE_FUZZING
noinst_PROGRAMS += $(fuzz_targets)
fuzz_main =
fuzz_ldflags = $(AM_LDFLAGS) $(FUZZ_CFLAGS)
else
check_PROGRAMS += $(fuzz_targets)
TESTS += $(fuzz_targets)
fuzz_main = tests/fuzz/replay.c
fuzz_ldflags = $(AM_LDFLAGS)
endif
EXTRA_DIST += tests/fuzz/replay.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c $(fuzz_main)
tests_fuzz_fuzz_config_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"config"'
tests_fuzz_fuzz_config_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_config_LDADD = config/libcfg.la
tests_fuzz_fuzz_txt_SOURCES = tests/fuzz/fuzz-txt.c $(fuzz_main)
tests_fuzz_fuzz_txt_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"txt"'
tests_fuzz_fuzz_txt_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_txt_LDADD = dnssd/libdnssd.la
tests_fuzz_fuzz_wire_request_SOURCES = tests/fuzz/fuzz-wire-request.c $(fuzz_main)
tests_fuzz_fuzz_wire_request_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) -DFUZZ_CORPUS='"wire"'
tests_fuzz_fuzz_wire_request_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_wire_request_LDADD = $(WIRE_TEST_LIBS)
tests_fuzz_fuzz_wire_response_SOURCES = tests/fuzz/fuzz-wire-response.c $(fuzz_main)
tests_fuzz_fuzz_wire_response_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) -DFUZZ_CORPUS='"wire"'
tests_fuzz_fuzz_wire_response_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_wire_response_LDADD = $(WIRE_TEST_LIBS)
tests_fuzz_fuzz_dnssd_version_SOURCES = tests/fuzz/fuzz-dnssd-version.c $(fuzz_main)
tests_fuzz_fuzz_dnssd_version_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"dnssd-version"'
tests_fuzz_fuzz_dnssd_version_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_dnssd_version_LDADD = dnssd/libdnssd.la
tests_fuzz_fuzz_dnssd_name_SOURCES = tests/fuzz/fuzz-dnssd-name.c $(fuzz_main)
tests_fuzz_fuzz_dnssd_name_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"dnssd-name"'
tests_fuzz_fuzz_dnssd_name_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_dnssd_name_LDADD = dnssd/libdnssd.la
tests_fuzz_fuzz_tsig_key_SOURCES = tests/fuzz/fuzz-tsig-key.c $(fuzz_main)
tests_fuzz_fuzz_tsig_key_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_CORPUS='"tsig-key"'
tests_fuzz_fuzz_tsig_key_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_tsig_key_LDADD = config/libcfg.la
tests_fuzz_fuzz_wide_answer_SOURCES = tests/fuzz/fuzz-wide-answer.c $(fuzz_main)
tests_fuzz_fuzz_wide_answer_CPPFLAGS = $(AM_CPPFLAGS) $(LDNS_CFLAGS) -DFUZZ_CORPUS='"wide-answer"'
tests_fuzz_fuzz_wide_answer_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_wide_answer_LDADD = wide/libwide.la
tests_fuzz_fuzz_wide_xfr_SOURCES = tests/fuzz/fuzz-wide-xfr.c $(fuzz_main)
tests_fuzz_fuzz_wide_xfr_CPPFLAGS = $(AM_CPPFLAGS) $(LDNS_CFLAGS) -DFUZZ_CORPUS='"wide-xfr"'
tests_fuzz_fuzz_wide_xfr_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_wide_xfr_LDADD = wide/libwide.la
tests_fuzz_fuzz_wide_claim_SOURCES = tests/fuzz/fuzz-wide-claim.c $(fuzz_main)
tests_fuzz_fuzz_wide_claim_CPPFLAGS = $(AM_CPPFLAGS) $(LDNS_CFLAGS) -DFUZZ_CORPUS='"wide-claim"'
tests_fuzz_fuzz_wide_claim_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_wide_claim_LDADD = wide/libwide.la
# end fuzz targets
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
	tests/integration/publish-sigterm.sh \
	tests/integration/wide-publish.sh \
	tests/integration/wide-two-lan.sh \
	tests/integration/wide-reap.sh \
	tests/integration/wide-collision.sh
dist_check_SCRIPTS += $(integration_tests)
TESTS += $(integration_tests)
# end of integration tests
check_PROGRAMS += tests/unit/test-mdns-browse
TESTS += tests/unit/test-mdns-browse
tests_unit_test_mdns_browse_SOURCES = tests/unit/test-mdns-browse.c tests/unit/mdns-util.c \
	tests/unit/mdns-util.h tests/unit/tap.h
tests_unit_test_mdns_browse_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS)
tests_unit_test_mdns_browse_LDADD = mdns/libmdns.la $(AVAHI_LIBS)
# lead's integration tests
dist_check_SCRIPTS += tests/integration/mdns-live.sh
TESTS += tests/integration/mdns-live.sh
dist_check_SCRIPTS += tests/integration/balance-least-loaded.sh
TESTS += tests/integration/balance-least-loaded.sh
dist_check_SCRIPTS += tests/integration/browse-avahi-restart.sh
TESTS += tests/integration/browse-avahi-restart.sh
dist_check_SCRIPTS += tests/agent-cli.sh
TESTS += tests/agent-cli.sh
# bench
# The load generator for scripts/bench (docs/benchmarks.md): built with the
# tree, never run by `make check`.
noinst_PROGRAMS += tests/bench/lanyard-loadgen
tests_bench_lanyard_loadgen_SOURCES = tests/bench/loadgen.c tests/bench/loadgen.h \
	tests/bench/loadgen-http.c tests/bench/loadgen-http.h tests/bench/loadgen-resp.c \
	tests/bench/loadgen-resp.h tests/bench/hist.c tests/bench/hist.h
check_PROGRAMS += tests/unit/test-loadgen-resp
TESTS += tests/unit/test-loadgen-resp
tests_unit_test_loadgen_resp_SOURCES = tests/unit/test-loadgen-resp.c tests/bench/loadgen-resp.c \
	tests/bench/loadgen-resp.h tests/bench/loadgen.h tests/bench/hist.h tests/unit/tap.h
# end bench
# consumer integration tests
# Browsing, the consumer socket and balancing across simulated hosts
# (need root for netns, exit 77 otherwise; socket-* runs without a LAN).
EXTRA_DIST += tests/integration/lib-consumer.sh
EXTRA_DIST += tests/integration/lib-knot.sh
consumer_integration_tests = \
	tests/integration/browse-lan.sh \
	tests/integration/browse-changes.sh \
	tests/integration/browse-scale.sh \
	tests/integration/socket-robustness.sh \
	tests/integration/balance-weights.sh \
	tests/integration/socket-while-publishing.sh \
	tests/integration/agent-seams.sh \
	tests/integration/browse-stock.sh \
	tests/integration/liveness.sh \
	tests/integration/probe.sh \
	tests/integration/register.sh
dist_check_SCRIPTS += $(consumer_integration_tests)
TESTS += $(consumer_integration_tests)
# end consumer integration tests
# Hardening (issue 11): hostile local users on the socket (no LAN needed),
# on-demand browse quotas and clock steps.
hardening_integration_tests = \
	tests/integration/hostile-socket.sh \
	tests/integration/hostile-browse.sh \
	tests/integration/clock-step.sh \
	tests/integration/privs.sh
EXTRA_DIST += tests/shims/clock-step.c
# Per-user records: report budget, handed endpoints (agent/peers.c).
check_PROGRAMS += tests/unit/test-peers
TESTS += tests/unit/test-peers
tests_unit_test_peers_SOURCES = tests/unit/test-peers.c agent/peers.c agent/peers.h tests/unit/tap.h
# The connection's line framing (agent/conn.c) under arbitrary byte streams;
# wired as the fuzz targets above (seeds in tests/fuzz/corpus/conn).
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-conn
else
check_PROGRAMS += tests/fuzz/fuzz-conn
TESTS += tests/fuzz/fuzz-conn
endif
tests_fuzz_fuzz_conn_SOURCES = tests/fuzz/fuzz-conn.c $(fuzz_main)
tests_fuzz_fuzz_conn_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) -DFUZZ_CORPUS='"conn"'
tests_fuzz_fuzz_conn_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_conn_LDADD = agent/libserver.la $(JANSSON_LIBS) $(EV_LIBS)
dist_check_SCRIPTS += $(hardening_integration_tests)
TESTS += $(hardening_integration_tests)
# health checks tests
# The probes against real listeners, an HTTP server thread and programs on
# 127.0.0.1; the state machine; the engine (agent/checks.c) with its
# reloads; config/checks.c.
check_PROGRAMS += tests/unit/test-check-state tests/unit/test-check-probes \
	tests/unit/test-check-exec
TESTS += tests/unit/test-check-state tests/unit/test-check-probes tests/unit/test-check-exec
tests_unit_test_check_state_SOURCES = tests/unit/test-check-state.c tests/unit/tap.h
tests_unit_test_check_state_LDADD = agent/libchecks.la
tests_unit_test_check_probes_SOURCES = tests/unit/test-check-probes.c tests/unit/check-util.h \
	tests/unit/tap.h
tests_unit_test_check_probes_CFLAGS = $(AM_CFLAGS) -pthread
tests_unit_test_check_probes_LDADD = agent/libchecks.la $(EV_LIBS) -lpthread
tests_unit_test_check_exec_SOURCES = tests/unit/test-check-exec.c tests/unit/check-util.h \
	tests/unit/tap.h
tests_unit_test_check_exec_LDADD = agent/libchecks.la $(EV_LIBS)
check_PROGRAMS += tests/unit/test-checks tests/unit/test-config-checks
TESTS += tests/unit/test-checks tests/unit/test-config-checks
tests_unit_test_config_checks_SOURCES = tests/unit/test-config-checks.c tests/unit/tap.h
tests_unit_test_config_checks_LDADD = config/libcfg.la
tests_unit_test_checks_SOURCES = tests/unit/test-checks.c tests/unit/tap.h \
	agent/checks.c agent/log.c
tests_unit_test_checks_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_checks_LDADD = agent/libchecks.la config/libcfg.la dnssd/libdnssd.la \
	$(JANSSON_LIBS) $(EV_LIBS)
# Health checks on the simulated LAN (need root, exit 77 otherwise).
EXTRA_DIST += tests/integration/lib-checks.sh
checks_integration_tests = \
	tests/integration/checks-tcp-listener.sh \
	tests/integration/checks-never-announced.sh \
	tests/integration/checks-ttl-maint.sh \
	tests/integration/checks-reload.sh
dist_check_SCRIPTS += $(checks_integration_tests)
TESTS += $(checks_integration_tests)
# end health checks tests
# exec and fanout tests
# fanout's merge and the CLI's helpers alone; exec and fanout (and
# lanyard_expand, lanyard_resolve_except) against the fake agent; the
# docs/examples/exec-pick.c program built with nothing but lanyard.h, and
# again with pkg-config's flags (tests/example-build.sh).
check_PROGRAMS += tests/unit/test-client-merge tests/unit/test-client-exec tests/example-exec-pick
TESTS += tests/unit/test-client-merge tests/unit/test-client-exec
tests_unit_test_client_merge_SOURCES = tests/unit/test-client-merge.c tests/unit/tap.h \
	client/lanyard-merge.c client/lanyard-merge.h client/lanyard-run.c client/lanyard-run.h \
	client/lanyard-cli.c client/lanyard-cli.h
tests_unit_test_client_merge_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_client_merge_LDADD = client/liblanyard.la dnssd/libdnssd.la $(JANSSON_LIBS)
tests_unit_test_client_exec_SOURCES = tests/unit/test-client-exec.c \
	tests/unit/test-client-fake.c tests/unit/test-client-fake.h \
	tests/unit/server-child.c tests/unit/server-child.h tests/unit/tap.h
tests_unit_test_client_exec_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_client_exec_LDADD = client/liblanyard.la agent/libserver.la $(WIRE_TEST_LIBS) \
	$(EV_LIBS)
tests_example_exec_pick_SOURCES = docs/examples/exec-pick.c
tests_example_exec_pick_CPPFLAGS = -I$(top_srcdir)/client
tests_example_exec_pick_LDADD = client/liblanyard.la
dist_check_SCRIPTS += tests/example-build.sh
TESTS += tests/example-build.sh
AM_TESTS_ENVIRONMENT += EXAMPLE_CC='$(CC) $(SAN_CFLAGS)'; export EXAMPLE_CC;
# exec --retries past a dead endpoint, fanout --merge json across three
# hosts (need root for netns, exit 77 otherwise).
consume_integration_tests = \
	tests/integration/consume-exec.sh \
	tests/integration/consume-fanout.sh
dist_check_SCRIPTS += $(consume_integration_tests)
TESTS += $(consume_integration_tests)
# end exec and fanout tests
# CLI output tests
# Hostile strings through the lanyard command's printers (issue 11): no
# control character, C1 code, bidi control or invalid UTF-8 reaches the
# terminal, one row stays one line.
check_PROGRAMS += tests/unit/test-client-show
TESTS += tests/unit/test-client-show
tests_unit_test_client_show_SOURCES = tests/unit/test-client-show.c tests/unit/shown-check.h \
	tests/unit/tap.h client/lanyard-show.c client/lanyard-show.h client/lanyard-cli.c \
	client/lanyard-cli.h
tests_unit_test_client_show_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_client_show_LDADD = client/liblanyard.la dnssd/libdnssd.la $(JANSSON_LIBS)
# end CLI output tests
# CLI output fuzz targets
# The lanyard command's printers, and the agent's instance objects of
# hostile cache entries (agent/present.c, wire/instance.c); wired as the
# fuzz targets above (seeds in tests/fuzz/corpus/cli-table and present).
fuzz_show_targets = tests/fuzz/fuzz-cli-table tests/fuzz/fuzz-present
if ENABLE_FUZZING
noinst_PROGRAMS += $(fuzz_show_targets)
else
check_PROGRAMS += $(fuzz_show_targets)
TESTS += $(fuzz_show_targets)
endif
tests_fuzz_fuzz_cli_table_SOURCES = tests/fuzz/fuzz-cli-table.c tests/unit/shown-check.h \
	client/lanyard-show.c client/lanyard-show.h client/lanyard-cli.c client/lanyard-cli.h \
	$(fuzz_main)
tests_fuzz_fuzz_cli_table_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) -DFUZZ_CORPUS='"cli-table"'
tests_fuzz_fuzz_cli_table_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_cli_table_LDADD = client/liblanyard.la dnssd/libdnssd.la $(JANSSON_LIBS)
tests_fuzz_fuzz_present_SOURCES = tests/fuzz/fuzz-present.c agent/present.c $(fuzz_main)
tests_fuzz_fuzz_present_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) -DFUZZ_CORPUS='"present"'
tests_fuzz_fuzz_present_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_present_LDADD = agent/libcore.la wire/libwire.la $(JANSSON_LIBS) $(M_LIBS)
# end CLI output fuzz targets
# hostile LAN data renders as valid JSON (issue 11)
check_PROGRAMS += tests/unit/test-present
TESTS += tests/unit/test-present
tests_unit_test_present_SOURCES = tests/unit/test-present.c tests/unit/tap.h agent/present.c
tests_unit_test_present_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_present_LDADD = $(core_test_ldadd) wire/libwire.la $(JANSSON_LIBS)
# LAN data that may not steer selection, and hostile peers (issue 11); need
# root for netns, exit 77 otherwise.
lan_trust_integration_tests = \
	tests/integration/local-user-hijack.sh \
	tests/integration/hostile-peer.sh
dist_check_SCRIPTS += $(lan_trust_integration_tests)
TESTS += $(lan_trust_integration_tests)
# lanyard doctor tests
# Its pure readers: avahi-daemon.conf as avahi-daemon reads it, nft JSON
# and iptables-save text against mDNS (samples in tests/data/doctor); then
# the command on the simulated LAN, healthy and deliberately broken (needs
# root for netns, exit 77 otherwise).
check_PROGRAMS += tests/unit/test-doctor
TESTS += tests/unit/test-doctor
tests_unit_test_doctor_SOURCES = tests/unit/test-doctor.c tests/unit/tap.h \
	client/lanyard-doctor-avahi.c client/lanyard-doctor-avahi.h \
	client/lanyard-doctor-firewall.c client/lanyard-doctor-firewall.h client/lanyard-doctor-fw.h \
	client/lanyard-doctor-nft.c client/lanyard-doctor-iptables.c
tests_unit_test_doctor_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_doctor_LDADD = $(JANSSON_LIBS)
doctor_integration_tests = tests/integration/doctor.sh
dist_check_SCRIPTS += $(doctor_integration_tests)
TESTS += $(doctor_integration_tests)
# end lanyard doctor tests
# lanyard doctor fuzz target
# The readers of avahi-daemon.conf and of packet filter rules; wired as
# the fuzz targets above (seeds in tests/fuzz/corpus/doctor: the first
# byte picks the reader).
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-doctor
else
check_PROGRAMS += tests/fuzz/fuzz-doctor
TESTS += tests/fuzz/fuzz-doctor
endif
tests_fuzz_fuzz_doctor_SOURCES = tests/fuzz/fuzz-doctor.c \
	client/lanyard-doctor-avahi.c client/lanyard-doctor-avahi.h \
	client/lanyard-doctor-firewall.c client/lanyard-doctor-firewall.h client/lanyard-doctor-fw.h \
	client/lanyard-doctor-nft.c client/lanyard-doctor-iptables.c $(fuzz_main)
tests_fuzz_fuzz_doctor_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) -DFUZZ_CORPUS='"doctor"'
tests_fuzz_fuzz_doctor_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_doctor_LDADD = $(JANSSON_LIBS)
# end lanyard doctor fuzz target
# NSS module tests
# nss/'s parts with the sanitizers: names, requests, hostile replies, the
# caller's buffer at every size and alignment, agents that are missing,
# silent, closing or full (tests/unit/test-nss.c); its reply and name
# parsers under libFuzzer, wired as the fuzz targets above (seeds in
# tests/fuzz/corpus/nss); and the module itself, loaded by getent and by
# nss-lookup (getaddrinfo/gethostbyname2_r from threads, timed on
# CLOCK_MONOTONIC) on the simulated LAN (need root, exit 77 otherwise).
nss_test_sources = nss/nss-query.c nss/nss-query.h nss/nss-reply.c nss/nss-agent.c \
	nss/nss-agent.h
check_PROGRAMS += tests/unit/test-nss
TESTS += tests/unit/test-nss
tests_unit_test_nss_SOURCES = tests/unit/test-nss.c tests/unit/tap.h $(nss_test_sources)
tests_unit_test_nss_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_nss_LDADD = $(WIRE_TEST_LIBS)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-nss
else
check_PROGRAMS += tests/fuzz/fuzz-nss
TESTS += tests/fuzz/fuzz-nss
endif
tests_fuzz_fuzz_nss_SOURCES = tests/fuzz/fuzz-nss.c $(nss_test_sources) $(fuzz_main)
tests_fuzz_fuzz_nss_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) -DFUZZ_CORPUS='"nss"'
tests_fuzz_fuzz_nss_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_nss_LDADD = $(WIRE_TEST_LIBS)
check_PROGRAMS += tests/integration/nss-lookup
tests_integration_nss_lookup_SOURCES = tests/integration/nss-lookup.c
tests_integration_nss_lookup_CFLAGS = $(AM_CFLAGS) -pthread
tests_integration_nss_lookup_LDADD = -lpthread
dist_check_SCRIPTS += tests/integration/nss.sh
TESTS += tests/integration/nss.sh
# end NSS module tests
# packaging tests (issue 12)
# What make install lays out (DESTDIR, no root) and the unit's sandbox
# score; the Debian packages built, linted, installed and purged (root,
# dpkg-buildpackage; skipped by LANYARD_SKIP_ROOT_TESTS=1, as in distcheck);
# make distcheck in a build directory of its own (about 2 minutes).
packaging_tests = \
	tests/packaging-files.sh \
	tests/packaging-unit.sh \
	tests/packaging.sh \
	tests/packaging-distcheck.sh
dist_check_SCRIPTS += $(packaging_tests)
TESTS += $(packaging_tests)
# end packaging tests
# live page tests (issue 13)
# GET / in headless Chromium (Debian's chromium and chromium-driver, driven
# through WebDriver with curl and jq) against an agent on the simulated LAN
# (needs root, exit 77 otherwise); screenshots land in the build directory.
EXTRA_DIST += tests/integration/lib-webdriver.sh
dist_check_SCRIPTS += tests/integration/http-page.sh
TESTS += tests/integration/http-page.sh
CLEANFILES += tests/integration/http-page.png tests/integration/http-page-phone.png
# end live page tests
# HTTP interface tests (issue 13)
# The pure decoding of agent/http-query.c (query strings, the socket
# request of each API call, the status table); a watch without "service"
# (GET /v1/watch) over a real cache; agent.http in test-config. The fuzz
# target is wired as the ones above (seeds in tests/fuzz/corpus/http-query).
check_PROGRAMS += tests/unit/test-http-query tests/unit/test-watch-all
TESTS += tests/unit/test-http-query tests/unit/test-watch-all
tests_unit_test_http_query_SOURCES = tests/unit/test-http-query.c tests/unit/tap.h
tests_unit_test_http_query_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_http_query_LDADD = agent/libhttpq.la $(WIRE_TEST_LIBS)
tests_unit_test_watch_all_SOURCES = tests/unit/test-watch-all.c tests/unit/tap.h \
	agent/watch.c agent/present.c
tests_unit_test_watch_all_CFLAGS = $(WIRE_TEST_CFLAGS)
tests_unit_test_watch_all_LDADD = agent/libserver.la $(core_test_ldadd) $(WIRE_TEST_LIBS) \
	$(EV_LIBS)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-http-query
else
check_PROGRAMS += tests/fuzz/fuzz-http-query
TESTS += tests/fuzz/fuzz-http-query
endif
tests_fuzz_fuzz_http_query_SOURCES = tests/fuzz/fuzz-http-query.c $(fuzz_main)
tests_fuzz_fuzz_http_query_CPPFLAGS = $(AM_CPPFLAGS) $(JANSSON_CFLAGS) -DFUZZ_CORPUS='"http-query"'
tests_fuzz_fuzz_http_query_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_http_query_LDADD = agent/libhttpq.la $(WIRE_TEST_LIBS)
# HTTP on the simulated LAN: every endpoint against the socket's answers,
# SSE, metrics through promtool; hostile HTTP clients (need root, exit 77
# otherwise).
http_integration_tests = \
	tests/integration/http.sh \
	tests/integration/http-robustness.sh
dist_check_SCRIPTS += $(http_integration_tests)
TESTS += $(http_integration_tests)
# end HTTP interface tests
