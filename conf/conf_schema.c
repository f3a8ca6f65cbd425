/*
 * conf/conf_schema.c - every imgate option, one row each.
 *
 * This is the single list of what imgate.conf may contain.
 * conf/conf_load.c reads it twice: conf_defaults() turns the `def'
 * column into a struct gw_conf, and conf_load() uses the rest of the row
 * to accept, check and store each setting found in the file.  Adding an
 * option means adding a field to struct gw_conf, a row here and an entry
 * to docs/imgate.conf.5 (tests/check_docsync.sh fails until all three
 * agree).
 *
 * Rows keep `.path' as the first thing on their first line: the docs
 * test extracts paths with awk and relies on it.  The second table,
 * conf_keys[], lists the keys of the list-of-groups options ("routes",
 * "dialplans", "identities") and of "acl", which conf/conf_policy.c
 * parses by hand; it follows the same conventions and is checked against
 * the man page the same way.
 */
#include <string.h>

#include "conf/conf.h"
#include "conf/conf_schema.h"

/* Where a scalar field lives and how big it is. */
#define CONF_FIELD(m)	.off = offsetof(struct gw_conf, m), \
			.size = sizeof(((struct gw_conf *)0)->m)

/* Where a list lives: entries of one size, plus a separate count. */
#define CONF_LIST(m, n)	.off = offsetof(struct gw_conf, m), \
			.size = sizeof(((struct gw_conf *)0)->m[0]), \
			.count_off = offsetof(struct gw_conf, n)

/* The loader stores CONF_TYPE_ENUM values through an int. */
_Static_assert(sizeof(enum conf_dnssec) == sizeof(int),
    "enum conf_dnssec must be int-sized");
_Static_assert(sizeof(enum proto) == sizeof(int),
    "enum proto must be int-sized");
_Static_assert(sizeof(enum conf_large) == sizeof(int),
    "enum conf_large must be int-sized");
_Static_assert(sizeof(enum conf_chat_states) == sizeof(int),
    "enum conf_chat_states must be int-sized");
_Static_assert(sizeof(enum conf_tls_version) == sizeof(int),
    "enum conf_tls_version must be int-sized");

static const char *const conf_log_levels[] = {
	"error", "warning", "info", "debug", NULL
};

static const char *const conf_log_formats[] = {
	"text", "json", NULL
};

/* The names log_facility_parse() (gateway/log) knows. */
static const char *const conf_log_facilities[] = {
	"daemon", "user", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7", NULL
};

/* Index order must follow enum conf_dnssec. */
static const char *const conf_dnssec_modes[] = {
	"off", "prefer", "require", NULL
};

/* Index order must follow enum conf_spool_backend. */
static const char *const conf_spool_backends[] = {
	"sqlite", "postgresql", NULL
};

/* Index order must follow enum proto. */
static const char *const conf_implicit_modes[] = {
	"off", "sip", "xmpp", NULL
};

/* Index order must follow enum conf_large. */
static const char *const conf_large_modes[] = {
	"tcp", "refuse", NULL
};

/* Index order must follow enum conf_tls_version. */
static const char *const conf_tls_versions[] = {
	"1.2", "1.3", NULL
};

/* Index order must follow enum conf_chat_states. */
static const char *const conf_chat_modes[] = {
	"map", "drop", NULL
};

/* Index order must follow enum conf_dns_health_mode. */
static const char *const conf_dns_health_modes[] = {
	"hunt", "round-robin", NULL
};

/* Index order must follow enum conf_dns_probe_type. */
static const char *const conf_dns_probe_types[] = {
	"SOA", "NS", "NAPTR", "A", "AAAA", "SRV", NULL
};

static const char *const conf_enumservices[] = {
	"im", "sip", "xmpp", "pres", NULL
};

static const char *const conf_protocols[] = {
	"sip", "xmpp", NULL
};

