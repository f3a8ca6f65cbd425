/*
 * gateway/log_sofia.h - sofia-sip's own log lines into imgate's log.
 *
 * sofia-sip writes its su, nta and tport logs to stderr, which a daemon
 * has closed: a transport error would be lost.  After
 * log_sofia_redirect() they go through gateway/log (syslog or -d's
 * stderr, with imgate's timestamps), one line per sofia-sip line.
 */
#ifndef GATEWAY_LOG_SOFIA_H
#define GATEWAY_LOG_SOFIA_H

/** Redirect su_log_default, nta_log and tport_log (once, at start). */
void log_sofia_redirect(void);

#endif /* GATEWAY_LOG_SOFIA_H */
