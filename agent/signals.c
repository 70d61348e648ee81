/* SPDX-License-Identifier: MIT */
/* Signal handling for lanyardd: TERM/INT stop the loop, HUP reloads. */
#include <ev.h>
#include <signal.h>
#include <stdlib.h>

#include "agent/agent.h"
#include "agent/log.h"
#include "agent/signals.h"

struct agent_signals {
	struct agent *agent;
	ev_signal term, intr, hup;
};

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("received %s, withdrawing services and stopping", strsignal(w->signum));
	ev_break(loop, EVBREAK_ALL);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct agent_signals *s = w->data;

	log_info("received SIGHUP, reloading %s", s->agent->opts.config_path);
	agent_reload(s->agent);
}

struct agent_signals *agent_signals_new(struct agent *a)
{
	struct agent_signals *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->agent = a;
	/* A client that vanishes mid-write must cost an EPIPE, not the daemon. */
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&s->term, on_stop, SIGTERM);
	ev_signal_init(&s->intr, on_stop, SIGINT);
	ev_signal_init(&s->hup, on_hup, SIGHUP);
	s->hup.data = s;
	ev_signal_start(a->loop, &s->term);
	ev_signal_start(a->loop, &s->intr);
	ev_signal_start(a->loop, &s->hup);
	return s;
}

void agent_signals_free(struct agent_signals *s)
{
	if (!s)
		return;
	ev_signal_stop(s->agent->loop, &s->term);
	ev_signal_stop(s->agent->loop, &s->intr);
	ev_signal_stop(s->agent->loop, &s->hup);
	free(s);
}
