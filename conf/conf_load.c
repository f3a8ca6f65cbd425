/*
 * conf/conf_load.c - read imgate.conf into an immutable struct gw_conf.
 *
 * This runs before any message flows (startup, imgated -n) and again on
 * SIGHUP, when the new configuration is built aside and swapped in by the
 * caller.  conf/ is the only folder that talks to libconfig.  What an
 * option is lives in conf/conf_schema.c; this file turns rows into checks:
 *
 *   1. libconfig parses the file, @include directives resolved against
 *      the configuration file's own folder;
 *   2. a small scanner re-reads the text for what libconfig 1.5 lets
 *      through silently: integer literals it wraps, a stray quote or
 *      comment that hides the rest of the file (conf/conf_prescan.c);
 *   3. the whole tree is walked once: every setting must match a schema
 *      row or a group that holds rows, have the row's type and satisfy
 *      its bounds, and is then stored in its canonical form.  The
 *      routing policy ("routes", "dialplans", "identities": lists of
 *      groups; "acl") does not fit one row per field and is read
 *      against conf_keys[] instead (conf/conf_policy.c), with checks
 *      across groups (duplicate names or addresses, a route an earlier
 *      one hides) at the end of each group.  Values are checked and
 *      made canonical by the parsers of conf/conf_value.c.
 *
 * conf_reload_merge() (conf/conf_reload.c) compares two loaded
 * configurations row by row for a SIGHUP: it reports every change and
 * keeps the running value of each restart-only option.
 *
 * The first problem stops the load and is reported as "FILE:LINE: what".
 * There is no global state: every call works on its own config_t and on
 * the caller's struct, so loads may be repeated at will.
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

/*
 * Check one string value (a string option, an enum or a list entry) and
 * store its canonical form: list entry @idx for lists.  Used for the
 * file and for the schema defaults alike, so defaults obey the rules.
 */
static int
conf_store_text(const struct conf_schema_row *row, struct gw_conf *c,
    size_t idx, const char *text, char *why, size_t whysz)
{
	char	*dst = (char *)c + row->off;
	char	 q[96], words[128];
	size_t	 len = strlen(text), maxlen;
	int	 pick;

	conf_quote(text, q, sizeof(q));
	if (row->type == CONF_TYPE_LIST)
		dst += idx * row->size;
	if (row->allowed != NULL) {
		if ((pick = conf_in_list(row->allowed, text)) == -1) {
			conf_join(row->allowed, words, sizeof(words));
			conf_why(why, whysz, "%s is not one of %s", q, words);
			return -1;
		}
		if (row->type == CONF_TYPE_ENUM) {
			memcpy(dst, &pick, sizeof(pick));
			return 0;
		}
	}
	maxlen = row->size - 1;
	if (row->type == CONF_TYPE_STRING && row->max > 0 &&
	    (size_t)row->max < maxlen)
		maxlen = (size_t)row->max;
	/* A string row with min 0 (a secret, an optional setting) may be
	 * empty; an empty one is not checked further. */
	if (len == 0 && !(row->type == CONF_TYPE_STRING && row->min == 0)) {
		conf_why(why, whysz, "empty string not allowed");
		return -1;
	}
	if (len == 0 && row->check != CONF_CHECK_NONE) {
		memset(dst, 0, row->size);
		return 0;
	}
	if (len > maxlen) {
		conf_why(why, whysz, "%s is longer than %zu bytes", q, maxlen);
		return -1;
	}
	/* Canonical bytes after the NUL too: conf_reload_merge()
	 * compares fields whole. */
	memset(dst, 0, row->size);
	switch (row->check) {
	case CONF_CHECK_HOST:
		return conf_check_host(text, 0, dst, row->size, why, whysz);
	case CONF_CHECK_SUFFIX:
		return conf_check_host(text, 1, dst, row->size, why, whysz);
	case CONF_CHECK_SERVER:
		return conf_check_server(text, dst, row->size, why, whysz);
	case CONF_CHECK_SIP_URI:
		return conf_check_sip_uri(text, dst, row->size, why, whysz);
	case CONF_CHECK_IP:
		if (conf_check_ip(text, why, whysz) != 0)
			return -1;
		break;
	case CONF_CHECK_NONE:
		break;
	}
	memcpy(dst, text, len + 1);
	return 0;
}

/* List entry @idx has been stored; refuse it if an earlier one is equal
 * (after canonicalisation, so "::1" and "[::1]:53" collide). */
static int
conf_check_duplicate(const struct conf_schema_row *row,
    const struct gw_conf *c, size_t idx, char *why, size_t whysz)
{
	const char	*base = (const char *)c + row->off;
	const char	*entry = base + idx * row->size;
	char		 q[96];
	size_t		 i;

	for (i = 0; i < idx; i++)
		if (strcmp(base + i * row->size, entry) == 0) {
			conf_quote(entry, q, sizeof(q));
			conf_why(why, whysz, "duplicate entry %s", q);
			return -1;
		}
	return 0;
}

