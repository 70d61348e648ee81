/* SPDX-License-Identifier: MIT */
/* The mDNS backend's two halves: the caller's side queues commands for the
 * backend thread and delivers its events on the caller's loop, a bounded
 * batch per loop iteration; the thread runs its own loop for avahi. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/clock.h"
#include "mdns/browse.h"
#include "mdns/evpoll.h"
#include "mdns/internal.h"
#include "mdns/liveness.h"
#include "mdns/presence.h"
#include "mdns/publish.h"
#include "mdns/resolve.h"

/* Events delivered per iteration of the caller's loop, at most, and for
 * at most this long: a storm of thousands of instances is interleaved with
 * the caller's other work (the consumer socket) instead of holding it up. */
#define DELIVER_BATCH 64
#define DELIVER_S     0.0002

enum cmd_kind {
	CMD_SCOPE,
	CMD_PUT,
	CMD_DELETE,
	CMD_BROWSE,
	CMD_UNBROWSE,
	CMD_TYPES,
	CMD_MAX_INSTANCES,
	CMD_STOP,
};

/* One command down to the thread. */
struct cmd {
	struct cmd *next;
	enum cmd_kind kind;
	struct dnssd_record *rec; /* CMD_PUT */
	char *str;                /* CMD_DELETE: key; CMD_(UN)BROWSE: type */
	struct pub_scope *scope;  /* CMD_SCOPE */
	size_t num;               /* CMD_MAX_INSTANCES */
	bool on;                  /* CMD_TYPES */
};

enum event_kind {
	EV_CLIENT_STATE,
	EV_PUB_STATE,
	EV_INSTANCE,
	EV_BROWSE_STATE,
	EV_TYPE_FOUND,
	EV_HOST_STATE,
};

/* One event up to the caller, in one allocation with its strings. */
struct event {
	struct event *next;
	enum event_kind kind;
	int state; /* client, publishing or host state, instance event, settled */
	const char *s1, *s2, *s3;
	int ifindex; /* host state */
	size_t num;  /* host state: sightings removed or back */
	struct mdns_instance inst;
};

struct mdns {
	struct ev_loop *loop; /* the caller's */
	struct mdns_callbacks cb;
	void *userdata;
	enum mdns_client_state state; /* last delivered */
	/* Delivery on the caller's loop: the async is sent by the thread;
	 * check + idle keep delivering while a backlog is left. */
	ev_async arrived;
	ev_check deliver_check;
	ev_idle deliver_idle;
	struct event *backlog, **backlog_tail; /* taken from the queue, caller-owned */
	size_t n_backlog;

	pthread_t thread;
	bool thread_started;
	struct cmd *stop; /* allocated up front: stopping cannot fail */
	struct mdns_core *core;

	/* lock guards everything below; held only to link or unlink, never
	 * across an avahi call or a callback. */
	pthread_mutex_t lock;
	struct cmd *cmds, **cmds_tail;
	size_t n_cmds;
	struct event *events, **events_tail;
	size_t n_events;
	uint64_t events_lost;
	struct mdns_stats stats; /* the thread's counters, as last published */
};

/* ---- caller side: commands ---------------------------------------------- */

static void cmd_free(struct cmd *c)
{
	if (!c)
		return;
	record_free(c->rec);
	free(c->str);
	pub_scope_free(c->scope);
	free(c);
}

static int cmd_send(struct mdns *m, struct cmd *c)
{
	pthread_mutex_lock(&m->lock);
	c->next = NULL;
	*m->cmds_tail = c;
	m->cmds_tail = &c->next;
	m->n_cmds++;
	pthread_mutex_unlock(&m->lock);
	ev_async_send(m->core->loop, &m->core->wake);
	return 0;
}

static struct cmd *cmd_new(enum cmd_kind kind, const char *str)
{
	struct cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->kind = kind;
	if (str && !(c->str = strdup(str))) {
		free(c);
		return NULL;
	}
	return c;
}

int mdns_set_scope(struct mdns *m, const struct mdns_scope *scope)
{
	struct cmd *c = cmd_new(CMD_SCOPE, NULL);

	if (!c ||
	    !(c->scope = pub_scope_new(scope->interfaces, scope->n_interfaces, scope->domain))) {
		cmd_free(c);
		return -ENOMEM;
	}
	return cmd_send(m, c);
}

int mdns_put(struct mdns *m, const struct dnssd_record *r)
{
	struct cmd *c = cmd_new(CMD_PUT, NULL);

	if (!c || !(c->rec = record_copy(r))) {
		cmd_free(c);
		return -ENOMEM;
	}
	return cmd_send(m, c);
}

int mdns_delete(struct mdns *m, const char *key)
{
	struct cmd *c = cmd_new(CMD_DELETE, key);

	return c ? cmd_send(m, c) : -ENOMEM;
}

