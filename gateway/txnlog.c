/*
 * gateway/txnlog.c - the one log line of a finished transaction
 * (gateway/txnlog.h).  Success is logged at info, failure at warning, as
 * before this line existed; a refusal (ACL, rate limit) is a warning only
 * while its source is under log.refusal_burst.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/log.h"
#include "gateway/txnlog.h"
#include "routing/lookup.h"

#define TXNLOG_FIELD	512	/* bytes of one escaped text value */
#define TXNLOG_BODY	4096	/* bytes of an escaped body */
#define TXNLOG_JBODY	1024	/* bytes of a body in a JSON line */

char *
txnlog_escape(const char *s, char *buf, size_t bufsz)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0;

	for (; s != NULL && *s != '\0'; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c > 0x20 && c < 0x7f && c != '"' && c != '\\') {
			if (o + 1 >= bufsz)
				break;
			buf[o++] = (char)c;
			continue;
		}
		if (o + 4 >= bufsz)
			break;
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
	}
	buf[o] = '\0';
	return buf;
}

/*
 * A JSON string of at most @cap bytes of @s (@cap < TXNLOG_BODY): as it
 * is when that is UTF-8, else escaped (a cut inside a UTF-8 sequence
 * makes it so too).
 */
static json_t *
txnlog_jstrn(const char *s, size_t cap)
{
	char	 in[TXNLOG_BODY], buf[TXNLOG_BODY];
	json_t	*j;

	if (s == NULL)
		return json_null();
	snprintf(in, cap + 1 < sizeof(in) ? cap + 1 : sizeof(in), "%s", s);
	if ((j = json_string(in)) != NULL)
		return j;
	return json_string(txnlog_escape(in, buf, sizeof(buf)));
}

static json_t *
txnlog_jstr(const char *s)
{
	return txnlog_jstrn(s, TXNLOG_FIELD);
}

static const char *
txnlog_origin(const struct gw_txn *t)
{
	if (t->spool_row != 0)
		return "spool";
	return t->origin == PROTO_XMPP ? "xmpp" : "sip";
}

static const char *
txnlog_route(const struct gw_txn *t)
{
	if (t->route_idx >= 0 && (size_t)t->route_idx < t->rt->conf.nroutes)
		return t->rt->conf.routes[t->route_idx].name;
	return t->aus[0] != '\0' ? "enum" : "-";
}

static bool
txnlog_is_refusal(enum gw_reason why)
{
	return why == GW_R_FORBIDDEN || why == GW_R_RATE_LIMITED;
}

static void
txnlog_emit(bool ok, const char *line)
{
	if (ok)
		log_info("%s", line);
	else
		log_warnx("%s", line);
}

static void
txnlog_json(const struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r, uint64_t ms)
{
	json_t	*j = json_object();
	char	*s;

	if (j == NULL)
		return;
	json_object_set_new(j, "txn", json_integer((json_int_t)t->id));
	json_object_set_new(j, "origin", json_string(txnlog_origin(t)));
	json_object_set_new(j, "source", txnlog_jstr(t->source));
	json_object_set_new(j, "in_id", txnlog_jstr(t->origin ==
	    PROTO_XMPP ? t->xmpp_id : t->call_id));
	json_object_set_new(j, "from", txnlog_jstr(t->origin ==
	    PROTO_XMPP ? t->xmpp_from : t->from));
	json_object_set_new(j, "to", txnlog_jstr(t->dest));
	json_object_set_new(j, "route", txnlog_jstr(txnlog_route(t)));
	json_object_set_new(j, "target", txnlog_jstr(t->route != NULL ?
	    t->route->dest : NULL));
	json_object_set_new(j, "next_hop", txnlog_jstr(t->next_hop[0] ?
	    t->next_hop : NULL));
	json_object_set_new(j, "protocol", t->route != NULL ?
	    json_string(lookup_strproto(t->route->proto)) : json_null());
	json_object_set_new(j, "status", json_integer(r->sip_code));
	json_object_set_new(j, "reason",
	    json_string(status_strreason(o->reason)));
	json_object_set_new(j, "outcome", json_string(o->status == GW_OK ?
	    "ok" : o->status == GW_TEMPFAIL ? "temporary" : "permanent"));
	json_object_set_new(j, "attempts", json_integer(t->attempts));
	json_object_set_new(j, "ms", json_integer((json_int_t)ms));
	json_object_set_new(j, "fallback", t->fallback_link >= 0 ?
	    json_integer(t->fallback_link) : json_null());
	if (t->rt->conf.log_bodies && t->body != NULL) {
		/* A body is cut at TXNLOG_JBODY bytes (body_cut says so). */
		json_t	*b = t->body_len <= TXNLOG_JBODY ?
		    json_stringn(t->body, t->body_len) : NULL;

		json_object_set_new(j, "body", b != NULL ? b :
		    txnlog_jstrn(t->body, TXNLOG_JBODY));
		json_object_set_new(j, "body_cut",
		    json_boolean(t->body_len > TXNLOG_JBODY));
	}
	/* JSON_ENSURE_ASCII: a syslog daemon may mangle other bytes.  A
	 * line that would be cut (gateway/log's LOG_LINE_MAX) is no JSON:
	 * the body goes first, then every string but the outcome's. */
	for (int pass = 0; pass < 3; pass++) {
		s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII |
		    JSON_PRESERVE_ORDER);
		if (s == NULL || strlen(s) < LOG_LINE_MAX - 64)
			break;
		free(s);
		s = NULL;
		if (pass == 0) {
			json_object_del(j, "body");
			json_object_set_new(j, "body_cut", json_true());
		} else {
			static const char *const cut[] = { "source", "in_id",
			    "from", "to", "route", "target", "next_hop" };

			for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]);
			    i++)
				json_object_set_new(j, cut[i],
				    txnlog_jstrn(json_string_value(
				    json_object_get(j, cut[i])), 64));
			json_object_set_new(j, "cut", json_true());
		}
	}
	if (s != NULL)
		txnlog_emit(o->status == GW_OK, s);
	free(s);
	json_decref(j);
}