static int
conf_store_int(const struct conf_schema_row *row, struct gw_conf *c,
    int64_t v, char *why, size_t whysz)
{
	if (v < row->min || v > row->max) {
		conf_why(why, whysz, "%" PRId64 " is out of range %" PRId64
		    "..%" PRId64, v, row->min, row->max);
		return -1;
	}
	memcpy((char *)c + row->off, &v, sizeof(v));
	return 0;
}

static void
conf_clear_list(const struct conf_schema_row *row, struct gw_conf *c)
{
	size_t	zero = 0;

	memset((char *)c + row->off, 0, (size_t)row->max * row->size);
	memcpy((char *)c + row->count_off, &zero, sizeof(zero));
}

/*
 * A schema default that does not pass its own row is a programming
 * error caught by the first test run; there is nothing to recover.
 */
static void
conf_default_row(const struct conf_schema_row *row, struct gw_conf *c)
{
	char		 why[CONF_WHY_MAX], item[CONF_STR_MAX];
	const char	*p, *comma;
	size_t		 n = 0, len;
	bool		 b;
	int		 rc = 0;

	switch (row->type) {
	case CONF_TYPE_INT:
		rc = conf_store_int(row, c, strtoll(row->def, NULL, 10), why,
		    sizeof(why));
		break;
	case CONF_TYPE_BOOL:
		b = strcmp(row->def, "true") == 0;
		memcpy((char *)c + row->off, &b, sizeof(b));
		break;
	case CONF_TYPE_STRING:
	case CONF_TYPE_ENUM:
		rc = conf_store_text(row, c, 0, row->def, why, sizeof(why));
		break;
	case CONF_TYPE_LIST:
		conf_clear_list(row, c);
		for (p = row->def; rc == 0 && *p != '\0'; n++) {
			comma = strchr(p, ',');
			len = comma ? (size_t)(comma - p) : strlen(p);
			snprintf(item, sizeof(item), "%.*s", (int)len, p);
			p += len + (comma != NULL);
			if (n >= (size_t)row->max)
				rc = -1;
			else if ((rc = conf_store_text(row, c, n, item, why,
			    sizeof(why))) == 0)
				rc = conf_check_duplicate(row, c, n, why,
				    sizeof(why));
		}
		memcpy((char *)c + row->count_off, &n, sizeof(n));
		break;
	}
	if (rc != 0) {
		fprintf(stderr, "imgate: schema default of %s is invalid\n",
		    row->path);
		abort();
	}
}

void
conf_defaults(struct gw_conf *c)
{
	size_t	i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < conf_schema_len; i++)
		conf_default_row(&conf_schema[i], c);
}

/* Load setting @s, which the schema knows as @row. */
static int
conf_load_setting(struct conf_ctx *ctx, const struct conf_schema_row *row,
    const config_setting_t *s, struct gw_conf *c)
{
	config_setting_t	*e;
	const char		*file = config_setting_source_file(s);
	const char		*text;
	unsigned int		 line = config_setting_source_line(s);
	char			 why[CONF_WHY_MAX];
	int			 type = config_setting_type(s);
	size_t			 i, n;
	bool			 b;

	switch (row->type) {
	case CONF_TYPE_INT:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			break;
		if (conf_prescan_wrapped(ctx, s)) {
			conf_prescan_report(ctx, "", row->path, row->min,
			    row->max, s);
			return -1;
		}
		if (conf_store_int(row, c, config_setting_get_int64(s), why,
		    sizeof(why)) == -1)
			goto bad;
		return 0;
	case CONF_TYPE_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			break;
		b = config_setting_get_bool(s) != 0;
		memcpy((char *)c + row->off, &b, sizeof(b));
		return 0;
	case CONF_TYPE_STRING:
	case CONF_TYPE_ENUM:
		if (type != CONFIG_TYPE_STRING)
			break;
		text = config_setting_get_string(s);
		if (conf_store_text(row, c, 0, text, why, sizeof(why)) == -1)
			goto bad;
		return 0;
	case CONF_TYPE_LIST:
		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			break;
		n = (size_t)config_setting_length(s);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned int)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				goto badtype;
		}
		if (n < (size_t)row->min) {
			conf_errorf(ctx, file, line, "%s: needs at least %"
			    PRId64 " entr%s", row->path, row->min,
			    row->min == 1 ? "y" : "ies");
			return -1;
		}
		if (n > (size_t)row->max) {
			conf_errorf(ctx, file, line, "%s: %zu entries, at "
			    "most %" PRId64 " allowed", row->path, n,
			    row->max);
			return -1;
		}
		conf_clear_list(row, c);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned int)i);
			text = config_setting_get_string(e);
			if (conf_store_text(row, c, i, text, why,
			    sizeof(why)) == -1 ||
			    conf_check_duplicate(row, c, i, why,
			    sizeof(why)) == -1) {
				conf_errorf(ctx, file, line,
				    "%s: entry %zu: %s", row->path, i + 1,
				    why);
				return -1;
			}
		}
		memcpy((char *)c + row->count_off, &n, sizeof(n));
		return 0;
	}
