/* SPDX-License-Identifier: MIT */
/* The checks engine: the declared services' checks on the loop, their states, each service's
 * health. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent/check-exec.h"
#include "agent/check-http.h"
#include "agent/check-state.h"
#include "agent/check-tcp.h"
#include "agent/checks.h"
#include "agent/log.h"
#include "dnssd/clock.h"
#include "dnssd/utf8.h"

/* Output kept per check: the probe's text (an exec check's first
 * CHECK_OUTPUT_MAX bytes plus the line saying how it ended). */
#define OUTPUT_KEPT (CHECK_OUTPUT_MAX + 128)
#define WHY_MAX     256

struct csvc;

/* One check of a service. */
struct chk {
	struct cfg_check c; /* own copy of its declaration */
	struct csvc *svc;
	struct check_state st;
	ev_timer timer;     /* the next run; for ttl, the deadline */
	void *probe;        /* the running probe of c.kind, or NULL */
	double run_started; /* monotonic, for the duration */
	bool has_result;
	enum check_result last;
	char *output;
	size_t output_len;
	double duration_ms;
	double last_run; /* wall time of the last result */
	double since;    /* wall time of the last change of state (or creation) */
	bool taken;      /* scratch for checks_apply() */
	bool due;        /* a run came due while the last one still ran */
};

/* One service with checks. */
struct csvc {
	struct checks *cs;
	char *name;
	struct chk **v;
	size_t n;
	enum txt_health health;
	char why[WHY_MAX];
	bool reported; /* health() was told its health */
	struct csvc *next;
};

struct checks {
	struct ev_loop *loop;
	struct checks_callbacks cb;
	void *userdata;
	struct check_http_ctx *http; /* made with the first http check */
	struct csvc *services;
};

static const char *health_name(enum txt_health h)
{
	return txt_health_name(h);
}

/* What K checks, for people: its target, or its ttl. */
static const char *target_of(const struct chk *k, char *buf, size_t size)
{
	if (k->c.target)
		return k->c.target;
	return duration_format(k->c.ttl_ms, buf, size);
}

/* --- a check's own copy of its declaration ------------------------------- */

