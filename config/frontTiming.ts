// The front's check timing: fixed by the program, read by the config's rules (a hung master must be
// noticed by the front before Sentinel's down-after-milliseconds) and by the front's renderer.

/**
 * Health-check period of each redis server, and the gate's polling period: shorter than the two or
 * three 100 ms ticks of Sentinel's timer between a failover's start and its SLAVEOF NO ONE, so the
 * gate sees `failover_in_progress` before the promoted replica takes writes.
 */
export const FRONT_CHECK_INTERVAL_MS = 1000;
export const FRONT_GATE_INTERVAL_MS = 100;
/** Failed checks before a server is down. */
export const FRONT_CHECK_FALL = 2;
/** How long a hung server can go unnoticed, at most: `fall` checks, each up to `inter` apart and waiting up to `timeout check`. */
export const FRONT_DETECTION_MS = FRONT_CHECK_FALL * (FRONT_CHECK_INTERVAL_MS + FRONT_CHECK_INTERVAL_MS);
