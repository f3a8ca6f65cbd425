"""reload_table.py - what test_reload.py changes by SIGHUP, per option.

RELOADABLE: every option conf/conf_schema.c marks reloadable (.reload =
true), and every group of conf_keys[] ("routes", "dialplans",
"identities", "acl": a reload changes a group as a whole), with how
test_reload.py observes the change on the running daemon.  "report"
means the reload's own report line is the observation (the option only
decides how a message is handled, from the runtime the message starts
with); such an option needs a value in REPORT_VALUES.
RESTART_ONLY: every other option, with a value different from the one
test_reload.py starts with.
tests/check_reload_table.py checks these tables against the schema.
"""

# option -> (how it is observed, in words).  "report" entries are changed
# together by one reload to the value in REPORT_VALUES.
RELOADABLE = {
    "log.level": "debug lines about a message appear, then vanish",
    "sip.timeout_ms": "report",
    "sip.max_body": "a 40-byte body gets 413, then 200",
    "log.format": "the transaction line is a JSON object, then text",
    "log.bodies": "the transaction line carries the body, then not",
    "log.refusal_burst": "report",
    "log.refusal_interval_s": "report",
    "sip.max_header_line": "a 300-byte Subject gets 513 at 256, then 200",
    "sip.max_headers_size": "three 400-byte headers get 513 at 1024, "
                            "then 200",
    "sip.max_headers": "20 extra headers get 513 at 16, then 200",
    "sip.max_connections_per_source": "report",
    "gateway.shutdown_grace_ms": "report",
    "gateway.overload_lag_ms": "report",
    "gateway.overload_wait_ms": "report",
    "dns.case_randomization": "query names in mixed case, then lower case",
    "dns.udp_max_queries": "a fresh source port every 2 queries, then "
                           "one port for many",
    "dns.health.failures": "one SERVFAIL takes the server out at 1, not "
                           "at 3",
    "dns.health.interval_ms": "a server out of service is probed "
                              "within a second at 500 ms",
    "dns.health.mode": "report",
    "dns.health.probe_name": "the probe asks probe.test",
    "dns.health.probe_type": "the probe asks type A",
    "dns.dnssec": "queries carry AD and DO, then not",
    "dns.cache_entries": "a cached name is asked again at 0, then not",
    "dns.cache_max_ttl": "a cached answer is asked again at 0, then not",
    "dns.negative_max_ttl": "a cached NXDOMAIN is asked again at 0, then not",
    "dns.servfail_ttl": "a cached SERVFAIL is asked again at 0, then not",
    "dns.serve_stale": "an expired answer serves while DNS fails, then not",
    "enum.suffixes": "report",
    "enum.enumservices": "report",
    "enum.protocols": "report",
    "enum.max_chain": "report",
    "enum.max_queries": "report",
    "enum.max_digits": "report",
    "enum.legacy_syntax": "report",
    "enum.allow_private": "report",
    "enum.scheme_check": "report",
    "enum.strict_delimiters": "report",
    "enum.sip_plus_without_user_phone": "report",
    "enum.implicit_srv": "report",
    "enum.srv_max_targets": "report",
    "xmpp.receipt_wait_ms": "202 after about 1 s, then about 3 s",
    "xmpp.queue_max": "held messages beyond the cap refused; raised and "
                      "lowered with the link down and up",
    "xmpp.queue_wait_ms": "a held message fails after 1 s; at 0 none is "
                          "held; those held before keep their wait",
    "xmpp.reconnect_max_ms": "the reconnection backoff reaches 2000 ms, "
                             "then drops back to 500 ms at once",
    "xmpp.large_to_sip": "report",
    "xmpp.max_stanza": "report",
    "xmpp.dead_after_s": "report",
    "xmpp.chat_states": "report",
    "xmpp.request_imdn": "report",
    "xmpp.notify_ttl_s": "report",
    "limits.max_transactions": "503 'table full' at 1, 200 at 100, 503 "
                               "at 1",
    "limits.txn_deadline_ms": "report",
    "spool.retry_initial_ms": "report",
    "spool.retry_max_ms": "report",
    "spool.max_age_s": "report",
    "spool.max_messages": "report",
    "spool.commit_ms": "report",
    "spool.max_inflight": "report",
    "ratelimit.rate": "a burst gets 503 at rate 1, none at 0",
    "ratelimit.burst": "report",
    "routes": "a deny route answers 403, removed: 200",
    "dialplans": "report",
    "identities": "report",
    "acl": "a SIP network outside the acl gets 403, then 200",
}