static void decl_clear(struct cfg_check *c)
{
	free(c->target);
	free(c->url);
	for (size_t i = 0; c->argv && i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	*c = (struct cfg_check){0};
}

static int decl_copy(struct cfg_check *dst, const struct cfg_check *src)
{
	*dst = *src;
	dst->target = NULL;
	dst->url = NULL;
	dst->argv = NULL;
	dst->argc = 0;
	if (src->target && !(dst->target = strdup(src->target)))
		goto oom;
	if (src->url && !(dst->url = strdup(src->url)))
		goto oom;
	if (src->argv) {
		dst->argv = calloc(src->argc + 1, sizeof(*dst->argv));
		if (!dst->argv)
			goto oom;
		for (; dst->argc < src->argc; dst->argc++)
			if (!(dst->argv[dst->argc] = strdup(src->argv[dst->argc])))
				goto oom;
	}
	return 0;
oom:
	decl_clear(dst);
	return -ENOMEM;
}

/* --- checks ----------------------------------------------------------------- */

static void probe_cancel(struct chk *k)
{
	switch (k->c.kind) {
	case CFG_CHECK_TCP:
		check_tcp_free(k->probe);
		break;
	case CFG_CHECK_HTTP:
		check_http_free(k->probe);
		break;
	case CFG_CHECK_EXEC:
		check_exec_free(k->probe);
		break;
	case CFG_CHECK_TTL:
	case _CFG_CHECK_KIND_MAX:
		break;
	}
	k->probe = NULL;
}

static void chk_free(struct checks *cs, struct chk *k)
{
	if (!k)
		return;
	ev_timer_stop(cs->loop, &k->timer);
	probe_cancel(k);
	decl_clear(&k->c);
	free(k->output);
	free(k);
}

static void on_due(struct ev_loop *loop, ev_timer *w, int revents);
static void on_ttl_expired(struct ev_loop *loop, ev_timer *w, int revents);

/* A new check for declaration C, critical, not started. */
static struct chk *chk_new(const struct cfg_check *c)
{
	struct chk *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	if (decl_copy(&k->c, c) < 0) {
		free(k);
		return NULL;
	}
	check_state_init(&k->st);
	k->since = ev_time();
	if (c->kind == CFG_CHECK_TTL)
		ev_timer_init(&k->timer, on_ttl_expired, (double)c->ttl_ms / 1000.0,
		              (double)c->ttl_ms / 1000.0);
	else
		/* The first run at the next loop iteration, then every interval. */
		ev_timer_init(&k->timer, on_due, 0., (double)c->interval_ms / 1000.0);
	k->timer.data = k;
	return k;
}

/* Take the settings of C that may change without resetting the check. */
static void chk_update(struct checks *cs, struct chk *k, const struct cfg_check *c)
{
	uint64_t old_period = k->c.kind == CFG_CHECK_TTL ? k->c.ttl_ms : k->c.interval_ms;
	uint64_t period = c->kind == CFG_CHECK_TTL ? c->ttl_ms : c->interval_ms;

	k->c.interval_ms = c->interval_ms;
	k->c.timeout_ms = c->timeout_ms;
	k->c.rise = c->rise;
	k->c.fall = c->fall;
	k->c.ttl_ms = c->ttl_ms;
	k->c.tls_skip_verify = c->tls_skip_verify;
	k->c.line = c->line;
	if (period != old_period) {
		/* Counted from the last run or report, not from the reload: a
		 * service that stopped reporting gets no fresh ttl from it. */
		double elapsed =
		        (double)old_period / 1000.0 -
		        (ev_is_active(&k->timer) ? ev_timer_remaining(cs->loop, &k->timer) : 0.);
		double left = (double)period / 1000.0 - elapsed;

		ev_timer_stop(cs->loop, &k->timer);
		ev_timer_set(&k->timer, left > 0.001 ? left : 0.001, (double)period / 1000.0);
		ev_timer_start(cs->loop, &k->timer);
	}
}

/* Keep LEN bytes of S as K's output: at most OUTPUT_KEPT, UTF-8 (a byte
 * that is not part of a valid sequence, or a NUL, becomes '?'). */
static void set_output(struct chk *k, const char *s, size_t len)
{
	char *out;

	if (len > OUTPUT_KEPT)
		len = OUTPUT_KEPT;
	out = malloc(len + 1);
	if (!out)
		return; /* keep the previous one */
	memcpy(out, s, len);
	utf8_scrub(out, len);
	out[len] = '\0';
	free(k->output);
	k->output = out;
	k->output_len = len;
}

/* The first line of K's output, at most MAX bytes (cut on a character
 * boundary), into BUF. */
static const char *first_line(const struct chk *k, char *buf, size_t max)
{
	size_t n = k->output ? strcspn(k->output, "\r\n") : 0;

	if (n > max - 1)
		n = max - 1;
	while (n > 0 && k->output && ((unsigned char)k->output[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, k->output ? k->output : "", n);
	buf[n] = '\0';
	return buf;
}

/* --- services ---------------------------------------------------------------- */

/* Recompute S's health (the worst of its checks) and why; tell the agent
 * when it changed or was never told. Returns true when it was told. */
static bool svc_update(struct csvc *s)
{
	struct checks *cs = s->cs;
	enum txt_health h = TXT_HEALTH_PASSING;
	const struct chk *worst = NULL;
	char why[WHY_MAX] = "", line[128], t[32];

	for (size_t i = 0; i < s->n; i++) {
		if (!worst || s->v[i]->st.state > h) {
			h = s->v[i]->st.state;
			worst = s->v[i];
		}
	}
	if (worst && h != TXT_HEALTH_PASSING) {
		const struct chk *k = worst;
		const char *detail;
		char rising[64];

		if (!k->has_result) {
			detail = k->c.kind == CFG_CHECK_TTL ? "no report yet" : "no result yet";
		} else if (h == TXT_HEALTH_CRITICAL && k->last != CHECK_FAIL) {
			snprintf(rising, sizeof(rising), "passed %u of the %u times needed",
			         k->st.passes, k->c.rise);
			detail = rising;
		} else {
			detail = first_line(k, line, sizeof(line));
			if (!*detail)
				detail = check_result_name(k->last);
		}
		snprintf(why, sizeof(why), "check %s %s is %s: %s", cfg_check_kind_name(k->c.kind),
		         target_of(k, t, sizeof(t)), health_name(h), detail);
		why[utf8_cut(why, strlen(why))] = '\0'; /* still UTF-8 if cut */
	}
	if (s->reported && h == s->health && strcmp(why, s->why) == 0)
		return false;
	/* A new service waiting for its first passes is not news. */
	if (!s->reported || h != s->health)
		log_msg(h == TXT_HEALTH_PASSING || !s->reported ? CFG_LOG_INFO : CFG_LOG_WARNING,
		        "service \"%s\" is %s%s%s", s->name, health_name(h), *why ? ": " : "", why);
	s->health = h;
	memcpy(s->why, why, sizeof(why));
	s->reported = true;
	cs->cb.health(cs->userdata, s->name, h, *why ? why : NULL);
	return true;
}

/* K got result R (LEN bytes of OUTPUT); returns true when its service's
 * health was reported. */
static bool take_result(struct chk *k, enum check_result r, const char *output, size_t len)
{
	double now = ev_time();
	char t[32];

	k->duration_ms = (clock_mono() - k->run_started) * 1000.0;
	if (k->duration_ms < 0)
		k->duration_ms = 0;
	k->last_run = now;
	k->has_result = true;
	k->last = r;
	set_output(k, output, len);
	if (check_state_feed(&k->st, r, k->c.rise, k->c.fall)) {
		k->since = now;
		log_info("service \"%s\": check %s %s is now %s", k->svc->name,
		         cfg_check_kind_name(k->c.kind), target_of(k, t, sizeof(t)),
		         health_name(k->st.state));
	}
	return svc_update(k->svc);
}

static void run(struct checks *cs, struct chk *k);

static void on_done(void *userdata, enum check_result r, const char *output, size_t len)
{
	struct chk *k = userdata;
	struct checks *cs = k->svc->cs;

	probe_cancel(k); /* finished: frees it */
	if (take_result(k, r, output, len))
		cs->cb.sync(cs->userdata);
	/* The run that came due meanwhile starts now, rather than one
	 * interval later. */
	if (k->due) {
		k->due = false;
		run(cs, k);
	}
}

/* Start one run of K. */
static void run(struct checks *cs, struct chk *k)
{
	double timeout = (double)k->c.timeout_ms / 1000.0;
	char text[256];
	int r = -EINVAL;

	k->run_started = clock_mono();
	switch (k->c.kind) {
	case CFG_CHECK_TCP: {
		struct check_tcp *p = NULL;

		r = check_tcp_start(cs->loop, (const struct sockaddr *)&k->c.addr, k->c.addr_len,
		                    timeout, on_done, k, &p);
		k->probe = p;
		break;
	}
	case CFG_CHECK_HTTP: {
		struct check_http *p = NULL;

		if (!cs->http)
			cs->http = check_http_ctx_new(cs->loop);
		r = cs->http ? check_http_start(cs->http, k->c.url, k->c.tls_skip_verify, timeout,
		                                on_done, k, &p)
		             : -ENOMEM;
		k->probe = p;
		break;
	}
	case CFG_CHECK_EXEC: {
		struct check_exec *p = NULL;

		r = check_exec_start(cs->loop, k->c.argv, timeout, on_done, k, &p);
		k->probe = p;
		break;
	}
	case CFG_CHECK_TTL:
	case _CFG_CHECK_KIND_MAX:
		return;
	}
	if (r == 0)
		return;
	if (k->c.kind == CFG_CHECK_EXEC)
		snprintf(text, sizeof(text), "cannot run %s: %s", k->c.argv[0], strerror(-r));
	else
		snprintf(text, sizeof(text), "cannot start the check: %s", strerror(-r));
	if (take_result(k, CHECK_FAIL, text, strlen(text)))
		cs->cb.sync(cs->userdata);
}

static void on_due(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct chk *k = w->data;

	/* With timeout == interval the last run's own timeout may come just
	 * after this (an exec check is also reaped after it is killed): it is
	 * never started twice, but runs as soon as the last one ends. */
	if (k->probe)
		k->due = true;
	else
		run(k->svc->cs, k);
}

static void on_ttl_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct chk *k = w->data;
	struct checks *cs = k->svc->cs;
	char text[64], t[32];

	snprintf(text, sizeof(text), "no report within %s",
	         duration_format(k->c.ttl_ms, t, sizeof(t)));
	k->run_started = clock_mono();
	if (take_result(k, CHECK_FAIL, text, strlen(text)))
		cs->cb.sync(cs->userdata);
}

static void svc_free(struct csvc *s)
{
	if (!s)
		return;
	free(s->v);
	free(s->name);
	free(s);
}

static struct csvc *svc_find(struct csvc *list, const char *name)
{
	for (; list; list = list->next)
		if (strcasecmp(list->name, name) == 0)
			return list;
	return NULL;
}

/* The first check of OLD not taken yet that checks what C checks. */
static struct chk *take_match(struct csvc *old, const struct cfg_check *c)
{
	for (size_t i = 0; old && i < old->n; i++) {
		struct chk *k = old->v[i];

		if (!k->taken && cfg_check_same_target(&k->c, c)) {
			k->taken = true;
			return k;
		}
	}
	return NULL;
}

struct checks *checks_new(struct ev_loop *loop, const struct checks_callbacks *cb, void *userdata)
{
	struct checks *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->loop = loop;
	cs->cb = *cb;
	cs->userdata = userdata;
	return cs;
}

/* Undo phase one of checks_apply(): free what it made, release what it took. */
static void apply_rollback(struct checks *cs, struct csvc *fresh)
{
	while (fresh) {
		struct csvc *s = fresh;

		fresh = s->next;
		for (size_t i = 0; i < s->n; i++) {
			if (s->v[i]->taken)
				s->v[i]->taken = false;
			else
				chk_free(cs, s->v[i]);
		}
		svc_free(s);
	}
}

int checks_apply(struct checks *cs, const struct lanyard_config *cfg)
{
	struct csvc *fresh = NULL, **tail = &fresh, *s, *old;

	/* Phase one allocates everything (and only marks the old checks that
	 * stay), so that running out of memory changes nothing. */
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct cfg_service *svc = &cfg->services[i];

		if (svc->n_checks == 0)
			continue;
		s = calloc(1, sizeof(*s));
		if (!s)
			goto oom;
		*tail = s;
		tail = &s->next;
		s->cs = cs;
		s->name = strdup(svc->name);
		s->v = calloc(svc->n_checks, sizeof(*s->v));
		if (!s->name || !s->v)
			goto oom;
		old = svc_find(cs->services, svc->name);
		for (size_t j = 0; j < svc->n_checks; j++) {
			struct chk *k = take_match(old, &svc->checks[j]);

			if (!k && !(k = chk_new(&svc->checks[j])))
				goto oom;
			s->v[s->n++] = k;
		}
	}

	/* Phase two: move what stays, start what is new, drop what left. */
	s = fresh;
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct cfg_service *svc = &cfg->services[i];

		if (svc->n_checks == 0)
			continue;
		old = svc_find(cs->services, svc->name);
		if (old) {
			s->health = old->health;
			memcpy(s->why, old->why, sizeof(s->why));
			s->reported = old->reported;
		}
		for (size_t j = 0; j < s->n; j++) {
			struct chk *k = s->v[j];

			if (k->taken) {
				chk_update(cs, k, &svc->checks[j]);
			} else {
				k->timer.data = k;
				ev_timer_start(cs->loop, &k->timer);
			}
			k->svc = s;
		}
		s = s->next;
	}
	while (cs->services) {
		old = cs->services;
		cs->services = old->next;
		for (size_t j = 0; j < old->n; j++) {
			if (old->v[j]->taken)
				old->v[j]->taken = false;
			else
				chk_free(cs, old->v[j]);
		}
		/* Its last check gone, a service that stays is passing. */
		if (!svc_find(fresh, old->name) && cfg_find_service(cfg, old->name)) {
			log_info("service \"%s\" has no checks any more", old->name);
			cs->cb.health(cs->userdata, old->name, TXT_HEALTH_PASSING, NULL);
		}
		svc_free(old);
	}
	cs->services = fresh;
	for (s = fresh; s; s = s->next)
		svc_update(s);
	return 0;
oom:
	apply_rollback(cs, fresh);
	return -ENOMEM;
}

