/*
 * tests/fuzz/fuzz_xlate.c - libFuzzer target for gateway/xlate.
 *
 * The translation step sees whatever a peer sends: a message/cpim body,
 * a Content-Type, SIP URIs and JIDs.  The input bytes go, as they are, to
 * the CPIM parser, the content-type and UTF-8 checks, XEP-0106 escaping
 * and both message mappings; the bytes up to the first NUL go to every
 * address mapper.  Beyond "no crash, no overflow" the target checks the
 * contracts: every output is NUL-terminated inside its buffer and "" on
 * failure, CPIM spans stay inside the input, escape/unescape round-trip
 * exactly, and mapping an address, mapping it back and mapping it again
 * is stable (SIP <-> JID, the gateway-domain forms, JID <-> im:).
 * The same bytes go to the IMDN and isComposing readers
 * (gateway/xlate/xlate_imdn) and to routing/idna: a message-id is
 * NUL-terminated and free of '&', an ASCII form converts again to
 * itself.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/xlate/xlate.h"
#include "gateway/xlate/xlate_imdn.h"
#include "routing/idna.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static void	fuzz_notify(const char *, size_t, const char *);

/* Longest NUL-terminated copy handed to the address mappers. */
#define FUZZ_STR_MAX	4096
#define FUZZ_GW		"gw.example.org"

typedef enum xlate_status fuzz_map_fn(const char *, char *, size_t);

static void	fuzz_out_ok(enum xlate_status, const char *, size_t);
static void	fuzz_inside(const struct xlate_span *, const char *, size_t);
static void	fuzz_cpim(const char *, size_t);
static void	fuzz_escape(const char *, size_t);
static void	fuzz_small(fuzz_map_fn *, const char *);
static void	fuzz_sip(const char *);
static void	fuzz_jid(const char *);
static void	fuzz_msgs(const char *, size_t, const char *);
static enum xlate_status fuzz_sender_to_gw(const char *, char *, size_t);
static bool	fuzz_user_phone(const char *);
static enum xlate_status fuzz_gw_to_sip(const char *, char *, size_t);

/* The output contract shared by every writer. */
static void
fuzz_out_ok(enum xlate_status st, const char *out, size_t sz)
{
	if (sz == 0)
		return;
	if (memchr(out, '\0', sz) == NULL)
		abort();
	if (st != XLATE_OK && out[0] != '\0')
		abort();
	if (xlate_strstatus(st) == NULL)
		abort();
}

static void
fuzz_inside(const struct xlate_span *sp, const char *buf, size_t len)
{
	if (sp->p == NULL)
		return;
	if (sp->p < buf || sp->p > buf + len ||
	    sp->len > (size_t)(buf + len - sp->p))
		abort();
}

static void
fuzz_cpim(const char *buf, size_t len)
{
	struct xlate_cpim	 c;
	enum xlate_status	 st;
	char			 sub[256];

	st = xlate_cpim_parse(buf, len, &c);
	if (st != XLATE_OK) {
		if (c.from.p != NULL || c.body.p != NULL || c.nto != 0)
			abort();
		return;
	}
	fuzz_inside(&c.from, buf, len);
	fuzz_inside(&c.from_name, buf, len);
	fuzz_inside(&c.from_uri, buf, len);
	fuzz_inside(&c.to, buf, len);
	fuzz_inside(&c.to_name, buf, len);
	fuzz_inside(&c.to_uri, buf, len);
	fuzz_inside(&c.subject, buf, len);
	fuzz_inside(&c.subject_lang, buf, len);
	fuzz_inside(&c.datetime, buf, len);
	fuzz_inside(&c.content_type, buf, len);
	fuzz_inside(&c.body, buf, len);
	if (c.from_uri.p == NULL || c.from_uri.len == 0 || c.nto == 0 ||
	    c.to_uri.p == NULL || c.content_type.len == 0 ||
	    c.body.p + c.body.len != buf + len)
		abort();
	if (c.subject.p != NULL) {
		st = xlate_cpim_unescape(c.subject.p, c.subject.len, sub,
		    sizeof(sub));
		fuzz_out_ok(st, sub, sizeof(sub));
		st = xlate_cpim_unescape(c.subject.p, c.subject.len, sub, 4);
		fuzz_out_ok(st, sub, 4);
	}
	(void)xlate_content_type_okn(c.content_type.p, c.content_type.len);
}

