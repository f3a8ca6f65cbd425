/*
 * conf/conf.h - imgate configuration: the only module that sees libconfig.
 *
 * Everything else reads an immutable struct gw_conf built once by
 * conf_load() (startup, imgated -n, SIGHUP, imgate-lookup -f).  Options are
 * declared in conf/conf_schema.c, one row per option; docs/imgate.conf.5
 * has one entry per row, and tests/check_docsync.sh enforces it.
 */
#ifndef CONF_CONF_H
#define CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_LIST	16	/* entries in any list option */
#define CONF_STR_MAX	256	/* bytes in any string option, incl. NUL */

enum conf_dnssec { CONF_DNSSEC_OFF, CONF_DNSSEC_PREFER, CONF_DNSSEC_REQUIRE };
enum conf_implicit { CONF_IMPLICIT_OFF, CONF_IMPLICIT_SIP, CONF_IMPLICIT_XMPP };
enum conf_large { CONF_LARGE_TCP, CONF_LARGE_REFUSE };

struct gw_conf {
	/* gateway */
	char		domain[CONF_STR_MAX];	/* host part imgate uses in
						 * From/JIDs, "gw.example.org" */
	char		log_level[16];		/* error|warning|info|debug */

	/* sip */
	char		sip_listen[CONF_STR_MAX]; /* "sip:127.0.0.1:5060" (UDP+TCP) */
	int64_t		sip_timeout_ms;		/* downstream final answer wait */
	int64_t		sip_max_body;		/* bytes; bigger -> 413 */

	/* dns */
	char		dns_servers[CONF_MAX_LIST][CONF_STR_MAX]; /* "IP:PORT" */
	size_t		ndns_servers;		/* 0 = /etc/resolv.conf */
	int64_t		dns_timeout_ms;		/* per try */
	int64_t		dns_tries;
	enum conf_dnssec dnssec;
	int64_t		dns_cache_entries;	/* 0 disables the cache */
	int64_t		dns_cache_max_ttl;	/* seconds, caps positive TTLs */
	int64_t		dns_negative_max_ttl;	/* seconds, caps RFC 2308 TTL */
	int64_t		dns_servfail_ttl;	/* seconds a failure is cached */
	bool		dns_serve_stale;	/* RFC 8767 */

	/* enum */
	char		enum_suffixes[CONF_MAX_LIST][CONF_STR_MAX]; /* absolute */
	size_t		nenum_suffixes;
	char		enum_services[CONF_MAX_LIST][32]; /* lower-case types */
	size_t		nenum_services;
	char		im_protocols[CONF_MAX_LIST][8];	/* "sip", "xmpp" */
	size_t		nim_protocols;
	int64_t		enum_max_chain;
	int64_t		enum_max_queries;	/* NAPTR+SRV+A per lookup */
	int64_t		max_digits;
	bool		enum_legacy_syntax;
	bool		enum_allow_private;
	bool		enum_scheme_check;
	bool		enum_strict_delimiters;
	bool		sip_plus_without_user_phone;
	enum conf_implicit implicit_srv;
	int64_t		srv_max_targets;	/* delivery attempts (>= 2) */

	/* xmpp (XEP-0114 component) */
	bool		xmpp_enable;
	char		xmpp_server[CONF_STR_MAX];	/* IP literal */
	int64_t		xmpp_port;
	char		xmpp_domain[CONF_STR_MAX];	/* component name */
	char		xmpp_secret[CONF_STR_MAX];
	int64_t		xmpp_receipt_wait_ms;	/* SIP->XMPP: 202 after */
	int64_t		xmpp_queue_max;		/* held while disconnected */
	int64_t		xmpp_queue_wait_ms;
	int64_t		xmpp_reconnect_max_ms;	/* backoff cap */
	enum conf_large	xmpp_large_to_sip;	/* > 1300 bytes to SIP */

	/* limits */
	int64_t		max_transactions;	/* in flight; beyond -> 503 */
	int64_t		txn_deadline_ms;	/* whole transaction */
};

/**
 * Fill @c with every schema default.  Never fails.
 */
void conf_defaults(struct gw_conf *c);

/**
 * Load @path into @c (defaults first, then the file).  Unknown settings,
 * wrong types and out-of-range values are errors.
 * @param err    caller buffer receiving "FILE:LINE: what is wrong"
 * @return 0 on success, -1 with @err filled (and @c unspecified)
 */
int conf_load(const char *path, struct gw_conf *c, char *err, size_t errsz);

#endif /* CONF_CONF_H */
