/*
 * conf/conf_policy.c - the routing policy groups of the configuration.
 *
 * "routes", "dialplans" and "identities" (lists of groups) and "acl" do
 * not fit the one-row-per-option schema; conf_load.c hands them here.
 * Each group is read against conf_keys[] (conf/conf_schema.c), each key
 * stored through a parser of conf_value.c, and the checks that span
 * groups (duplicate names and addresses, a route an earlier one hides)
 * run at the end of each list.
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
 * Routing policy: "routes", "dialplans" and "identities" are lists of
 * groups and "acl" is a group of address lists.  Telephone numbers
 * cannot be libconfig setting names, so a route table cannot be a group
 * keyed by prefix; each group in the list is one route (or dial plan)
 * instead:
 *
 *	routes = ( { name = "uk"; prefix = "+44"; action = "static";
 *		     target = "sip:trunk.example.net"; }, ... );
 *
 * conf_keys[] says which keys a group may hold, their type, bounds,
 * default and (for routes) which actions accept them.  A group is read
 * in three steps: its name and action first (every later message names
 * the route), then each key in file order through conf_val_read(), which
 * applies the table, and a store function, which applies the key's own
 * syntax; last, the defaults of the keys left out and the checks that
 * involve several keys or several groups.
 */

#define CONF_VAL_MAX	16	/* entries of any conf_keys[] list */
#define CONF_WHO_MAX	(CONF_NAME_MAX + 32)

/* One key's value, read from the file or made from its default. */
struct conf_val {
	const struct conf_key_row *key;
	const char	*file;			/* where, for messages */
	unsigned int	 line;
	int64_t		 num;			/* CONF_TYPE_INT */
	const char	*str;			/* CONF_TYPE_STRING */
	int		 word;			/* index into key->allowed */
	const char	*items[CONF_VAL_MAX];	/* CONF_TYPE_LIST */
	int		 words[CONF_VAL_MAX];
	size_t		 n;
	char		 defbuf[CONF_STR_MAX];	/* a default list, split */
};

/* Store one value into the object a group describes. */
typedef int (*conf_store_fn)(struct conf_ctx *, const char *, void *,
    const struct conf_val *);

/* Turn a string into its canonical form, or say why it is wrong. */
typedef int (*conf_canon_fn)(const char *, char *, size_t, char *, size_t);

/*
 * One string (a STRING key or a LIST entry) against the key's table
 * row: one of the allowed words, not empty, not too long.
 */
static int
conf_val_text(const struct conf_key_row *key, const char *text, int *word,
    char *why, size_t whysz)
{
	char	q[96], words[128];
	size_t	len = strlen(text), minlen = 1, maxlen = CONF_STR_MAX - 1;

	conf_quote(text, q, sizeof(q));
	*word = -1;
	if (key->allowed != NULL &&
	    (*word = conf_in_list(key->allowed, text)) == -1) {
		conf_join(key->allowed, words, sizeof(words));
		conf_why(why, whysz, "%s is not one of %s", q, words);
		return -1;
	}
	if (key->type == CONF_TYPE_STRING) {
		minlen = (size_t)key->min;
		maxlen = (size_t)key->max;
	}
	if (len < minlen) {
		if (len == 0)
			conf_why(why, whysz, "empty string not allowed");
		else
			conf_why(why, whysz, "%s is shorter than %zu bytes",
			    q, minlen);
		return -1;
	}
	if (len > maxlen) {
		conf_why(why, whysz, "%s is longer than %zu bytes", q, maxlen);
		return -1;
	}
	return 0;
}

/* Read setting @s as the value of @key: type, bounds, allowed words. */
static int
conf_val_read(struct conf_ctx *ctx, const char *who,
    const struct conf_key_row *key, const config_setting_t *s,
    struct conf_val *v)
{
	const config_setting_t	*e;
	char			 why[CONF_WHY_MAX], q[96];
	int			 type = config_setting_type(s);
	size_t			 i, j, n;

