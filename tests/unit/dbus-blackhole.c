/* SPDX-License-Identifier: MIT */
/* A D-Bus peer that owns org.freedesktop.Avahi on the bus given as argv[1]
 * and never answers: libavahi-client's blocking calls to it hang until the
 * D-Bus timeout, as they do when avahi-daemon is swamped. Test helper. */
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include <dbus/dbus.h>

int main(int argc, char **argv)
{
	DBusConnection *conn;
	DBusError err;
	bool called = false;

	if (argc != 2) {
		fprintf(stderr, "usage: dbus-blackhole BUS-ADDRESS\n");
		return 2;
	}
	dbus_error_init(&err);
	conn = dbus_connection_open_private(argv[1], &err);
	if (!conn || !dbus_bus_register(conn, &err)) {
		fprintf(stderr, "dbus-blackhole: %s\n", err.message ? err.message : "no bus");
		return 1;
	}
	if (dbus_bus_request_name(conn, "org.freedesktop.Avahi", DBUS_NAME_FLAG_DO_NOT_QUEUE,
	                          &err) != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		fprintf(stderr, "dbus-blackhole: cannot own org.freedesktop.Avahi\n");
		return 1;
	}
	/* Tell the parent we own the name, then swallow every message; say
	 * when the first call arrives (its caller now waits for nothing). */
	printf("ready\n");
	fflush(stdout);
	while (dbus_connection_read_write(conn, -1)) {
		DBusMessage *m;

		while ((m = dbus_connection_pop_message(conn))) {
			if (!called && dbus_message_get_type(m) == DBUS_MESSAGE_TYPE_METHOD_CALL) {
				called = true;
				printf("called %s\n", dbus_message_get_member(m));
				fflush(stdout);
			}
			dbus_message_unref(m);
		}
	}
	return 0;
}
