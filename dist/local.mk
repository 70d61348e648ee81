# SPDX-License-Identifier: MIT
# Build fragment for dist/ and debian/, included by the top Makefile.am:
# what `make install` adds besides programs, library and headers (the
# systemd unit, the lanyard user and /run/lanyard, bash completion, the
# default configuration and lanyard.yaml(5)), and the Debian packaging
# in the tarball.

dist_man_MANS += man/lanyard.yaml.5

# The unit, with the configured sbindir.
EXTRA_DIST += dist/lanyardd.service.in
CLEANFILES += dist/lanyardd.service
dist/lanyardd.service: $(srcdir)/dist/lanyardd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/dist/lanyardd.service.in >$@.tmp && \
	mv $@.tmp $@
if HAVE_SYSTEMDSYSTEMUNITDIR
systemdsystemunit_DATA = dist/lanyardd.service
else
# built all the same, for tests/packaging-unit.sh
noinst_DATA = dist/lanyardd.service
endif

# The lanyard user and group, and /run/lanyard outside the unit (both
# installed as lanyard.conf).
if HAVE_SYSUSERSDIR
dist_sysusers_DATA = dist/sysusers.d/lanyard.conf
else
EXTRA_DIST += dist/sysusers.d/lanyard.conf
endif
if HAVE_TMPFILESDIR
dist_tmpfiles_DATA = dist/tmpfiles.d/lanyard.conf
else
EXTRA_DIST += dist/tmpfiles.d/lanyard.conf
endif

if HAVE_BASHCOMPLETIONDIR
dist_bashcompletion_DATA = dist/bash-completion/lanyard
else
EXTRA_DIST += dist/bash-completion/lanyard
endif

# The default configuration: installed only where there is none (an
# operator's file is never overwritten), removed by uninstall only while
# it is still the default.
lanyardconfdir = $(sysconfdir)/lanyard
EXTRA_DIST += dist/lanyard.yaml
install-data-hook: install-default-config
uninstall-hook: uninstall-default-config
install-default-config:
	@f='$(DESTDIR)$(lanyardconfdir)/lanyard.yaml'; \
	if test -e "$$f" || test -h "$$f"; then \
		echo " keeping $$f (not overwritten)"; \
	else \
		echo " $(MKDIR_P) '$(DESTDIR)$(lanyardconfdir)'"; \
		$(MKDIR_P) '$(DESTDIR)$(lanyardconfdir)' || exit 1; \
		echo " $(INSTALL_DATA) dist/lanyard.yaml '$$f'"; \
		$(INSTALL_DATA) '$(srcdir)/dist/lanyard.yaml' "$$f" || exit 1; \
	fi
uninstall-default-config:
	@f='$(DESTDIR)$(lanyardconfdir)/lanyard.yaml'; \
	if cmp -s '$(srcdir)/dist/lanyard.yaml' "$$f"; then \
		echo " rm -f '$$f'"; rm -f "$$f"; \
		rmdir '$(DESTDIR)$(lanyardconfdir)' 2>/dev/null || :; \
	elif test -e "$$f"; then \
		echo " keeping $$f (changed from the default)"; \
	fi
.PHONY: install-default-config uninstall-default-config

# Debian packaging (debian/README.source says how to build the .debs).
EXTRA_DIST += \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/lanyard.install debian/not-installed \
	debian/liblanyard1.install debian/liblanyard-dev.install \
	debian/lanyard.postrm debian/README.source debian/liblanyard1.symbols \
	debian/lanyard.lintian-overrides debian/liblanyard1.lintian-overrides \
	debian/liblanyard-dev.lintian-overrides \
	debian/libnss-lanyard.install debian/libnss-lanyard.postinst \
	debian/libnss-lanyard.postrm debian/libnss-lanyard.lintian-overrides

# Where `make install` puts things, for tests/packaging-files.sh.
print-install-dirs:
	@echo "prefix=$(prefix)"; echo "sbindir=$(sbindir)"; echo "bindir=$(bindir)"; \
	echo "libdir=$(libdir)"; echo "includedir=$(includedir)"; echo "mandir=$(mandir)"; \
	echo "pkgconfigdir=$(pkgconfigdir)"; echo "lanyardconfdir=$(lanyardconfdir)"; \
	echo "systemdsystemunitdir=$(systemdsystemunitdir)"; echo "sysusersdir=$(sysusersdir)"; \
	echo "tmpfilesdir=$(tmpfilesdir)"; echo "bashcompletiondir=$(bashcompletiondir)"
.PHONY: print-install-dirs