	memset(v, 0, sizeof(*v));
	v->key = key;
	v->file = config_setting_source_file(s);
	v->line = config_setting_source_line(s);
	v->word = -1;
	switch (key->type) {
	case CONF_TYPE_INT:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			goto badtype;
		if (conf_prescan_wrapped(ctx, s)) {
			conf_prescan_report(ctx, who, key->path, key->min,
			    key->max, s);
			return -1;
		}
		v->num = config_setting_get_int64(s);
		if (v->num < key->min || v->num > key->max) {
			conf_why(why, sizeof(why), "%" PRId64 " is out of "
			    "range %" PRId64 "..%" PRId64, v->num, key->min,
			    key->max);
			goto bad;
		}
		return 0;
	case CONF_TYPE_STRING:
		if (type != CONFIG_TYPE_STRING)
			goto badtype;
		v->str = config_setting_get_string(s);
		if (conf_val_text(key, v->str, &v->word, why,
		    sizeof(why)) == -1)
			goto bad;
		return 0;
	case CONF_TYPE_LIST:
		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			goto badtype;
		n = (size_t)config_setting_length(s);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned int)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				goto badtype;
		}
		if (n < (size_t)key->min) {
			conf_why(why, sizeof(why), "needs at least %" PRId64
			    " entr%s", key->min, key->min == 1 ? "y" : "ies");
			goto bad;
		}
		if (n > (size_t)key->max || n > CONF_VAL_MAX) {
			conf_why(why, sizeof(why), "%zu entries, at most %"
			    PRId64 " allowed", n, key->max);
			goto bad;
		}
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned int)i);
			v->items[i] = config_setting_get_string(e);
			if (conf_val_text(key, v->items[i], &v->words[i], why,
			    sizeof(why)) == -1) {
				conf_errorf(ctx, v->file, v->line, "%s%s: "
				    "entry %zu: %s", who, key->path, i + 1,
				    why);
				return -1;
			}
			for (j = 0; j < i; j++)
				if (strcmp(v->items[j], v->items[i]) == 0) {
					conf_quote(v->items[i], q, sizeof(q));
					conf_errorf(ctx, v->file, v->line,
					    "%s%s: entry %zu: duplicate entry "
					    "%s", who, key->path, i + 1, q);
					return -1;
				}
		}
		v->n = n;
		return 0;
	case CONF_TYPE_BOOL:
	case CONF_TYPE_ENUM:
		break;
	}
badtype:
	conf_errorf(ctx, v->file, v->line, "%s%s: expected %s", who,
	    key->path, conf_schema_typename(key->type));
	return -1;
bad:
	conf_errorf(ctx, v->file, v->line, "%s%s: %s", who, key->path, why);
	return -1;
}

/* The value of @key when the group leaves it out: its default. */
static void
conf_val_default(const struct conf_key_row *key, const char *file,
    unsigned int line, struct conf_val *v)
{
	char	*p, *comma;

	memset(v, 0, sizeof(*v));
	v->key = key;
	v->file = file;
	v->line = line;
	v->word = -1;
	switch (key->type) {
	case CONF_TYPE_INT:
		v->num = strtoll(key->def, NULL, 10);
		break;
	case CONF_TYPE_STRING:
		v->str = key->def;
		if (key->allowed != NULL)
			v->word = conf_in_list(key->allowed, key->def);
		break;
	case CONF_TYPE_LIST:
		snprintf(v->defbuf, sizeof(v->defbuf), "%s", key->def);
		for (p = v->defbuf; *p != '\0' && v->n < CONF_VAL_MAX;
		    v->n++) {
			v->items[v->n] = p;
			v->words[v->n] = -1;
			if ((comma = strchr(p, ',')) != NULL)
				*comma++ = '\0';
			else
				comma = p + strlen(p);
			if (key->allowed != NULL)
				v->words[v->n] = conf_in_list(key->allowed, p);
			p = comma;
		}
		break;
	case CONF_TYPE_BOOL:
	case CONF_TYPE_ENUM:
		break;
	}
}

/* The part of "routes.prefix" after the dot. */
static const char *
conf_key_name(const struct conf_key_row *key)
{
	const char	*dot = strchr(key->path, '.');

	return dot != NULL ? dot + 1 : key->path;
}

/*
 * How conf_store_items() reads one kind of list entry: @parse fills the
 * @size-byte element from the text as written, @same tells two parsed
 * elements apart, @label names a duplicate in the error.  @canon is the
 * canonicaliser of a list of strings (conf_store_list()), else NULL.
 */
struct conf_item_ops {
	int		(*parse)(const struct conf_item_ops *, const char *,
			    void *, size_t, char *, size_t);
	int		(*same)(const void *, const void *);
	const char	*(*label)(const void *, const char *);
	conf_canon_fn	 canon;
};

/*
 * Store the entries of list @v through @ops into @base (entries of
 * @size bytes, room for @cap) and refuse duplicates after parsing
 * ("E164.arpa" and "e164.arpa." collide).  The list is left empty on
 * any error, and the error names the entry.
 */
