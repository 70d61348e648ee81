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

/* The first number of TEXT divided by CPUS into *ret; 0 or -EINVAL. */
static int load_parse(const char *text, long cpus, double *ret)
{
	char *end;
	double v = strtod(text, &end);

	if (end == text || !isfinite(v) || v < 0 || cpus < 1)
		return -EINVAL;
	*ret = v / (double)cpus;
	return 0;
}

/* The figure: the first number of $LANYARD_LOAD_FILE as it is (a value that
 * something on the host computes, or a test sets), else the 1-minute load
 * average of /proc/loadavg per online CPU. */
static int sample(double *ret)
{
	const char *custom = getenv("LANYARD_LOAD_FILE");
	char buf[128];
	FILE *f = fopen(custom && *custom ? custom : "/proc/loadavg", "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return load_parse(buf, custom && *custom ? 1 : sysconf(_SC_NPROCESSORS_ONLN), ret);
}

int agent_load_apply(const struct agent_load *l, struct lanyard_config *cfg)
{
	if (!l || !l->have || !cfg->agent.publish_load)
		return 0;
	for (size_t i = 0; i < cfg->n_services; i++) {
		struct cfg_service *s = &cfg->services[i];
		struct cfg_txt *t = NULL;
		char *v = strdup(l->text);

		if (!v)
			return -ENOMEM;
		for (size_t j = 0; j < s->n_txt; j++)
			if (strcmp(s->txt[j].key, "load") == 0)
				t = &s->txt[j];
		if (!t) {
			struct cfg_txt *n = realloc(s->txt, (s->n_txt + 1) * sizeof(*n));
			char *k = strdup("load");

			if (!n || !k) {
				if (n)
					s->txt = n;
				free(k);
				free(v);
				return -ENOMEM;
			}
			s->txt = n;
			t = &s->txt[s->n_txt++];
			*t = (struct cfg_txt){.key = k};
		}
		free(t->value);
		t->value = v;
		t->value_len = strlen(v);
	}
	return 0;
}

static void on_sample(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent_load *l = w->data;
	struct agent *a = l->agent;
	double v, now = ev_now(loop);

	if (sample(&v) < 0)
		return;
	if (l->have && (fabs(v - l->published) < LOAD_HYSTERESIS ||
	                now - l->published_at < (double)a->cfg->agent.load_interval_ms / 1000.0))
		return;
	l->have = true;
	l->published = v;
	l->published_at = now;
	snprintf(l->text, sizeof(l->text), "%.2f", v);
	if (a->cfg->n_services == 0)
		return;
	if (agent_load_apply(l, a->cfg) < 0 || mdns_publish(a->mdns, a->cfg) < 0)
		log_warning("cannot publish load=%s", l->text);
	else
		log_debug("published load=%s", l->text);
}

struct agent_load *agent_load_new(struct agent *a)
{
	struct agent_load *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->agent = a;
	/* The first figure goes out with the first announcement. */
	if (a->cfg->agent.publish_load) {
		double v;

		if (sample(&v) == 0) {
			l->have = true;
			l->published = v;
			l->published_at = ev_now(a->loop);
			snprintf(l->text, sizeof(l->text), "%.2f", v);
			agent_load_apply(l, a->cfg);
		}
	}
	ev_timer_init(&l->timer, on_sample, LOAD_SAMPLE_S, LOAD_SAMPLE_S);
	l->timer.data = l;
	agent_load_reconfigure(l);
	return l;
}

void agent_load_reconfigure(struct agent_load *l)
{
	/* No wake-ups at all unless the figure is published. */
	if (l->agent->cfg->agent.publish_load)
		ev_timer_start(l->agent->loop, &l->timer);
	else
		ev_timer_stop(l->agent->loop, &l->timer);
}

void agent_load_free(struct agent_load *l)
{
	if (!l)
		return;
	ev_timer_stop(l->agent->loop, &l->timer);
	free(l);
}
