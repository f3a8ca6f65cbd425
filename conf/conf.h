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

#include "conf/proto.h"

#define CONF_MAX_LIST	16	/* entries in any list option */
#define CONF_STR_MAX	256	/* bytes in any string option, incl. NUL */

enum conf_dnssec { CONF_DNSSEC_OFF, CONF_DNSSEC_PREFER, CONF_DNSSEC_REQUIRE };
enum conf_large { CONF_LARGE_TCP, CONF_LARGE_REFUSE };
/* SIP isComposing (RFC 3994) towards XMPP: XEP-0085 chat state or none. */
enum conf_chat_states { CONF_CHAT_MAP, CONF_CHAT_DROP };
enum conf_dns_health_mode { CONF_DNS_HUNT, CONF_DNS_ROUND_ROBIN };
/* The oldest TLS version the SIP edge speaks (sip.tls.min_version). */
enum conf_tls_version { CONF_TLS_1_2, CONF_TLS_1_3 };
enum conf_dns_probe_type {
	CONF_DNS_PROBE_SOA, CONF_DNS_PROBE_NS, CONF_DNS_PROBE_NAPTR,
	CONF_DNS_PROBE_A, CONF_DNS_PROBE_AAAA, CONF_DNS_PROBE_SRV
};

/*
 * Routing policy (imgate.conf(5) "ROUTING").  Routes are tried in order,
 * the first whose match holds decides (first match wins).
 */
#define CONF_MAX_ROUTES		64
#define CONF_MAX_DIALPLANS	16
#define CONF_MAX_NETS		16	/* networks in one match/ACL list */
#define CONF_MAX_DOMAINS	16	/* domains in one match/ACL list */
#define CONF_MAX_FALLBACK	4	/* targets in one fallback chain */
#define CONF_NAME_MAX		64

enum conf_route_action { CONF_ROUTE_ENUM, CONF_ROUTE_STATIC,
    CONF_ROUTE_DENY };
/* How a route delivers: answer with the downstream result (relay), or
 * spool durably, answer 202 and retry (store-and-forward). */
enum conf_route_mode { CONF_MODE_RELAY, CONF_MODE_SAF };
/* Where the spool keeps its rows (gateway/spool_be.h). */
enum conf_spool_backend { CONF_SPOOL_SQLITE, CONF_SPOOL_POSTGRESQL };

/* An address prefix, "10.0.0.0/8" or "2001:db8::/32". */
struct conf_net {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];	/* network bytes, host bits zero */
	unsigned	 prefixlen;
};

/*
 * A static target (routes.target, routes.fallback), parsed once at load
 * by conf_target_parse(), the one parser of targets: routing/policy.c
 * only fills the number in, per message, without parsing again.
 */
enum conf_target_kind {
	CONF_TARGET_SIP,	/* SIP MESSAGE to host:port */
	CONF_TARGET_XMPP,	/* <message/> to NUMBER@host */
	CONF_TARGET_IM		/* im:USER@host, resolved with RFC 3861 */
};

struct conf_target {
	char		 text[CONF_STR_MAX];	/* canonical, for logs and
						 * duplicate checks */
	enum conf_target_kind kind;
	bool		 secure;		/* sips: */
	/* SIP or IM user part as written; "" = the number goes there */
	char		 user[CONF_STR_MAX];
	/* host or domain, lower case; an IPv6 literal without brackets */
	char		 host[CONF_STR_MAX];
	/* SIP: the port written, else 5061 for sips: or ;transport=tls,
	 * else 5060; XMPP and IM: 0 */
	uint16_t	 port;
	char		 params[CONF_STR_MAX];	/* SIP ";a=b;c", as written */
};

struct conf_route {
	char		 name[CONF_NAME_MAX];	/* for logs and lookup */
	int		 line;			/* where it was defined */
	/* match: all given conditions must hold; empty = any */
	char		 prefix[32];		/* E.164 prefix, "+1202" */
	enum proto from;		/* source protocol */
	struct conf_net	 nets[CONF_MAX_NETS];	/* SIP source networks */
	size_t		 nnets;
	char		 domains[CONF_MAX_DOMAINS][CONF_STR_MAX];
	size_t		 ndomains;		/* XMPP sender domains */
	/* action */
	enum conf_route_action action;
	enum conf_route_mode mode;		/* enum/static routes */
	/* enum: per-route overrides, empty = the enum group's */
	char		 suffixes[8][CONF_STR_MAX];
	size_t		 nsuffixes;
	char		 enumservices[8][32];
	size_t		 nenumservices;
	char		 protocols[2][8];
	size_t		 nprotocols;
	/* static: "sip:HOST[:PORT]" (the number becomes the user part),
	 * "sip:USER@HOST[:PORT]", "xmpp:DOMAIN" (number@DOMAIN) or an
	 * "im:USER@DOMAIN" URI resolved with RFC 3861 */
	struct conf_target target;
	/* deny: the SIP status returned (400..699) */
	int		 deny_status;
	/* fallback chain: static targets tried, in order, when ENUM gives
	 * no route (fallback_noroute) or fails temporarily
	 * (fallback_tempfail) */
	struct conf_target fallback[CONF_MAX_FALLBACK];
	size_t		 nfallback;
	bool		 fallback_noroute;
	bool		 fallback_tempfail;
};

