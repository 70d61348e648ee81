/* SPDX-License-Identifier: MIT */
/* See avahi-fake.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <avahi-common/error.h>

#include "tests/unit/avahi-fake.h"

struct avahi_fake avf;

AvahiServiceResolver *avahi_service_resolver_new(AvahiClient *c, AvahiIfIndex ifi,
                                                 AvahiProtocol proto, const char *name,
                                                 const char *type, const char *domain,
                                                 AvahiProtocol aproto, AvahiLookupFlags flags,
                                                 AvahiServiceResolverCallback cb, void *ud)
{
	struct AvahiServiceResolver *r;

	if (avf.refuse > 0) {
		avf.refuse--;
		avf.err = AVAHI_ERR_TOO_MANY_OBJECTS;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r || avf.n_res == AVAHI_FAKE_RESOLVERS)
		abort();
	*r = (struct AvahiServiceResolver){
	        .cb = cb, .ud = ud, .ifi = ifi, .proto = proto, .open = true};
	snprintf(r->name, sizeof(r->name), "%s", name);
	avf.res[avf.n_res++] = r;
	avf.n_open++;
	return r;
}

int avahi_service_resolver_free(AvahiServiceResolver *r)
{
	if (!r->open)
		abort(); /* freed twice */
	r->open = false;
	avf.n_open--;
	return 0;
}

AvahiServiceBrowser *avahi_service_browser_new(AvahiClient *c, AvahiIfIndex i, AvahiProtocol p,
                                               const char *t, const char *d, AvahiLookupFlags f,
                                               AvahiServiceBrowserCallback cb, void *ud)
{
	avf.browser = calloc(1, sizeof(*avf.browser));
	if (!avf.browser)
		abort();
	avf.browser->cb = cb;
	avf.browser->ud = ud;
	return avf.browser;
}

int avahi_service_browser_free(AvahiServiceBrowser *b)
{
	free(b);
	avf.browser = NULL;
	return 0;
}

AvahiServiceTypeBrowser *
avahi_service_type_browser_new(AvahiClient *c, AvahiIfIndex i, AvahiProtocol p, const char *d,
                               AvahiLookupFlags f, AvahiServiceTypeBrowserCallback cb, void *ud)
{
	return NULL;
}

int avahi_service_type_browser_free(AvahiServiceTypeBrowser *b)
{
	return 0;
}

int avahi_client_errno(AvahiClient *c)
{
	return avf.err;
}

int avahi_proto_to_af(AvahiProtocol p)
{
	return p == AVAHI_PROTO_INET ? AF_INET : AF_INET6;
}

void avahi_fake_reset(void)
{
	for (size_t i = 0; i < avf.n_res; i++)
		free(avf.res[i]);
	memset(&avf, 0, sizeof(avf));
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

void avahi_fake_run(struct ev_loop *loop, double s)
{
	ev_timer t;

	ev_timer_init(&t, stop_cb, s, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

void avahi_fake_item(AvahiBrowserEvent ev, const char *name, const char *type, AvahiProtocol proto)
{
	avf.browser->cb(avf.browser, 2, proto, ev, name, type, "local", 0, avf.browser->ud);
}

struct AvahiServiceResolver *avahi_fake_open_res(const char *name, AvahiProtocol proto)
{
	for (size_t i = avf.n_res; i-- > 0;)
		if (avf.res[i]->open &&
		    (proto == AVAHI_PROTO_UNSPEC || avf.res[i]->proto == proto) &&
		    !strcmp(avf.res[i]->name, name))
			return avf.res[i];
	return NULL;
}
