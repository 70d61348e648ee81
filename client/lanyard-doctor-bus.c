/* SPDX-License-Identifier: MIT */
/* avahi-daemon on the system bus, asked directly with libdbus (lanyard
 * doctor). libdbus rather than libavahi-client: it is already a build
 * dependency, every call takes a time limit, it tells "no bus" from "no
 * avahi-daemon" from "avahi-daemon not answering", and only mdns/ may
 * include Avahi's headers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbus/dbus.h>

#include "client/lanyard-doctor-bus.h"

#define AVAHI_NAME   "org.freedesktop.Avahi"
#define AVAHI_SERVER "org.freedesktop.Avahi.Server"
#define SYSTEM_BUS   "unix:path=/var/run/dbus/system_bus_socket"

/* Call METHOD and wait for its reply (NULL on error, with ERR set). The
 * arguments are dbus_message_append_args()'s, ending in DBUS_TYPE_INVALID. */
static DBusMessage *call(DBusConnection *c, const char *dest, const char *path, const char *iface,
                         const char *method, int timeout_ms, DBusError *err, int type, ...)
{
	DBusMessage *m = dbus_message_new_method_call(dest, path, iface, method), *reply = NULL;
	va_list ap;

	if (!m) {
		dbus_set_error_const(err, DBUS_ERROR_NO_MEMORY, "out of memory");
		return NULL;
	}
	va_start(ap, type);
	if (dbus_message_append_args_valist(m, type, ap))
		reply = dbus_connection_send_with_reply_and_block(c, m, timeout_ms, err);
	else
		dbus_set_error_const(err, DBUS_ERROR_NO_MEMORY, "out of memory");
	va_end(ap);
	dbus_message_unref(m);
	return reply;
}

/* One reply argument of TYPE into RET (a basic type); false with ERR set. */
static bool get_arg(DBusMessage *reply, int type, void *ret, DBusError *err)
{
	bool ok = reply && dbus_message_get_args(reply, err, type, ret, DBUS_TYPE_INVALID);

	return ok;
}

static void set_error(struct doctor_bus *b, const char *what, const DBusError *err)
{
	snprintf(b->error, sizeof(b->error), "%s: %s", what,
	         dbus_error_is_set(err) && err->message ? err->message : "no answer");
}

/* Contract in lanyard-doctor-bus.h. */
int doctor_bus_avahi(int timeout_ms, struct doctor_bus *b)
{
	const char *env = getenv("DBUS_SYSTEM_BUS_ADDRESS"), *name = AVAHI_NAME, *s;
	DBusConnection *c = NULL;
	DBusMessage *reply = NULL;
	DBusError err;
	dbus_bool_t has = FALSE;
	dbus_uint32_t pid = 0;
	dbus_int32_t state = -1;

	*b = (struct doctor_bus){.state = -1};
	snprintf(b->address, sizeof(b->address), "%s", env && *env ? env : SYSTEM_BUS);
	dbus_error_init(&err);
	c = dbus_connection_open_private(b->address, &err);
	if (!c) {
		set_error(b, "cannot connect to the system bus", &err);
		goto out;
	}
	dbus_connection_set_exit_on_disconnect(c, FALSE);
	/* dbus_bus_register() would wait without a limit: say hello by hand. */
	reply = call(c, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "Hello", timeout_ms,
	             &err, DBUS_TYPE_INVALID);
	if (!get_arg(reply, DBUS_TYPE_STRING, &s, &err)) {
		set_error(b, "the system bus does not answer", &err);
		goto out;
	}
	b->reachable = true;
	dbus_message_unref(reply);
	reply = call(c, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "NameHasOwner",
	             timeout_ms, &err, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID);
	if (!get_arg(reply, DBUS_TYPE_BOOLEAN, &has, &err)) {
		set_error(b, "NameHasOwner", &err);
		goto out;
	}
	b->owned = has;
	if (!has)
		goto out;
	dbus_message_unref(reply);
	reply = call(c, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS,
	             "GetConnectionUnixProcessID", timeout_ms, &err, DBUS_TYPE_STRING, &name,
	             DBUS_TYPE_INVALID);
	if (get_arg(reply, DBUS_TYPE_UINT32, &pid, &err))
		b->pid = pid;
	dbus_error_free(&err);
	if (reply)
		dbus_message_unref(reply);
	reply = call(c, AVAHI_NAME, "/", AVAHI_SERVER, "GetVersionString", timeout_ms, &err,
	             DBUS_TYPE_INVALID);
	if (!get_arg(reply, DBUS_TYPE_STRING, &s, &err)) {
		set_error(b, "avahi-daemon does not answer GetVersionString", &err);
		goto out;
	}
	snprintf(b->version, sizeof(b->version), "%s", s);
	dbus_message_unref(reply);
	reply = call(c, AVAHI_NAME, "/", AVAHI_SERVER, "GetState", timeout_ms, &err,
	             DBUS_TYPE_INVALID);
	if (!get_arg(reply, DBUS_TYPE_INT32, &state, &err)) {
		set_error(b, "avahi-daemon does not answer GetState", &err);
		goto out;
	}
	b->state = state;
out:
	if (reply)
		dbus_message_unref(reply);
	dbus_error_free(&err);
	if (c) {
		dbus_connection_close(c);
		dbus_connection_unref(c);
	}
	/* libdbus keeps caches until told: free them (a leak checker watches
	 * the tests). */
	dbus_shutdown();
	return 0;
}
