# SPDX-License-Identifier: MIT
# Build fragment for agent/ (lanyardd), included by the top Makefile.am.
sbin_PROGRAMS += agent/lanyardd
agent_lanyardd_SOURCES = \
	agent/main.c \
	agent/agent.c agent/agent.h \
	agent/signals.c agent/signals.h \
	agent/log.c agent/log.h \
	agent/notify.c agent/notify.h
agent_lanyardd_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
agent_lanyardd_LDADD = mdns/libmdns.la config/libcfg.la $(JANSSON_LIBS) $(EV_LIBS) $(M_LIBS)
dist_man_MANS += man/lanyardd.8