/* National -> E.164 for senders matching nets/domains. */
struct conf_dialplan {
	char		 name[CONF_NAME_MAX];
	int		 line;
	struct conf_net	 nets[CONF_MAX_NETS];	/* SIP sources; empty = any */
	size_t		 nnets;
	char		 domains[CONF_MAX_DOMAINS][CONF_STR_MAX];
	size_t		 ndomains;		/* XMPP sender domains */
	char		 country_code[4];	/* "1", "44" */
	char		 national_prefix[8];	/* "1" (NANP), "0" (UK), "" */
	char		 international_prefix[8]; /* "011", "00" */
	int		 min_length;		/* national significant */
	int		 max_length;		/* number digits */
};

/*
 * Identity table: present a sender as its E.164 number instead of an
 * escaped address (carriers want numbers).  One of sip/xmpp is set.
 */
#define CONF_MAX_IDENTITIES	64

struct conf_identity {
	int		 line;
	char		 sip[CONF_STR_MAX];	/* "sip:alice@a.example" */
	char		 xmpp[CONF_STR_MAX];	/* bare JID "juliet@b.example" */
	char		 number[32];		/* "+12025550123" */
};

struct gw_conf {
	/* gateway */
	char		domain[CONF_STR_MAX];	/* host part imgate uses in
						 * From/JIDs, "gw.example.org" */
	char		user[64];		/* serve as; "" = stay */
	char		group[64];		/* "" = user's login group */
	bool		allow_root;		/* may serve as root */
	int64_t		shutdown_grace_ms;	/* SIGTERM: time to finish */
	int64_t		workers;		/* processes; 0 = one per CPU */
	int64_t		overload_lag_ms;	/* shed above; 0 = never */
	int64_t		overload_wait_ms;	/* UDP wait target; 0: off */
	char		log_level[16];		/* error|warning|info|debug */
	char		log_format[8];		/* text|json */
	bool		log_bodies;		/* bodies in txn lines */
	char		log_facility[16];	/* syslog facility name */
	char		log_ident[32];		/* syslog ident */
	int64_t		log_refusal_burst;	/* 0: no limit */
	int64_t		log_refusal_interval_s;	/* its window */

	/* sip */
	char		sip_listen[CONF_STR_MAX]; /* "sip:127.0.0.1:5060" (UDP+TCP) */
	int64_t		sip_timeout_ms;		/* downstream final answer wait */
	int64_t		sip_max_body;		/* bytes; bigger -> 413 */
	int64_t		sip_max_header_line;	/* bytes; longer -> 513 */
	int64_t		sip_max_headers_size;	/* bytes; more -> 513 */
	int64_t		sip_max_headers;	/* count; more -> 513 */
	int64_t		sip_max_connections_per_source;	/* TCP+TLS, one
						 * address, per process; 0: no
						 * limit */
	/* sip.tls: a TLS listener, also the transport for sips: targets */
	char		sip_tls_listen[CONF_STR_MAX];	/* "sips:..." or "" */
	char		sip_tls_certificate[CONF_STR_MAX]; /* PEM, chain */
	char		sip_tls_key[CONF_STR_MAX];	/* PEM, unencrypted */
	char		sip_tls_ca_file[CONF_STR_MAX];	/* PEM: peers' CAs */
	bool		sip_tls_verify_client;	/* demand a client cert */
	/* cipher policy: OpenSSL list for TLS 1.2, TLS 1.3 suites */
	char		sip_tls_ciphers[CONF_STR_MAX];
	char		sip_tls_ciphersuites[CONF_STR_MAX];
	enum conf_tls_version sip_tls_min_version;

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
	bool		dns_case_randomization;	/* DNS 0x20 */
	int64_t		dns_udp_max_queries;	/* per source port; 0 = no limit */
	int64_t		dns_health_failures;	/* in a row: out */
	int64_t		dns_health_interval_ms;	/* between probes */
	enum conf_dns_health_mode dns_health_mode;
	char		dns_health_probe_name[CONF_STR_MAX]; /* absolute */
	enum conf_dns_probe_type dns_health_probe_type;

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
	enum proto implicit_srv;
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
	int64_t		xmpp_max_stanza;	/* bytes, from the server */
	int64_t		xmpp_dead_after_s;	/* TCP keepalive, user timeout */
	enum conf_large	xmpp_large_to_sip;	/* > 1300 bytes to SIP */
	enum conf_chat_states xmpp_chat_states;	/* isComposing -> XMPP */
	bool		xmpp_request_imdn;	/* XMPP->SIP: CPIM + IMDN ask */
	int64_t		xmpp_notify_max;	/* correlation entries, cap */
	int64_t		xmpp_notify_ttl_s;	/* correlation lifetime */