badtype:
	conf_errorf(ctx, file, line, "%s: expected %s", row->path,
	    conf_schema_typename(row->type));
	return -1;
bad:
	conf_errorf(ctx, file, line, "%s: %s", row->path, why);
	return -1;
}

/*
 * Every setting under @group must be an option or a group of options.
 * Settings come in file order (included files where they were
 * included), so the first problem reported is the first in the text.
 */
static int
conf_walk(struct conf_ctx *ctx, const config_setting_t *group,
    const char *prefix, struct gw_conf *c)
{
	const struct conf_schema_row	*row;
	config_setting_t		*s;
	const char			*name;
	char				 path[128];
	int				 i, n, len;

	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(group, (unsigned int)i);
		name = config_setting_name(s);
		len = snprintf(path, sizeof(path), "%s%s%s", prefix,
		    prefix[0] != '\0' ? "." : "", name != NULL ? name : "");
		if (prefix[0] == '\0' && strcmp(path, "routes") == 0) {
			if (conf_policy_routes(ctx, s, c) == -1)
				return -1;
			continue;
		}
		if (prefix[0] == '\0' && strcmp(path, "dialplans") == 0) {
			if (conf_policy_dialplans(ctx, s, c) == -1)
				return -1;
			continue;
		}
		if (prefix[0] == '\0' && strcmp(path, "identities") == 0) {
			if (conf_policy_identities(ctx, s, c) == -1)
				return -1;
			continue;
		}
		if (prefix[0] == '\0' && strcmp(path, "acl") == 0) {
			if (conf_policy_acl(ctx, s, c) == -1)
				return -1;
			continue;
		}
		row = NULL;
		if (len > 0 && (size_t)len < sizeof(path))
			row = conf_schema_find(path);
		if (row != NULL) {
			if (conf_load_setting(ctx, row, s, c) == -1)
				return -1;
			continue;
		}
		if (len > 0 && (size_t)len < sizeof(path) &&
		    conf_schema_is_group(path)) {
			if (!config_setting_is_group(s)) {
				conf_errorf(ctx, config_setting_source_file(s),
				    config_setting_source_line(s),
				    "%s: expected group", path);
				return -1;
			}
			if (conf_walk(ctx, s, path, c) == -1)
				return -1;
			continue;
		}
		conf_errorf(ctx, config_setting_source_file(s),
		    config_setting_source_line(s), "unknown %s '%s'",
		    config_setting_is_group(s) ? "group" : "setting", path);
		return -1;
	}
	return 0;
}

/*
 * Checks of the spool group that involve several keys: the backoff cap
 * may not be below the first interval (the schedule would shrink).
 */
static int
conf_check_spool(struct conf_ctx *ctx, const config_t *cf,
    const struct gw_conf *c)
{
	const config_setting_t	*s;

	if (c->spool_backend == CONF_SPOOL_POSTGRESQL) {
		s = config_lookup(cf, "spool.backend");
		if (c->spool_conninfo[0] == '\0') {
			conf_errorf(ctx, s != NULL ?
			    config_setting_source_file(s) : ctx->path,
			    s != NULL ? config_setting_source_line(s) : 0,
			    "spool.backend \"postgresql\" needs "
			    "spool.conninfo");
			return -1;
		}
		/* A lease must outlive the delivery it covers, or a second
		 * node starts the same message while the first still
		 * waits for its answer (gateway/spool_pg.c). */
		if (c->spool_lease_s * 1000 <= c->txn_deadline_ms) {
			conf_errorf(ctx, s != NULL ?
			    config_setting_source_file(s) : ctx->path,
			    s != NULL ? config_setting_source_line(s) : 0,
			    "spool.lease_s %lld must be longer than "
			    "limits.txn_deadline_ms %lld", (long long)
			    c->spool_lease_s, (long long)c->txn_deadline_ms);
			return -1;
		}
	}
	if (c->spool_retry_max_ms >= c->spool_retry_initial_ms)
		return 0;
	s = config_lookup(cf, "spool.retry_max_ms");
	if (s == NULL)
		s = config_lookup(cf, "spool.retry_initial_ms");
	conf_errorf(ctx, s != NULL ? config_setting_source_file(s) :
	    ctx->path, s != NULL ? config_setting_source_line(s) : 0,
	    "spool.retry_max_ms %lld is less than spool.retry_initial_ms "
	    "%lld", (long long)c->spool_retry_max_ms,
	    (long long)c->spool_retry_initial_ms);
	return -1;
}

