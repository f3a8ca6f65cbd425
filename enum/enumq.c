/*
 * enum/enumq.c - the ENUM walk (RFC 6116 5.2, RFC 3402 3.3) without I/O.
 *
 * routing/lookup asks enumq_next() for a name, queries it, and feeds the
 * answer back.  The walk keeps a stack of frames, one per NAPTR RRset on
 * the current non-terminal chain.  Each frame holds its records sorted by
 * (ORDER, PREFERENCE) with ties in served order, and a cursor.  A terminal
 * "u" record that yields an acceptable URI ends the walk; a non-terminal
 * pushes a frame for its REPLACEMENT; when a frame runs dry (or its query
 * fails) the walk backs up into the referring RRset and goes on with the
 * record after the non-terminal, as RFC 6116 5.2.1 asks.  A name already
 * visited is a loop and a chain longer than max_chain is treated as one:
 * both are dropped without issuing the query.  Suffixes are tried in
 * order; the next one only when the previous gave no data or no usable
 * rule, never after a temporary failure.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enum/enumkey.h"
#include "enum/enumq.h"
#include "enum/strcopy.h"

struct enumq_frame {
	char			 owner[DNSMSG_NAME_MAX];
	size_t			 n;
	size_t			 pos;		/* next record to consider */
	const struct naptr_rr	*sorted[NAPTR_MAX_RRS];
	struct naptr_rr		 rrs[NAPTR_MAX_RRS];
	/* the record strings follow in the same allocation */
};

static void
discard(struct enumq *q, const char *owner, int index, const char *reason)
{
	struct enumq_discard	*d;

	if (q->trace == NULL || q->trace->ndiscards >= ENUMQ_TRACE_DISCARDS)
		return;
	d = &q->trace->discards[q->trace->ndiscards++];
	str_copy(d->owner, sizeof(d->owner), owner);
	d->index = index;
	str_copy(d->reason, sizeof(d->reason), reason);
}

static void
discard_subtree(struct enumq *q, struct enumq_frame *f, const char *err)
{
	char	 reason[64];

	snprintf(reason, sizeof(reason), "subtree-failed:%s", err);
	discard(q, f->owner, f->sorted[f->pos - 1]->index, reason);
}

/*
 * Copy an answer's NAPTR RRset into one allocation: the frame, then the
 * strings.  At most NAPTR_MAX_RRS records were parsed, each string is at
 * most 255 bytes (a character-string) or a name, so the size is bounded.
 */
static struct enumq_frame *
frame_new(const char *owner, const struct dnsmsg_answer *a)
{
	struct enumq_frame	*f;
	size_t			 strings = 0, i;
	/* each string's length with its NUL, measured once */
	size_t			 len[NAPTR_MAX_RRS][4];
	char			*p;

	for (i = 0; i < a->nnaptr; i++) {
		const struct naptr_rr *r = &a->naptr[i];

		len[i][0] = strlen(r->flags) + 1;
		len[i][1] = strlen(r->services) + 1;
		len[i][2] = strlen(r->regexp) + 1;
		len[i][3] = strlen(r->replacement) + 1;
		strings += len[i][0] + len[i][1] + len[i][2] + len[i][3];
	}
	if ((f = malloc(sizeof(*f) + strings)) == NULL)
		return NULL;
	str_copy(f->owner, sizeof(f->owner), owner);
	f->n = a->nnaptr;
	f->pos = 0;
	p = (char *)(f + 1);
	for (i = 0; i < a->nnaptr; i++) {
		const struct naptr_rr	*r = &a->naptr[i];
		const char		*src[4] = { r->flags, r->services,
		    r->regexp, r->replacement };
		const char		*dst[4];

		for (int k = 0; k < 4; k++) {
			memcpy(p, src[k], len[i][k]);
			dst[k] = p;
			p += len[i][k];
		}
		f->rrs[i] = *r;
		f->rrs[i].flags = dst[0];
		f->rrs[i].services = dst[1];
		f->rrs[i].regexp = dst[2];
		f->rrs[i].replacement = dst[3];
		f->sorted[i] = &f->rrs[i];
	}
	naptr_sort(f->sorted, f->n);
	return f;
}

void
enumq_init(struct enumq *q, const struct enumq_params *params,
    const char *aus, struct enumq_trace *trace)
{
	size_t	 n = strnlen(aus, sizeof(q->aus) - 1);

	/*
	 * Field by field, not memset: the struct is 4 KB of name buffers
	 * and a walk starts for every message (zeroing showed in the warm
	 * path's profile, bench/README.md).  Strings need only their
	 * terminator and arrays are bounded by their counts.
	 */
	q->params = params;
	q->trace = trace;
	memcpy(q->aus, aus, n);
	q->aus[n] = '\0';
	q->suffix = 0;
	q->depth = 0;
	q->pending[0] = '\0';
	q->nvisited = 0;
	q->first_unhashed = false;
	q->nqueries = 0;
	q->done = false;
	q->error = ENUMQ_NO_DATA;
	q->any_rules = false;
	q->any_tempfail = false;
	q->insecure = false;
	q->negative_ttl = -1;
	q->failure_ttl = -1;
	q->min_ttl = -1;
	q->first_key[0] = '\0';
	q->uri[0] = '\0';
	q->enumservice[0] = '\0';
	enumq_selected_clear(&q->selected);
	q->selected_to = &q->selected;
}