static int
conf_store_items(struct conf_ctx *ctx, const char *who,
    const struct conf_val *v, const struct conf_item_ops *ops, void *base,
    size_t size, size_t cap, size_t *count)
{
	char	why[CONF_WHY_MAX], q[96];
	char	*el = base;
	size_t	i, j;

	memset(base, 0, cap * size);
	*count = 0;
	if (v->n > cap) {
		conf_errorf(ctx, v->file, v->line, "%s%s: %zu entries, at "
		    "most %zu allowed", who, v->key->path, v->n, cap);
		return -1;
	}
	for (i = 0; i < v->n; i++) {
		if (ops->parse(ops, v->items[i], el + i * size, size, why,
		    sizeof(why)) == -1)
			goto bad;
		for (j = 0; j < i; j++)
			if (ops->same(el + j * size, el + i * size)) {
				conf_quote(ops->label(el + i * size,
				    v->items[i]), q, sizeof(q));
				conf_why(why, sizeof(why), "duplicate entry %s",
				    q);
				goto bad;
			}
	}
	*count = v->n;
	return 0;
bad:
	memset(base, 0, cap * size);
	conf_errorf(ctx, v->file, v->line, "%s%s: entry %zu: %s", who,
	    v->key->path, i + 1, why);
	return -1;
}

static int
conf_str_parse(const struct conf_item_ops *ops, const char *in, void *el,
    size_t size, char *why, size_t whysz)
{
	return ops->canon(in, el, size, why, whysz);
}

static int
conf_str_same(const void *a, const void *b)
{
	return strcmp(a, b) == 0;
}

/* A string is named in its canonical form. */
static const char *
conf_str_label(const void *el, const char *written)
{
	(void)written;
	return el;
}

/* A list of strings, each through @canon into @base (@entsz bytes). */
static int
conf_store_list(struct conf_ctx *ctx, const char *who,
    const struct conf_val *v, conf_canon_fn canon, char *base, size_t entsz,
    size_t cap, size_t *count)
{
	const struct conf_item_ops ops = { conf_str_parse, conf_str_same,
	    conf_str_label, canon };

	return conf_store_items(ctx, who, v, &ops, base, entsz, cap, count);
}

/* A word already checked against the key's allowed list. */
static int
conf_canon_copy(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	if (snprintf(out, outsz, "%s", in) >= (int)outsz) {
		conf_why(why, whysz, "too long");
		return -1;
	}
	return 0;
}

static int
conf_canon_domain(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	return conf_check_host(in, 0, out, outsz, why, whysz);
}

static int
conf_canon_suffix(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	return conf_check_host(in, 1, out, outsz, why, whysz);
}

static int
conf_net_parse(const struct conf_item_ops *ops, const char *in, void *el,
    size_t size, char *why, size_t whysz)
{
	(void)ops;
	(void)size;
	return conf_parse_net(in, el, why, whysz);
}

static int
conf_net_same(const void *a, const void *b)
{
	const struct conf_net	*x = a, *y = b;

	return x->family == y->family && x->prefixlen == y->prefixlen &&
	    memcmp(x->addr, y->addr, sizeof(x->addr)) == 0;
}

/* A network is named as written ("2001:DB8:0::/32"). */
static const char *
conf_net_label(const void *el, const char *written)
{
	(void)el;
	return written;
}

static int
conf_store_nets(struct conf_ctx *ctx, const char *who,
    const struct conf_val *v, struct conf_net *nets, size_t cap,
    size_t *count)
{
	static const struct conf_item_ops ops = { conf_net_parse,
	    conf_net_same, conf_net_label, NULL };

	return conf_store_items(ctx, who, v, &ops, nets, sizeof(*nets), cap,
	    count);
}

static int
conf_target_parse_item(const struct conf_item_ops *ops, const char *in,
    void *el, size_t size, char *why, size_t whysz)
{
	(void)ops;
	(void)size;
	return conf_target_parse(in, el, why, whysz);
}

/* Two targets are the same when their canonical texts are. */
static int
conf_target_same(const void *a, const void *b)
{
	const struct conf_target	*x = a, *y = b;

	return strcmp(x->text, y->text) == 0;
}

/* A target is named in its canonical form ("sip:smsc.example"). */
static const char *
conf_target_label(const void *el, const char *written)
{
	(void)written;
	return ((const struct conf_target *)el)->text;
}

