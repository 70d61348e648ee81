# SPDX-License-Identifier: MIT
# Build fragment for agent/ (lanyardd), included by the top Makefile.am after
# agent/server.mk; agent/core.mk holds the pure core (cache, selection).
# Everything but main() is in agent/libagent.la, linked into lanyardd and
# into lanyardd-test, the same daemon with the test hooks of
# agent/test-hooks.c (synthetic instances, a load figure from a file) for
# the tests and benchmarks: the installed lanyardd has none.
noinst_LTLIBRARIES += agent/libagent.la
agent_libagent_la_SOURCES = \
	agent/agent.c agent/agent.h \
	agent/status.c \
	agent/signals.c agent/signals.h \
	agent/log.c agent/log.h \
	agent/loopwatch.c agent/loopwatch.h \
	agent/notify.c agent/notify.h \
	agent/discover.c agent/discover.h \
	agent/present.c agent/present.h \
	agent/watch.c agent/watch.h \
	agent/peers.c agent/peers.h \
	agent/privs.c agent/privs.h \
	agent/ops.c agent/ops.h agent/ops-private.h agent/ops-resolve.c \
	agent/probe.c agent/probe.h \
	agent/register.c agent/register.h \
	agent/pubset.c agent/pubset.h \
	agent/load.c agent/load.h \
	agent/checks.c agent/checks.h \
	agent/http.c agent/http.h agent/http-req.c agent/http-private.h \
	agent/http-page.c agent/http-page.h \
	agent/metrics.c agent/metrics.h \
	agent/wide-area.c agent/wide-area.h \
	agent/wide-browse.c agent/wide-browse.h
agent_libagent_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
agent_libagent_la_LIBADD = agent/libserver.la agent/libcore.la mdns/libmdns.la wide/libwide.la \
	agent/libchecks.la agent/libhttpq.la config/libcfg.la wire/libwire.la dnssd/libdnssd.la \
	$(JANSSON_LIBS) $(EV_LIBS) $(M_LIBS) $(MHD_LIBS)

# The HTTP interface's pure decoding (query strings, the socket request of
# an API call, the status table): the unit test and the fuzz target link
# it alone.
noinst_LTLIBRARIES += agent/libhttpq.la
agent_libhttpq_la_SOURCES = agent/http-query.c agent/http-query.h
agent_libhttpq_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
agent_libhttpq_la_LIBADD = wire/libwire.la $(JANSSON_LIBS)

# The health checks' probes and state machine, without the agent: the
# unit tests link them alone.
noinst_LTLIBRARIES += agent/libchecks.la
agent_libchecks_la_SOURCES = \
	agent/check-probe.h \
	agent/check-state.c agent/check-state.h \
	agent/check-tcp.c agent/check-tcp.h \
	agent/check-http.c agent/check-http.h \
	agent/check-exec.c agent/check-exec.h
agent_libchecks_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
agent_libchecks_la_LIBADD = dnssd/libdnssd.la $(CURL_LIBS) $(EV_LIBS)

sbin_PROGRAMS += agent/lanyardd
agent_lanyardd_SOURCES = agent/main.c
agent_lanyardd_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
agent_lanyardd_LDADD = agent/libagent.la

noinst_PROGRAMS += agent/lanyardd-test
agent_lanyardd_test_SOURCES = agent/main.c agent/test-hooks.c agent/test-hooks.h
agent_lanyardd_test_CPPFLAGS = $(AM_CPPFLAGS) -DLANYARD_TEST_HOOKS
agent_lanyardd_test_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
agent_lanyardd_test_LDADD = agent/libagent.la
dist_man_MANS += man/lanyardd.8
