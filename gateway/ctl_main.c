/*
 * gateway/ctl_main.c - imgatectl: ask a running imgated through its
 * control socket (gateway/ctl).
 *
 * Outside the flow: one request, one answer, then exit.  The socket is
 * -s PATH, else control.socket of the configuration file (-f, default
 * /etc/imgate/imgate.conf).  Exit: 0 the daemon did it, 1 the daemon
 * refused (its reason on stderr), 2 usage, 3 no daemon to talk to (not
 * running, socket missing or not accessible, no answer in time).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#include "conf/conf.h"
#include "gateway/jsonout.h"

#define DEFAULT_CONFIG	"/etc/imgate/imgate.conf"
#define CTL_REPLY_MAX	(16 * 1024 * 1024)

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_NODAEMON = 3 };

static void
usage(FILE *out, int status)
{
	fprintf(out,
	    "usage: imgatectl [-hjV] [-f CONFIG] [-s SOCKET] [-t SECONDS] "
	    "COMMAND [ARG...]\n"
	    "commands:\n"
	    "  status | stats | reload\n"
	    "  explain NUMBER [--from-sip IP | --from-xmpp JID]\n"
	    "  cache dump [--worker N] | cache flush [NAME] [--worker N]\n"
	    "  queue list | queue show|retry|drop ID\n"
	    "  component status\n");
	exit(status);
}

/* The socket path from the configuration file. */
static int
socket_from_conf(const char *config, char *out, size_t outsz)
{
	static struct gw_conf	 conf;
	char			 err[512];

	conf_defaults(&conf);
	if (conf_load(config, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "imgatectl: %s\n(use -s SOCKET to name the "
		    "control socket)\n", err);
		return -1;
	}
	if (conf.control_socket[0] == '\0') {
		fprintf(stderr, "imgatectl: %s sets no control.socket: the "
		    "daemon has no control socket\n", config);
		return -1;
	}
	snprintf(out, outsz, "%s", conf.control_socket);
	return 0;
}

/* Wait for @fd to be ready for @ev until @deadline (CLOCK_MONOTONIC ms). */
static bool
wait_fd(int fd, short ev, long long deadline)
{
	struct timespec	 ts;
	struct pollfd	 p = { .fd = fd, .events = ev };
	long long	 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now >= deadline)
		return false;
	return poll(&p, 1, (int)(deadline - now)) > 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_un	 sun;
	struct timespec		 ts;
	const char		*config = DEFAULT_CONFIG, *sock = NULL;
	char			 path[sizeof(sun.sun_path)];
	char			*req, *reply = NULL;
	size_t			 len = 0, cap = 0, off;
	long			 timeout_s = 30;
	long long		 deadline;
	bool			 json = false, ok;
	json_t			*doc, *args;
	json_error_t		 jerr;
	int			 ch, fd;

	while ((ch = getopt_long(argc, argv, "+f:hjs:t:V", longopts,
	    NULL)) != -1) {
		char	*end;

		switch (ch) {
		case 'f':
			config = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'j':
			json = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 't':
			timeout_s = strtol(optarg, &end, 10);
			if (*end != '\0' || timeout_s < 1 || timeout_s > 3600)
				usage(stderr, EXIT_USAGE);
			break;
		case 'V':
			printf("imgatectl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr, EXIT_USAGE);
		}
	}
	if (optind >= argc)
		usage(stderr, EXIT_USAGE);
	if (sock == NULL) {
		if (socket_from_conf(config, path, sizeof(path)) != 0)
			return EXIT_NODAEMON;
		sock = path;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "imgatectl: %s: path too long\n", sock);
		return EXIT_USAGE;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);

	/* The request: the words as JSON strings (any bytes made UTF-8). */
	doc = json_object();
	args = json_array();
	json_object_set_new(doc, "command", jsonout_str(argv[optind]));
	for (int i = optind + 1; i < argc; i++)
		json_array_append_new(args, jsonout_str(argv[i]));
	json_object_set_new(doc, "args", args);
	req = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (req == NULL) {
		fprintf(stderr, "imgatectl: out of memory\n");
		return EXIT_USAGE;
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;

		fprintf(stderr, "imgatectl: cannot connect to %s: %s%s\n",
		    sock, strerror(e), e == ENOENT || e == ECONNREFUSED ?
		    " (is imgated running?)" : e == EACCES ?
		    " (are you in the service group?)" : "");
		free(req);
		return EXIT_NODAEMON;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    timeout_s * 1000;
	len = strlen(req);
	req[len++] = '\n';	/* json_dumps left room: replaces the NUL */
	for (off = 0; off < len; ) {
		ssize_t n;

		if (!wait_fd(fd, POLLOUT, deadline) ||
		    (n = write(fd, req + off, len - off)) <= 0) {
			fprintf(stderr, "imgatectl: %s: cannot send the "
			    "request\n", sock);
			free(req);
			return EXIT_NODAEMON;
		}
		off += (size_t)n;
	}
	free(req);
	len = 0;
	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			if (cap >= CTL_REPLY_MAX) {
				fprintf(stderr, "imgatectl: answer over %d "
				    "bytes\n", CTL_REPLY_MAX);
				free(reply);
				return EXIT_NODAEMON;
			}
			cap = cap == 0 ? 65536 : cap * 2;
			char *nr = realloc(reply, cap);

			if (nr == NULL) {
				free(reply);
				fprintf(stderr, "imgatectl: out of memory\n");
				return EXIT_NODAEMON;
			}
			reply = nr;
		}
		if (!wait_fd(fd, POLLIN, deadline)) {
			fprintf(stderr, "imgatectl: %s: no answer within %ld "
			    "s\n", sock, timeout_s);
			free(reply);
			return EXIT_NODAEMON;
		}
		if ((n = read(fd, reply + len, cap - len - 1)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "imgatectl: %s: %s\n", sock,
			    strerror(errno));
			free(reply);
			return EXIT_NODAEMON;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (reply == NULL || (doc = json_loadb(reply, len, 0, &jerr)) ==
	    NULL) {
		fprintf(stderr, "imgatectl: %s: the answer is not JSON\n",
		    sock);
		free(reply);
		return EXIT_NODAEMON;
	}
	free(reply);
	ok = json_is_true(json_object_get(doc, "ok"));
	if (!ok && !json)
		fprintf(stderr, "imgatectl: %s\n",
		    json_string_value(json_object_get(doc, "error")) != NULL ?
		    json_string_value(json_object_get(doc, "error")) :
		    "refused");
	else if (!json && json_is_string(json_object_get(doc, "text")))
		fputs(json_string_value(json_object_get(doc, "text")),
		    stdout);
	else if (!json && json_is_string(json_object_get(doc, "verdict")))
		printf("%s\n", json_string_value(json_object_get(doc,
		    "verdict")));
	else
		jsonout_dump(doc, stdout);
	json_decref(doc);
	return ok ? 0 : EXIT_REFUSED;
}
