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

/* Names in messages come from the LAN: control bytes (a newline that
 * would forge a second log line, terminal escapes) are shown as "\xNN".
 * Cuts at LOG_LINE_MAX bytes. */
#define LOG_LINE_MAX 1024
static void sanitise(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < outlen; p++) {
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	va_list ap;

	if (level > log_settings.level)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	sanitise(raw, line, sizeof(line));
	if (log_settings.to_syslog) {
		syslog(syslog_priority(level), "%s", line);
	} else {
		/* "<N>" prefixes carry the level into the journal under systemd. */
		if (log_settings.journal)
			fprintf(stderr, "<%d>", syslog_priority(level));
		fprintf(stderr, "lanyardd: %s: %s\n", cfg_log_level_name(level), line);
	}
}