const struct conf_schema_row conf_schema[] = {
	/* gateway */
	{ .path = "gateway.domain", .type = CONF_TYPE_STRING,
	  .def = "imgate.invalid", .min = 1, .max = 253,
	  .check = CONF_CHECK_HOST, .reload = false, CONF_FIELD(domain),
	  .doc = "host part of the addresses imgate speaks for" },
	{ .path = "gateway.user", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = 63, .reload = false, CONF_FIELD(user),
	  .doc = "user the daemon serves as after binding; empty: stay" },
	{ .path = "gateway.group", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = 63, .reload = false, CONF_FIELD(group),
	  .doc = "group it serves as; empty: the user's login group" },
	{ .path = "gateway.allow_root", .type = CONF_TYPE_BOOL,
	  .def = "false", .reload = false, CONF_FIELD(allow_root),
	  .doc = "let the daemon serve messages as root" },
	{ .path = "gateway.shutdown_grace_ms", .type = CONF_TYPE_INT,
	  .def = "2000", .min = 0, .max = 30000,
	  .reload = true, CONF_FIELD(shutdown_grace_ms),
	  .doc = "SIGTERM: time messages in flight get to finish" },
	{ .path = "gateway.workers", .type = CONF_TYPE_INT,
	  .def = "0", .min = 0, .max = 64,
	  .reload = false, CONF_FIELD(workers),
	  .doc = "worker processes; 0: one per CPU, at most 16" },
	{ .path = "gateway.overload_lag_ms", .type = CONF_TYPE_INT,
	  .def = "100", .min = 0, .max = 10000,
	  .reload = true, CONF_FIELD(overload_lag_ms),
	  .doc = "loop lag above which new requests are shed; 0: never" },
	{ .path = "gateway.overload_wait_ms", .type = CONF_TYPE_INT,
	  .def = "10", .min = 0, .max = 10000,
	  .reload = true, CONF_FIELD(overload_wait_ms),
	  .doc = "socket wait above which new UDP requests are shed once it "
	  "stands 100 ms; 0: the share instead" },

	/* log */
	{ .path = "log.level", .type = CONF_TYPE_STRING,
	  .def = "info", .min = 1, .max = 15, .allowed = conf_log_levels,
	  .reload = true, CONF_FIELD(log_level),
	  .doc = "least severe message that is logged" },
	{ .path = "log.format", .type = CONF_TYPE_STRING,
	  .def = "text", .min = 1, .max = 7, .allowed = conf_log_formats,
	  .reload = true, CONF_FIELD(log_format),
	  .doc = "transaction lines as text or as JSON objects" },
	{ .path = "log.bodies", .type = CONF_TYPE_BOOL,
	  .def = "false", .reload = true, CONF_FIELD(log_bodies),
	  .doc = "include message bodies in transaction lines" },
	{ .path = "log.facility", .type = CONF_TYPE_STRING,
	  .def = "daemon", .min = 1, .max = 15,
	  .allowed = conf_log_facilities, .reload = false,
	  CONF_FIELD(log_facility),
	  .doc = "syslog facility of the daemon's lines" },
	{ .path = "log.ident", .type = CONF_TYPE_STRING,
	  .def = "imgated", .min = 1, .max = 31, .reload = false,
	  CONF_FIELD(log_ident),
	  .doc = "syslog ident (program name) of the daemon's lines" },
	{ .path = "log.refusal_burst", .type = CONF_TYPE_INT,
	  .def = "10", .min = 0, .max = 1000000,
	  .reload = true, CONF_FIELD(log_refusal_burst),
	  .doc = "refusal lines per source and interval; 0 = no limit" },
	{ .path = "log.refusal_interval_s", .type = CONF_TYPE_INT,
	  .def = "60", .min = 1, .max = 86400,
	  .reload = true, CONF_FIELD(log_refusal_interval_s),
	  .doc = "window of log.refusal_burst, in seconds" },

	/* sip */
	{ .path = "sip.listen", .type = CONF_TYPE_STRING,
	  .def = "sip:127.0.0.1:5060", .min = 1, .max = CONF_STR_MAX - 1,
	  .check = CONF_CHECK_SIP_URI, .reload = false,
	  CONF_FIELD(sip_listen),
	  .doc = "SIP URI the UDP and TCP (sip:) or TLS (sips:) "
	      "listeners bind to" },
	{ .path = "sip.timeout_ms", .type = CONF_TYPE_INT,
	  .def = "8000", .min = 1000, .max = 64000,
	  .reload = true, CONF_FIELD(sip_timeout_ms),
	  .doc = "wait for a final answer to an outbound MESSAGE" },
	{ .path = "sip.max_body", .type = CONF_TYPE_INT,
	  .def = "8192", .min = 1, .max = 65536,
	  .reload = true, CONF_FIELD(sip_max_body),
	  .doc = "largest message body accepted, in bytes" },
	{ .path = "sip.max_header_line", .type = CONF_TYPE_INT,
	  .def = "4096", .min = 256, .max = 65536,
	  .reload = true, CONF_FIELD(sip_max_header_line),
	  .doc = "longest header line (or request line) accepted" },
	{ .path = "sip.max_headers_size", .type = CONF_TYPE_INT,
	  .def = "16384", .min = 1024, .max = 65536,
	  .reload = true, CONF_FIELD(sip_max_headers_size),
	  .doc = "largest header block (request line to empty line)" },
	{ .path = "sip.max_headers", .type = CONF_TYPE_INT,
	  .def = "128", .min = 16, .max = 4096,
	  .reload = true, CONF_FIELD(sip_max_headers),
	  .doc = "most header fields in one request" },
	{ .path = "sip.max_connections_per_source", .type = CONF_TYPE_INT,
	  .def = "64", .min = 0, .max = 4096,
	  .reload = true, CONF_FIELD(sip_max_connections_per_source),
	  .doc = "TCP and TLS connections one address may hold open "
	      "(per process; 0: no limit)" },
	{ .path = "sip.tls.listen", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = CONF_STR_MAX - 1,
	  .check = CONF_CHECK_SIP_URI, .reload = false,
	  CONF_FIELD(sip_tls_listen),
	  .doc = "sips: URI of a TLS listener besides sip.listen" },
	{ .path = "sip.tls.certificate", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = CONF_STR_MAX - 1, .reload = false,
	  CONF_FIELD(sip_tls_certificate),
	  .doc = "PEM file: imgate's certificate (then its chain)" },
	{ .path = "sip.tls.key", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = CONF_STR_MAX - 1, .reload = false,
	  CONF_FIELD(sip_tls_key),
	  .doc = "PEM file: the certificate's private key" },
	{ .path = "sip.tls.ca_file", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = CONF_STR_MAX - 1, .reload = false,
	  CONF_FIELD(sip_tls_ca_file),
	  .doc = "PEM file: the CAs peers' certificates must chain to" },
	{ .path = "sip.tls.verify_client", .type = CONF_TYPE_BOOL,
	  .def = "false", .reload = false, CONF_FIELD(sip_tls_verify_client),
	  .doc = "TLS clients must present a certificate from ca_file" },
	{ .path = "sip.tls.ciphers", .type = CONF_TYPE_STRING,
	  .def = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!DSS",
	  .min = 1, .max = CONF_STR_MAX - 1, .reload = false,
	  CONF_FIELD(sip_tls_ciphers),
	  .doc = "OpenSSL cipher list for TLS 1.2 (Mozilla intermediate)" },
	{ .path = "sip.tls.ciphersuites", .type = CONF_TYPE_STRING,
	  .def = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
	  "TLS_AES_128_GCM_SHA256",
	  .min = 0, .max = CONF_STR_MAX - 1, .reload = false,
	  CONF_FIELD(sip_tls_ciphersuites),
	  .doc = "TLS 1.3 cipher suites; empty: no TLS 1.3" },
	{ .path = "sip.tls.min_version", .type = CONF_TYPE_ENUM,
	  .def = "1.2", .allowed = conf_tls_versions, .reload = false,
	  CONF_FIELD(sip_tls_min_version),
	  .doc = "oldest TLS version spoken, in and out" },

	/* dns */
	{ .path = "dns.servers", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = CONF_MAX_LIST,
	  .check = CONF_CHECK_SERVER, .reload = false,
	  CONF_LIST(dns_servers, ndns_servers),
	  .doc = "recursive resolvers; empty means /etc/resolv.conf" },
	{ .path = "dns.timeout_ms", .type = CONF_TYPE_INT,
	  .def = "2000", .min = 50, .max = 30000,
	  .reload = false, CONF_FIELD(dns_timeout_ms),
	  .doc = "wait for one DNS answer before the next try" },
	{ .path = "dns.tries", .type = CONF_TYPE_INT,
	  .def = "2", .min = 1, .max = 10,
	  .reload = false, CONF_FIELD(dns_tries),
	  .doc = "tries per server before a query fails" },
	{ .path = "dns.dnssec", .type = CONF_TYPE_ENUM,
	  .def = "off", .allowed = conf_dnssec_modes,
	  .reload = true, CONF_FIELD(dnssec),
	  .doc = "whether answers must carry the AD bit" },
	{ .path = "dns.cache_entries", .type = CONF_TYPE_INT,
	  .def = "100000", .min = 0, .max = 10000000,
	  .reload = true, CONF_FIELD(dns_cache_entries),
	  .doc = "answers kept in the DNS cache; 0 disables it" },
	{ .path = "dns.cache_max_ttl", .type = CONF_TYPE_INT,
	  .def = "86400", .min = 0, .max = 604800,
	  .reload = true, CONF_FIELD(dns_cache_max_ttl),
	  .doc = "cap on the TTL of cached answers, in seconds" },
	{ .path = "dns.negative_max_ttl", .type = CONF_TYPE_INT,
	  .def = "3600", .min = 0, .max = 86400,
	  .reload = true, CONF_FIELD(dns_negative_max_ttl),
	  .doc = "cap on NXDOMAIN/NODATA caching, in seconds" },
	{ .path = "dns.servfail_ttl", .type = CONF_TYPE_INT,
	  .def = "5", .min = 0, .max = 300,
	  .reload = true, CONF_FIELD(dns_servfail_ttl),
	  .doc = "seconds a server failure or timeout is cached" },
	{ .path = "dns.serve_stale", .type = CONF_TYPE_BOOL,
	  .def = "false",
	  .reload = true, CONF_FIELD(dns_serve_stale),
	  .doc = "answer from expired cache entries when servers fail" },
	{ .path = "dns.case_randomization", .type = CONF_TYPE_BOOL,
	  .def = "true",
	  .reload = true, CONF_FIELD(dns_case_randomization),
	  .doc = "randomise the letter case of query names (DNS 0x20)" },
	{ .path = "dns.udp_max_queries", .type = CONF_TYPE_INT,
	  .def = "100", .min = 0, .max = 65535,
	  .reload = true, CONF_FIELD(dns_udp_max_queries),
	  .doc = "queries sent from one UDP source port before a new one" },
	{ .path = "dns.health.failures", .type = CONF_TYPE_INT,
	  .def = "3", .min = 1, .max = 100,
	  .reload = true, CONF_FIELD(dns_health_failures),
	  .doc = "failed queries in a row that take a server out of service" },
	{ .path = "dns.health.interval_ms", .type = CONF_TYPE_INT,
	  .def = "30000", .min = 100, .max = 3600000,
	  .reload = true, CONF_FIELD(dns_health_interval_ms),
	  .doc = "time between probes of a server out of service" },
	{ .path = "dns.health.mode", .type = CONF_TYPE_ENUM,
	  .def = "hunt", .allowed = conf_dns_health_modes,
	  .reload = true, CONF_FIELD(dns_health_mode),
	  .doc = "server selection: first in service, or in turn" },
	{ .path = "dns.health.probe_name", .type = CONF_TYPE_STRING,
	  .def = "e164.arpa", .check = CONF_CHECK_SUFFIX,
	  .reload = true, CONF_FIELD(dns_health_probe_name),
	  .doc = "name asked to see whether a server answers again" },
	{ .path = "dns.health.probe_type", .type = CONF_TYPE_ENUM,
	  .def = "SOA", .allowed = conf_dns_probe_types,
	  .reload = true, CONF_FIELD(dns_health_probe_type),
	  .doc = "record type of the probe query" },

	/* enum; at most 8 suffixes, the walk's ENUMQ_MAX_SUFFIXES */
	{ .path = "enum.suffixes", .type = CONF_TYPE_LIST,
	  .def = "e164.arpa", .min = 1, .max = 8,
	  .check = CONF_CHECK_SUFFIX, .reload = true,
	  CONF_LIST(enum_suffixes, nenum_suffixes),
	  .doc = "ENUM trees to query, in order" },
	{ .path = "enum.enumservices", .type = CONF_TYPE_LIST,
	  .def = "im", .min = 1, .max = 4, .allowed = conf_enumservices,
	  .reload = true, CONF_LIST(enum_services, nenum_services),
	  .doc = "enumservice types whose NAPTRs are used" },
	{ .path = "enum.protocols", .type = CONF_TYPE_LIST,
	  .def = "sip,xmpp", .min = 1, .max = 2, .allowed = conf_protocols,
	  .reload = true, CONF_LIST(im_protocols, nim_protocols),
	  .doc = "IM protocols for im: URIs, in RFC 3861 order" },
	{ .path = "enum.max_chain", .type = CONF_TYPE_INT,
	  .def = "5", .min = 0, .max = 16,
	  .reload = true, CONF_FIELD(enum_max_chain),
	  .doc = "non-terminal NAPTR rewrites followed per lookup" },
	{ .path = "enum.max_queries", .type = CONF_TYPE_INT,
	  .def = "32", .min = 1, .max = 256,
	  .reload = true, CONF_FIELD(enum_max_queries),
	  .doc = "DNS queries one message may cause" },
	{ .path = "enum.max_digits", .type = CONF_TYPE_INT,
	  .def = "15", .min = 1, .max = 15,
	  .reload = true, CONF_FIELD(max_digits),
	  .doc = "digits allowed in an E.164 number" },
	{ .path = "enum.legacy_syntax", .type = CONF_TYPE_BOOL,
	  .def = "true",
	  .reload = true, CONF_FIELD(enum_legacy_syntax),
	  .doc = "accept RFC 2916 \"sip+E2U\" service fields" },
	{ .path = "enum.allow_private", .type = CONF_TYPE_BOOL,
	  .def = "false",
	  .reload = true, CONF_FIELD(enum_allow_private),
	  .doc = "accept X- private enumservices" },
	{ .path = "enum.scheme_check", .type = CONF_TYPE_BOOL,
	  .def = "true",
	  .reload = true, CONF_FIELD(enum_scheme_check),
	  .doc = "drop URIs whose scheme does not fit the enumservice" },
	{ .path = "enum.strict_delimiters", .type = CONF_TYPE_BOOL,
	  .def = "true",
	  .reload = true, CONF_FIELD(enum_strict_delimiters),
	  .doc = "drop regexps without exactly three delimiters" },
	{ .path = "enum.sip_plus_without_user_phone", .type = CONF_TYPE_BOOL,
	  .def = "true",
	  .reload = true, CONF_FIELD(sip_plus_without_user_phone),
	  .doc = "treat sip:+digits@host as a number without user=phone" },
	{ .path = "enum.implicit_srv", .type = CONF_TYPE_ENUM,
	  .def = "off", .allowed = conf_implicit_modes,
	  .reload = true, CONF_FIELD(implicit_srv),
	  .doc = "protocol for the RFC 3861 A-record fallback" },
	{ .path = "enum.srv_max_targets", .type = CONF_TYPE_INT,
	  .def = "4", .min = 2, .max = 16,
	  .reload = true, CONF_FIELD(srv_max_targets),
	  .doc = "SRV targets tried before giving up" },

	/* xmpp */
	{ .path = "xmpp.enable", .type = CONF_TYPE_BOOL,
	  .def = "false", .reload = false, CONF_FIELD(xmpp_enable),
	  .doc = "connect to an XMPP server as an XEP-0114 component" },
	{ .path = "xmpp.server", .type = CONF_TYPE_STRING,
	  .def = "127.0.0.1", .min = 1, .max = 63, .check = CONF_CHECK_IP,
	  .reload = false, CONF_FIELD(xmpp_server),
	  .doc = "address of the XMPP server's component port" },
	{ .path = "xmpp.port", .type = CONF_TYPE_INT,
	  .def = "5347", .min = 1, .max = 65535,
	  .reload = false, CONF_FIELD(xmpp_port),
	  .doc = "the XMPP server's component port" },
	{ .path = "xmpp.domain", .type = CONF_TYPE_STRING,
	  .def = "gw.localhost", .min = 1, .max = 253,
	  .check = CONF_CHECK_HOST, .reload = false, CONF_FIELD(xmpp_domain),
	  .doc = "component name: JIDs imgate answers for" },
	{ .path = "xmpp.secret", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = CONF_STR_MAX - 1,
	  .reload = false, CONF_FIELD(xmpp_secret),
	  .doc = "component secret shared with the XMPP server" },
	{ .path = "xmpp.receipt_wait_ms", .type = CONF_TYPE_INT,
	  .def = "5000", .min = 0, .max = 30000,
	  .reload = true, CONF_FIELD(xmpp_receipt_wait_ms),
	  .doc = "SIP to XMPP: wait for a receipt before answering 202" },
	{ .path = "xmpp.queue_max", .type = CONF_TYPE_INT,
	  .def = "1000", .min = 0, .max = 100000,
	  .reload = true, CONF_FIELD(xmpp_queue_max),
	  .doc = "messages held while the component is disconnected" },
	{ .path = "xmpp.queue_wait_ms", .type = CONF_TYPE_INT,
	  .def = "10000", .min = 0, .max = 30000,
	  .reload = true, CONF_FIELD(xmpp_queue_wait_ms),
	  .doc = "how long a held message waits for the reconnection" },
	{ .path = "xmpp.reconnect_max_ms", .type = CONF_TYPE_INT,
	  .def = "30000", .min = 500, .max = 600000,
	  .reload = true, CONF_FIELD(xmpp_reconnect_max_ms),
	  .doc = "cap of the reconnection backoff" },
	{ .path = "xmpp.max_stanza", .type = CONF_TYPE_INT,
	  .def = "524288", .min = 10000, .max = 16777216,
	  .reload = true, CONF_FIELD(xmpp_max_stanza),
	  .doc = "longest stanza taken from the XMPP server, in bytes" },
	{ .path = "xmpp.dead_after_s", .type = CONF_TYPE_INT,
	  .def = "30", .min = 0, .max = 3600,
	  .reload = true, CONF_FIELD(xmpp_dead_after_s),
	  .doc = "the XMPP server's TCP silent this long: connection dead" },
	{ .path = "xmpp.large_to_sip", .type = CONF_TYPE_ENUM,
	  .def = "tcp", .allowed = conf_large_modes,
	  .reload = true, CONF_FIELD(xmpp_large_to_sip),
	  .doc = "XMPP to SIP over 1300 bytes: send over TCP or refuse" },
	{ .path = "xmpp.chat_states", .type = CONF_TYPE_ENUM,
	  .def = "map", .allowed = conf_chat_modes,
	  .reload = true, CONF_FIELD(xmpp_chat_states),
	  .doc = "SIP isComposing to XMPP: XEP-0085 chat state or drop" },
	{ .path = "xmpp.request_imdn", .type = CONF_TYPE_BOOL,
	  .def = "false", .reload = true, CONF_FIELD(xmpp_request_imdn),
	  .doc = "XMPP to SIP: ask for an IMDN where a receipt is asked" },
	{ .path = "xmpp.notify_max", .type = CONF_TYPE_INT,
	  .def = "4096", .min = 0, .max = 1000000,
	  .reload = false, CONF_FIELD(xmpp_notify_max),
	  .doc = "messages remembered for delivery notifications" },
	{ .path = "xmpp.notify_ttl_s", .type = CONF_TYPE_INT,
	  .def = "3600", .min = 1, .max = 604800,
	  .reload = true, CONF_FIELD(xmpp_notify_ttl_s),
	  .doc = "how long a message is remembered for notifications" },

	/* limits */
	{ .path = "limits.max_transactions", .type = CONF_TYPE_INT,
	  .def = "10000", .min = 1, .max = 1000000,
	  .reload = true, CONF_FIELD(max_transactions),
	  .doc = "messages in flight; more are refused with 503" },
	{ .path = "limits.txn_deadline_ms", .type = CONF_TYPE_INT,
	  .def = "30000", .min = 1000, .max = 31000,
	  .reload = true, CONF_FIELD(txn_deadline_ms),
	  .doc = "time one message may take end to end" },

	/* spool: store-and-forward routes (gateway/flow/spool) */
	{ .path = "spool.path", .type = CONF_TYPE_STRING,
	  .def = IMGATE_STATEDIR "/spool.sqlite", .min = 1,
	  .max = CONF_STR_MAX - 1, .reload = false, CONF_FIELD(spool_path),
	  .doc = "SQLite file holding messages of store-and-forward routes" },
	{ .path = "spool.retry_initial_ms", .type = CONF_TYPE_INT,
	  .def = "30000", .min = 100, .max = 3600000,
	  .reload = true, CONF_FIELD(spool_retry_initial_ms),
	  .doc = "wait before the first retry of a spooled message" },
	{ .path = "spool.retry_max_ms", .type = CONF_TYPE_INT,
	  .def = "3600000", .min = 100, .max = 86400000,
	  .reload = true, CONF_FIELD(spool_retry_max_ms),
	  .doc = "cap of the doubling retry interval" },
	{ .path = "spool.max_age_s", .type = CONF_TYPE_INT,
	  .def = "172800", .min = 1, .max = 2592000,
	  .reload = true, CONF_FIELD(spool_max_age_s),
	  .doc = "age at which a spooled message fails for good" },
	{ .path = "spool.max_messages", .type = CONF_TYPE_INT,
	  .def = "100000", .min = 1, .max = 10000000,
	  .reload = true, CONF_FIELD(spool_max_messages),
	  .doc = "messages the spool holds; more are refused with 503" },
	{ .path = "spool.commit_ms", .type = CONF_TYPE_INT,
	  .def = "5", .min = 0, .max = 1000,
	  .reload = true, CONF_FIELD(spool_commit_ms),
	  .doc = "group commit window: accepted messages share a commit" },
	{ .path = "spool.max_inflight", .type = CONF_TYPE_INT,
	  .def = "1000", .min = 1, .max = 10000,
	  .reload = true, CONF_FIELD(spool_max_inflight),
	  .doc = "spooled messages being delivered at once" },
	{ .path = "spool.backend", .type = CONF_TYPE_ENUM,
	  .def = "sqlite", .allowed = conf_spool_backends,
	  .reload = false, CONF_FIELD(spool_backend),
	  .doc = "where the spool keeps messages: sqlite or postgresql" },
	{ .path = "spool.conninfo", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = CONF_STR_MAX - 1,
	  .reload = false, CONF_FIELD(spool_conninfo),
	  .doc = "libpq connection string of the PostgreSQL spool" },
	{ .path = "spool.password_file", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = CONF_STR_MAX - 1,
	  .reload = false, CONF_FIELD(spool_password_file),
	  .doc = "file holding the PostgreSQL password (first line)" },
	{ .path = "spool.node_id", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = 63,
	  .reload = false, CONF_FIELD(spool_node_id),
	  .doc = "this node's name in spool leases; empty: host:pid" },
	{ .path = "spool.lease_s", .type = CONF_TYPE_INT,
	  .def = "60", .min = 5, .max = 3600,
	  .reload = false, CONF_FIELD(spool_lease_s),
	  .doc = "how long a node holds a message it is delivering" },

	/* metrics: the Prometheus endpoint (gateway/metrics_http) */
	{ .path = "metrics.enable", .type = CONF_TYPE_BOOL,
	  .def = "false", .reload = false, CONF_FIELD(metrics_enable),
	  .doc = "serve Prometheus metrics over HTTP" },
	{ .path = "metrics.listen", .type = CONF_TYPE_STRING,
	  .def = "127.0.0.1:9464", .min = 1, .max = CONF_STR_MAX - 1,
	  .check = CONF_CHECK_SERVER, .reload = false,
	  CONF_FIELD(metrics_listen),
	  .doc = "IP:PORT the metrics endpoint listens on" },

	/* control: the imgatectl socket (gateway/ctl) */
	{ .path = "control.socket", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = 107, .reload = false,
	  CONF_FIELD(control_socket),
	  .doc = "unix socket imgatectl talks to; empty: none" },

	/* ratelimit: one token bucket per source */
	{ .path = "ratelimit.rate", .type = CONF_TYPE_INT,
	  .def = "0", .min = 0, .max = 100000,
	  .reload = true, CONF_FIELD(ratelimit_rate),
	  .doc = "messages per second one source may send; 0 = no limit" },
	{ .path = "ratelimit.burst", .type = CONF_TYPE_INT,
	  .def = "20", .min = 1, .max = 1000000,
	  .reload = true, CONF_FIELD(ratelimit_burst),
	  .doc = "messages one source may send at once above the rate" },
};

