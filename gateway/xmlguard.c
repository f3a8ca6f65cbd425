/*
 * gateway/xmlguard.c - caps on the component's XML stream
 * (gateway/xmlguard.h).
 */
#include <stdio.h>
#include <string.h>

#include "gateway/xmlguard.h"

static const char cdata_open[] = "[CDATA[";

void
xmlguard_init(struct xmlguard *g, uint64_t max_bytes)
{
	memset(g, 0, sizeof(*g));
	g->max_bytes = max_bytes;
	g->state = XG_TEXT;
}

void
xmlguard_set_max(struct xmlguard *g, uint64_t max_bytes)
{
	g->max_bytes = max_bytes;
}

enum xmlguard_verdict
xmlguard_verdict(const struct xmlguard *g)
{
	return (enum xmlguard_verdict)g->verdict;
}

/* Room left in the stanza being read before the byte cap. */
static uint64_t
room(const struct xmlguard *g)
{
	if (g->max_bytes == 0)
		return UINT64_MAX;
	return g->stanza_bytes >= g->max_bytes ? 0 :
	    g->max_bytes - g->stanza_bytes;
}

/*
 * One byte of markup (any state but character data).  Returns the
 * verdict it brings.
 */
static enum xmlguard_verdict
markup(struct xmlguard *g, unsigned char c)
{
	switch ((enum xmlguard_state)g->state) {
	case XG_TEXT:
		/* Only '<' comes here (xmlguard_feed()). */
		g->state = XG_LT;
		break;
	case XG_LT:
		if (c == '/')
			g->state = XG_END_TAG;
		else if (c == '!')
			g->state = XG_LT_BANG;
		else if (c == '?') {
			/* The XML declaration, before the root; anywhere
			 * else a processing instruction. */
			if (g->depth > 0)
				return XMLGUARD_RESTRICTED;
			g->state = XG_PI;
			g->matched = 0;
		} else {
			/* A new element, at stanza level g->depth (the
			 * root is open below it). */
			if (g->depth > XMLGUARD_MAX_DEPTH)
				return XMLGUARD_TOO_DEEP;
			g->state = XG_START_TAG;
		}
		break;
	case XG_LT_BANG:
		/* "<![CDATA[" goes on; "<!--" (a comment), "<!DOCTYPE"
		 * and anything else are not for an XMPP stream. */
		if (c != '[')
			return XMLGUARD_RESTRICTED;
		g->state = XG_CDATA_OPEN;
		g->matched = 1;
		break;
	case XG_CDATA_OPEN:
		if (c != (unsigned char)cdata_open[g->matched])
			return XMLGUARD_RESTRICTED;
		if (++g->matched == sizeof(cdata_open) - 1) {
			g->state = XG_CDATA;
			g->matched = 0;
		}
		break;
	case XG_CDATA:
		if (c == ']')
			g->matched = g->matched < 2 ? g->matched + 1 : 2;
		else if (c == '>' && g->matched == 2)
			g->state = XG_TEXT;
		else
			g->matched = 0;
		break;
	case XG_PI:
		if (c == '>' && g->matched)
			g->state = XG_TEXT;
		else
			g->matched = c == '?';
		break;
	case XG_START_TAG:
		if (c == '"' || c == '\'') {
			g->state = XG_START_QUOTE;
			g->quote = c;
		} else if (c == '/')
			g->state = XG_START_SLASH;
		else if (c == '>') {
			g->depth++;
			g->state = XG_TEXT;
		}
		break;
	case XG_START_QUOTE:
		if (c == g->quote)
			g->state = XG_START_TAG;
		break;
	case XG_START_SLASH:
		if (c == '>')
			g->state = XG_TEXT;	/* empty: nothing stays open */
		else if (c != '/') {
			g->state = XG_START_TAG;
			return markup(g, c);
		}
		break;
	case XG_END_TAG:
		if (c == '>') {
			if (g->depth > 0)
				g->depth--;
			g->state = XG_TEXT;
		}
		break;
	}
	return XMLGUARD_OK;
}

/*
 * How many bytes from @p (@n of them) leave the state as it is: the
 * character data up to '<', a quoted value up to its quote, an end tag
 * up to '>', a start tag up to a quote, '/' or '>'.  The bytes of a
 * stanza are mostly such runs; the byte after one goes to markup().
 */
static size_t
plain_run(const struct xmlguard *g, const char *p, size_t n)
{
	const char	*e;
	size_t		 i = 0;

	switch ((enum xmlguard_state)g->state) {
	case XG_TEXT:
		e = memchr(p, '<', n);
		break;
	case XG_START_QUOTE:
		e = memchr(p, g->quote, n);
		break;
	case XG_END_TAG:
		e = memchr(p, '>', n);
		break;
	case XG_START_TAG:
		while (i < n && p[i] != '"' && p[i] != '\'' && p[i] != '/' &&
		    p[i] != '>')
			i++;
		return i;
	default:
		return 0;
	}
	return e != NULL ? (size_t)(e - p) : n;
}

size_t
xmlguard_feed(struct xmlguard *g, const char *buf, size_t len)
{
	size_t	 i = 0;

	if (g->verdict != XMLGUARD_OK)
		return 0;
	while (i < len) {
		enum xmlguard_verdict v;
		size_t	 run = plain_run(g, buf + i, len - i);

		if (g->state == XG_TEXT && g->depth <= 1) {
			/* Between stanzas: part of none. */
			g->stanza_bytes = 0;
		} else if (run > room(g)) {
			i += (size_t)room(g);
			g->stanza_bytes = g->max_bytes;
			g->verdict = XMLGUARD_TOO_BIG;
			return i;
		} else
			g->stanza_bytes += run;
		if ((i += run) == len)
			break;
		/* A byte of markup: a stanza's, or the stream header's. */
		if (room(g) == 0) {
			g->verdict = XMLGUARD_TOO_BIG;
			return i;
		}
		g->stanza_bytes++;
		if ((v = markup(g, (unsigned char)buf[i])) != XMLGUARD_OK) {
			g->verdict = (uint8_t)v;
			return i;
		}
		i++;
	}
	if (g->state == XG_TEXT && g->depth <= 1)
		g->stanza_bytes = 0;
	return len;
}

void
xmlguard_explain(const struct xmlguard *g, char *out, size_t outsz)
{
	if (outsz == 0)
		return;
	switch ((enum xmlguard_verdict)g->verdict) {
	case XMLGUARD_OK:
		snprintf(out, outsz, "within the caps");
		break;
	case XMLGUARD_TOO_DEEP:
		snprintf(out, outsz, "a stanza nested deeper than %d "
		    "elements", XMLGUARD_MAX_DEPTH);
		break;
	case XMLGUARD_TOO_BIG:
		snprintf(out, outsz, "a stanza longer than %llu bytes "
		    "(xmpp.max_stanza)", (unsigned long long)g->max_bytes);
		break;
	case XMLGUARD_RESTRICTED:
		snprintf(out, outsz, "a comment, processing instruction or "
		    "document type declaration (RFC 6120 11.1)");
		break;
	}
}
