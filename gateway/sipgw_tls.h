/*
 * gateway/sipgw_tls.h - the files behind the SIP edge's TLS transport.
 *
 * Used once at start by gateway/sipgw before it binds: sofia-sip's TLS
 * transport reads one directory (TPTAG_CERTIFICATE) holding agent.pem
 * (private key and certificate) and cafile.pem, and carries on without
 * a word when they are missing or wrong.  imgate checks the configured
 * files itself, so that a bad certificate stops the daemon with a clear
 * message, then lays them out in a private directory that exists only
 * while sofia reads it.
 */
#ifndef GATEWAY_SIPGW_TLS_H
#define GATEWAY_SIPGW_TLS_H

#include <stddef.h>

#include "conf/conf.h"

/**
 * Check sip.tls.certificate, sip.tls.key and sip.tls.ca_file (readable
 * PEM, the key unencrypted and matching the certificate, the
 * certificate valid now, at least one CA) and write them, the way
 * sofia-sip wants them, into a new 0700 directory.
 * @param c      configuration, borrowed
 * @param dir    caller buffer receiving the directory's path
 * @param dirsz  its size
 * @return 0, or -1 after logging which file is wrong and why (nothing
 *         is left on disk then)
 */
int sipgw_tls_prepare(const struct gw_conf *c, char *dir, size_t dirsz);

/** Remove the directory sipgw_tls_prepare() made, with the key in it. */
void sipgw_tls_remove(const char *dir);

/**
 * Send sofia-sip's transport log (TLS handshake and certificate
 * verification failures among it) to imgate's log, so that a refused
 * peer leaves a line saying why.
 */
void sipgw_tls_log_init(void);

#endif /* GATEWAY_SIPGW_TLS_H */
