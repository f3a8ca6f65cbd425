/*
 * gateway/sipgw_tls.c - check the TLS files, lay them out for sofia-sip.
 *
 * Start-up only, before the SIP edge (gateway/sipgw.c) binds; nothing
 * here runs on the message path.  The sofia-sip version imgate links
 * (1.12.11) takes its TLS material as one directory: agent.pem holds the
 * private key and the certificate, cafile.pem the CAs that peers'
 * certificates are verified against.  It reads them when the TLS
 * transport is bound and, when a file is missing, unreadable or does not
 * match, goes on without it (a TLS listener with no certificate).  So
 * imgate reads the operator's separate PEM files itself with OpenSSL,
 * refuses to start when one is wrong, and writes what sofia needs into
 * a fresh 0700 directory that sipgw removes as soon as the transport is
 * bound: the private key is not left in a second place.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_log.h>

#include "gateway/log.h"
#include "gateway/sipgw_tls.h"

/* At most this many certificates in a chain or CA file. */
#define SIPGW_TLS_MAX_CERTS	64

/* Exported by libsofia-sip-ua, declared in no installed header. */
extern su_log_t	tport_log[];

/* The most recent OpenSSL error as text, for a log line. */
static const char *
ssl_why(void)
{
	static char	 buf[160];
	unsigned long	 e = ERR_peek_last_error();

	if (e == 0)
		return "not PEM";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* A key with a passphrase cannot be used: never ask for one. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * Every certificate in PEM file @path, in file order, into @out (at most
 * SIPGW_TLS_MAX_CERTS).  @return how many, or -1 (logged) when the file
 * cannot be read or holds none.
 */
static int
read_certs(const char *what, const char *path, X509 **out)
{
	BIO	*b;
	X509	*x;
	int	 n = 0;

	ERR_clear_error();
	if ((b = BIO_new_file(path, "r")) == NULL) {
		log_warnx("%s %s: cannot open: %s", what, path,
		    strerror(errno));
		return -1;
	}
	while (n < SIPGW_TLS_MAX_CERTS &&
	    (x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL)
		out[n++] = x;
	BIO_free(b);
	ERR_clear_error();
	if (n == 0)
		log_warnx("%s %s: no PEM certificate in it", what, path);
	return n > 0 ? n : -1;
}

static void
free_certs(X509 **x, int n)
{
	for (int i = 0; i < n; i++)
		X509_free(x[i]);
}

/* A file only the daemon's user can read, written through OpenSSL. */
static BIO *
create_private(const char *dir, const char *name)
{
	char	 path[512];
	int	 fd;
	BIO	*b;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("sip: tls: %s", path);
		return NULL;
	}
	if ((b = BIO_new_fd(fd, BIO_CLOSE)) == NULL)
		close(fd);
	return b;
}

int
sipgw_tls_prepare(const struct gw_conf *c, char *dir, size_t dirsz)
{
	X509		*chain[SIPGW_TLS_MAX_CERTS], *ca[SIPGW_TLS_MAX_CERTS];
	int		 nchain = -1, nca = -1, rc = -1;
	EVP_PKEY	*key = NULL;
	BIO		*b = NULL;
	const char	*tmp = getenv("TMPDIR");
	bool		 made = false, ok;

	if ((nchain = read_certs("sip.tls.certificate",
	    c->sip_tls_certificate, chain)) < 0)
		goto done;
	if (X509_cmp_current_time(X509_get0_notAfter(chain[0])) < 0 ||
	    X509_cmp_current_time(X509_get0_notBefore(chain[0])) > 0) {
		log_warnx("sip.tls.certificate %s: not valid now (outside "
		    "its notBefore..notAfter)", c->sip_tls_certificate);
		goto done;
	}
	ERR_clear_error();
	if ((b = BIO_new_file(c->sip_tls_key, "r")) == NULL) {
		log_warnx("sip.tls.key %s: cannot open: %s", c->sip_tls_key,
		    strerror(errno));
		goto done;
	}
	key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	b = NULL;
	if (key == NULL) {
		log_warnx("sip.tls.key %s: no usable private key (%s; an "
		    "encrypted key is not supported)", c->sip_tls_key,
		    ssl_why());
		goto done;
	}
	if (X509_check_private_key(chain[0], key) != 1) {
		ERR_clear_error();
		log_warnx("sip.tls.key %s does not belong to the certificate "
		    "in %s", c->sip_tls_key, c->sip_tls_certificate);
		goto done;
	}
	if ((nca = read_certs("sip.tls.ca_file", c->sip_tls_ca_file,
	    ca)) < 0)
		goto done;

	if (snprintf(dir, dirsz, "%s/imgate-tls.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp") >= (int)dirsz ||
	    mkdtemp(dir) == NULL) {
		log_warn("sip: tls: cannot make a private directory");
		goto done;
	}
	made = true;
	/* agent.pem: key first, then the chain (sofia uses the first). */
	if ((b = create_private(dir, "agent.pem")) == NULL)
		goto done;
	ok = PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	for (int i = 0; ok && i < nchain; i++)
		ok = PEM_write_bio_X509(b, chain[i]);
	ok = BIO_flush(b) == 1 && ok;
	BIO_free(b);
	b = NULL;
	if (!ok) {
		log_warnx("sip: tls: cannot write %s/agent.pem: %s", dir,
		    ssl_why());
		goto done;
	}
	if ((b = create_private(dir, "cafile.pem")) == NULL)
		goto done;
	for (int i = 0; ok && i < nca; i++)
		ok = PEM_write_bio_X509(b, ca[i]);
	ok = BIO_flush(b) == 1 && ok;
	BIO_free(b);
	b = NULL;
	if (!ok) {
		log_warnx("sip: tls: cannot write %s/cafile.pem: %s", dir,
		    ssl_why());
		goto done;
	}
	rc = 0;
done:
	if (rc != 0 && made)
		sipgw_tls_remove(dir);
	EVP_PKEY_free(key);
	free_certs(chain, nchain);
	free_certs(ca, nca);
	return rc;
}

void
sipgw_tls_remove(const char *dir)
{
	char	 path[512];

	snprintf(path, sizeof(path), "%s/agent.pem", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/cafile.pem", dir);
	(void)unlink(path);
	if (rmdir(dir) != 0 && errno != ENOENT)
		log_warn("sip: tls: cannot remove %s", dir);
}

/*
 * sofia's transport log, one call per line (or part of one): its
 * errors (level 3 and below) are what says why a TLS peer was refused,
 * e.g. "Peer Subject Mismatch" or the certificate error of OpenSSL.
 */
static void	tport_logger(void *, char const *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
tport_logger(void *stream, char const *fmt, va_list ap)
{
	char	 line[512];
	size_t	 n;

	(void)stream;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	/*
	 * A peer closing its TLS connection makes sofia log the OpenSSL
	 * error queue of the last read ("tls_read: SSL_read: ..."): every
	 * connection ends that way, so it is not worth a line per peer.
	 */
	if (n > 0 && strncmp(line, "tls_read: ", 10) == 0)
		log_debug("sip: transport: %s", line);
	else if (n > 0)
		log_info("sip: transport: %s", line);
}

void
sipgw_tls_log_init(void)
{
	su_log_redirect(tport_log, tport_logger, NULL);
	/* TPORT_DEBUG, when the operator set it, still decides. */
	if (getenv("TPORT_DEBUG") == NULL)
		su_log_set_level(tport_log, 3);
}

#ifdef HAVE_SOFIA_TLS_FREE_LEAK
/*
 * sofia-sip 1.12.11's tls_free() (tport/tport_tls.c) never calls
 * SSL_free() on a connection's SSL object: it shuts the connection down,
 * frees the BIO the SSL object owns and, because tls_init_secondary()
 * copies the master's type into each connection, drops one reference of
 * the shared SSL_CTX per connection instead.  Every TLS connection,
 * accepted or opened, a handshake that failed or a client that sent
 * plain text, so leaks its SSL object and buffers: 25 KiB each, measured,
 * which lets anyone who can reach the TLS port exhaust imgated's memory.
 *
 * The library calls tls_free() through its PLT, so this definition
 * replaces it (configure defines HAVE_SOFIA_TLS_FREE_LEAK for 1.12.11
 * only; the name is the library's, hence no sipgw_tls_ prefix).  The
 * structure below is the first part of that version's struct tls_s,
 * which the library allocates; only these fields are read.  A connection
 * (it has a BIO) gives its SSL object back with SSL_free(), which also
 * frees the BIO and the SSL_CTX reference SSL_new() took; the master
 * (no BIO) drops the SSL_CTX.  If a connection's SSL object does not
 * point at that SSL_CTX the layout is not what this code expects: the
 * library's own tls_free() is called instead, and a warning logged.
 */
struct sofia_tls_head {
	su_home_t	 home[1];
	SSL_CTX		*ctx;
	SSL		*con;
	BIO		*bio_con;
};

void	tls_free(struct sofia_tls_head *);

void
tls_free(struct sofia_tls_head *tls)
{
	static void	(*orig)(struct sofia_tls_head *);
	static bool	 warned;

	if (tls == NULL)
		return;
	if (tls->con != NULL && SSL_get_SSL_CTX(tls->con) != tls->ctx) {
		if (orig == NULL)
			*(void **)&orig = dlsym(RTLD_NEXT, "tls_free");
		if (!warned)
			log_warnx("sip: tls: sofia-sip's TLS connection layout "
			    "is not the expected one: its tls_free() is used "
			    "(it leaks each connection's SSL object)");
		warned = true;
		if (orig != NULL)
			orig(tls);
		return;
	}
	if (tls->con != NULL) {
		/* close_notify, without waiting for the peer's */
		SSL_shutdown(tls->con);
		SSL_free(tls->con);
	} else if (tls->bio_con != NULL)
		BIO_free(tls->bio_con);	/* SSL_new() failed */
	else if (tls->ctx != NULL)
		SSL_CTX_free(tls->ctx);	/* the master */
	/*
	 * A shutdown before the handshake ended leaves an error in the
	 * thread's queue, which sofia's next SSL_get_error() would take as
	 * another connection's.
	 */
	ERR_clear_error();
	su_home_unref(tls->home);
}
#endif /* HAVE_SOFIA_TLS_FREE_LEAK */
