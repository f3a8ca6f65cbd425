/*
 * conf/conf_schema.h - the declarative table behind struct gw_conf.
 *
 * Startup step zero, before any message flows: conf/conf_load.c walks
 * the libconfig tree once and uses this table to decide, for every
 * setting, whether it exists, what type it has, which bounds apply and
 * where it lands in struct gw_conf.  The table holds data only; the
 * checks it names (enum conf_check) are carried out by conf/conf_load.c
 * with the parsers of conf/conf_value.c.  docs/imgate.conf.5 has one
 * entry per row and tests/check_docsync.sh keeps both in step.
 * Only conf/ includes this header.
 */
#ifndef CONF_CONF_SCHEMA_H
#define CONF_CONF_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a setting must look like in the file and how it is stored. */
enum conf_type {
	CONF_TYPE_STRING,	/* char[size]; min/max bound the length */
	CONF_TYPE_INT,		/* int64_t; min/max bound the value */
	CONF_TYPE_BOOL,		/* bool */
	CONF_TYPE_LIST,		/* char[n][size] + size_t count at count_off;
				 * min/max bound the number of entries */
	CONF_TYPE_ENUM		/* a string from `allowed', stored as the
				 * index into an int-sized C enum */
};

/* Syntax check and canonical form applied to a string or list entry. */
enum conf_check {
	CONF_CHECK_NONE,
	CONF_CHECK_HOST,	/* DNS host name, stored lower-case */
	CONF_CHECK_SIP_URI,	/* sip:HOST[:PORT][;params] */
	CONF_CHECK_SERVER,	/* IP or IP:PORT, stored "IP:PORT" */
	CONF_CHECK_SUFFIX,	/* DNS name, stored lower-case, absolute */
	CONF_CHECK_IP		/* IPv4 or IPv6 literal, stored as written */
};

struct conf_schema_row {
	const char	*path;		/* libconfig path, "dns.tries" */
	enum conf_type	 type;
	const char	*def;		/* default as text; for lists the
					 * entries joined by ',' */
	int64_t		 min;		/* see enum conf_type */
	int64_t		 max;
	const char *const *allowed;	/* NULL-terminated words an enum,
					 * string or list entry must be one
					 * of; NULL = free text */
	enum conf_check	 check;
	bool		 reload;	/* a SIGHUP applies it */
	size_t		 off;		/* offsetof(struct gw_conf, field) */
	size_t		 size;		/* sizeof the field (one list entry) */
	size_t		 count_off;	/* lists: offsetof the entry count */
	const char	*doc;		/* one line for humans */
};

/*
 * Keys of the groups that do not map onto one struct field each: the
 * groups inside the lists "routes", "dialplans" and "identities", and
 * the "acl" group (its lists hold struct conf_net, which CONF_TYPE_LIST
 * cannot store).  conf/conf_policy.c parses these by hand, but this
 * table decides which keys exist, their type, bounds and allowed words,
 * and which route actions accept them; docs/imgate.conf.5 has one entry
 * per row, checked by tests/check_docsync.sh as for conf_schema[].
 */
#define CONF_ACT_ENUM	(1u << 0)	/* bit (1 << enum conf_route_action) */
#define CONF_ACT_STATIC	(1u << 1)
#define CONF_ACT_DENY	(1u << 2)
#define CONF_ACT_ALL	(CONF_ACT_ENUM | CONF_ACT_STATIC | CONF_ACT_DENY)

struct conf_key_row {
	const char	*path;		/* "routes.prefix": list.key */
	enum conf_type	 type;		/* STRING, INT or LIST (of strings) */
	const char	*def;		/* default as text (lists: joined by
					 * ','); NULL = the key is required */
	int64_t		 min;		/* STRING: length; INT: value; */
	int64_t		 max;		/* LIST: number of entries */
	const char *const *allowed;	/* NULL-terminated words a string or
					 * list entry must be one of */
	unsigned	 actions;	/* routes.*: CONF_ACT_* bits of the
					 * actions that accept the key */
	bool		 reload;	/* a SIGHUP applies it */
	const char	*doc;		/* one line for humans */
};

extern const struct conf_key_row conf_keys[];
extern const size_t conf_keys_len;

/* Words of routes.from, routes.action and routes.fallback_on; index
 * order follows enum proto and enum conf_route_action. */
extern const char *const conf_route_froms[];
extern const char *const conf_route_actions[];
extern const char *const conf_fallback_ons[];
extern const char *const conf_route_modes[];

/**
 * Find the key row for "list.key" ("routes.prefix", "acl.sip_networks").
 * @return the row (static storage) or NULL
 */
const struct conf_key_row *conf_keys_find(const char *path);

/* The rows, in the order the man page lists them. */
extern const struct conf_schema_row conf_schema[];
extern const size_t conf_schema_len;

/**
 * Find the row for a full dotted path.
 * @param path	"dns.tries"; borrowed
 * @return the row (static storage) or NULL when no such option exists
 */
const struct conf_schema_row *conf_schema_find(const char *path);

/**
 * Tell whether @path names a group that holds options ("dns").
 * @return true when some row's path starts with "@path."
 */
bool conf_schema_is_group(const char *path);

/**
 * The word error messages and docs use for a type: "integer", ...
 * @return a static string, never NULL
 */
const char *conf_schema_typename(enum conf_type type);

#endif /* CONF_CONF_SCHEMA_H */
