/*
 * bench/xmppload.c - XMPP load generator and sink for the imgate benchmark
 * (libstrophe; Python slixmpp is too slow to load Prosody or imgated).
 *
 *   xmppload sink HOST PORT DOMAIN PASSWORD USERS
 *	Logs in u0..u<USERS-1>@DOMAIN (resource "sink"), sends initial
 *	presence (Prosody delivers a message to a bare JID only to an
 *	available resource), prints "ready" and answers every <message/>
 *	that asks for an XEP-0184 receipt with one.  Runs until SIGTERM or
 *	SIGINT, then prints "sink messages N receipts N errors N".
 *
 *   xmppload send HOST PORT JID PASSWORD TOFILE RATE COUNT WAIT_S
 *	A c2s client sends COUNT messages at RATE/s, each with id "b<n>"
 *	and a receipt request, to the JIDs in TOFILE (one a line, used in
 *	turn).  It then waits up to WAIT_S for the answers and prints one
 *	line (latency from the send call to the receipt or error stanza):
 *	  sent N unsent N receipts N errors N lost N late N rate R
 *	  p50 X p99 Y max Z (ms; late = answered after 500 ms)
 *
 *   xmppload csend HOST PORT COMPONENT SECRET TOFILE RATE COUNT WAIT_S
 *	The same from an XEP-0114 component, as "load@COMPONENT": the
 *	baseline of the SIP->XMPP scenario (what imgated's component does,
 *	without the SIP side).
 *
 *   xmppload echo HOST PORT COMPONENT SECRET
 *	A component that answers every message asking for a receipt with
 *	one, at once: the baseline of the XMPP->SIP scenario.  Runs until
 *	SIGTERM or SIGINT, then prints "echo messages N receipts N".
 *
 * Every table has a fixed maximum: at most MSG_MAX messages per run, at
 * most TO_MAX destinations, SENDQ_MAX stanzas queued in libstrophe (a
 * message due while the queue is that long is not sent and counts as
 * unsent, so an overloaded server shows as a failed step, not as memory).
 * Build: cc -O2 -o xmppload xmppload.c $(pkg-config --cflags --libs
 * libstrophe)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <strophe.h>

#define NS_RECEIPTS	"urn:xmpp:receipts"
#define MSG_MAX		2000000		/* messages in one send run */
#define TO_MAX		1024		/* destinations in TOFILE */
#define JID_MAX		512
#define USERS_MAX	64
#define SENDQ_MAX	20000		/* stanzas queued in libstrophe */
#define LATE_US		500000		/* sipp retransmits after T1 */

enum mode { M_SINK, M_SEND, M_CSEND, M_ECHO };

struct state {
	enum mode	 mode;
	xmpp_ctx_t	*ctx;
	xmpp_conn_t	*conns[USERS_MAX];
	int		 nconns;
	int		 online;	/* connections past login */
	int		 failed;	/* connections lost or refused */
	/* sink and echo */
	uint64_t	 messages, receipts, errors, nreply;
	/* send and csend */
	char		 from[JID_MAX];
	char		*to[TO_MAX];
	int		 nto;
	int64_t		*sent_ns;	/* send time by message number */
	int32_t		*lat_us;	/* -1 while unanswered */
	uint64_t	 count, nsent, unsent, nrcpt, nerr, late;
};

static struct state		 s;
static volatile sig_atomic_t	 stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * XML-escape an attribute value into out.  -1 when it does not fit: the
 * stanza is then not answered rather than sent truncated.
 */
static int
attr_escape(const char *in, char *out, size_t outsz)
{
	size_t		 o = 0;
	const char	*rep;

	for (; *in != '\0'; in++) {
		switch (*in) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '"':
			rep = "&quot;";
			break;
		default:
			rep = NULL;
		}
		if (rep == NULL) {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = *in;
		} else {
			if (o + strlen(rep) >= outsz)
				return -1;
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		}
	}
	out[o] = '\0';
	return 0;
}