/*
 * unescape(escape(x)) == x whenever escape accepts x; when unescape
 * accepts y, escaping the result and unescaping again is stable.
 */
static void
fuzz_escape(const char *in, size_t n)
{
	static char		 esc[XLATE_PART_MAX + 1];
	static char		 back[XLATE_PART_MAX + 1];
	static char		 again[XLATE_PART_MAX + 1];
	enum xlate_status	 st;

	if (n > 2 * XLATE_PART_MAX)
		n = 2 * XLATE_PART_MAX;
	st = xlate_jid_escape(in, n, esc, sizeof(esc));
	fuzz_out_ok(st, esc, sizeof(esc));
	if (st == XLATE_OK) {
		st = xlate_jid_unescape(esc, strlen(esc), back, sizeof(back));
		if (st != XLATE_OK || strlen(back) != n ||
		    memcmp(back, in, n) != 0)
			abort();
	}
	st = xlate_jid_unescape(in, n, back, sizeof(back));
	fuzz_out_ok(st, back, sizeof(back));
	if (st == XLATE_OK) {
		st = xlate_jid_escape(back, strlen(back), esc, sizeof(esc));
		if (st != XLATE_OK && st != XLATE_E_LONG)
			abort();
		if (st == XLATE_OK &&
		    (xlate_jid_unescape(esc, strlen(esc), again,
		    sizeof(again)) != XLATE_OK || strcmp(again, back) != 0))
			abort();
	}
	/* Tiny buffers never overflow. */
	st = xlate_jid_escape(in, n, esc, 3);
	fuzz_out_ok(st, esc, 3);
}

static void
fuzz_small(fuzz_map_fn *fn, const char *s)
{
	char			 out[12];
	enum xlate_status	 st;

	st = fn(s, out, sizeof(out));
	fuzz_out_ok(st, out, sizeof(out));
	if (fn(s, out, 0) == XLATE_OK)
		abort();
}

static enum xlate_status
fuzz_sender_to_gw(const char *in, char *out, size_t sz)
{
	return xlate_sip_sender_to_gw_jid(in, FUZZ_GW, out, sz);
}

static enum xlate_status
fuzz_gw_to_sip(const char *in, char *out, size_t sz)
{
	return xlate_gw_jid_to_sip(in, FUZZ_GW, out, sz);
}

/* Might the URI carry user=phone (which drops the host)?  Any case. */
static bool
fuzz_user_phone(const char *s)
{
	static const char	 lit[] = ";user=";

	for (; *s != '\0'; s++) {
		size_t	 k;

		for (k = 0; k < sizeof(lit) - 1 && s[k] != '\0'; k++)
			if ((s[k] | 0x20) != (lit[k] | 0x20))
				break;
		if (k == sizeof(lit) - 1)
			return true;
	}
	return false;
}