void
enumq_selected_clear(struct enumq_selected *s)
{
	s->owner[0] = '\0';
	s->index = 0;
	s->order = 0;
	s->preference = 0;
	s->flags[0] = '\0';
	s->services[0] = '\0';
	s->regexp[0] = '\0';
	s->replacement[0] = '\0';
}

void
enumq_select_into(struct enumq *q, struct enumq_selected *dst)
{
	enumq_selected_clear(dst);
	q->selected_to = dst;
}

void
enumq_free(struct enumq *q)
{
	while (q->depth > 0)
		free(q->frames[--q->depth]);
}

/* FNV-1a of the lower-cased name, trailing dot ignored. */
static uint64_t
name_hash(const char *name)
{
	uint64_t h = 1469598103934665603ULL;
	size_t	 n = strlen(name);

	if (n > 1 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)tolower((unsigned char)name[i])) *
		    1099511628211ULL;
	return h;
}

static void	mark_visited(struct enumq *, const char *);

/*
 * Has the walk asked @name under this suffix?  The first key's hash is
 * taken only here, the first time a non-terminal asks: most walks end
 * at a terminal record of the first RRset and never look (one hash of
 * a 30-odd octet name less per message).  frames[0] is then the first
 * key's RRset, owned by the name asked, and no other name is marked yet.
 */
static bool
visited(struct enumq *q, const char *name)
{
	uint64_t h;

	if (q->first_unhashed) {
		q->first_unhashed = false;
		if (q->depth > 0)
			mark_visited(q, q->frames[0]->owner);
	}
	h = name_hash(name);

	for (size_t i = 0; i < q->nvisited; i++)
		if (q->visited[i] == h)
			return true;
	return false;
}

static void
mark_visited(struct enumq *q, const char *name)
{
	if (q->nvisited < sizeof(q->visited) / sizeof(q->visited[0]))
		q->visited[q->nvisited++] = name_hash(name);
}

static void
ask(struct enumq *q, const char *name)
{
	str_copy(q->pending, sizeof(q->pending), name);
	q->nqueries++;
	if (q->depth == 0)
		q->first_unhashed = true;	/* see visited() */
	else
		mark_visited(q, name);
	if (q->trace != NULL && q->trace->nqueries < ENUMQ_TRACE_QUERIES)
		snprintf(q->trace->queries[q->trace->nqueries++],
		    DNSMSG_NAME_MAX, "%s", name);
}

/* The walk under the current suffix is over without a result. */
static void
suffix_failed(struct enumq *q, enum enumq_error why)
{
	if (why == ENUMQ_TEMPFAIL) {
		q->error = ENUMQ_TEMPFAIL;
		q->done = true;
		return;
	}
	if (why == ENUMQ_NO_USABLE_RULE)
		q->any_rules = true;
	q->error = q->any_rules ? ENUMQ_NO_USABLE_RULE : ENUMQ_NO_DATA;
	q->suffix++;
	q->nvisited = 0;
	q->first_unhashed = false;
}

/* Frame on top failed (ran dry, or its query failed before it existed). */
static void
branch_failed(struct enumq *q, enum enumq_error why)
{
	if (q->depth == 0) {
		suffix_failed(q, why);
		return;
	}
	discard_subtree(q, q->frames[q->depth - 1], enumq_strerror(why));
}

static void
select_record(struct enumq *q, const struct enumq_frame *f,
    const struct naptr_rr *r)
{
	struct enumq_selected	*s = q->selected_to;

	str_copy(s->owner, sizeof(s->owner), f->owner);
	s->index = r->index;
	s->order = r->order;
	s->preference = r->preference;
	str_copy(s->flags, sizeof(s->flags), r->flags);
	str_copy(s->services, sizeof(s->services), r->services);
	str_copy(s->regexp, sizeof(s->regexp), r->regexp);
	str_copy(s->replacement, sizeof(s->replacement), r->replacement);
	q->error = ENUMQ_OK;
	q->done = true;
}

/*
 * Consider the next record of the top frame: it may ask a query (pending),
 * end the walk (done) or be discarded; enumq_next() looks at which.
 */
