/* SPDX-License-Identifier: MIT */
/* Daemon logging: levelled messages to stderr (foreground) or syslog. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "agent/log.h"

/* The only mutable process-wide state: where log lines go and how many. */
static struct {
	enum cfg_log_level level;
	bool to_syslog;
	bool journal; /* stderr is the journal: prefix lines with <N> */
} log_settings = {CFG_LOG_INFO, false, false};

void log_open(const char *ident, bool to_syslog)
{
	log_settings.to_syslog = to_syslog;
	log_settings.journal = getenv("JOURNAL_STREAM") != NULL;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum cfg_log_level level)
{
	log_settings.level = level;
}

enum cfg_log_level log_get_level(void)
{
	return log_settings.level;
}

static int syslog_priority(enum cfg_log_level level)
{
	switch (level) {
	case CFG_LOG_ERROR:
		return LOG_ERR;
	case CFG_LOG_WARNING:
		return LOG_WARNING;
	case CFG_LOG_INFO:
		return LOG_INFO;
	case CFG_LOG_DEBUG:
	default:
		return LOG_DEBUG;
	}
}

void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_settings.level)
		return;
	va_start(ap, fmt);
	if (log_settings.to_syslog) {
		vsyslog(syslog_priority(level), fmt, ap);
	} else {
		/* "<N>" prefixes carry the level into the journal under systemd. */
		if (log_settings.journal)
			fprintf(stderr, "<%d>", syslog_priority(level));
		fprintf(stderr, "lanyardd: %s: ", cfg_log_level_name(level));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