	/* limits */
	int64_t		max_transactions;	/* in flight; beyond -> 503 */
	int64_t		txn_deadline_ms;	/* whole transaction */

	/* routing policy */
	struct conf_route routes[CONF_MAX_ROUTES];
	size_t		nroutes;		/* 0: everything via ENUM */
	struct conf_dialplan dialplans[CONF_MAX_DIALPLANS];
	size_t		ndialplans;

	/* access control: empty lists allow everyone */
	struct conf_net	acl_sip_nets[CONF_MAX_NETS];
	size_t		nacl_sip_nets;
	char		acl_xmpp_domains[CONF_MAX_DOMAINS][CONF_STR_MAX];
	size_t		nacl_xmpp_domains;
	/* SIP proxies whose topmost Via is trusted to name the sender
	 * (imgate.conf(5) acl.trusted_proxies) */
	struct conf_net	acl_trusted_proxies[CONF_MAX_NETS];
	size_t		nacl_trusted_proxies;

	/* identities */
	struct conf_identity identities[CONF_MAX_IDENTITIES];
	size_t		nidentities;

	/* store-and-forward spool (gateway/flow/spool) */
	char		spool_path[CONF_STR_MAX]; /* SQLite file */
	int64_t		spool_retry_initial_ms;	/* first retry after */
	int64_t		spool_retry_max_ms;	/* backoff cap */
	int64_t		spool_max_age_s;	/* then final failure */
	int64_t		spool_max_messages;	/* beyond -> 503 */
	int64_t		spool_commit_ms;	/* group commit window */
	int64_t		spool_max_inflight;	/* deliveries at once */
	enum conf_spool_backend spool_backend;
	char		spool_conninfo[CONF_STR_MAX];	/* libpq string */
	char		spool_password_file[CONF_STR_MAX]; /* "" = none */
	char		spool_node_id[CONF_STR_MAX];	/* "" = host:pid */
	int64_t		spool_lease_s;		/* claim held this long */

	/* metrics, control */
	bool		metrics_enable;
	char		metrics_listen[CONF_STR_MAX];	/* "IP:PORT" */
	char		control_socket[108];	/* sun_path; "" = none */

	/* per-source token bucket (source = SIP IP / XMPP bare JID) */
	int64_t		ratelimit_rate;		/* messages/s, 0 = off */
	int64_t		ratelimit_burst;
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

/**
 * Parse a static target ("sip:HOST[:PORT][;params]", "sip:USER@HOST...",
 * the same with sips:, "xmpp:DOMAIN", "im:USER@DOMAIN") into @t.  The
 * loader calls it for routes.target and routes.fallback; tests call it to
 * build targets the way the loader does.
 * @param in     the target as written, borrowed
 * @param t      caller-owned result; zeroed on failure
 * @param why    caller buffer (256 bytes are enough) receiving what is
 *               wrong, quoting @in
 * @return 0, or -1 with @why filled
 */
int conf_target_parse(const char *in, struct conf_target *t, char *why,
    size_t whysz);

/* Room for one value in a reload report (a list of 16 names fits). */
#define CONF_VALUE_TEXT	1024

/*
 * Told about one option a reload changes: @path ("dns.servfail_ttl", or
 * "routes", "dialplans", "acl", "identities" for a whole group), whether
 * the reload applies it, and the old and new values as the file writes
 * them (secrets not shown).  The strings are borrowed for the call.
 */
typedef void conf_change_fn(void *arg, const char *path, bool applied,
    const char *was, const char *now);

/**
 * Prepare @new, freshly loaded, to replace @old on SIGHUP.  Every
 * option that differs is reported to @fn (may be NULL).  An option the
 * schema marks restart-only (reload flag false, imgate.conf(5)
 * "Reloadable: no") gets its running value back in @new: it takes
 * effect at the next start, and @new then describes what the daemon
 * really does.
 * @return the number of options that differ (applied or not)
 */
size_t conf_reload_merge(const struct gw_conf *old, struct gw_conf *new,
    conf_change_fn *fn, void *arg);

#endif /* CONF_CONF_H */