static int browse_cmd(struct mdns *m, enum cmd_kind kind, const char *type)
{
	struct cmd *c;

	if (!browse_type_ok(type))
		return -EINVAL;
	c = cmd_new(kind, type);
	return c ? cmd_send(m, c) : -ENOMEM;
}

int mdns_browse(struct mdns *m, const char *type)
{
	return browse_cmd(m, CMD_BROWSE, type);
}

int mdns_unbrowse(struct mdns *m, const char *type)
{
	return browse_cmd(m, CMD_UNBROWSE, type);
}

int mdns_browse_types(struct mdns *m, bool on)
{
	struct cmd *c = cmd_new(CMD_TYPES, NULL);

	if (!c)
		return -ENOMEM;
	c->on = on;
	return cmd_send(m, c);
}

int mdns_set_max_instances(struct mdns *m, size_t max)
{
	struct cmd *c = cmd_new(CMD_MAX_INSTANCES, NULL);

	if (!c)
		return -ENOMEM;
	c->num = max;
	return cmd_send(m, c);
}

void mdns_get_stats(struct mdns *m, struct mdns_stats *ret)
{
	pthread_mutex_lock(&m->lock);
	*ret = m->stats;
	ret->commands_pending = m->n_cmds;
	ret->events_pending = m->n_events + m->n_backlog;
	ret->events_lost = m->events_lost;
	pthread_mutex_unlock(&m->lock);
}

enum mdns_client_state mdns_client_state(const struct mdns *m)
{
	return m->state;
}

/* ---- caller side: events -------------------------------------------------- */

static void deliver(struct mdns *m, const struct event *e)
{
	const struct mdns_callbacks *cb = &m->cb;

	switch (e->kind) {
	case EV_CLIENT_STATE:
		m->state = (enum mdns_client_state)e->state;
		if (cb->client_state)
			cb->client_state(m->userdata, m->state, e->s1);
		break;
	case EV_PUB_STATE:
		if (cb->pub_state)
			cb->pub_state(m->userdata, e->s1, (enum mdns_pub_state)e->state, e->s2,
			              e->s3);
		break;
	case EV_INSTANCE:
		if (cb->instance)
			cb->instance(m->userdata, (enum mdns_instance_event)e->state, &e->inst);
		break;
	case EV_BROWSE_STATE:
		if (cb->browse_state)
			cb->browse_state(m->userdata, e->s1, e->state != 0);
		break;
	case EV_TYPE_FOUND:
		if (cb->type_found)
			cb->type_found(m->userdata, e->s1);
		break;
	case EV_HOST_STATE:
		if (cb->host_state)
			cb->host_state(m->userdata, e->s1, e->ifindex,
			               (enum mdns_host_state)e->state, e->num);
		break;
	}
}

/* Deliver a batch of the backlog; keep the loop spinning while more is left. */
static void deliver_some(struct mdns *m)
{
	double until = clock_mono() + DELIVER_S;

	for (int n = 0; n < DELIVER_BATCH && m->backlog && (n < 4 || clock_mono() < until); n++) {
		struct event *e = m->backlog;

		m->backlog = e->next;
		if (!m->backlog)
			m->backlog_tail = &m->backlog;
		m->n_backlog--;
		deliver(m, e);
		free(e);
	}
	if (m->backlog) {
		ev_check_start(m->loop, &m->deliver_check);
		ev_idle_start(m->loop, &m->deliver_idle);
	} else {
		ev_check_stop(m->loop, &m->deliver_check);
		ev_idle_stop(m->loop, &m->deliver_idle);
	}
}

static void arrived_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct mdns *m = w->data;

	pthread_mutex_lock(&m->lock);
	if (m->events) {
		*m->backlog_tail = m->events;
		m->backlog_tail = m->events_tail;
		m->n_backlog += m->n_events;
		m->events = NULL;
		m->events_tail = &m->events;
		m->n_events = 0;
	}
	pthread_mutex_unlock(&m->lock);
	deliver_some(m);
}

static void deliver_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	deliver_some(w->data);
}

static void deliver_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	/* Active only so that the loop does not block while a backlog is
	 * left; deliver_check_cb does the work. */
}

static void events_free(struct event *e)
{
	while (e) {
		struct event *n = e->next;

		free(e);
		e = n;
	}
}

/* ---- thread side: events up ----------------------------------------------- */

static void emit(struct mdns_core *c, struct event *e)
{
	struct mdns *m = c->m;

	if (!e) {
		pthread_mutex_lock(&m->lock);
		m->events_lost++;
		pthread_mutex_unlock(&m->lock);
		return;
	}
	pthread_mutex_lock(&m->lock);
	e->next = NULL;
	*m->events_tail = e;
	m->events_tail = &e->next;
	m->n_events++;
	pthread_mutex_unlock(&m->lock);
	ev_async_send(m->loop, &m->arrived);
}

