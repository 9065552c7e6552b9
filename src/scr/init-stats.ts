// Where the time of this rank's last init() went (initStats(), SPEC §2): the init path names the
// phase it enters next, and the time since the previous call is added to the phase it leaves, so
// the phases cover the whole call and sum to its time. A phase entered again (one per dataset
// restored, say) accumulates. Measured with performance.now() around the real calls.

export interface InitStats {
  /** Seconds of the whole init() on this rank. */
  seconds: number;
  /** In the order first entered; each phase's seconds summed over every time it was entered. */
  phases: Array<{ name: string; seconds: number }>;
}

interface Running { t0: number; at: number; current: string; spent: Map<string, number> }

let running: Running | null = null;
let last: InitStats | null = null;

/** init() starts: time goes to `first` until the next enterPhase. */
export function beginInit(first: string): void {
  const now = performance.now();
  running = { t0: now, at: now, current: first, spent: new Map() };
}

/** From now on, time goes to `name` (the time since the previous call to the phase left). No-op
 * outside init(). */
export function enterPhase(name: string): void {
  const r = running;
  if (!r) return;
  const now = performance.now();
  r.spent.set(r.current, (r.spent.get(r.current) ?? 0) + (now - r.at));
  r.at = now;
  r.current = name;
}

/** Runs `fn` as phase `name`, then returns to the phase that was current before. */
export async function inPhase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const back = running?.current;
  enterPhase(name);
  try {
    return await fn();
  } finally {
    if (back !== undefined) enterPhase(back);
  }
}

/** init() ended (returned or threw): its stats become initStats()'s answer. */
export function endInit(): void {
  const r = running;
  if (!r) return;
  enterPhase(r.current);
  running = null;
  last = {
    seconds: (performance.now() - r.t0) / 1000,
    phases: [...r.spent].filter(([, ms]) => ms > 0).map(([name, ms]) => ({ name, seconds: ms / 1000 })),
  };
}

/** The last init()'s stats on this rank, or null before the first init() ended. */
export function lastInitStats(): InitStats | null {
  return last;
}