/* ------------------------------------------------ sink and echo */

/*
 * A receipt for a message that asked for one.  Raw text: building a
 * stanza tree per answer would cost the sink more than the parse.  A
 * component must say who it speaks for; a client must not (the server
 * stamps its full JID).
 */
static int
on_message_answer(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	const char	*from, *to, *id, *type;
	char		 efrom[JID_MAX], eto[JID_MAX], eid[JID_MAX];

	(void)ud;
	s.messages++;
	type = xmpp_stanza_get_type(st);
	if (type != NULL && strcmp(type, "error") == 0) {
		s.errors++;
		return 1;
	}
	if (xmpp_stanza_get_child_by_name_and_ns(st, "request",
	    NS_RECEIPTS) == NULL)
		return 1;
	from = xmpp_stanza_get_from(st);
	to = xmpp_stanza_get_to(st);
	id = xmpp_stanza_get_id(st);
	if (from == NULL || id == NULL ||
	    attr_escape(from, efrom, sizeof(efrom)) != 0 ||
	    attr_escape(id, eid, sizeof(eid)) != 0)
		return 1;
	s.nreply++;
	if (s.mode == M_ECHO) {
		if (to == NULL || attr_escape(to, eto, sizeof(eto)) != 0)
			return 1;
		xmpp_send_raw_string(conn, "<message to='%s' from='%s' "
		    "id='e%llu'><received xmlns='" NS_RECEIPTS "' id='%s'/>"
		    "</message>", efrom, eto, (unsigned long long)s.nreply,
		    eid);
	} else
		xmpp_send_raw_string(conn, "<message to='%s' id='r%llu'>"
		    "<received xmlns='" NS_RECEIPTS "' id='%s'/></message>",
		    efrom, (unsigned long long)s.nreply, eid);
	s.receipts++;
	return 1;
}

/* ---------------------------------------------------- send, csend */

/* Message number from our id "b<n>"; -1 when it is not one of ours. */
static int64_t
id_to_n(const char *id)
{
	char		*end;
	uint64_t	 n;

	if (id == NULL || id[0] != 'b')
		return -1;
	n = strtoull(id + 1, &end, 10);
	if (*end != '\0' || n >= s.nsent)
		return -1;
	return (int64_t)n;
}

static void
answered(int64_t n, bool error)
{
	int64_t	 us;

	if (n < 0 || s.lat_us[n] >= 0)
		return;		/* not ours, or a duplicate */
	us = (now_ns() - s.sent_ns[n]) / 1000;
	s.lat_us[n] = us > INT32_MAX ? INT32_MAX : (int32_t)us;
	if (us > LATE_US)
		s.late++;
	if (error)
		s.nerr++;
	else
		s.nrcpt++;
}

static int
on_message_count(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	xmpp_stanza_t	*r;
	const char	*type;

	(void)conn;
	(void)ud;
	type = xmpp_stanza_get_type(st);
	if (type != NULL && strcmp(type, "error") == 0) {
		answered(id_to_n(xmpp_stanza_get_id(st)), true);
		return 1;
	}
	if ((r = xmpp_stanza_get_child_by_name_and_ns(st, "received",
	    NS_RECEIPTS)) != NULL)
		answered(id_to_n(xmpp_stanza_get_attribute(r, "id")), false);
	return 1;
}

