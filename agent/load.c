/* SPDX-License-Identifier: MIT */
/* The load figure this host publishes in TXT for the least_loaded policy. */
#include <errno.h>
#include <ev.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/load.h"
#include "agent/log.h"
#include "agent/pubset.h"
#include "dnssd/clock.h"
#include "dnssd/txt.h"

#define LOAD_SAMPLE_S   2.0
#define LOAD_HYSTERESIS 0.1

struct agent_load {
	struct agent *agent;
	ev_timer timer;
	bool have;        /* a figure was published */
	double published; /* the figure in TXT */
	double published_at;
	char text[16]; /* published, formatted */
};

int agent_load_read(const char *path, double *ret)
{
	char buf[128], *end;
	FILE *f = fopen(path, "re");
	size_t n;
	double v;

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	v = strtod(buf, &end);
	if (end == buf || !isfinite(v) || v < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* The 1-minute load average of /proc/loadavg per online CPU (or the test
 * hook's figure) into *ret; 0 or a negative errno. */
static int sample(const struct agent *a, double *ret)
{
	const struct agent_hooks *h = a->opts.hooks;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double v;
	int r;

	/* The test hook's figure when it has one, else the real one. */
	if (h && h->load_sample && h->load_sample(ret) == 0)
		return 0;
	r = agent_load_read("/proc/loadavg", &v);
	if (r < 0)
		return r;
	if (cpus < 1)
		return -EINVAL;
	*ret = v / (double)cpus;
	return 0;
}

/* Take V as the published figure at NOW and put it in the published set. */
static void publish(struct agent_load *l, double v, double now)
{
	struct agent *a = l->agent;

	char text[sizeof(l->text)];

	txt_format_load(v, text, sizeof(text));
	if (pubset_set_load(a->pubset, text) < 0) {
		log_warning("cannot publish load=%s: out of memory", text);
		return; /* tried again at the next sample */
	}
	l->have = true;
	l->published = v;
	l->published_at = now;
	memcpy(l->text, text, sizeof(text));
	log_debug("publishing load=%s", l->text);
}

static void on_sample(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent_load *l = w->data;
	struct agent *a = l->agent;
	double v, now = clock_mono();

	if (sample(a, &v) < 0)
		return;
	if (l->have && (fabs(v - l->published) < LOAD_HYSTERESIS ||
	                now - l->published_at < (double)a->cfg->agent.load_interval_ms / 1000.0))
		return;
	publish(l, v, now);
	agent_publish(a);
}

struct agent_load *agent_load_new(struct agent *a)
{
	struct agent_load *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->agent = a;
	ev_timer_init(&l->timer, on_sample, LOAD_SAMPLE_S, LOAD_SAMPLE_S);
	l->timer.data = l;
	agent_load_reconfigure(l);
	return l;
}

void agent_load_reconfigure(struct agent_load *l)
{
	struct agent *a = l->agent;
	double v;

	/* No wake-ups at all unless the figure is published. */
	if (!a->cfg->agent.publish_load) {
		ev_timer_stop(a->loop, &l->timer);
		l->have = false;
		if (pubset_set_load(a->pubset, NULL) < 0)
			log_warning("cannot drop the load overlay: out of memory");
		return;
	}
	/* The first figure goes out with the first announcement. */
	if (!l->have && sample(a, &v) == 0)
		publish(l, v, clock_mono());
	ev_timer_start(a->loop, &l->timer);
}

void agent_load_free(struct agent_load *l)
{
	if (!l)
		return;
	ev_timer_stop(l->agent->loop, &l->timer);
	free(l);
}
