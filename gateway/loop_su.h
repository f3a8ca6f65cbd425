/*
 * gateway/loop_su.h - the middle's loop (gateway/flow/loop.h) on
 * sofia-sip's su_root, the daemon's one event loop.
 */
#ifndef GATEWAY_LOOP_SU_H
#define GATEWAY_LOOP_SU_H

#include <sofia-sip/su_wait.h>

#include "gateway/flow/loop.h"

/**
 * Fill @l with timers on @root (borrowed: it must outlive @l and every
 * timer made from it).  now_ms is CLOCK_MONOTONIC, as the resolver's
 * (dns_now_ms), so that deadlines and DNS timeouts share one clock.
 */
void loop_su_init(struct flow_loop *l, su_root_t *root);

#endif /* GATEWAY_LOOP_SU_H */
