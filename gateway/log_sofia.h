/*
 * gateway/log_sofia.h - sofia-sip's own log lines into imgate's log.
 *
 * sofia-sip writes its su, nta and tport logs to stderr, which a daemon
 * has closed: a transport error would be lost.  After
 * log_sofia_redirect() they go through gateway/log (syslog or -d's
 * stderr, with imgate's timestamps), one line per sofia-sip line.
 *
 * Some of those lines are one per datagram ("received garbage from
 * ADDRESS"), so a flood of bad datagrams was a flood of lines.  Each
 * kind of line (its text up to the first digit) is logged at most
 * LOG_SOFIA_BURST times per LOG_SOFIA_WINDOW_MS; what is held back is
 * counted, and reported ("N more lines like ... suppressed") with the
 * next line of that kind after the window, or when another kind takes
 * its slot (LOG_SOFIA_KINDS of them).
 */
#ifndef GATEWAY_LOG_SOFIA_H
#define GATEWAY_LOG_SOFIA_H

#define LOG_SOFIA_KINDS		32
#define LOG_SOFIA_BURST		10
#define LOG_SOFIA_WINDOW_MS	10000

/** Redirect su_log_default, nta_log and tport_log (once, at start). */
void log_sofia_redirect(void);

#endif /* GATEWAY_LOG_SOFIA_H */
