# SPDX-License-Identifier: MIT
# Build fragment for agent/ (lanyardd), included by the top Makefile.am after
# agent/server.mk; agent/core.mk holds the pure core (cache, TXT, selection).
sbin_PROGRAMS += agent/lanyardd
agent_lanyardd_SOURCES = \
	agent/main.c \
	agent/agent.c agent/agent.h \
	agent/status.c \
	agent/signals.c agent/signals.h \
	agent/log.c agent/log.h \
	agent/notify.c agent/notify.h \
	agent/discover.c agent/discover.h \
	agent/present.c agent/present.h \
	agent/watch.c agent/watch.h \
	agent/ops.c agent/ops.h \
	agent/fake.c agent/fake.h \
	agent/load.c agent/load.h
agent_lanyardd_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
agent_lanyardd_LDADD = agent/libserver.la agent/libcore.la mdns/libmdns.la config/libcfg.la \
	wire/libwire.la $(JANSSON_LIBS) $(EV_LIBS) $(M_LIBS)
dist_man_MANS += man/lanyardd.8
