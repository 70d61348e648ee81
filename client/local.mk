# SPDX-License-Identifier: MIT
# Build fragment for client/, included by the top Makefile.am.
# liblanyard: the public C API (lanyard.h, pkg-config "lanyard"); it embeds
# wire/libwire.la (which carries dnssd/libdnssd.la) and exports only
# lanyard_* symbols.
lib_LTLIBRARIES += client/liblanyard.la
include_HEADERS += client/lanyard.h
pkgconfig_DATA += client/lanyard.pc
EXTRA_DIST += client/lanyard.pc.in
client_liblanyard_la_SOURCES = \
	client/lanyard.h client/lanyard-private.h \
	client/lanyard-handle.c \
	client/lanyard-ops.c \
	client/lanyard-manage.c \
	client/lanyard-connect.c
# exec and fanout's building blocks: lanyard_expand(), lanyard_resolve_except()
client_liblanyard_la_SOURCES += client/lanyard-endpoint.c
client_liblanyard_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -pthread
client_liblanyard_la_LIBADD = wire/libwire.la $(JANSSON_LIBS) $(M_LIBS)
client_liblanyard_la_LDFLAGS = $(AM_LDFLAGS) -pthread -version-info 3:0:2 \
	-export-symbols-regex '^lanyard_'

# The lanyard command.
bin_PROGRAMS += client/lanyard
client_lanyard_SOURCES = client/lanyard.c
# the command's shared helpers; exec and fanout, and the merge of --merge json
client_lanyard_SOURCES += client/lanyard-cli.c client/lanyard-cli.h \
	client/lanyard-run.c client/lanyard-run.h client/lanyard-exec.c client/lanyard-fanout.c \
	client/lanyard-merge.c client/lanyard-merge.h \
	client/lanyard-register.c
# the tables and lines people read
client_lanyard_SOURCES += client/lanyard-show.c client/lanyard-show.h
client_lanyard_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
# (config/libcfg.la, for lanyard doctor, before dnssd/libdnssd.la, which it needs)
client_lanyard_LDADD = client/liblanyard.la config/libcfg.la dnssd/libdnssd.la $(JANSSON_LIBS)
# lanyard doctor: the checks and their output; the pure readers of
# avahi-daemon.conf and of nft / iptables-save rules; a tool runner; the
# system bus asked with libdbus. It links config/ to validate the
# configuration by the same code as lanyardd --check-config (and to learn
# its socket, socket_group and interfaces).
client_lanyard_SOURCES += client/lanyard-doctor.c client/lanyard-doctor.h \
	client/lanyard-doctor-host.c \
	client/lanyard-doctor-avahi.c client/lanyard-doctor-avahi.h \
	client/lanyard-doctor-firewall.c client/lanyard-doctor-firewall.h client/lanyard-doctor-fw.h \
	client/lanyard-doctor-nft.c client/lanyard-doctor-iptables.c \
	client/lanyard-doctor-run.c client/lanyard-doctor-run.h \
	client/lanyard-doctor-bus.c client/lanyard-doctor-bus.h
client_lanyard_CFLAGS += $(DBUS_CFLAGS)
client_lanyard_LDADD += $(DBUS_LIBS)
dist_man_MANS += man/lanyard.1