/* routes.fallback: a list of targets, each parsed, no two the same. */
static int
conf_store_targets(struct conf_ctx *ctx, const char *who,
    const struct conf_val *v, struct conf_target *base, size_t cap,
    size_t *count)
{
	static const struct conf_item_ops ops = { conf_target_parse_item,
	    conf_target_same, conf_target_label, NULL };

	return conf_store_items(ctx, who, v, &ops, base, sizeof(*base), cap,
	    count);
}

/* Report @why against value @v of the group @who. */
static int
conf_val_fail(struct conf_ctx *ctx, const char *who,
    const struct conf_val *v, const char *why)
{
	conf_errorf(ctx, v->file, v->line, "%s%s: %s", who, v->key->path,
	    why);
	return -1;
}

static int
conf_route_store(struct conf_ctx *ctx, const char *who, void *obj,
    const struct conf_val *v)
{
	struct conf_route	*r = obj;
	const char		*k = conf_key_name(v->key);
	char			 why[CONF_WHY_MAX];
	size_t			 i;

	if (strcmp(k, "name") == 0)
		snprintf(r->name, sizeof(r->name), "%s", v->str);
	else if (strcmp(k, "prefix") == 0) {
		if (conf_check_prefix(v->str, r->prefix, sizeof(r->prefix),
		    why, sizeof(why)) == -1)
			return conf_val_fail(ctx, who, v, why);
	} else if (strcmp(k, "from") == 0)
		r->from = (enum proto)v->word;
	else if (strcmp(k, "networks") == 0)
		return conf_store_nets(ctx, who, v, r->nets, CONF_MAX_NETS,
		    &r->nnets);
	else if (strcmp(k, "domains") == 0)
		return conf_store_list(ctx, who, v, conf_canon_domain,
		    r->domains[0], sizeof(r->domains[0]), CONF_MAX_DOMAINS,
		    &r->ndomains);
	else if (strcmp(k, "action") == 0)
		r->action = (enum conf_route_action)v->word;
	else if (strcmp(k, "mode") == 0)
		r->mode = (enum conf_route_mode)v->word;
	else if (strcmp(k, "suffixes") == 0)
		return conf_store_list(ctx, who, v, conf_canon_suffix,
		    r->suffixes[0], sizeof(r->suffixes[0]),
		    sizeof(r->suffixes) / sizeof(r->suffixes[0]),
		    &r->nsuffixes);
	else if (strcmp(k, "enumservices") == 0)
		return conf_store_list(ctx, who, v, conf_canon_copy,
		    r->enumservices[0], sizeof(r->enumservices[0]),
		    sizeof(r->enumservices) / sizeof(r->enumservices[0]),
		    &r->nenumservices);
	else if (strcmp(k, "protocols") == 0)
		return conf_store_list(ctx, who, v, conf_canon_copy,
		    r->protocols[0], sizeof(r->protocols[0]),
		    sizeof(r->protocols) / sizeof(r->protocols[0]),
		    &r->nprotocols);
	else if (strcmp(k, "target") == 0) {
		if (conf_target_parse(v->str, &r->target, why,
		    sizeof(why)) == -1)
			return conf_val_fail(ctx, who, v, why);
	} else if (strcmp(k, "status") == 0)
		r->deny_status = (int)v->num;
	else if (strcmp(k, "fallback") == 0)
		return conf_store_targets(ctx, who, v, r->fallback,
		    CONF_MAX_FALLBACK, &r->nfallback);
	else if (strcmp(k, "fallback_on") == 0) {
		r->fallback_noroute = r->fallback_tempfail = false;
		for (i = 0; i < v->n; i++) {
			if (v->words[i] == 0)
				r->fallback_noroute = true;
			else if (v->words[i] == 1)
				r->fallback_tempfail = true;
		}
	} else
		return conf_val_fail(ctx, who, v, "no storage (schema bug)");
	return 0;
}

