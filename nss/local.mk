# SPDX-License-Identifier: MIT
# Build fragment for nss/, included by the top Makefile.am.
# libnss_lanyard.so.2: glibc's "lanyard" source for the hosts database
# (docs/nss.md). glibc dlopen()s it into any program that looks up a host
# name — getent, curl, programs not built with sanitizers — so the module
# and everything it embeds are built without SAN_CFLAGS: a module carrying
# ASan's instrumentation cannot load into a program without ASan's runtime.
# wire/ (the one implementation of the socket's format) and the dnssd/
# rules it uses are therefore compiled a second time, from the same
# sources, into nss/libwire-plain.la. Installed like Debian's libnss-mdns:
# only libnss_lanyard.so.2 in $(libdir), no .la and no .so symlink (nobody
# links against an NSS module).
noinst_LTLIBRARIES += nss/libwire-plain.la
nss_libwire_plain_la_SOURCES = \
	wire/wire.c wire/request.c wire/request-scan.c wire/instance.c wire/response.c \
	dnssd/utf8.c dnssd/txt.c dnssd/version.c dnssd/name.c
nss_libwire_plain_la_CFLAGS = $(WARN_CFLAGS) $(COV_CFLAGS) $(JANSSON_CFLAGS)

lib_LTLIBRARIES += nss/libnss_lanyard.la
nss_libnss_lanyard_la_SOURCES = \
	nss/nss-lanyard.c \
	nss/nss-query.c nss/nss-query.h \
	nss/nss-reply.c \
	nss/nss-agent.c nss/nss-agent.h
nss_libnss_lanyard_la_CFLAGS = $(WARN_CFLAGS) $(COV_CFLAGS) $(JANSSON_CFLAGS)
nss_libnss_lanyard_la_LIBADD = nss/libwire-plain.la $(JANSSON_LIBS) $(M_LIBS)
# -z defs: a symbol missing at link time would make glibc skip the module
# silently at run time.
nss_libnss_lanyard_la_LDFLAGS = $(COV_CFLAGS) -module -avoid-version -shrext .so.2 \
	-no-undefined -Wl,-z,defs -export-symbols-regex '^_nss_lanyard_'

install-exec-hook: nss-install-exec-hook
uninstall-hook: nss-uninstall-hook
nss-install-exec-hook:
	rm -f $(DESTDIR)$(libdir)/libnss_lanyard.la
nss-uninstall-hook:
	rm -f $(DESTDIR)$(libdir)/libnss_lanyard.so.2
.PHONY: nss-install-exec-hook nss-uninstall-hook