const size_t conf_schema_len = sizeof(conf_schema) / sizeof(conf_schema[0]);

/* Index order must follow enum proto. */
const char *const conf_route_froms[] = {
	"any", "sip", "xmpp", NULL
};

/* Index order must follow enum conf_route_action. */
const char *const conf_route_actions[] = {
	"enum", "static", "deny", NULL
};

/* Index order must follow enum conf_route_mode. */
const char *const conf_route_modes[] = {
	"relay", "store-and-forward", NULL
};

const char *const conf_fallback_ons[] = {
	"no-route", "tempfail", NULL
};

_Static_assert(CONF_ACT_ENUM == 1u << CONF_ROUTE_ENUM &&
    CONF_ACT_STATIC == 1u << CONF_ROUTE_STATIC &&
    CONF_ACT_DENY == 1u << CONF_ROUTE_DENY,
    "CONF_ACT_* bits must follow enum conf_route_action");

/*
 * Keys of the route, dial plan and identity groups and of the acl group.  Rows
 * keep `.path' first on their first line, like conf_schema[] (the docs
 * test reads both tables the same way); `.def = NULL' marks a required
 * key and the man page says "Required." instead of "Default:".
 */
const struct conf_key_row conf_keys[] = {
	/* routes = ( { ... }, ... ); */
	{ .path = "routes.name", .type = CONF_TYPE_STRING,
	  .def = NULL, .min = 1, .max = CONF_NAME_MAX - 1,
	  .actions = CONF_ACT_ALL, .reload = true,
	  .doc = "unique name of the route, for logs" },
	{ .path = "routes.prefix", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = 16,
	  .actions = CONF_ACT_ALL, .reload = true,
	  .doc = "E.164 prefix the number must start with; empty = any" },
	{ .path = "routes.from", .type = CONF_TYPE_STRING,
	  .def = "any", .min = 1, .max = 4, .allowed = conf_route_froms,
	  .actions = CONF_ACT_ALL, .reload = true,
	  .doc = "protocol the message must arrive with" },
	{ .path = "routes.networks", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = CONF_MAX_NETS,
	  .actions = CONF_ACT_ALL, .reload = true,
	  .doc = "SIP source networks the sender must be in" },
	{ .path = "routes.domains", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = CONF_MAX_DOMAINS,
	  .actions = CONF_ACT_ALL, .reload = true,
	  .doc = "XMPP sender domains the sender must be in" },
	{ .path = "routes.action", .type = CONF_TYPE_STRING,
	  .def = NULL, .min = 1, .max = 6, .allowed = conf_route_actions,
	  .actions = CONF_ACT_ALL, .reload = true,
	  .doc = "what a matching message gets: enum, static or deny" },
	{ .path = "routes.mode", .type = CONF_TYPE_STRING,
	  .def = "relay", .min = 1, .max = 17, .allowed = conf_route_modes,
	  .actions = CONF_ACT_ENUM | CONF_ACT_STATIC, .reload = true,
	  .doc = "relay (answer with the result) or store-and-forward" },
	{ .path = "routes.suffixes", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = 8,
	  .actions = CONF_ACT_ENUM, .reload = true,
	  .doc = "ENUM trees for this route; empty = enum.suffixes" },
	{ .path = "routes.enumservices", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = 4, .allowed = conf_enumservices,
	  .actions = CONF_ACT_ENUM, .reload = true,
	  .doc = "enumservices for this route; empty = enum.enumservices" },
	{ .path = "routes.protocols", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = 2, .allowed = conf_protocols,
	  .actions = CONF_ACT_ENUM, .reload = true,
	  .doc = "IM protocols for this route; empty = enum.protocols" },
	{ .path = "routes.target", .type = CONF_TYPE_STRING,
	  .def = NULL, .min = 1, .max = CONF_STR_MAX - 1,
	  .actions = CONF_ACT_STATIC, .reload = true,
	  .doc = "where a static route delivers" },
	{ .path = "routes.status", .type = CONF_TYPE_INT,
	  .def = "403", .min = 400, .max = 699,
	  .actions = CONF_ACT_DENY, .reload = true,
	  .doc = "SIP status a deny route answers with" },
	{ .path = "routes.fallback", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = CONF_MAX_FALLBACK,
	  .actions = CONF_ACT_ENUM, .reload = true,
	  .doc = "static targets tried in order when ENUM does not deliver" },
	{ .path = "routes.fallback_on", .type = CONF_TYPE_LIST,
	  .def = "no-route,tempfail", .min = 1, .max = 2,
	  .allowed = conf_fallback_ons,
	  .actions = CONF_ACT_ENUM, .reload = true,
	  .doc = "ENUM outcomes that start the fallback chain" },

	/* dialplans = ( { ... }, ... ); */
	{ .path = "dialplans.name", .type = CONF_TYPE_STRING,
	  .def = NULL, .min = 1, .max = CONF_NAME_MAX - 1, .reload = true,
	  .doc = "unique name of the dial plan, for logs" },
	{ .path = "dialplans.networks", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = CONF_MAX_NETS, .reload = true,
	  .doc = "SIP source networks the plan applies to" },
	{ .path = "dialplans.domains", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = CONF_MAX_DOMAINS, .reload = true,
	  .doc = "XMPP sender domains the plan applies to" },
	{ .path = "dialplans.country_code", .type = CONF_TYPE_STRING,
	  .def = NULL, .min = 1, .max = 3, .reload = true,
	  .doc = "country code put before national numbers" },
	{ .path = "dialplans.national_prefix", .type = CONF_TYPE_STRING,
	  .def = "", .min = 0, .max = 3, .reload = true,
	  .doc = "trunk prefix dropped from national numbers" },
	{ .path = "dialplans.international_prefix", .type = CONF_TYPE_STRING,
	  .def = "00", .min = 1, .max = 4, .reload = true,
	  .doc = "prefix that marks an international number" },
	{ .path = "dialplans.min_length", .type = CONF_TYPE_INT,
	  .def = "4", .min = 1, .max = 14, .reload = true,
	  .doc = "fewest digits of a national significant number" },
	{ .path = "dialplans.max_length", .type = CONF_TYPE_INT,
	  .def = "12", .min = 1, .max = 14, .reload = true,
	  .doc = "most digits of a national significant number" },

	/* identities = ( { ... }, ... ); one of sip/xmpp per group */
	{ .path = "identities.sip", .type = CONF_TYPE_STRING,
	  .def = "", .min = 1, .max = CONF_STR_MAX - 1, .reload = true,
	  .doc = "SIP sender, sip:USER@HOST[:PORT], shown as its number" },
	{ .path = "identities.xmpp", .type = CONF_TYPE_STRING,
	  .def = "", .min = 1, .max = CONF_STR_MAX - 1, .reload = true,
	  .doc = "XMPP sender, bare JID local@domain, shown as its number" },
	{ .path = "identities.number", .type = CONF_TYPE_STRING,
	  .def = NULL, .min = 2, .max = 16, .reload = true,
	  .doc = "E.164 number the sender appears as, \"+\" and digits" },

	/* acl = { ... }; */
	{ .path = "acl.sip_networks", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = CONF_MAX_NETS, .reload = true,
	  .doc = "networks SIP messages are accepted from; empty = all" },
	{ .path = "acl.xmpp_domains", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = CONF_MAX_DOMAINS, .reload = true,
	  .doc = "XMPP sender domains accepted; empty = all" },
	{ .path = "acl.trusted_proxies", .type = CONF_TYPE_LIST,
	  .def = "", .min = 0, .max = CONF_MAX_NETS, .reload = true,
	  .doc = "SIP proxies whose topmost Via names the sender" },
};