static int
conf_dialplan_store(struct conf_ctx *ctx, const char *who, void *obj,
    const struct conf_val *v)
{
	struct conf_dialplan	*d = obj;
	const char		*k = conf_key_name(v->key);
	char			 why[CONF_WHY_MAX], q[96];
	int			 rc = 0;

	if (strcmp(k, "name") == 0)
		snprintf(d->name, sizeof(d->name), "%s", v->str);
	else if (strcmp(k, "networks") == 0)
		return conf_store_nets(ctx, who, v, d->nets, CONF_MAX_NETS,
		    &d->nnets);
	else if (strcmp(k, "domains") == 0)
		return conf_store_list(ctx, who, v, conf_canon_domain,
		    d->domains[0], sizeof(d->domains[0]), CONF_MAX_DOMAINS,
		    &d->ndomains);
	else if (strcmp(k, "country_code") == 0) {
		rc = conf_check_digits(v->str, d->country_code,
		    sizeof(d->country_code), why, sizeof(why));
		if (rc == 0 && d->country_code[0] == '0') {
			conf_quote(v->str, q, sizeof(q));
			conf_why(why, sizeof(why), "%s: country codes do not "
			    "start with 0", q);
			rc = -1;
		}
	} else if (strcmp(k, "national_prefix") == 0)
		rc = conf_check_digits(v->str, d->national_prefix,
		    sizeof(d->national_prefix), why, sizeof(why));
	else if (strcmp(k, "international_prefix") == 0)
		rc = conf_check_digits(v->str, d->international_prefix,
		    sizeof(d->international_prefix), why, sizeof(why));
	else if (strcmp(k, "min_length") == 0)
		d->min_length = (int)v->num;
	else if (strcmp(k, "max_length") == 0)
		d->max_length = (int)v->num;
	else
		return conf_val_fail(ctx, who, v, "no storage (schema bug)");
	return rc == 0 ? 0 : conf_val_fail(ctx, who, v, why);
}

static int
conf_acl_store(struct conf_ctx *ctx, const char *who, void *obj,
    const struct conf_val *v)
{
	struct gw_conf	*c = obj;
	const char	*k = conf_key_name(v->key);

	if (strcmp(k, "sip_networks") == 0)
		return conf_store_nets(ctx, who, v, c->acl_sip_nets,
		    CONF_MAX_NETS, &c->nacl_sip_nets);
	if (strcmp(k, "trusted_proxies") == 0)
		return conf_store_nets(ctx, who, v, c->acl_trusted_proxies,
		    CONF_MAX_NETS, &c->nacl_trusted_proxies);
	if (strcmp(k, "xmpp_domains") == 0)
		return conf_store_list(ctx, who, v, conf_canon_domain,
		    c->acl_xmpp_domains[0], sizeof(c->acl_xmpp_domains[0]),
		    CONF_MAX_DOMAINS, &c->nacl_xmpp_domains);
	return conf_val_fail(ctx, who, v, "no storage (schema bug)");
}

static int
conf_identity_store(struct conf_ctx *ctx, const char *who, void *obj,
    const struct conf_val *v)
{
	struct conf_identity	*id = obj;
	const char		*k = conf_key_name(v->key);
	char			 why[CONF_WHY_MAX];
	int			 rc = 0;

	/* sip and xmpp default to "": left out, nothing to store */
	if (strcmp(k, "sip") == 0) {
		if (v->str[0] != '\0')
			rc = conf_canon_id_sip(v->str, id->sip,
			    sizeof(id->sip), why, sizeof(why));
	} else if (strcmp(k, "xmpp") == 0) {
		if (v->str[0] != '\0')
			rc = conf_canon_jid(v->str, id->xmpp,
			    sizeof(id->xmpp), why, sizeof(why));
	} else if (strcmp(k, "number") == 0)
		rc = conf_check_e164(v->str, id->number, sizeof(id->number),
		    why, sizeof(why));
	else
		return conf_val_fail(ctx, who, v, "no storage (schema bug)");
	return rc == 0 ? 0 : conf_val_fail(ctx, who, v, why);
}

/* Whether @key belongs to list @list ("routes.x" to "routes"). */
int
conf_policy_key_in(const struct conf_key_row *key, const char *list)
{
	size_t	len = strlen(list);

	return strncmp(key->path, list, len) == 0 && key->path[len] == '.';
}

