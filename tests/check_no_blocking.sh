#!/bin/sh
# tests/check_no_blocking.sh - nothing on the message path may block or
# start a thread (docs/ARCHITECTURE.md, "One loop, one thread").  The
# daemon's sources must not call the blocking resolver, sleep, or create
# threads; c-ares must not be given its own event thread.  Comment
# lines do not count ("file:line:" comes first in grep's output), nor
# the definition of imgated's own getaddrinfo() in gateway/getaddrinfo.c,
# which answers numeric hosts without blocking.  Prints TAP.
s=${IMGATE_SRCDIR:-${srcdir:-.}}
n=0
fail=0
for pat in 'getaddrinfo *(' 'gethostbyname[_r2]* *(' 'res_n\?query *(' \
    'res_n\?search *(' '[^_a-z]sleep *(' 'usleep *(' 'nanosleep *(' \
    'pthread_create *(' 'ARES_OPT_EVENT_THREAD' 'su_clone_start *(' \
    'xmpp_run *('; do
	n=$((n + 1))
	hits=$(grep -n "$pat" "$s"/gateway/*.c "$s"/gateway/flow/*.c \
	    "$s"/routing/*.c "$s"/enum/*.c "$s"/conf/*.c 2>/dev/null |
	    grep -v '^[^:]*:[0-9]*:\s*/\?\*' |
	    grep -v '/gateway/getaddrinfo\.c:[0-9]*:getaddrinfo(const')
	if [ -z "$hits" ]; then
		echo "ok $n - no $pat in the daemon's sources"
	else
		echo "not ok $n - $pat found"
		echo "$hits" | sed 's/^/# /'
		fail=1
	fi
done
echo "1..$n"
exit $fail