static void
send_one(xmpp_conn_t *conn, uint64_t n)
{
	const char	*to = s.to[n % (uint64_t)s.nto];

	s.sent_ns[n] = now_ns();
	/*
	 * The component baseline sends what imgated sends for a sipp
	 * MESSAGE (RFC 7572): an escaped SIP sender as from, the Call-ID as
	 * <thread/>, the same body; Prosody's cost per stanza depends on
	 * its shape, so the ratio compares like with like.
	 */
	if (s.mode == M_CSEND)
		xmpp_send_raw_string(conn, "<message to='%s' from='%s' "
		    "id='b%llu'><body>bench message %llu</body>"
		    "<thread>%llu-4242@127.0.0.1</thread><request "
		    "xmlns='" NS_RECEIPTS "'/></message>", to, s.from,
		    (unsigned long long)n, (unsigned long long)n,
		    (unsigned long long)n);
	else
		xmpp_send_raw_string(conn, "<message to='%s' id='b%llu'>"
		    "<body>bench message %llu</body><request xmlns='"
		    NS_RECEIPTS "'/></message>", to, (unsigned long long)n,
		    (unsigned long long)n);
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t	 x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static void
report(double rate, int64_t t_first, int64_t t_last)
{
	uint64_t	 i, k = 0;
	double		 span;
	int32_t		*v;

	/* The answered latencies, sorted, in place of the table. */
	v = s.lat_us;
	for (i = 0; i < s.nsent; i++)
		if (s.lat_us[i] >= 0)
			v[k++] = s.lat_us[i];
	qsort(v, k, sizeof(*v), cmp_i32);
	/* Achieved rate as sipp's: answered over the sending span. */
	span = (double)(t_last - t_first) / 1e9 + 1.0 / rate;
	printf("sent %llu unsent %llu receipts %llu errors %llu lost %llu "
	    "late %llu rate %.1f p50 %.3f p99 %.3f max %.3f\n",
	    (unsigned long long)s.nsent, (unsigned long long)s.unsent,
	    (unsigned long long)s.nrcpt, (unsigned long long)s.nerr,
	    (unsigned long long)(s.nsent - s.nrcpt - s.nerr),
	    (unsigned long long)s.late, k / (span > 0 ? span : 1),
	    k ? v[k / 2] / 1e3 : -1.0,
	    k ? v[(size_t)(k * 0.99) < k ? (size_t)(k * 0.99) : k - 1] / 1e3 :
	    -1.0, k ? v[k - 1] / 1e3 : -1.0);
}

/*
 * Paced sending: every round sends what is due by the clock, then lets
 * libstrophe write and read for at most 1 ms.  libstrophe reads 4 KB per
 * round, so rounds are kept short rather than sleeping.
 */
static int
run_send(xmpp_conn_t *conn, double rate, double wait_s)
{
	int64_t		 t0, now, t_end = 0, t_last = 0;
	uint64_t	 due;

	t0 = now_ns();
	while (!stop && s.failed == 0) {
		now = now_ns();
		due = (uint64_t)((double)(now - t0) / 1e9 * rate) + 1;
		if (due > s.count)
			due = s.count;
		while (s.nsent + s.unsent < due) {
			if (xmpp_conn_send_queue_len(conn) >= SENDQ_MAX) {
				s.unsent++;
				continue;
			}
			send_one(conn, s.nsent);
			t_last = s.sent_ns[s.nsent];
			s.nsent++;
		}
		if (s.nsent + s.unsent == s.count) {
			if (t_end == 0)
				t_end = now;
			if (s.nrcpt + s.nerr == s.nsent ||
			    now - t_end > (int64_t)(wait_s * 1e9))
				break;
		}
		xmpp_run_once(s.ctx, 1);
	}
	report(rate, t0, t_last ? t_last : t0);
	return s.failed ? 1 : 0;
}

/* ------------------------------------------------------ connections */

static void
on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
    xmpp_stream_error_t *se, void *ud)
{
	(void)se;
	(void)ud;
	if (ev == XMPP_CONN_CONNECT) {
		if (s.mode == M_SINK)
			xmpp_send_raw_string(conn, "<presence/>");
		s.online++;
		return;
	}
	if (ev == XMPP_CONN_RAW_CONNECT)
		return;
	fprintf(stderr, "xmppload: %s: connection %s (%s)\n",
	    xmpp_conn_get_jid(conn), ev == XMPP_CONN_FAIL ? "failed" :
	    "closed", error ? strerror(error) : "stream closed");
	s.failed++;
}

