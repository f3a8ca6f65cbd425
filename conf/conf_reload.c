/*
 * conf/conf_reload.c - what a SIGHUP changes.
 *
 * conf_reload_merge() compares the running configuration with one just
 * loaded, schema row by schema row and policy list by policy list,
 * reports each difference and gives every restart-only option its
 * running value back.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "conf/conf.h"
#include "conf/conf_int.h"
#include "conf/conf_schema.h"

/* Whether option @row holds the same value in @a and @b. */
static bool
conf_row_equal(const struct conf_schema_row *row, const struct gw_conf *a,
    const struct gw_conf *b)
{
	const char	*pa = (const char *)a + row->off;
	const char	*pb = (const char *)b + row->off;
	size_t		 na, nb, i;

	switch (row->type) {
	case CONF_TYPE_STRING:
		return strncmp(pa, pb, row->size) == 0;
	case CONF_TYPE_LIST:
		memcpy(&na, (const char *)a + row->count_off, sizeof(na));
		memcpy(&nb, (const char *)b + row->count_off, sizeof(nb));
		if (na != nb)
			return false;
		for (i = 0; i < na; i++)
			if (strncmp(pa + i * row->size, pb + i * row->size,
			    row->size) != 0)
				return false;
		return true;
	case CONF_TYPE_INT:
	case CONF_TYPE_BOOL:
	case CONF_TYPE_ENUM:
		break;
	}
	return memcmp(pa, pb, row->size) == 0;
}

/*
 * Where the values of conf_keys[] rows live, for the reload check: a
 * whole list (or the acl group) changes or not as one.
 */
static const struct {
	const char	*list;
	size_t		 off, size;
} conf_key_regions[] = {
	{ "routes", offsetof(struct gw_conf, routes),
	  offsetof(struct gw_conf, nroutes) + sizeof(size_t) -
	  offsetof(struct gw_conf, routes) },
	{ "dialplans", offsetof(struct gw_conf, dialplans),
	  offsetof(struct gw_conf, ndialplans) + sizeof(size_t) -
	  offsetof(struct gw_conf, dialplans) },
	{ "acl", offsetof(struct gw_conf, acl_sip_nets),
	  offsetof(struct gw_conf, nacl_trusted_proxies) + sizeof(size_t) -
	  offsetof(struct gw_conf, acl_sip_nets) },
	{ "identities", offsetof(struct gw_conf, identities),
	  offsetof(struct gw_conf, nidentities) + sizeof(size_t) -
	  offsetof(struct gw_conf, identities) },
};

/*
 * The value of @row in @c as the file would write it, for the reload
 * report.  Secrets are not written out.
 */
static void
conf_row_text(const struct conf_schema_row *row, const struct gw_conf *c,
    char *buf, size_t bufsz)
{
	const char	*p = (const char *)c + row->off;
	size_t		 n, i, len;
	int64_t		 v;
	int		 e;
	bool		 b;

	if (strstr(row->path, "secret") != NULL) {
		snprintf(buf, bufsz, "(not shown)");
		return;
	}
	switch (row->type) {
	case CONF_TYPE_STRING:
		snprintf(buf, bufsz, "\"%.*s\"", (int)row->size, p);
		return;
	case CONF_TYPE_INT:
		memcpy(&v, p, sizeof(v));
		snprintf(buf, bufsz, "%" PRId64, v);
		return;
	case CONF_TYPE_BOOL:
		memcpy(&b, p, sizeof(b));
		snprintf(buf, bufsz, "%s", b ? "true" : "false");
		return;
	case CONF_TYPE_ENUM:
		memcpy(&e, p, sizeof(e));
		snprintf(buf, bufsz, "\"%s\"", row->allowed != NULL &&
		    e >= 0 ? row->allowed[e] : "?");
		return;
	case CONF_TYPE_LIST:
		memcpy(&n, (const char *)c + row->count_off, sizeof(n));
		snprintf(buf, bufsz, "[");
		for (i = 0; i < n; i++) {
			len = strlen(buf);
			snprintf(buf + len, bufsz - len, "%s\"%.*s\"",
			    i > 0 ? ", " : " ", (int)row->size,
			    p + i * row->size);
		}
		len = strlen(buf);
		snprintf(buf + len, bufsz - len, "%s]", n > 0 ? " " : "");
		return;
	}
}

size_t
conf_reload_merge(const struct gw_conf *old, struct gw_conf *new,
    conf_change_fn *fn, void *arg)
{
	const struct conf_schema_row	*row;
	char				 was[CONF_VALUE_TEXT], now[CONF_VALUE_TEXT];
	size_t				 i, j, changed = 0;
	bool				 reload;

	for (i = 0; i < conf_schema_len; i++) {
		row = &conf_schema[i];
		if (conf_row_equal(row, old, new))
			continue;
		changed++;
		conf_row_text(row, old, was, sizeof(was));
		conf_row_text(row, new, now, sizeof(now));
		/*
		 * A restart-only option keeps its running value, so the
		 * configuration in force says what the daemon really does.
		 */
		if (!row->reload && row->type == CONF_TYPE_LIST) {
			size_t	 n;

			memcpy(&n, (const char *)old + row->count_off,
			    sizeof(n));
			memcpy((char *)new + row->off, (const char *)old +
			    row->off, n * row->size);
			memcpy((char *)new + row->count_off, &n, sizeof(n));
		} else if (!row->reload)
			memcpy((char *)new + row->off, (const char *)old +
			    row->off, row->size);
		if (fn != NULL)
			fn(arg, row->path, row->reload, was, now);
	}
	/* The policy groups change as a whole; every key of theirs
	 * reloads (a key that did not would need its region kept). */
	for (j = 0; j < sizeof(conf_key_regions) /
	    sizeof(conf_key_regions[0]); j++) {
		if (memcmp((const char *)old + conf_key_regions[j].off,
		    (const char *)new + conf_key_regions[j].off,
		    conf_key_regions[j].size) == 0)
			continue;
		reload = true;
		for (i = 0; i < conf_keys_len; i++)
			if (conf_policy_key_in(&conf_keys[i],
			    conf_key_regions[j].list) && !conf_keys[i].reload)
				reload = false;
		if (!reload)
			memcpy((char *)new + conf_key_regions[j].off,
			    (const char *)old + conf_key_regions[j].off,
			    conf_key_regions[j].size);
		changed++;
		if (fn != NULL)
			fn(arg, conf_key_regions[j].list, reload, "(old)",
			    "(new)");
	}
	return changed;
}