/* @n bytes of @b (NULs included) escaped into @buf. */
static char *
txnlog_escape_n(const char *b, size_t n, char *buf, size_t bufsz)
{
	size_t	 o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o + 5 < bufsz; i++) {
		char	 one[2] = { b[i], '\0' };

		if (one[0] == '\0')
			snprintf(buf + o, bufsz - o, "\\x00");
		else
			txnlog_escape(one, buf + o, bufsz - o);
		o += strlen(buf + o);
	}
	return buf;
}

static void
txnlog_text(const struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r, uint64_t ms)
{
	char	 src[TXNLOG_FIELD], id[TXNLOG_FIELD], from[TXNLOG_FIELD];
	char	 to[TXNLOG_FIELD], target[TXNLOG_FIELD];
	char	 route[CONF_NAME_MAX];
	char	 body[TXNLOG_BODY], line[LOG_LINE_MAX];
	char	 fb[16];
	bool	 xmpp = t->origin == PROTO_XMPP;

	/* The fallback link the message went to (routing/resolve). */
	if (t->fallback_link >= 0)
		snprintf(fb, sizeof(fb), "%d", t->fallback_link);
	else
		snprintf(fb, sizeof(fb), "-");
	body[0] = '\0';
	if (t->rt->conf.log_bodies && t->body != NULL)
		txnlog_escape_n(t->body, t->body_len, body, sizeof(body));
	snprintf(line, sizeof(line), "txn %llu: origin=%s source=%s "
	    "in_id=%s from=%s to=%s route=%s target=%s next_hop=%s "
	    "protocol=%s status=%d reason=\"%s\" outcome=%s attempts=%u ms=%llu"
	    " fallback=%s%s%s",
	    (unsigned long long)t->id, txnlog_origin(t),
	    t->source[0] ? txnlog_escape(t->source, src, sizeof(src)) : "-",
	    txnlog_escape((xmpp ? t->xmpp_id : t->call_id) != NULL ?
	    (xmpp ? t->xmpp_id : t->call_id) : "-", id, sizeof(id)),
	    txnlog_escape((xmpp ? t->xmpp_from : t->from) != NULL ?
	    (xmpp ? t->xmpp_from : t->from) : "-", from, sizeof(from)),
	    txnlog_escape(t->dest != NULL ? t->dest : "-", to, sizeof(to)),
	    txnlog_escape(txnlog_route(t), route, sizeof(route)),
	    txnlog_escape(t->route != NULL ? t->route->dest : "-", target,
	    sizeof(target)), t->next_hop[0] ? t->next_hop : "-",
	    t->route != NULL ? lookup_strproto(t->route->proto) : "-",
	    r->sip_code, status_strreason(o->reason), o->status == GW_OK ?
	    "ok" : o->status == GW_TEMPFAIL ? "temporary" : "permanent",
	    t->attempts, (unsigned long long)ms, fb,
	    t->rt->conf.log_bodies ? " body=" : "",
	    t->rt->conf.log_bodies ? body : "");
	txnlog_emit(o->status == GW_OK, line);
}

void
txnlog_finish(const struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	uint64_t	 now = txn_now_ms();
	uint64_t	 ms = now >= t->started_ms ? now - t->started_ms : 0;

	if (txnlog_is_refusal(o->reason) &&
	    !log_refusal_admit(t->source[0] ? t->source : "?", now))
		return;
	if (!log_enabled(o->status == GW_OK ? LOG_L_INFO : LOG_L_WARNING))
		return;
	if (strcmp(t->rt->conf.log_format, "json") == 0)
		txnlog_json(t, o, r, ms);
	else
		txnlog_text(t, o, r, ms);
}
