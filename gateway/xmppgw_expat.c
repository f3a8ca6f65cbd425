/*
 * gateway/xmppgw_expat.c - what libstrophe's parser reads of the XMPP
 * server's stream passes the component's caps first
 * (xmppgw_stream_feed(), gateway/xmlguard.h).
 *
 * Linked into imgated only, like gateway/sipgw_send.c: XML_Parse(),
 * XML_ParserReset() and XML_ParserFree() here stand in for expat's in
 * the whole process, and expat's own do the work.  libstrophe (0.12,
 * src/parser_expat.c) is their only caller in imgated: it feeds
 * XML_Parse() each read of its socket, after TLS where there is TLS, and
 * gives no other place to see the bytes before its parser builds them
 * into a tree.  imgate-lookup and imgatectl run no component and keep
 * expat's functions.
 */
#include <dlfcn.h>
#include <expat.h>

#include "gateway/xmppgw.h"

static enum XML_Status (*expat_parse)(XML_Parser, const char *, int, int);
static XML_Bool (*expat_reset)(XML_Parser, const XML_Char *);
static void (*expat_free)(XML_Parser);

static void __attribute__((constructor))
xmppgw_expat_init(void)
{
	*(void **)&expat_parse = dlsym(RTLD_NEXT, "XML_Parse");
	*(void **)&expat_reset = dlsym(RTLD_NEXT, "XML_ParserReset");
	*(void **)&expat_free = dlsym(RTLD_NEXT, "XML_ParserFree");
}

/*
 * Only what lies before a broken cap is parsed (every stanza complete
 * before it is read); the rest, and all the parser gets after, is
 * dropped unparsed and reported as parsed, so that libstrophe adds no
 * <invalid-xml/> of its own: the component closes the stream with the
 * right condition (gateway/xmppgw.c refuse_stream()).
 */
enum XML_Status
XML_Parse(XML_Parser parser, const char *s, int len, int is_final)
{
	size_t	 n;

	if (expat_parse == NULL)
		return XML_STATUS_ERROR;
	if (s == NULL || len <= 0)
		return expat_parse(parser, s, len, is_final);
	if ((n = xmppgw_stream_feed(parser, s, (size_t)len)) == 0)
		return XML_STATUS_OK;
	return expat_parse(parser, s, (int)n, is_final && n == (size_t)len);
}

XML_Bool
XML_ParserReset(XML_Parser parser, const XML_Char *encoding)
{
	xmppgw_stream_gone(parser);
	return expat_reset != NULL ? expat_reset(parser, encoding) : XML_FALSE;
}

void
XML_ParserFree(XML_Parser parser)
{
	xmppgw_stream_gone(parser);
	if (expat_free != NULL)
		expat_free(parser);
}