/* The string as a SIP URI (or header value). */
static void
fuzz_sip(const char *s)
{
	static char		 j1[XLATE_JID_SIZE], j2[XLATE_JID_SIZE];
	static char		 u2[XLATE_URI_SIZE], uri[XLATE_URI_SIZE];
	struct xlate_jid	 j;
	enum xlate_status	 st;

	st = xlate_sip_addr_uri(s, uri, sizeof(uri));
	fuzz_out_ok(st, uri, sizeof(uri));

	/* Direct: JID -> SIP -> JID is stable. */
	st = xlate_sip_to_jid(s, j1, sizeof(j1));
	fuzz_out_ok(st, j1, sizeof(j1));
	if (st == XLATE_OK) {
		if (xlate_jid_split(j1, &j) != XLATE_OK)
			abort();
		if (xlate_jid_to_sip(j1, u2, sizeof(u2)) != XLATE_OK)
			abort();
		st = xlate_sip_to_jid(u2, j2, sizeof(j2));
		if (st != XLATE_OK || strcmp(j1, j2) != 0)
			abort();
	}

	/* Gateway form: exact round trip unless user=phone. */
	st = xlate_sip_sender_to_gw_jid(s, FUZZ_GW, j1, sizeof(j1));
	fuzz_out_ok(st, j1, sizeof(j1));
	if (st == XLATE_OK) {
		if (xlate_jid_split(j1, &j) != XLATE_OK)
			abort();
		st = xlate_gw_jid_to_sip(j1, FUZZ_GW, u2, sizeof(u2));
		fuzz_out_ok(st, u2, sizeof(u2));
		if (!fuzz_user_phone(s)) {
			/* "user@host" always comes back, exactly. */
			if (st != XLATE_OK || xlate_sip_sender_to_gw_jid(u2,
			    FUZZ_GW, j2, sizeof(j2)) != XLATE_OK ||
			    strcmp(j1, j2) != 0)
				abort();
		} else if (st == XLATE_OK && strncmp(u2, "sip:", 4) != 0 &&
		    strncmp(u2, "tel:+", 5) != 0)
			abort();
	}

	st = xlate_gw_sip_to_xmpp(s, FUZZ_GW, j1, sizeof(j1));
	fuzz_out_ok(st, j1, sizeof(j1));
	if (st == XLATE_OK && xlate_jid_split(j1, &j) != XLATE_OK)
		abort();

	st = xlate_im_to_jid(s, j1, sizeof(j1));
	fuzz_out_ok(st, j1, sizeof(j1));
	if (st == XLATE_OK && xlate_jid_split(j1, &j) != XLATE_OK)
		abort();

	fuzz_small(xlate_sip_to_jid, s);
	fuzz_small(fuzz_sender_to_gw, s);
	fuzz_small(xlate_sip_addr_uri, s);
	fuzz_small(xlate_im_to_jid, s);
}

/* The string as a JID. */
static void
fuzz_jid(const char *s)
{
	static char		 u1[XLATE_URI_SIZE], u2[XLATE_URI_SIZE];
	static char		 j1[XLATE_JID_SIZE];
	struct xlate_jid	 j;
	enum xlate_status	 st, sst;

	sst = xlate_jid_split(s, &j);
	if (sst == XLATE_OK) {
		if (j.domain.len == 0 || j.domain.p < s ||
		    j.domain.p + j.domain.len > s + strlen(s))
			abort();
	}

	st = xlate_jid_to_sip(s, u1, sizeof(u1));
	fuzz_out_ok(st, u1, sizeof(u1));
	if (st == XLATE_OK) {
		st = xlate_sip_to_jid(u1, j1, sizeof(j1));
		if (st != XLATE_OK && st != XLATE_E_LONG)
			abort();
	}
	st = xlate_jid_to_sip_from(s, u1, sizeof(u1));
	fuzz_out_ok(st, u1, sizeof(u1));

	/* XMPP sender at the gateway and back, then again: stable. */
	st = xlate_xmpp_sender_to_gw_sip(s, FUZZ_GW, u1, sizeof(u1));
	fuzz_out_ok(st, u1, sizeof(u1));
	if (st == XLATE_OK) {
		st = xlate_gw_sip_to_xmpp(u1, FUZZ_GW, j1, sizeof(j1));
		if (st != XLATE_OK && st != XLATE_E_LONG)
			abort();
		if (st == XLATE_OK &&
		    (xlate_xmpp_sender_to_gw_sip(j1, FUZZ_GW, u2,
		    sizeof(u2)) != XLATE_OK || strcmp(u1, u2) != 0))
			abort();
	}

	st = xlate_gw_jid_to_sip(s, FUZZ_GW, u1, sizeof(u1));
	fuzz_out_ok(st, u1, sizeof(u1));

	/* JID -> im: -> JID never fails on a valid im: URI. */
	st = xlate_jid_to_im(s, u1, sizeof(u1));
	fuzz_out_ok(st, u1, sizeof(u1));
	if (st == XLATE_OK) {
		st = xlate_im_to_jid(u1, j1, sizeof(j1));
		if (st != XLATE_OK && st != XLATE_E_LONG)
			abort();
	}

	fuzz_small(xlate_jid_to_sip, s);
	fuzz_small(fuzz_gw_to_sip, s);
	fuzz_small(xlate_jid_to_im, s);
}