static void
on_donor(xmpp_conn_t *c, xmpp_conn_event_t e, int err,
    xmpp_stream_error_t *se, void *ud)
{
	(void)c;
	(void)e;
	(void)err;
	(void)se;
	(void)ud;
}

/*
 * libstrophe 0.12 has no stream-management state on a component
 * connection and dereferences it on the first stanza received (imgated
 * works around it the same way, gateway/xmppgw.c): a client connection
 * to a closed loopback port fails at once and leaves a fresh state to
 * hand over.
 */
static int
sm_state_borrow(xmpp_conn_t *component)
{
	xmpp_conn_t	*donor;
	xmpp_sm_state_t	*sm = NULL;
	int		 i;

	if ((donor = xmpp_conn_new(s.ctx)) == NULL)
		return -1;
	xmpp_conn_set_jid(donor, "donor@localhost");
	if (xmpp_connect_client(donor, "127.0.0.1", 1, on_donor, NULL) ==
	    XMPP_EOK)
		for (i = 0; i < 100 && !xmpp_conn_is_disconnected(donor); i++)
			xmpp_run_once(s.ctx, 1);
	if (xmpp_conn_is_disconnected(donor))
		sm = xmpp_conn_get_sm_state(donor);
	xmpp_conn_release(donor);
	if (sm == NULL)
		return -1;
	if (xmpp_conn_set_sm_state(component, sm) != XMPP_EOK) {
		xmpp_free_sm_state(sm);
		return -1;
	}
	return 0;
}

static xmpp_conn_t *
open_conn(const char *host, int port, const char *jid, const char *pass,
    bool component, xmpp_handler h)
{
	xmpp_conn_t	*conn;
	int		 rc;

	if ((conn = xmpp_conn_new(s.ctx)) == NULL)
		return NULL;
	/* Plain TCP on loopback; no XEP-0198 acks to skew the count. */
	xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_DISABLE_TLS |
	    XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_jid(conn, jid);
	xmpp_conn_set_pass(conn, pass);
	xmpp_handler_add(conn, h, NULL, "message", NULL, NULL);
	if (component) {
		if (sm_state_borrow(conn) != 0) {
			fprintf(stderr, "xmppload: no stream state to lend\n");
			return NULL;
		}
		rc = xmpp_connect_component(conn, host, (unsigned short)port,
		    on_conn, NULL);
	} else
		rc = xmpp_connect_client(conn, host, (unsigned short)port,
		    on_conn, NULL);
	if (rc != XMPP_EOK) {
		xmpp_conn_release(conn);
		return NULL;
	}
	s.conns[s.nconns++] = conn;
	return conn;
}

/* Run until every connection is up; 0 on success. */
static int
wait_online(int seconds)
{
	int64_t	 end = now_ns() + (int64_t)seconds * 1000000000;

	while (!stop && s.failed == 0 && s.online < s.nconns &&
	    now_ns() < end)
		xmpp_run_once(s.ctx, 5);
	if (s.online < s.nconns) {
		fprintf(stderr, "xmppload: %d of %d connections up\n",
		    s.online, s.nconns);
		return -1;
	}
	return 0;
}

