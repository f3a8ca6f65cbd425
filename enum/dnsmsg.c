/*
 * enum/dnsmsg.c - build DNS queries and parse replies (RFC 1035, 2308,
 * 2782, 3403, 4035).
 *
 * Below the resolution steps: gateway/dns sends dnsmsg_build_query()'s
 * bytes and feeds the raw reply back here.  c-ares 1.18 gives neither TTLs
 * nor the SOA of a negative answer nor the AD bit, and it does not keep
 * NAPTR order, so every answer is walked here.  Names come out absolute and
 * lower-case.  Everything lands in one caller block so that one free()
 * releases an answer; a first call with no block measures it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "enum/dnsmsg.h"

#define MAX_CNAME_HOPS	8

/* Bump allocator over the caller block; with base == NULL it only counts. */
struct bump {
	uint8_t	*base;
	size_t	 cap;
	size_t	 used;
};

static void *
bump_alloc(struct bump *b, size_t n, size_t align)
{
	size_t	 off = (b->used + align - 1) & ~(align - 1);

	b->used = off + n;
	if (b->base == NULL || b->used > b->cap)
		return NULL;
	return b->base + off;
}

static const char *
bump_strdup(struct bump *b, const char *s, size_t n)
{
	char	*p = bump_alloc(b, n + 1, 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

/*
 * Expand the (possibly compressed) name at @off into presentation form,
 * lower-case, absolute.  Bytes that would be ambiguous in presentation
 * form are escaped as \DDD; a '.' inside a label as "\.".  At most
 * DNSMSG_NAME_MAX - 1 characters and 64 compression jumps are allowed, so
 * a hostile pointer loop ends here.
 * @return offset just past the name in the original position, or 0 on error
 */
static size_t
read_name(const uint8_t *msg, size_t len, size_t off, char *out)
{
	size_t	 o = 0, end = 0;
	int	 jumps = 0;

	for (;;) {
		uint8_t	 l;

		if (off >= len)
			return 0;
		l = msg[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= len || ++jumps > 64)
				return 0;
			if (end == 0)
				end = off + 2;
			off = ((size_t)(l & 0x3f) << 8) | msg[off + 1];
			continue;
		}
		if ((l & 0xc0) != 0)
			return 0;	/* extended label types: refuse */
		off++;
		if (l == 0)
			break;
		if (off + l > len)
			return 0;
		for (size_t i = 0; i < l; i++) {
			uint8_t	 c = msg[off + i];
			char	 tmp[5];
			size_t	 tl;

			if (c == '.' || c == '\\') {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				tl = 2;
			} else if (c <= 0x20 || c >= 0x7f) {
				snprintf(tmp, sizeof(tmp), "\\%03u", c);
				tl = 4;
			} else {
				tmp[0] = (char)tolower(c);
				tl = 1;
			}
			if (o + tl + 2 > DNSMSG_NAME_MAX)
				return 0;
			memcpy(out + o, tmp, tl);
			o += tl;
		}
		off += l;
		out[o++] = '.';
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return end != 0 ? end : off;
}

/* A character-string (RFC 1035 3.3): length octet + bytes, no NUL inside. */
static size_t
read_cstring(const uint8_t *p, size_t avail, const uint8_t **s, size_t *n)
{
	if (avail < 1 || (size_t)p[0] + 1 > avail)
		return 0;
	*n = p[0];
	*s = p + 1;
	if (memchr(*s, '\0', *n) != NULL)
		return 0;
	return *n + 1;
}

struct rr_hdr {
	char		 owner[DNSMSG_NAME_MAX];
	uint16_t	 type;
	uint16_t	 class;
	uint32_t	 ttl;
	size_t		 rdoff;
	uint16_t	 rdlen;
};

static size_t
read_rr(const uint8_t *msg, size_t len, size_t off, struct rr_hdr *rr)
{
	off = read_name(msg, len, off, rr->owner);
	if (off == 0 || off + 10 > len)
		return 0;
	rr->type = get16(msg + off);
	rr->class = get16(msg + off + 2);
	rr->ttl = get32(msg + off + 4);
	if (rr->ttl & 0x80000000u)
		rr->ttl = 0;		/* RFC 2181 section 8 */
	rr->rdlen = get16(msg + off + 8);
	rr->rdoff = off + 10;
	if (rr->rdoff + rr->rdlen > len)
		return 0;
	return rr->rdoff + rr->rdlen;
}

static size_t
skip_question(const uint8_t *msg, size_t len, size_t off, char *qname,
    uint16_t *qtype)
{
	off = read_name(msg, len, off, qname);
	if (off == 0 || off + 4 > len)
		return 0;
	*qtype = get16(msg + off);
	return off + 4;
}

/* One pass over the whole message.  With b->base == NULL it measures. */
static int
parse_pass(const uint8_t *msg, size_t len, struct bump *b,
    struct dnsmsg_answer *a)
{
	uint16_t	 qd, an, ns;
	size_t		 off = DNSMSG_HDR_LEN, an_off;
	char		 qname[DNSMSG_NAME_MAX], cur[DNSMSG_NAME_MAX];
	struct rr_hdr	 rr;
	size_t		 nnaptr = 0, nsrv = 0, naddr = 0;
	bool		 have_ttl = false;

	if (len < DNSMSG_HDR_LEN || (msg[2] & 0x80) == 0)
		return -1;
	memset(a, 0, sizeof(*a));
	a->aa = (msg[2] & 0x04) != 0;
	a->tc = (msg[2] & 0x02) != 0;
	a->ad = (msg[3] & 0x20) != 0;
	a->rcode = dnsmsg_header_rcode(msg, len);
	qd = get16(msg + 4);
	an = get16(msg + 6);
	ns = get16(msg + 8);
	if (qd != 1)
		return -1;
	off = skip_question(msg, len, off, qname, &a->qtype);
	if (off == 0)
		return -1;
	a->qname = bump_strdup(b, qname, strlen(qname));
	an_off = off;

	/*
	 * Follow the CNAME chain first, whatever order the server put the
	 * records in; at most MAX_CNAME_HOPS links, so a CNAME loop ends.
	 */
	strcpy(cur, qname);
	for (int hop = 0; hop < MAX_CNAME_HOPS; hop++) {
		bool	 moved = false;

		off = an_off;
		for (uint16_t i = 0; i < an; i++) {
			char	 target[DNSMSG_NAME_MAX];

			if ((off = read_rr(msg, len, off, &rr)) == 0)
				return -1;
			if (rr.type != DNSMSG_T_CNAME || a->qtype ==
			    DNSMSG_T_CNAME || strcmp(rr.owner, cur) != 0)
				continue;
			if (read_name(msg, rr.rdoff + rr.rdlen, rr.rdoff,
			    target) == 0)
				return -1;
			strcpy(cur, target);
			a->has_cname = true;
			if (!have_ttl || rr.ttl < a->ttl)
				a->ttl = rr.ttl;
			have_ttl = true;
			moved = true;
			break;
		}
		if (!moved)
			break;
	}
	a->final_name = a->has_cname ? bump_strdup(b, cur, strlen(cur)) :
	    a->qname;

	/* Count what we keep, then allocate the arrays. */
	off = an_off;
	for (uint16_t i = 0; i < an; i++) {
		if ((off = read_rr(msg, len, off, &rr)) == 0)
			return -1;
		if (rr.type != a->qtype || strcmp(rr.owner, cur) != 0)
			continue;
		if (rr.type == DNSMSG_T_NAPTR && nnaptr < NAPTR_MAX_RRS)
			nnaptr++;
		else if (rr.type == DNSMSG_T_SRV && nsrv < DNSMSG_MAX_SRV)
			nsrv++;
		else if ((rr.type == DNSMSG_T_A || rr.type == DNSMSG_T_AAAA) &&
		    naddr < DNSMSG_MAX_ADDR)
			naddr++;
	}
	a->naptr = bump_alloc(b, nnaptr * sizeof(*a->naptr),
	    _Alignof(struct naptr_rr));
	a->srv = bump_alloc(b, nsrv * sizeof(*a->srv), _Alignof(struct srv_rr));
	a->addr = bump_alloc(b, naddr * sizeof(*a->addr),
	    _Alignof(struct dns_addr));

	off = an_off;
	for (uint16_t i = 0; i < an; i++) {
		const uint8_t	*p, *s[4];
		size_t		 n[4], avail, used;
		char		 name[DNSMSG_NAME_MAX];

		if ((off = read_rr(msg, len, off, &rr)) == 0)
			return -1;
		if (rr.type != a->qtype || strcmp(rr.owner, cur) != 0)
			continue;
		p = msg + rr.rdoff;
		avail = rr.rdlen;
		if (rr.type == DNSMSG_T_NAPTR) {
			struct naptr_rr	*r;
			size_t		 roff;

			if (a->nnaptr >= nnaptr)
				continue;
			if (avail < 4)
				return -1;
			roff = 4;
			for (int k = 0; k < 3; k++) {
				used = read_cstring(p + roff, avail - roff,
				    &s[k], &n[k]);
				if (used == 0)
					return -1;
				roff += used;
			}
			/* REPLACEMENT is never compressed (RFC 3403 4.1),
			 * but reading it through read_name() is harmless. */
			if (read_name(msg, rr.rdoff + rr.rdlen,
			    rr.rdoff + roff, name) == 0)
				return -1;
			r = a->naptr != NULL ? &a->naptr[a->nnaptr] : NULL;
			if (r != NULL) {
				r->order = get16(p);
				r->preference = get16(p + 2);
				r->index = (uint16_t)a->nnaptr;
			}
			{
				const char *f = bump_strdup(b,
				    (const char *)s[0], n[0]);
				const char *sv = bump_strdup(b,
				    (const char *)s[1], n[1]);
				const char *re = bump_strdup(b,
				    (const char *)s[2], n[2]);
				const char *rp = bump_strdup(b, name,
				    strlen(name));

				if (r != NULL) {
					r->flags = f;
					r->services = sv;
					r->regexp = re;
					r->replacement = rp;
				}
			}
			a->nnaptr++;
		} else if (rr.type == DNSMSG_T_SRV) {
			struct srv_rr	*r;
			const char	*t;

			if (a->nsrv >= nsrv)
				continue;
			if (avail < 7 || read_name(msg, rr.rdoff + rr.rdlen,
			    rr.rdoff + 6, name) == 0)
				return -1;
			t = bump_strdup(b, name, strlen(name));
			r = a->srv != NULL ? &a->srv[a->nsrv] : NULL;
			if (r != NULL) {
				r->priority = get16(p);
				r->weight = get16(p + 2);
				r->port = get16(p + 4);
				r->index = (uint16_t)a->nsrv;
				r->target = t;
			}
			a->nsrv++;
		} else if (rr.type == DNSMSG_T_A || rr.type ==
		    DNSMSG_T_AAAA) {
			size_t	 want = rr.type == DNSMSG_T_A ? 4 : 16;

			if (a->naddr >= naddr)
				continue;
			if (avail != want)
				return -1;
			if (a->addr != NULL) {
				a->addr[a->naddr].family = want == 4 ?
				    AF_INET : AF_INET6;
				memset(a->addr[a->naddr].bytes, 0, 16);
				memcpy(a->addr[a->naddr].bytes, p, want);
			}
			a->naddr++;
		} else
			continue;
		if (!have_ttl || rr.ttl < a->ttl)
			a->ttl = rr.ttl;
		have_ttl = true;
	}

	/* Authority section: the SOA that bounds negative caching. */
	for (uint16_t i = 0; i < ns; i++) {
		if ((off = read_rr(msg, len, off, &rr)) == 0)
			return -1;
		if (rr.type == DNSMSG_T_SOA && rr.rdlen >= 22 && !a->has_soa) {
			uint32_t min = get32(msg + rr.rdoff + rr.rdlen - 4);

			a->has_soa = true;
			a->soa_ttl = rr.ttl;
			a->soa_minimum = min & 0x80000000u ? 0 : min;
		}
	}
	return 0;
}

size_t
dnsmsg_parse(const uint8_t *msg, size_t len, void *mem, size_t memsz,
    struct dnsmsg_answer **out)
{
	struct bump		 b = { NULL, 0, 0 };
	struct dnsmsg_answer	 tmp, *a;
	size_t			 need;

	/* The answer struct itself sits at the start of the block. */
	bump_alloc(&b, sizeof(struct dnsmsg_answer),
	    _Alignof(struct dnsmsg_answer));
	if (parse_pass(msg, len, &b, &tmp) != 0)
		return 0;
	need = b.used;
	if (mem == NULL || memsz < need)
		return need;
	b.base = mem;
	b.cap = memsz;
	b.used = 0;
	a = bump_alloc(&b, sizeof(*a), _Alignof(struct dnsmsg_answer));
	if (parse_pass(msg, len, &b, a) != 0)
		return 0;
	*out = a;
	return need;
}

size_t
dnsmsg_build_query(const char *name, uint16_t qtype, uint16_t id, bool ad,
    bool edns, uint8_t *out, size_t outsz)
{
	size_t	 o = DNSMSG_HDR_LEN, nlen = strlen(name);

	if (outsz < DNSMSG_HDR_LEN + nlen + 2 + 4 + (edns ? 11 : 0) ||
	    nlen == 0 || nlen >= DNSMSG_NAME_MAX)
		return 0;
	memset(out, 0, DNSMSG_HDR_LEN);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = 0x01;			/* RD */
	out[3] = ad ? 0x20 : 0;		/* AD: RFC 6840 5.7 */
	out[5] = 1;			/* QDCOUNT */
	out[11] = edns ? 1 : 0;		/* ARCOUNT */

	/* Labels; "\." and "\DDD" escapes are understood. */
	if (strcmp(name, ".") != 0) {
		size_t	 i = 0;

		while (i < nlen) {
			size_t	 lpos = o++, l = 0;

			while (i < nlen && name[i] != '.') {
				uint8_t	 c = (uint8_t)name[i++];

				if (c == '\\' && i < nlen) {
					if (isdigit((uint8_t)name[i]) &&
					    i + 2 < nlen &&
					    isdigit((uint8_t)name[i + 1]) &&
					    isdigit((uint8_t)name[i + 2])) {
						unsigned v = (unsigned)
						    (name[i] - '0') * 100 +
						    (unsigned)(name[i + 1] -
						    '0') * 10 +
						    (unsigned)(name[i + 2] -
						    '0');
						if (v > 255)
							return 0;
						c = (uint8_t)v;
						i += 3;
					} else
						c = (uint8_t)name[i++];
				}
				if (++l > 63 || o >= outsz - 16)
					return 0;
				out[o++] = c;
			}
			if (l == 0)
				return 0;	/* empty label */
			out[lpos] = (uint8_t)l;
			if (i < nlen)
				i++;		/* the dot */
		}
	}
	if (o - DNSMSG_HDR_LEN + 1 > 255)
		return 0;
	out[o++] = 0;
	out[o++] = (uint8_t)(qtype >> 8);
	out[o++] = (uint8_t)qtype;
	out[o++] = 0;
	out[o++] = 1;			/* IN */
	if (edns) {
		if (o + 11 > outsz)
			return 0;
		out[o++] = 0;				/* root */
		out[o++] = 0;
		out[o++] = DNSMSG_T_OPT;
		out[o++] = 1232 >> 8;			/* UDP size */
		out[o++] = 1232 & 0xff;
		out[o++] = 0;				/* ext rcode */
		out[o++] = 0;				/* version */
		out[o++] = ad ? 0x80 : 0;		/* DO */
		out[o++] = 0;
		out[o++] = 0;				/* rdlen */
		out[o++] = 0;
	}
	return o;
}

int
dnsmsg_name_normalize(const char *in, char *out, size_t outsz)
{
	size_t	 n = strlen(in), i;

	if (n == 0 || n + 2 > outsz)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	if (out[n - 1] != '.' || (n >= 2 && out[n - 2] == '\\'))
		out[n++] = '.';
	out[n] = '\0';
	return 0;
}