/* The words of the actions in @mask, for messages: "deny". */
static void
conf_action_words(unsigned int mask, char *out, size_t outsz)
{
	size_t	i, o = 0;
	int	n;

	out[0] = '\0';
	for (i = 0; conf_route_actions[i] != NULL && o < outsz; i++) {
		if ((mask & (1u << i)) == 0)
			continue;
		n = snprintf(out + o, outsz - o, "%s\"%s\"", o ? " or " : "",
		    conf_route_actions[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/*
 * Load group @g of list @list into @obj through @store: every key in
 * file order, then the defaults of the keys left out.  @action is the
 * route's enum conf_route_action (keys only other actions accept are
 * refused), -1 for groups without actions.
 */
static int
conf_load_group(struct conf_ctx *ctx, const char *list,
    const config_setting_t *g, const char *who, int action,
    conf_store_fn store, void *obj)
{
	const struct conf_key_row	*key;
	const config_setting_t		*m;
	struct conf_val			 v;
	const char			*name;
	char				 path[128], words[64];
	size_t				 i, n;

	n = (size_t)config_setting_length(g);
	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(g, (unsigned int)i);
		name = config_setting_name(m);
		key = NULL;
		if (snprintf(path, sizeof(path), "%s.%s", list,
		    name != NULL ? name : "") < (int)sizeof(path))
			key = conf_keys_find(path);
		if (key == NULL) {
			conf_errorf(ctx, config_setting_source_file(m),
			    config_setting_source_line(m), "%sunknown %s "
			    "'%s'", who, config_setting_is_group(m) ?
			    "group" : "setting", path);
			return -1;
		}
		if (action >= 0 && (key->actions & (1u << action)) == 0) {
			conf_action_words(key->actions, words, sizeof(words));
			conf_errorf(ctx, config_setting_source_file(m),
			    config_setting_source_line(m), "%s%s is not "
			    "allowed with action \"%s\" (only with %s)", who,
			    path, conf_route_actions[action], words);
			return -1;
		}
		if (conf_val_read(ctx, who, key, m, &v) == -1 ||
		    store(ctx, who, obj, &v) == -1)
			return -1;
	}
	for (i = 0; i < conf_keys_len; i++) {
		key = &conf_keys[i];
		if (!conf_policy_key_in(key, list) ||
		    (action >= 0 && (key->actions & (1u << action)) == 0) ||
		    config_setting_get_member(g, conf_key_name(key)) != NULL)
			continue;
		if (key->def == NULL) {
			conf_errorf(ctx, config_setting_source_file(g),
			    config_setting_source_line(g), "%s%s is required",
			    who, key->path);
			return -1;
		}
		conf_val_default(key, config_setting_source_file(g),
		    config_setting_source_line(g), &v);
		if (store(ctx, who, obj, &v) == -1)
			return -1;
	}
	return 0;
}

/*
 * The name of route or dial plan number @idx (from 1), which every
 * later message shows: "route 'uk': ".  Until it is known, "route 3: ".
 */
static int
conf_group_name(struct conf_ctx *ctx, const char *list, const char *label,
    const config_setting_t *g, size_t idx, char *who, size_t whosz,
    char *name, size_t namesz)
{
	const struct conf_key_row	*key;
	const config_setting_t		*m;
	struct conf_val			 v;
	char				 path[64], why[CONF_WHY_MAX];

	snprintf(who, whosz, "%s %zu: ", label, idx);
	snprintf(path, sizeof(path), "%s.name", list);
	key = conf_keys_find(path);
	if (key == NULL || (m = config_setting_get_member(g, "name")) ==
	    NULL) {
		conf_errorf(ctx, config_setting_source_file(g),
		    config_setting_source_line(g), "%s%s is required", who,
		    path);
		return -1;
	}
	if (conf_val_read(ctx, who, key, m, &v) == -1)
		return -1;
	if (conf_check_name(v.str, why, sizeof(why)) == -1)
		return conf_val_fail(ctx, who, &v, why);
	snprintf(name, namesz, "%s", v.str);
	snprintf(who, whosz, "%s '%s': ", label, v.str);
	return 0;
}

/* @g must be a list of groups of at most @max entries. */
static int
conf_check_group_list(struct conf_ctx *ctx, const config_setting_t *s,
    const char *list, size_t max)
{
	const config_setting_t	*e;
	size_t			 i, n;

	if (!config_setting_is_list(s)) {
		conf_errorf(ctx, config_setting_source_file(s),
		    config_setting_source_line(s), "%s: expected a list of "
		    "groups: %s = ( { ... }, { ... } );", list, list);
		return -1;
	}
	n = (size_t)config_setting_length(s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (!config_setting_is_group(e)) {
			conf_errorf(ctx, config_setting_source_file(e),
			    config_setting_source_line(e), "%s: entry %zu: "
			    "expected a group { ... }", list, i + 1);
			return -1;
		}
	}
	if (n > max) {
		conf_errorf(ctx, config_setting_source_file(s),
		    config_setting_source_line(s), "%s: %zu entries, at most "
		    "%zu allowed", list, n, max);
		return -1;
	}
	return 0;
}

/* The line of key @name in group @g, else the group's own line. */
static unsigned int
conf_member_line(const config_setting_t *g, const char *name)
{
	const config_setting_t	*m = config_setting_get_member(g, name);

	return config_setting_source_line(m != NULL ? m : g);
}

/* Whether route @a matches every message route @b would match. */
static int
conf_route_covers(const struct conf_route *a, const struct conf_route *b)
{
	return a->nnets == 0 && a->ndomains == 0 &&
	    (a->from == PROTO_NONE || a->from == b->from) &&
	    strncmp(a->prefix, b->prefix, strlen(a->prefix)) == 0;
}

int
conf_policy_routes(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c)
{
	const struct conf_key_row	*akey;
	const config_setting_t		*g, *m;
	struct conf_route		*r;
	struct conf_val			 v;
	const char			*file;
	char				 who[CONF_WHO_MAX];
	char				 name[CONF_NAME_MAX];
	size_t				 i, j, n;

	if (conf_check_group_list(ctx, s, "routes", CONF_MAX_ROUTES) == -1)
		return -1;
	memset(c->routes, 0, sizeof(c->routes));
	c->nroutes = 0;
	akey = conf_keys_find("routes.action");
	n = (size_t)config_setting_length(s);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, (unsigned int)i);
		file = config_setting_source_file(g);
		r = &c->routes[i];
		r->line = (int)config_setting_source_line(g);
		if (conf_group_name(ctx, "routes", "route", g, i + 1, who,
		    sizeof(who), name, sizeof(name)) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(c->routes[j].name, name) == 0) {
				conf_errorf(ctx, file, conf_member_line(g,
				    "name"), "duplicate route name '%s' "
				    "(route at line %d)", name,
				    c->routes[j].line);
				return -1;
			}
		if ((m = config_setting_get_member(g, "action")) == NULL) {
			conf_errorf(ctx, file, (unsigned int)r->line,
			    "%sroutes.action is required", who);
			return -1;
		}
		if (akey == NULL || conf_val_read(ctx, who, akey, m,
		    &v) == -1)
			return -1;
		if (conf_load_group(ctx, "routes", g, who, v.word,
		    conf_route_store, r) == -1)
			return -1;

		/* Checks that involve several keys. */
		if (r->from == PROTO_XMPP && r->nnets > 0) {
			conf_errorf(ctx, file, conf_member_line(g,
			    "networks"), "%sroutes.networks: only SIP senders "
			    "have networks, and from is \"xmpp\"", who);
			return -1;
		}
		if (r->from == PROTO_SIP && r->ndomains > 0) {
			conf_errorf(ctx, file, conf_member_line(g, "domains"),
			    "%sroutes.domains: only XMPP senders have domains, "
			    "and from is \"sip\"", who);
			return -1;
		}
		/* All conditions must hold, and a sender is either SIP
		 * (an address) or XMPP (a domain). */
		if (r->nnets > 0 && r->ndomains > 0) {
			conf_errorf(ctx, file, conf_member_line(g, "domains"),
			    "route '%s' can never match: a sender is SIP "
			    "(routes.networks) or XMPP (routes.domains), not "
			    "both; make it two routes", r->name);
			return -1;
		}
		if (r->nfallback == 0 &&
		    config_setting_get_member(g, "fallback_on") != NULL) {
			conf_errorf(ctx, file, conf_member_line(g,
			    "fallback_on"), "%sroutes.fallback_on: no "
			    "routes.fallback to fall back to", who);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (conf_route_covers(&c->routes[j], r)) {
				conf_errorf(ctx, file, (unsigned int)r->line,
				    "route '%s' can never match: route '%s' "
				    "(line %d) catches everything it would",
				    r->name, c->routes[j].name,
				    c->routes[j].line);
				return -1;
			}
		c->nroutes = i + 1;
	}
	return 0;
}

int
conf_policy_dialplans(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c)
{
	const config_setting_t	*g;
	struct conf_dialplan	*d;
	const char		*file;
	char			 who[CONF_WHO_MAX];
	char			 name[CONF_NAME_MAX];
	size_t			 i, j, n;

	if (conf_check_group_list(ctx, s, "dialplans",
	    CONF_MAX_DIALPLANS) == -1)
		return -1;
	memset(c->dialplans, 0, sizeof(c->dialplans));
	c->ndialplans = 0;
	n = (size_t)config_setting_length(s);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, (unsigned int)i);
		file = config_setting_source_file(g);
		d = &c->dialplans[i];
		d->line = (int)config_setting_source_line(g);
		if (conf_group_name(ctx, "dialplans", "dial plan", g, i + 1,
		    who, sizeof(who), name, sizeof(name)) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(c->dialplans[j].name, name) == 0) {
				conf_errorf(ctx, file, conf_member_line(g,
				    "name"), "duplicate dial plan name '%s' "
				    "(dial plan at line %d)", name,
				    c->dialplans[j].line);
				return -1;
			}
		if (conf_load_group(ctx, "dialplans", g, who, -1,
		    conf_dialplan_store, d) == -1)
			return -1;

		/* Checks that involve several keys. */
		if (d->min_length > d->max_length) {
			conf_errorf(ctx, file, conf_member_line(g,
			    config_setting_get_member(g, "max_length") ?
			    "max_length" : "min_length"), "%sdialplans."
			    "min_length %d is more than dialplans.max_length "
			    "%d", who, d->min_length, d->max_length);
			return -1;
		}
		if (strlen(d->country_code) + (size_t)d->max_length > 15) {
			conf_errorf(ctx, file, conf_member_line(g,
			    config_setting_get_member(g, "max_length") ?
			    "max_length" : "country_code"), "%scountry code "
			    "%s and dialplans.max_length %d make %zu digits, "
			    "E.164 allows 15", who, d->country_code,
			    d->max_length, strlen(d->country_code) +
			    (size_t)d->max_length);
			return -1;
		}
		if (strcmp(d->national_prefix, d->international_prefix) ==
		    0) {
			conf_errorf(ctx, file, conf_member_line(g,
			    "international_prefix"), "%sdialplans."
			    "international_prefix \"%s\" is also the "
			    "national_prefix", who, d->international_prefix);
			return -1;
		}
		c->ndialplans = i + 1;
	}
	return 0;
}