const size_t conf_keys_len = sizeof(conf_keys) / sizeof(conf_keys[0]);

const struct conf_key_row *
conf_keys_find(const char *path)
{
	size_t	i;

	for (i = 0; i < conf_keys_len; i++)
		if (strcmp(conf_keys[i].path, path) == 0)
			return &conf_keys[i];
	return NULL;
}

const struct conf_schema_row *
conf_schema_find(const char *path)
{
	size_t	i;

	for (i = 0; i < conf_schema_len; i++)
		if (strcmp(conf_schema[i].path, path) == 0)
			return &conf_schema[i];
	return NULL;
}

bool
conf_schema_is_group(const char *path)
{
	size_t	i, len = strlen(path);

	for (i = 0; i < conf_schema_len; i++)
		if (strncmp(conf_schema[i].path, path, len) == 0 &&
		    conf_schema[i].path[len] == '.')
			return true;
	return false;
}

const char *
conf_schema_typename(enum conf_type type)
{
	switch (type) {
	case CONF_TYPE_STRING:
		return "string";
	case CONF_TYPE_INT:
		return "integer";
	case CONF_TYPE_BOOL:
		return "boolean";
	case CONF_TYPE_LIST:
		return "list of strings";
	case CONF_TYPE_ENUM:
		return "string";
	}
	return "value";
}