/* Copy S (may be NULL) to *P and advance it; the copy, or NULL. */
static const char *put_str(char **p, const char *s)
{
	size_t n;
	char *d = *p;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	memcpy(d, s, n);
	*p += n;
	return d;
}

static size_t len0(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* An event with up to three strings. */
static struct event *event_new(enum event_kind kind, int state, const char *s1, const char *s2,
                               const char *s3)
{
	struct event *e = malloc(sizeof(*e) + len0(s1) + len0(s2) + len0(s3));
	char *p;

	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->state = state;
	p = (char *)(e + 1);
	e->s1 = put_str(&p, s1);
	e->s2 = put_str(&p, s2);
	e->s3 = put_str(&p, s3);
	return e;
}

void core_emit_client_state(struct mdns_core *c, enum mdns_client_state st, const char *msg)
{
	emit(c, event_new(EV_CLIENT_STATE, (int)st, msg, NULL, NULL));
}

void core_emit_pub_state(struct mdns_core *c, const char *key, enum mdns_pub_state st,
                         const char *instance, const char *msg)
{
	emit(c, event_new(EV_PUB_STATE, (int)st, key, instance, msg));
}

void core_emit_browse_state(struct mdns_core *c, const char *type, bool settled)
{
	emit(c, event_new(EV_BROWSE_STATE, settled, type, NULL, NULL));
}

void core_emit_type_found(struct mdns_core *c, const char *type)
{
	emit(c, event_new(EV_TYPE_FOUND, 0, type, NULL, NULL));
}

void core_emit_host_state(struct mdns_core *c, const char *host, int ifindex,
                          enum mdns_host_state st, size_t n)
{
	struct event *e = event_new(EV_HOST_STATE, (int)st, host, NULL, NULL);

	if (e) {
		e->ifindex = ifindex;
		e->num = n;
	}
	emit(c, e);
}

void core_emit_instance(struct mdns_core *c, enum mdns_instance_event ev,
                        const struct mdns_instance *in)
{
	size_t strs = len0(in->name) + len0(in->type) + len0(in->domain) + len0(in->host);
	size_t txt = 0;
	struct event *e;
	const uint8_t **items;
	size_t *lens;
	char *p;

	for (size_t i = 0; i < in->n_txt; i++)
		txt += in->txt_len[i];
	/* The pointer arrays first (aligned), then the bytes. */
	e = malloc(sizeof(*e) + in->n_txt * (sizeof(*items) + sizeof(*lens)) + strs + txt);
	if (!e) {
		emit(c, NULL);
		return;
	}
	memset(e, 0, sizeof(*e));
	e->kind = EV_INSTANCE;
	e->state = (int)ev;
	e->inst = *in;
	items = (const uint8_t **)(e + 1);
	lens = (size_t *)(items + in->n_txt);
	p = (char *)(lens + in->n_txt);
	e->inst.name = put_str(&p, in->name);
	e->inst.type = put_str(&p, in->type);
	e->inst.domain = put_str(&p, in->domain);
	e->inst.host = put_str(&p, in->host);
	for (size_t i = 0; i < in->n_txt; i++) {
		if (in->txt_len[i])
			memcpy(p, in->txt[i], in->txt_len[i]);
		items[i] = (const uint8_t *)p;
		lens[i] = in->txt_len[i];
		p += in->txt_len[i];
	}
	e->inst.txt = items;
	e->inst.txt_len = lens;
	emit(c, e);
}

void core_stats_update(struct mdns_core *c)
{
	struct mdns *m = c->m;
	struct mdns_stats st = {0};

	browse_stats(c->br, &st);
	liveness_stats(c->lv, &st);
	st.presence = presence_published(c->pres);
	st.objects = c->objects;
	st.objects_max = c->objects_max == OBJECTS_UNKNOWN ? 0 : c->objects_max;
	st.avahi_calls = c->avahi_calls;
	st.resolves = c->resolves;
	pthread_mutex_lock(&m->lock);
	m->stats = st;
	pthread_mutex_unlock(&m->lock);
}

/* ---- thread side: commands ------------------------------------------------- */

/* Apply one command; returns false for CMD_STOP. */
static bool apply(struct mdns_core *c, struct cmd *cmd)
{
	switch (cmd->kind) {
	case CMD_SCOPE:
		if (publish_set_scope(c->pub, cmd->scope))
			presence_rescope(c->pres);
		cmd->scope = NULL;
		break;
	case CMD_PUT:
		publish_put(c->pub, cmd->rec);
		cmd->rec = NULL;
		break;
	case CMD_DELETE:
		publish_delete(c->pub, cmd->str);
		break;
	case CMD_BROWSE:
		browse_add(c->br, cmd->str);
		break;
	case CMD_UNBROWSE:
		browse_remove(c->br, cmd->str);
		break;
	case CMD_TYPES:
		browse_types(c->br, cmd->on);
		break;
	case CMD_MAX_INSTANCES:
		browse_set_max(c->br, cmd->num);
		break;
	case CMD_STOP:
		return false;
	}
	return true;
}

static void wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct mdns_core *c = w->data;
	struct mdns *m = c->m;
	struct cmd *list, *cmd;
	bool go = true;

	pthread_mutex_lock(&m->lock);
	list = m->cmds;
	m->cmds = NULL;
	m->cmds_tail = &m->cmds;
	m->n_cmds = 0;
	pthread_mutex_unlock(&m->lock);
	while ((cmd = list)) {
		list = cmd->next;
		if (go)
			go = apply(c, cmd);
		cmd_free(cmd);
	}
	if (!go) {
		/* Goodbyes while the client still runs, then the client. */
		client_stop(c);
		ev_async_stop(loop, w);
		ev_prepare_stop(loop, &c->stats_prepare);
		ev_break(loop, EVBREAK_ALL);
	}
	core_stats_update(c);
}

