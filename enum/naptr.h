/*
 * enum/naptr.h - the NAPTR rules of RFC 6116 / RFC 3403 as pure functions.
 *
 * Sits in the ENUM step between the DNS answer (enum/dnsmsg fills
 * struct naptr_rr) and the resolver walk (enum/enumq): orders an RRset,
 * classifies flags, parses the Services field and evaluates one terminal
 * record into a URI or a discard reason.  No I/O, no allocation, no
 * globals; records are never modified.
 */
#ifndef ENUM_NAPTR_H
#define ENUM_NAPTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct e2u_cache;

/* One NAPTR record as received.  The strings are borrowed from whoever
 * owns the parsed answer (NUL-terminated wire values; a character-string
 * holding a NUL byte is rejected by the parser). */
struct naptr_rr {
	uint16_t	 order;
	uint16_t	 preference;
	uint16_t	 index;		/* position in the RRset as served */
	const char	*flags;
	const char	*services;
	const char	*regexp;
	const char	*replacement;	/* absolute, "." when empty */
};

/* Caps on one RRset (a bigger answer is truncated to the first N). */
#define NAPTR_MAX_RRS		64
#define NAPTR_MAX_SERVICES	16	/* enumservices in one compound field */
#define NAPTR_MAX_ACCEPT	16	/* accepted enumservice types */
#define NAPTR_TYPE_MAX		72	/* "type[:subtype]" incl. NUL */

/* What a client accepts; mirrors the vectors' "defaults" object. */
struct naptr_policy {
	/* lower-case enumservice types, e.g. "im", "sip", "xmpp", "pres";
	 * in preference order only for documentation: the DNS order decides */
	const char	*accept[NAPTR_MAX_ACCEPT];
	size_t		 naccept;
	bool		 accept_legacy;		/* read RFC 2916 "sip+E2U" */
	bool		 allow_private;		/* accept "P-" types */
	bool		 require_scheme_match;	/* im -> im:, sip -> sip:/sips: */
	bool		 strict_delimiters;	/* three delimiters or discard */
	unsigned	 max_chain;		/* non-terminal depth (5) */
	struct e2u_cache *cache;		/* compiled rules, or NULL */
};

/* Fill @p with the defaults of docs/resolution-policy.md. */
void naptr_policy_default(struct naptr_policy *p);

enum naptr_flag_kind {
	NAPTR_TERMINAL_U,	/* "u" or "U" */
	NAPTR_NONTERMINAL,	/* empty flags */
	NAPTR_UNKNOWN_FLAG	/* anything else: skip the record */
};

enum naptr_flag_kind naptr_flag_kind(const char *flags);

/**
 * Stable sort of record *pointers* by (order, preference) ascending; ties
 * keep the order of @v (which the caller fills in served order).
 */
void naptr_sort(const struct naptr_rr **v, size_t n);

/* Result of evaluating one terminal record. */
enum naptr_verdict {
	NAPTR_OK = 0,
	NAPTR_NOT_ENUM_SERVICES,	/* "not-enum-services" */
	NAPTR_NO_ACCEPTABLE_SERVICE,	/* "no-acceptable-enumservice" */
	NAPTR_EMPTY_REGEXP,		/* "empty-regexp" */
	NAPTR_REGEXP_AND_REPLACEMENT,	/* "regexp-and-replacement" */
	NAPTR_REGEXP_ERROR,		/* reason from e2u_strstatus() */
	NAPTR_NOT_ABSOLUTE_URI,		/* "not-absolute-uri" */
	NAPTR_WRONG_SCHEME		/* "wrong-scheme" */
};

/* What naptr_evaluate() reports besides the verdict. */
struct naptr_result {
	char	 enumservice[NAPTR_TYPE_MAX];	/* lower-cased type, "im" */
	int	 e2u_status;			/* enum e2u_status when
						 * NAPTR_REGEXP_ERROR */
};

/**
 * Services field -> the first (left to right) enumservice @p accepts.
 * Handles "E2U+t1:sub+t2", case-insensitivity, legacy "t+E2U", "P-" and
 * "X-" types.
 * @param type_out receives the lower-cased type (no subtype), size
 *        NAPTR_TYPE_MAX
 * @return NAPTR_OK, NAPTR_NOT_ENUM_SERVICES or NAPTR_NO_ACCEPTABLE_SERVICE
 */
enum naptr_verdict naptr_pick_service(const char *services,
    const struct naptr_policy *p, char *type_out);

/**
 * Evaluate a terminal ("u") record against @aus: services, regexp/
 * replacement exclusivity, regexp application (enum/e2u), absolute-URI
 * and scheme checks.
 * @param uri    caller buffer for the produced URI
 * @param urisz  its size (E2U_MAX_LEN + 1 is always enough)
 * @param res    receives the enumservice and regexp detail
 */
enum naptr_verdict naptr_evaluate(const struct naptr_rr *rr, const char *aus,
    const struct naptr_policy *p, char *uri, size_t urisz,
    struct naptr_result *res);

/** Discard reason string for a verdict ("no-acceptable-enumservice"...);
 * for NAPTR_REGEXP_ERROR pass the e2u status in @detail. */
const char *naptr_strverdict(enum naptr_verdict v, int detail);

/**
 * RFC 3986 absolute-URI check: scheme ":" followed by at least one
 * character, scheme = ALPHA *(ALPHA / DIGIT / "+" / "-" / ".").
 */
bool naptr_is_absolute_uri(const char *uri);

/** Is @name a usable non-terminal REPLACEMENT (absolute FQDN, not ".",
 * LDH/underscore labels of 1..63 octets, total <= 254 with the dot)? */
bool naptr_valid_replacement(const char *name);

#endif /* ENUM_NAPTR_H */