/*
 * identities = ( { sip = "sip:alice@a.example"; number = "+1202..."; },
 *		  { xmpp = "juliet@b.example"; number = "+1202..."; } );
 * Each group names one sender, SIP or XMPP, and no sender twice: the
 * canonical forms differ (hosts and domains lower-case, users and local
 * parts as written, as routing/policy.c compares them).
 */
int
conf_policy_identities(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c)
{
	const config_setting_t	*g, *msip, *mxmpp;
	struct conf_identity	*id;
	const char		*file;
	char			 who[CONF_WHO_MAX], q[96];
	size_t			 i, j, n;

	if (conf_check_group_list(ctx, s, "identities",
	    CONF_MAX_IDENTITIES) == -1)
		return -1;
	memset(c->identities, 0, sizeof(c->identities));
	c->nidentities = 0;
	n = (size_t)config_setting_length(s);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, (unsigned int)i);
		file = config_setting_source_file(g);
		id = &c->identities[i];
		id->line = (int)config_setting_source_line(g);
		snprintf(who, sizeof(who), "identity %zu: ", i + 1);
		if (conf_load_group(ctx, "identities", g, who, -1,
		    conf_identity_store, id) == -1)
			return -1;

		/* Checks that involve several keys. */
		msip = config_setting_get_member(g, "sip");
		mxmpp = config_setting_get_member(g, "xmpp");
		if (msip != NULL && mxmpp != NULL) {
			conf_errorf(ctx, file, config_setting_source_line(
			    config_setting_source_line(msip) >
			    config_setting_source_line(mxmpp) ? msip : mxmpp),
			    "%sidentities.sip and identities.xmpp are both "
			    "set; an identity is one SIP or one XMPP sender "
			    "(make it two identities)", who);
			return -1;
		}
		if (msip == NULL && mxmpp == NULL) {
			conf_errorf(ctx, file, (unsigned int)id->line,
			    "%sidentities.sip or identities.xmpp is required",
			    who);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (id->sip[0] != '\0' &&
			    strcmp(c->identities[j].sip, id->sip) == 0)
				conf_quote(id->sip, q, sizeof(q));
			else if (id->xmpp[0] != '\0' &&
			    strcmp(c->identities[j].xmpp, id->xmpp) == 0)
				conf_quote(id->xmpp, q, sizeof(q));
			else
				continue;
			conf_errorf(ctx, file, conf_member_line(g,
			    id->sip[0] != '\0' ? "sip" : "xmpp"),
			    "%sduplicate identities.%s %s (identity at line "
			    "%d)", who, id->sip[0] != '\0' ? "sip" : "xmpp",
			    q, c->identities[j].line);
			return -1;
		}
		c->nidentities = i + 1;
	}
	return 0;
}

int
conf_policy_acl(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c)
{
	if (!config_setting_is_group(s)) {
		conf_errorf(ctx, config_setting_source_file(s),
		    config_setting_source_line(s), "acl: expected group");
		return -1;
	}
	return conf_load_group(ctx, "acl", s, "", -1, conf_acl_store, c);
}
