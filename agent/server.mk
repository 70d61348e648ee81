# SPDX-License-Identifier: MIT
# Build fragment for the consumer socket server (agent/server.c, agent/conn.c,
# agent/conn-reply.c),
# included by the top Makefile.am after wire/local.mk. lanyardd links
# agent/libserver.la; the unit tests of the server and client link it too.
noinst_LTLIBRARIES += agent/libserver.la
agent_libserver_la_SOURCES = \
	agent/server.c agent/server.h \
	agent/conn.c agent/conn.h agent/conn-reply.c agent/conn-private.h
agent_libserver_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
agent_libserver_la_LIBADD = wire/libwire.la $(EV_LIBS) $(JANSSON_LIBS)