static void
step(struct enumq *q)
{
	const struct enumq_params	*p = q->params;
	struct enumq_frame		*f = q->frames[q->depth - 1];
	const struct naptr_rr		*r;
	struct naptr_result		 res;
	enum naptr_verdict		 v;
	char				 uri[E2U_MAX_LEN + 1];

	if (f->pos >= f->n) {
		/* RRset exhausted: pop and back up into the referrer. */
		free(f);
		q->frames[--q->depth] = NULL;
		branch_failed(q, ENUMQ_NO_USABLE_RULE);
		return;
	}
	r = f->sorted[f->pos++];
	switch (naptr_flag_kind(r->flags)) {
	case NAPTR_UNKNOWN_FLAG:
		discard(q, f->owner, r->index, "unknown-flag");
		return;
	case NAPTR_NONTERMINAL:
		/* Services and Regexp of a non-terminal are ignored. */
		if (strcmp(r->replacement, ".") == 0) {
			discard(q, f->owner, r->index, "empty-replacement");
			return;
		}
		if (!naptr_valid_replacement(r->replacement)) {
			discard(q, f->owner, r->index, "invalid-replacement");
			return;
		}
		if (visited(q, r->replacement)) {
			discard(q, f->owner, r->index, "loop");
			return;
		}
		if (q->depth > p->policy->max_chain ||
		    q->depth >= ENUMQ_MAX_DEPTH) {
			discard(q, f->owner, r->index, "chain-limit");
			return;
		}
		if (q->nqueries >= p->max_queries) {
			discard(q, f->owner, r->index, "query-limit");
			return;
		}
		ask(q, r->replacement);
		return;
	case NAPTR_TERMINAL_U:
		break;
	}
	v = naptr_evaluate(r, q->aus, p->policy, uri, sizeof(uri), &res);
	if (v != NAPTR_OK) {
		discard(q, f->owner, r->index,
		    naptr_strverdict(v, res.e2u_status));
		return;
	}
	str_copy(q->uri, sizeof(q->uri), uri);
	str_copy(q->enumservice, sizeof(q->enumservice), res.enumservice);
	select_record(q, f, r);
	return;
}

const char *
enumq_next(struct enumq *q)
{
	for (;;) {
		if (q->done)
			return NULL;
		if (q->pending[0] != '\0')
			return q->pending;
		if (q->depth == 0) {
			char	 key[ENUMKEY_MAX];

			if (q->suffix >= q->params->nsuffixes) {
				q->done = true;
				return NULL;
			}
			if (enumkey_first(q->aus,
			    q->params->suffixes[q->suffix], key,
			    sizeof(key)) != 0 || strlen(key) >=
			    DNSMSG_NAME_MAX) {
				suffix_failed(q, ENUMQ_NO_DATA);
				continue;
			}
			if (q->first_key[0] == '\0')
				str_copy(q->first_key, sizeof(q->first_key),
				    key);
			if (q->nqueries >= q->params->max_queries) {
				q->done = true;
				return NULL;
			}
			ask(q, key);
			return q->pending;
		}
		step(q);
	}
}

void
enumq_feed(struct enumq *q, const struct dnsq_result *res)
{
	char			 name[DNSMSG_NAME_MAX];
	struct enumq_frame	*f;

	if (q->pending[0] == '\0' || q->done)
		return;
	str_copy(name, sizeof(name), q->pending);
	q->pending[0] = '\0';
	if (!res->secure)
		q->insecure = true;

	if (res->status == DNSQ_TEMPFAIL) {
		if (q->failure_ttl < 0 || res->failure_ttl < q->failure_ttl)
			q->failure_ttl = res->failure_ttl;
		q->any_tempfail = true;
		branch_failed(q, ENUMQ_TEMPFAIL);
		return;
	}
	if (res->status != DNSQ_OK || res->ans == NULL ||
	    res->ans->nnaptr == 0) {
		if (q->depth == 0 && res->negative_ttl >= 0 &&
		    (q->negative_ttl < 0 ||
		    res->negative_ttl < q->negative_ttl))
			q->negative_ttl = res->negative_ttl;
		branch_failed(q, ENUMQ_NO_DATA);
		return;
	}
	if (q->min_ttl < 0 || res->ans->ttl < q->min_ttl)
		q->min_ttl = res->ans->ttl;
	if (q->depth >= ENUMQ_MAX_DEPTH ||
	    (f = frame_new(name, res->ans)) == NULL) {
		/* Out of memory is a local, temporary condition. */
		q->any_tempfail = true;
		branch_failed(q, ENUMQ_TEMPFAIL);
		return;
	}
	q->frames[q->depth++] = f;
}

const char *
enumq_strerror(enum enumq_error e)
{
	switch (e) {
	case ENUMQ_OK:
		return "OK";
	case ENUMQ_NO_DATA:
		return "E_ENUM_NO_DATA";
	case ENUMQ_NO_USABLE_RULE:
		return "E_ENUM_NO_USABLE_RULE";
	case ENUMQ_TEMPFAIL:
		return "E_DNS_TEMPFAIL";
	}
	return "E_UNKNOWN";
}