static int
read_to(const char *path)
{
	FILE	*f;
	char	 line[JID_MAX], esc[JID_MAX];
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while (s.nto < TO_MAX && fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (n == 0 || attr_escape(line, esc, sizeof(esc)) != 0)
			continue;
		if ((s.to[s.nto] = strdup(esc)) == NULL)
			break;
		s.nto++;
	}
	fclose(f);
	return s.nto > 0 ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: xmppload sink HOST PORT DOMAIN PASSWORD USERS\n"
	    "       xmppload send HOST PORT JID PASSWORD TOFILE RATE COUNT "
	    "WAIT_S\n"
	    "       xmppload csend HOST PORT COMPONENT SECRET TOFILE RATE "
	    "COUNT WAIT_S\n"
	    "       xmppload echo HOST PORT COMPONENT SECRET\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char	*host;
	char		 jid[JID_MAX];
	int		 port, i, users, rc = 0;
	double		 rate = 0, wait_s = 0;
	xmpp_conn_t	*conn = NULL;

	if (argc < 6)
		usage();
	if (strcmp(argv[1], "sink") == 0 && argc == 7)
		s.mode = M_SINK;
	else if (strcmp(argv[1], "send") == 0 && argc == 10)
		s.mode = M_SEND;
	else if (strcmp(argv[1], "csend") == 0 && argc == 10)
		s.mode = M_CSEND;
	else if (strcmp(argv[1], "echo") == 0 && argc == 6)
		s.mode = M_ECHO;
	else
		usage();
	host = argv[2];
	port = atoi(argv[3]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	xmpp_initialize();
	s.ctx = xmpp_ctx_new(NULL, getenv("XMPPLOAD_DEBUG") ?
	    xmpp_get_default_logger(XMPP_LEVEL_DEBUG) : NULL);
	if (s.ctx == NULL)
		return 1;

	switch (s.mode) {
	case M_SINK:
		users = atoi(argv[6]);
		if (users < 1 || users > USERS_MAX)
			usage();
		for (i = 0; i < users; i++) {
			snprintf(jid, sizeof(jid), "u%d@%s/sink", i, argv[4]);
			if (open_conn(host, port, jid, argv[5], false,
			    on_message_answer) == NULL)
				return 1;
		}
		if (wait_online(30) != 0)
			return 1;
		printf("ready\n");
		fflush(stdout);
		while (!stop && s.failed == 0)
			xmpp_run_once(s.ctx, 50);
		printf("sink messages %llu receipts %llu errors %llu\n",
		    (unsigned long long)s.messages,
		    (unsigned long long)s.receipts,
		    (unsigned long long)s.errors);
		return s.failed ? 1 : 0;
	case M_ECHO:
		if (open_conn(host, port, argv[4], argv[5], true,
		    on_message_answer) == NULL || wait_online(30) != 0)
			return 1;
		printf("ready\n");
		fflush(stdout);
		while (!stop && s.failed == 0)
			xmpp_run_once(s.ctx, 50);
		printf("echo messages %llu receipts %llu\n",
		    (unsigned long long)s.messages,
		    (unsigned long long)s.receipts);
		return s.failed ? 1 : 0;
	case M_SEND:
	case M_CSEND:
		rate = atof(argv[7]);
		s.count = strtoull(argv[8], NULL, 10);
		wait_s = atof(argv[9]);
		if (rate <= 0 || s.count == 0 || s.count > MSG_MAX)
			usage();
		if (read_to(argv[6]) != 0)
			return 1;
		s.sent_ns = calloc(s.count, sizeof(*s.sent_ns));
		s.lat_us = malloc(s.count * sizeof(*s.lat_us));
		if (s.sent_ns == NULL || s.lat_us == NULL)
			return 1;
		memset(s.lat_us, 0xff, s.count * sizeof(*s.lat_us));
		if (s.mode == M_CSEND) {
			snprintf(s.from, sizeof(s.from),
			    "sipp\\40127.0.0.1\\3a5060@%s", argv[4]);
			conn = open_conn(host, port, argv[4], argv[5], true,
			    on_message_count);
		} else
			conn = open_conn(host, port, argv[4], argv[5], false,
			    on_message_count);
		if (conn == NULL || wait_online(30) != 0)
			return 1;
		rc = run_send(conn, rate, wait_s);
		break;
	}
	fflush(stdout);
	/* Exit without a stream close: the counts are out, the kernel
	 * closes the socket, and the server notices at once. */
	_exit(rc);
}
