/* SPDX-License-Identifier: MIT */
/* agent.wide_area: where this host publishes its services over unicast DNS
 * (zone, update server, TSIG key file) and how often, validated into a
 * struct cfg_wide_area; the key file is read and parsed here. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/tsig-key.h"
#include "config/wide-area.h"
#include "dnssd/duration.h"
#include "dnssd/name.h"

#define BROWSE_ZONES_MAX 64
#define REFRESH_MIN_MS   1000
#define REFRESH_MAX_MS   3600000
#define POLL_MIN_MS      200

/* Contract in config.h. */
void cfg_wide_area_clear(struct cfg_wide_area *w)
{
	free(w->zone);
	free(w->server_text);
	free(w->browse_server_text);
	free(w->tsig_key_path);
	cfg_tsig_key_clear(&w->key);
	cfg_strv_free(w->browse, w->n_browse);
	*w = (struct cfg_wide_area){0};
}

/* A copy of zone V without its trailing dot, or NULL after recording why. */
static char *zone_name(struct cfg_file *f, const yaml_node_t *at, const char *what, const char *v)
{
	char q[CFG_QUOTE_MAX];
	const char *why = dnssd_check_domain(v);
	size_t len = strlen(v);

	if (why) {
		cfg_error(f, at, "%s: %s is not a valid zone name: %s", what, cfg_quote(v, len, q),
		          why);
		return NULL;
	}
	if (len > 1 && v[len - 1] == '.')
		len--;
	return cfg_strndup(f, v, len);
}

/* "ADDR", "ADDR:PORT", "[ADDR6]:PORT" into *SA and *SA_LEN. Returns NULL
 * or why not. */
static const char *parse_server(const char *v, struct sockaddr_storage *sa, socklen_t *sa_len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *end;
	size_t hlen;
	unsigned long p = 53;
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

	if (v[0] == '[') {
		end = strchr(v, ']');
		if (!end)
			return "a '[' without its ']'";
		hlen = (size_t)(end - v - 1);
		v++;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return "expected ':PORT' after ']'";
	} else {
		const char *colon = strchr(v, ':');

		if (colon && strchr(colon + 1, ':')) { /* bare IPv6, no port */
			hlen = strlen(v);
		} else if (colon) {
			hlen = (size_t)(colon - v);
			port = colon + 1;
		} else {
			hlen = strlen(v);
		}
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return "not an IPv4 or IPv6 address";
	memcpy(host, v, hlen);
	host[hlen] = '\0';
	if (port) {
		if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
			return "the port is not a number";
		p = strtoul(port, NULL, 10);
		if (p < 1 || p > 65535)
			return "the port is out of range (1-65535)";
	}
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*sa_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*sa_len = sizeof(*sin6);
	} else {
		return "not an IPv4 or IPv6 address (host names are not looked up)";
	}
	return NULL;
}

/* Read and parse the key file at PATH into W->key; problems are recorded
 * at AT. A file others may read is a warning. */
