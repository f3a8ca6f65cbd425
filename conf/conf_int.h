/*
 * conf/conf_int.h - what the files of conf/ share, and nothing else sees.
 *
 * conf_load() (conf/conf_load.c) reads a file in passes that live in
 * files of their own: the pre-scanner (conf_prescan.c), the value parsers
 * (conf_value.c), the policy groups (conf_policy.c); conf_reload.c
 * compares two loads.  One struct conf_ctx per conf_load() call carries
 * the file names and the first error between them.  Not installed, not
 * included outside conf/.
 */
#ifndef CONF_CONF_INT_H
#define CONF_CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "conf/conf.h"
#include "conf/conf_schema.h"

#define CONF_PATH_MAX		4096	/* file names, include directory */
#define CONF_WHY_MAX		256	/* a problem, without its location */
#define CONF_TOKEN_MAX		64	/* integer literal kept for messages */
#define CONF_INCLUDE_DEPTH	10	/* libconfig 1.5 refuses deeper */
#define CONF_LINE_MAX		65535	/* libconfig keeps lines in a short */

/* State of one conf_load() call; lives on its stack. */
struct conf_ctx {
	const char	*path;			/* main file, as given */
	char		 dir[CONF_PATH_MAX];	/* where @include looks */
	char		*err;
	size_t		 errsz;

	/*
	 * The first integer literal libconfig has wrapped, if any: the
	 * file as libconfig names it, the line, the setting name written
	 * before it and the literal itself.
	 */
	int		 wrap_found;
	int		 wrap_reported;
	char		 wrap_file[CONF_PATH_MAX];
	unsigned int	 wrap_line;
	char		 wrap_name[CONF_TOKEN_MAX];
	char		 wrap_text[CONF_TOKEN_MAX + 4];
};

/* ---- conf_value.c: messages and value parsers ------------------------ */

/* These keep the folder's conf_ prefix: every file of conf/ uses them, a
 * hundred times over, as its vocabulary for errors and values. */
/* Messages quote values from the file, short and printable only. */
void conf_quote(const char *in, char *out, size_t outsz);
void conf_why(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void conf_errorf(struct conf_ctx *ctx, const char *file, unsigned int line,
    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int conf_in_list(const char *const *words, const char *s);
void conf_join(const char *const *words, char *out, size_t outsz);
int conf_check_host(const char *in, int absolute, char *out, size_t outsz,
    char *why, size_t whysz);
int conf_check_server(const char *in, char *out, size_t outsz, char *why,
    size_t whysz);
int conf_check_ip(const char *in, char *why, size_t whysz);
int conf_check_sip_uri(const char *in, char *out, size_t outsz, char *why,
    size_t whysz);
int conf_parse_net(const char *in, struct conf_net *net, char *why,
    size_t whysz);
int conf_check_name(const char *s, char *why, size_t whysz);
int conf_check_prefix(const char *s, char *out, size_t outsz, char *why,
    size_t whysz);
int conf_check_digits(const char *s, char *out, size_t outsz, char *why,
    size_t whysz);
int conf_check_e164(const char *s, char *out, size_t outsz, char *why,
    size_t whysz);
int conf_canon_id_sip(const char *in, char *out, size_t outsz, char *why,
    size_t whysz);
int conf_canon_jid(const char *in, char *out, size_t outsz, char *why,
    size_t whysz);

/* ---- conf_prescan.c: what libconfig lets through silently ------------ */

int conf_prescan(struct conf_ctx *ctx, const char *file, int depth);
int conf_prescan_wrapped(const struct conf_ctx *ctx,
    const config_setting_t *s);
void conf_prescan_report(struct conf_ctx *ctx, const char *who,
    const char *path, int64_t min, int64_t max, const config_setting_t *s);

/* ---- conf_policy.c: routes, dial plans, identities, acl -------------- */

int conf_policy_key_in(const struct conf_key_row *key, const char *list);
int conf_policy_routes(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c);
int conf_policy_dialplans(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c);
int conf_policy_identities(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c);
int conf_policy_acl(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c);

#endif /* CONF_CONF_INT_H */
