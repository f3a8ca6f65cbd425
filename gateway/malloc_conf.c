/*
 * gateway/malloc_conf.c - jemalloc's options for imgated, built in when
 * imgated is linked with jemalloc (configure --with-jemalloc).
 *
 * Every message imgated relays keeps about 9 KiB until sofia-sip's
 * Timers J and K let its transactions go (imgate.conf(5), sip.timeout_ms):
 * at 15,000 messages a second a worker's heap grows to about 1.3 GiB in
 * its first 10-15 seconds and then stays there.  In 4 KiB pages that
 * growth took each worker some 340,000 page faults, enough to make a
 * fresh worker under full load shed (bench/README.md); thp:always has
 * jemalloc ask the kernel for transparent huge pages (MADV_HUGEPAGE) for
 * its arenas, where the kernel allows them (the "madvise" or "always"
 * mode of /sys/kernel/mm/transparent_hugepage/enabled), and the same
 * growth took about 3,700.  The heap's size stays what it was.
 *
 * jemalloc reads this string before MALLOC_CONF from the environment, so
 * an operator's MALLOC_CONF="thp:default" (or anything else) still wins.
 */
#include "config.h"

extern const char *malloc_conf;
const char *malloc_conf = "thp:always";