static void read_key(struct cfg_file *f, const yaml_node_t *at, const char *path,
                     struct cfg_wide_area *w)
{
	char q[CFG_QUOTE_MAX], err[256];
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		cfg_error(f, at, "'tsig_key': cannot read %s: %s", cfg_quote(path, strlen(path), q),
		          strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		cfg_error(f, at, "'tsig_key': %s is not a regular file",
		          cfg_quote(path, strlen(path), q));
		goto fail;
	}
	if (st.st_size > CFG_TSIG_FILE_MAX) {
		cfg_error(f, at, "'tsig_key': %s is larger than %d bytes",
		          cfg_quote(path, strlen(path), q), CFG_TSIG_FILE_MAX);
		goto fail;
	}
	if (st.st_mode & S_IROTH)
		cfg_warning(f, at,
		            "'tsig_key': %s is readable by every user: anyone on this host can "
		            "change the zone (chmod o-r)",
		            cfg_quote(path, strlen(path), q));
	buf = malloc(CFG_TSIG_FILE_MAX + 1);
	if (!buf) {
		f->oom = true;
		goto fail;
	}
	while (len <= CFG_TSIG_FILE_MAX &&
	       (n = read(fd, buf + len, CFG_TSIG_FILE_MAX + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			cfg_error(f, at, "'tsig_key': cannot read %s: %s",
			          cfg_quote(path, strlen(path), q), strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	r = cfg_tsig_key_parse(buf, len, &w->key, err, sizeof(err));
	if (r == -ENOMEM)
		f->oom = true;
	else if (r < 0)
		cfg_error(f, at, "'tsig_key': %s:%s", cfg_quote(path, strlen(path), q), err);
fail:
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
	close(fd);
}

static void parse_key_path(struct cfg_file *f, const struct cfg_field *fld, const char *dir,
                           struct cfg_wide_area *w)
{
	const char *v = cfg_field_string(f, fld);

	if (!v)
		return;
	if (!*v) {
		cfg_error(f, fld->value, "'tsig_key': cannot be empty");
		return;
	}
	if (v[0] == '/' || !dir || !dir[0]) {
		w->tsig_key_path = cfg_strndup(f, v, strlen(v));
	} else {
		const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";

		if (asprintf(&w->tsig_key_path, "%s%s%s", dir, sep, v) < 0) {
			w->tsig_key_path = NULL;
			f->oom = true;
		}
	}
	if (w->tsig_key_path && dir)
		read_key(f, cfg_field_pos(fld), w->tsig_key_path, w);
}

static void parse_browse_zones(struct cfg_file *f, const struct cfg_field *fld,
                               struct cfg_wide_area *w)
{
	if (!cfg_field_list(f, fld))
		return;
	if (cfg_list_len(fld->value) > BROWSE_ZONES_MAX) {
		cfg_error(f, fld->value, "'browse': more than %d zones", BROWSE_ZONES_MAX);
		return;
	}
	for (size_t i = 0; i < cfg_list_len(fld->value); i++) {
		yaml_node_t *item = cfg_list_item(f, fld->value, i);
		const char *v = cfg_item_string(f, "browse", item);
		char *z;

		if (!v || !(z = zone_name(f, item, "'browse' item", v)))
			continue;
		for (size_t j = 0; j < w->n_browse; j++)
			if (strcasecmp(w->browse[j], z) == 0) {
				cfg_error(f, item, "'browse' item: \"%s\" is listed twice", z);
				free(z);
				z = NULL;
				break;
			}
		if (!z)
			continue;
		if (strcasecmp(z, "local") == 0) {
			cfg_error(f, item,
			          "'browse' item: \"local\" is mDNS's domain, browsed "
			          "without 'wide_area'");
			free(z);
			continue;
		}
		if (!cfg_push_str(f, &w->browse, &w->n_browse, z)) {
			free(z);
			return;
		}
		free(z);
	}
}

/* A duration of MIN_MS to an hour at FLD into *RET; EXAMPLE and RANGE word
 * the errors. */
static void parse_period(struct cfg_file *f, const struct cfg_field *fld, const char *example,
                         uint64_t min_ms, const char *range, uint64_t *ret)
{
	char q[CFG_QUOTE_MAX];
	const char *v = cfg_field_string(f, fld);
	uint64_t ms;

	if (!v)
		return;
	if (duration_parse(v, &ms) < 0)
		cfg_error(f, fld->value, "'%s': expected a duration such as %s, got %s", fld->name,
		          example, cfg_quote(v, strlen(v), q));
	else if (ms < min_ms || ms > REFRESH_MAX_MS)
		cfg_error(f, fld->value, "'%s': %s is out of range (%s)", fld->name,
		          cfg_quote(v, strlen(v), q), range);
	else
		*ret = ms;
}

/* Contract in wide-area.h. */
void cfg_wide_area_parse(struct cfg_file *f, const struct cfg_field *fld, const char *dir,
                         struct cfg_wide_area *w)
{
	enum {
		W_ZONE,
		W_SERVER,
		W_TSIG_KEY,
		W_BROWSE,
		W_BROWSE_SERVER,
		W_REFRESH,
		W_POLL,
		N_WIDE_FIELDS
	};
	struct cfg_field fl[N_WIDE_FIELDS] = {
	        [W_ZONE] = {.name = "zone"},
	        [W_SERVER] = {.name = "server"},
	        [W_TSIG_KEY] = {.name = "tsig_key"},
	        [W_BROWSE] = {.name = "browse"},
	        [W_BROWSE_SERVER] = {.name = "browse_server"},
	        [W_REFRESH] = {.name = "refresh"},
	        [W_POLL] = {.name = "poll"},
	};
	enum cfg_kind k = cfg_node_kind(fld->value);
	char q[CFG_QUOTE_MAX];
	const char *v, *why;

	cfg_wide_area_clear(w);
	w->refresh_ms = 30000;
	w->poll_ms = 2000;
	if (k == CFG_KIND_NULL)
		return;
	if (k != CFG_KIND_MAP) {
		cfg_error(f, fld->value, "'wide_area': expected a mapping, got %s",
		          cfg_kind_name(k));
		return;
	}
	w->enabled = true;
	cfg_map_fields(f, fld->value, fl, N_WIDE_FIELDS, "in 'wide_area'");
	if (!fl[W_ZONE].key && !fl[W_BROWSE].key)
		cfg_error(f, fld->value, "'wide_area': 'zone' or 'browse' is required");
	else if (fl[W_ZONE].key && (v = cfg_field_string(f, &fl[W_ZONE])))
		w->zone = zone_name(f, fl[W_ZONE].value, "'zone'", v);
	if (!fl[W_SERVER].key) {
		cfg_error(f, fld->value, "'wide_area': 'server' is required");
	} else if ((v = cfg_field_string(f, &fl[W_SERVER]))) {
		if ((why = parse_server(v, &w->server, &w->server_len)))
			cfg_error(f, fl[W_SERVER].value, "'server': %s: %s",
			          cfg_quote(v, strlen(v), q), why);
		else
			w->server_text = cfg_strndup(f, v, strlen(v));
	}
	if (fl[W_BROWSE_SERVER].key && (v = cfg_field_string(f, &fl[W_BROWSE_SERVER]))) {
		if ((why = parse_server(v, &w->browse_server, &w->browse_server_len)))
			cfg_error(f, fl[W_BROWSE_SERVER].value, "'browse_server': %s: %s",
			          cfg_quote(v, strlen(v), q), why);
		else
			w->browse_server_text = cfg_strndup(f, v, strlen(v));
	}
	if (fl[W_TSIG_KEY].key)
		parse_key_path(f, &fl[W_TSIG_KEY], dir, w);
	else if (fl[W_ZONE].key)
		cfg_warning(f, fld->value,
		            "'wide_area': no 'tsig_key': updates are sent unsigned (the server "
		            "must allow them by address)");
	if (fl[W_BROWSE].key)
		parse_browse_zones(f, &fl[W_BROWSE], w);
	if (fl[W_REFRESH].key)
		parse_period(f, &fl[W_REFRESH], "30s or 1m", REFRESH_MIN_MS, "1s-1h",
		             &w->refresh_ms);
	if (fl[W_POLL].key)
		parse_period(f, &fl[W_POLL], "2s or 500ms", POLL_MIN_MS, "200ms-1h", &w->poll_ms);
}