# Values (in the file's syntax) for the "report" entries.
REPORT_VALUES = {
    "sip.max_connections_per_source": "8",
    "xmpp.chat_states": '"drop"',
    "xmpp.request_imdn": "true",
    "xmpp.notify_ttl_s": "120",
    "log.refusal_burst": "7",
    "log.refusal_interval_s": "30",
    "gateway.shutdown_grace_ms": "1500",
    "gateway.overload_lag_ms": "300",
    "gateway.overload_wait_ms": "30",
    "dns.health.mode": '"round-robin"',
    "sip.timeout_ms": "5000",
    "enum.suffixes": '[ "e164.arpa", "e164.example" ]',
    "enum.enumservices": '[ "im" ]',
    "enum.protocols": '[ "xmpp", "sip" ]',
    "enum.max_chain": "4",
    "enum.max_queries": "31",
    "enum.max_digits": "14",
    "enum.legacy_syntax": "false",
    "enum.allow_private": "true",
    "enum.scheme_check": "false",
    "enum.strict_delimiters": "false",
    "enum.sip_plus_without_user_phone": "false",
    "enum.implicit_srv": '"sip"',
    "enum.srv_max_targets": "3",
    "xmpp.large_to_sip": '"refuse"',
    "xmpp.max_stanza": "100000",
    "xmpp.dead_after_s": "60",
    "limits.txn_deadline_ms": "29000",
    "spool.retry_initial_ms": "20000",
    "spool.retry_max_ms": "600000",
    "spool.max_age_s": "3600",
    "spool.max_messages": "5000",
    "spool.commit_ms": "6",
    "spool.max_inflight": "900",
    "ratelimit.burst": "30",
    "dialplans": '( { name = "uk"; networks = [ "10.9.0.0/16" ]; '
                 'country_code = "44"; national_prefix = "0"; } )',
    "identities": '( { sip = "sip:dave@id.example"; '
                  'number = "+12025550177"; } )',
}

# Restart-only options and a different value for each ("@TMP@": the
# test's folder).  A reload that changes them all must warn about each.
RESTART_ONLY = {
    "gateway.domain": '"other.test"',
    "gateway.user": '"nobody"',
    "gateway.group": '"nogroup"',
    "gateway.allow_root": "false",
    "gateway.workers": "3",
    "log.facility": '"local3"',
    "xmpp.notify_max": "77",
    "metrics.enable": "true",
    "metrics.listen": '"127.0.0.1:@FREEPORT@"',
    "control.socket": '"@TMP@/other.sock"',
    "log.ident": '"imgate-other"',
    "sip.listen": '"sip:127.0.0.1:@FREEPORT@"',
    # (checked at load for presence only; the files are read at start)
    "sip.tls.listen": '"sips:127.0.0.1:@FREEPORT@"',
    "sip.tls.certificate": '"@TMP@/cert.pem"',
    "sip.tls.key": '"@TMP@/key.pem"',
    "sip.tls.ca_file": '"@TMP@/ca.pem"',
    "sip.tls.verify_client": "true",
    "sip.tls.ciphers": '"ECDHE+AESGCM"',
    "sip.tls.ciphersuites": '"TLS_AES_128_GCM_SHA256"',
    "sip.tls.min_version": '"1.3"',
    "dns.servers": '[ "127.0.0.2:53" ]',
    "dns.timeout_ms": "700",
    "dns.tries": "3",
    "xmpp.enable": "false",
    "xmpp.server": '"127.0.0.2"',
    "xmpp.port": "1",
    "xmpp.domain": '"other.localhost"',
    "xmpp.secret": '"other"',
    "spool.path": '"@TMP@/other.sqlite"',
    "spool.backend": '"postgresql"',
    "spool.conninfo": '"host=127.0.0.2 dbname=other"',
    "spool.password_file": '"@TMP@/pgpass"',
    "spool.node_id": '"other-node"',
    "spool.lease_s": "120",
}
