/* SPDX-License-Identifier: MIT */
/* Daemon logging: levelled messages to stderr (foreground) or syslog. */
#pragma once

#include <stdbool.h>

#include "config/config.h"

/* Send messages to syslog (true) or stderr (false). Default: stderr. */
void log_open(const char *ident, bool to_syslog);
/* Messages above LEVEL are dropped. Default: info. */
void log_set_level(enum cfg_log_level level);
enum cfg_log_level log_get_level(void);

void log_msg(enum cfg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...)   log_msg(CFG_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(CFG_LOG_WARNING, __VA_ARGS__)
#define log_info(...)    log_msg(CFG_LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(CFG_LOG_DEBUG, __VA_ARGS__)