static void stats_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	core_stats_update(w->data);
}

static void *thread_main(void *arg)
{
	struct mdns_core *c = arg;

	ev_run(c->loop, 0);
	return NULL;
}

/* ---- life cycle --------------------------------------------------------------- */

static void core_free(struct mdns_core *c)
{
	if (!c)
		return;
	browse_free(c->br);
	liveness_free(c->lv);
	resolve_free(c->res);
	presence_free(c->pres);
	publish_free(c->pub);
	evpoll_free(c->ep);
	if (c->loop)
		ev_loop_destroy(c->loop);
	free(c);
}

static struct mdns_core *core_new(struct mdns *m)
{
	struct mdns_core *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->m = m;
	c->state = MDNS_CLIENT_CONNECTING;
	c->objects_max = OBJECTS_UNKNOWN;
	c->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (!c->loop)
		goto fail;
	c->ep = evpoll_new(c->loop);
	c->pub = publish_new(c);
	c->pres = presence_new(c);
	c->res = resolve_new(c);
	c->lv = liveness_new(c);
	c->br = browse_new(c);
	if (!c->ep || !c->pub || !c->pres || !c->res || !c->lv || !c->br)
		goto fail;
	ev_async_init(&c->wake, wake_cb);
	c->wake.data = c;
	ev_async_start(c->loop, &c->wake);
	/* The counters are published after each iteration of the thread's
	 * loop: one short lock. */
	ev_prepare_init(&c->stats_prepare, stats_prepare_cb);
	c->stats_prepare.data = c;
	ev_prepare_start(c->loop, &c->stats_prepare);
	return c;
fail:
	core_free(c);
	return NULL;
}

struct mdns *mdns_new(struct ev_loop *loop, const struct mdns_callbacks *cb, void *userdata,
                      char *err, size_t errlen)
{
	struct mdns *m;
	sigset_t all, old;
	int r;

	if (!loop) {
		snprintf(err, errlen, "no event loop");
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->loop = loop;
	if (cb)
		m->cb = *cb;
	m->userdata = userdata;
	m->state = MDNS_CLIENT_CONNECTING;
	m->cmds_tail = &m->cmds;
	m->events_tail = &m->events;
	m->backlog_tail = &m->backlog;
	pthread_mutex_init(&m->lock, NULL);
	ev_async_init(&m->arrived, arrived_cb);
	m->arrived.data = m;
	ev_async_start(loop, &m->arrived);
	ev_check_init(&m->deliver_check, deliver_check_cb);
	m->deliver_check.data = m;
	ev_idle_init(&m->deliver_idle, deliver_idle_cb);
	m->core = core_new(m);
	m->stop = cmd_new(CMD_STOP, NULL);
	if (!m->core || !m->stop || client_start(m->core) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* Signals stay with the caller's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&m->thread, NULL, thread_main, m->core);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		snprintf(err, errlen, "cannot start the avahi thread: %s", strerror(r));
		goto fail;
	}
	m->thread_started = true;
	return m;
fail:
	mdns_free(m);
	return NULL;
}

void mdns_free(struct mdns *m)
{
	if (!m)
		return;
	if (m->thread_started) {
		cmd_send(m, m->stop);
		m->stop = NULL;
		pthread_join(m->thread, NULL);
	} else if (m->core) {
		client_stop(m->core);
	}
	cmd_free(m->stop);
	core_free(m->core);
	ev_async_stop(m->loop, &m->arrived);
	ev_check_stop(m->loop, &m->deliver_check);
	ev_idle_stop(m->loop, &m->deliver_idle);
	while (m->cmds) {
		struct cmd *c = m->cmds;

		m->cmds = c->next;
		cmd_free(c);
	}
	events_free(m->events);
	events_free(m->backlog);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