/*
 * The sip.tls group: a TLS listener (sip.listen or sip.tls.listen a
 * sips: URI) needs a certificate, its key and the CA file that peers are
 * verified against; TLS files without a TLS listener are a mistake (no
 * TLS transport would exist to use them), not something to ignore.
 */
static int
conf_check_tls(struct conf_ctx *ctx, const config_t *cf,
    const struct gw_conf *c)
{
	const config_setting_t	*s;
	const char		*why = NULL, *key = "sip.tls";
	bool			 tls;

	tls = strncasecmp(c->sip_listen, "sips:", 5) == 0 ||
	    c->sip_tls_listen[0] != '\0';
	if (c->sip_tls_listen[0] != '\0' &&
	    strncasecmp(c->sip_tls_listen, "sips:", 5) != 0) {
		key = "sip.tls.listen";
		why = "sip.tls.listen must be a sips: URI";
	} else if (tls && c->sip_tls_certificate[0] == '\0') {
		why = "a TLS listener needs sip.tls.certificate";
	} else if (tls && c->sip_tls_key[0] == '\0') {
		why = "a TLS listener needs sip.tls.key";
	} else if (tls && c->sip_tls_ca_file[0] == '\0') {
		why = "a TLS listener needs sip.tls.ca_file (peers' "
		    "certificates are verified against it)";
	} else if (!tls && (c->sip_tls_certificate[0] != '\0' ||
	    c->sip_tls_key[0] != '\0' || c->sip_tls_ca_file[0] != '\0' ||
	    c->sip_tls_verify_client)) {
		why = "sip.tls settings without a TLS listener: set "
		    "sip.tls.listen (or a sips: sip.listen)";
	}
	if (why == NULL)
		return 0;
	if ((s = config_lookup(cf, key)) == NULL)
		s = config_lookup(cf, "sip.listen");
	conf_errorf(ctx, s != NULL ? config_setting_source_file(s) :
	    ctx->path, s != NULL ? config_setting_source_line(s) : 0, "%s",
	    why);
	return -1;
}

/* The folder @path lives in, which libconfig uses for @include. */
static int
conf_set_dir(struct conf_ctx *ctx)
{
	const char	*slash = strrchr(ctx->path, '/');
	size_t		 len;

	if (slash == NULL) {
		snprintf(ctx->dir, sizeof(ctx->dir), ".");
		return 0;
	}
	len = slash == ctx->path ? 1 : (size_t)(slash - ctx->path);
	if (len >= sizeof(ctx->dir))
		return -1;
	memcpy(ctx->dir, ctx->path, len);
	ctx->dir[len] = '\0';
	return 0;
}

int
conf_load(const char *path, struct gw_conf *c, char *err, size_t errsz)
{
	struct conf_ctx	 ctx;
	config_t	 cf;
	const char	*efile;
	int		 rc = -1, saved;

	memset(&ctx, 0, sizeof(ctx));
	ctx.path = path;
	ctx.err = err;
	ctx.errsz = errsz;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	conf_defaults(c);
	if (strlen(path) >= CONF_PATH_MAX || conf_set_dir(&ctx) == -1) {
		conf_errorf(&ctx, path, 0, "file name too long");
		return -1;
	}

	config_init(&cf);
	config_set_include_dir(&cf, ctx.dir);
	errno = 0;
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		saved = errno;
		efile = config_error_file(&cf);
		if (config_error_line(&cf) > 0)
			conf_errorf(&ctx, efile, (unsigned int)
			    config_error_line(&cf), "%s",
			    config_error_text(&cf));
		else if (config_error_type(&cf) == CONFIG_ERR_FILE_IO &&
		    saved != 0)
			conf_errorf(&ctx, efile, 0, "%s",
			    strerror(saved));
		else
			conf_errorf(&ctx, efile, 0, "%s",
			    config_error_text(&cf));
		goto done;
	}
	if (conf_prescan(&ctx, path, 0) == -1)
		goto done;
	if (conf_walk(&ctx, config_root_setting(&cf), "", c) == -1)
		goto done;
	if (conf_check_spool(&ctx, &cf, c) == -1)
		goto done;
	if (conf_check_tls(&ctx, &cf, c) == -1)
		goto done;
	if (ctx.wrap_found && !ctx.wrap_reported) {
		conf_errorf(&ctx, ctx.wrap_file, ctx.wrap_line,
		    "integer %s does not fit (libconfig 1.5 would wrap it)",
		    ctx.wrap_text);
		goto done;
	}
	rc = 0;
done:
	config_destroy(&cf);
	return rc;
}