/* Both message mappings, the input as body and as addresses. */
static void
fuzz_msgs(const char *buf, size_t len, const char *s)
{
	static struct xlate_xmpp_msg	 x;
	static struct xlate_sip_out	 o;
	struct xlate_sip_msg		 m = {
		.from = s, .to = s, .call_id = s, .subject = s,
		.content_language = s, .body = buf, .body_len = len
	};
	struct xlate_xmpp_in		 in = {
		.from = s, .to = s, .thread = s, .subject = s, .lang = s,
		.body = buf, .body_len = len
	};
	static const char		*ctypes[] = {
		"text/plain", "message/cpim", NULL
	};
	enum xlate_status		 st;

	for (size_t i = 0; i < sizeof(ctypes) / sizeof(ctypes[0]); i++) {
		m.content_type = ctypes[i];
		st = xlate_sip_to_xmpp_msg(&m, NULL, &x);
		if (st == XLATE_OK &&
		    (x.type != NULL || x.body.p == NULL ||
		    xlate_utf8_check(x.body.p, x.body.len, NULL) != XLATE_OK))
			abort();
		(void)xlate_sip_to_xmpp_msg(&m, FUZZ_GW, &x);
	}
	m.from = "sip:romeo@example.net;tag=1";
	m.to = "sip:juliet@example.com";
	m.content_type = "message/cpim";
	(void)xlate_sip_to_xmpp_msg(&m, NULL, &x);

	st = xlate_xmpp_to_sip_msg(&in, NULL, 0, &o);
	if (st == XLATE_OK && !xlate_sip_size_ok(o.size_estimate, 0))
		abort();
	(void)xlate_xmpp_to_sip_msg(&in, FUZZ_GW, 0, &o);
	in.from = "juliet@example.com/r";
	in.to = "romeo@example.net";
	st = xlate_xmpp_to_sip_msg(&in, NULL, 0, &o);
	if (st == XLATE_OK && (o.body.len != len ||
	    strcmp(o.request_uri, "sip:romeo@example.net") != 0))
		abort();
}

/* IMDN / isComposing readers and the IDNA conversions. */
static void
fuzz_notify(const char *buf, size_t len, const char *s)
{
	struct xlate_imdn	 m;
	enum xlate_composing	 cs;
	char			 a[512], b[512];

	if (xlate_imdn_parse(buf, len, &m) == XLATE_OK &&
	    (memchr(m.message_id, '\0', sizeof(m.message_id)) == NULL ||
	    m.message_id[0] == '\0' || strchr(m.message_id, '&') != NULL))
		abort();
	(void)xlate_iscomposing_parse(buf, len, &cs);
	(void)xlate_imdn_disp_parse(buf, len);
	if (idna_to_ascii(s, strlen(s), a, sizeof(a)) == IDNA_OK) {
		if (idna_to_ascii(a, strlen(a), b, sizeof(b)) != IDNA_OK ||
		    strcmp(a, b) != 0)
			abort();
	} else if (a[0] != '\0')
		abort();
	if (idna_uri_to_ascii(s, a, sizeof(a)) != IDNA_OK && a[0] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 s[FUZZ_STR_MAX + 1];
	const char		*buf = (const char *)data;
	size_t			 n, off;
	enum xlate_status	 st;

	fuzz_cpim(buf, size);
	(void)xlate_content_type_okn(buf, size);
	st = xlate_utf8_check(buf, size, &off);
	if (st != XLATE_OK && off >= size)
		abort();
	fuzz_escape(buf, size);

	n = size < FUZZ_STR_MAX ? size : FUZZ_STR_MAX;
	memcpy(s, buf, n);
	s[n] = '\0';
	(void)xlate_content_type_ok(s);
	fuzz_sip(s);
	fuzz_jid(s);
	fuzz_msgs(buf, size, s);
	fuzz_notify(buf, size, s);
	return 0;
}