int checks_report(struct checks *cs, const char *service, enum check_result r, const char *output,
                  size_t len)
{
	struct csvc *s = svc_find(cs->services, service);

	for (size_t i = 0; s && i < s->n; i++) {
		struct chk *k = s->v[i];

		if (k->c.kind != CFG_CHECK_TTL)
			continue;
		k->run_started = clock_mono();
		/* The ttl runs again from this report. */
		ev_timer_again(cs->loop, &k->timer);
		if (take_result(k, r, output, len))
			cs->cb.sync(cs->userdata);
		return 0;
	}
	return -ENOENT;
}

static json_t *chk_json(const struct checks *cs, const struct chk *k)
{
	char t[32];
	json_t *o = json_pack("{s:s,s:s,s:s,s:f,s:I,s:I,s:i,s:i}", "kind",
	                      cfg_check_kind_name(k->c.kind), "target", target_of(k, t, sizeof(t)),
	                      "state", health_name(k->st.state), "since", k->since, "passes",
	                      (json_int_t)k->st.passes, "failures", (json_int_t)k->st.failures,
	                      "rise", (int)k->c.rise, "fall", (int)k->c.fall);
	int r = o ? 0 : -1;

	if (r == 0 && k->c.kind == CFG_CHECK_TTL)
		r = json_object_set_new(o, "ttl_ms", json_integer((json_int_t)k->c.ttl_ms)) |
		    json_object_set_new(
		            o, "expires_in",
		            json_real(ev_timer_remaining(cs->loop, (ev_timer *)&k->timer)));
	else if (r == 0)
		r = json_object_set_new(o, "interval_ms",
		                        json_integer((json_int_t)k->c.interval_ms)) |
		    json_object_set_new(o, "timeout_ms", json_integer((json_int_t)k->c.timeout_ms));
	if (r == 0)
		r = json_object_set_new(o, "last_result",
		                        k->has_result ? json_string(check_result_name(k->last))
		                                      : json_null()) |
		    json_object_set_new(o, "last_run",
		                        k->has_result ? json_real(k->last_run) : json_null()) |
		    json_object_set_new(o, "duration_ms",
		                        k->has_result ? json_real(k->duration_ms) : json_null()) |
		    json_object_set_new(o, "output",
		                        k->output ? json_stringn(k->output, k->output_len)
		                                  : json_null());
	if (r != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *checks_status(const struct checks *cs, const char *service)
{
	const struct csvc *s = svc_find(cs->services, service);
	json_t *arr = json_array();

	for (size_t i = 0; arr && s && i < s->n; i++) {
		if (json_array_append_new(arr, chk_json(cs, s->v[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

void checks_free(struct checks *cs)
{
	if (!cs)
		return;
	while (cs->services) {
		struct csvc *s = cs->services;

		cs->services = s->next;
		for (size_t i = 0; i < s->n; i++)
			chk_free(cs, s->v[i]);
		svc_free(s);
	}
	/* After the http probes, which belong to it. */
	check_http_ctx_free(cs->http);
	free(cs);
}
