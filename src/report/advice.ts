// How often the job should checkpoint, from what its event log measured (src/report/summary.ts)
// and the models of src/advice/ (docs/report.md, "How often to checkpoint"): the cost of a cache
// checkpoint and of a flush, the interval the job used, the failure rate — observed across its
// runs when there were at least two failures, else SCR_MTBF — and the share of failures only the
// file system survived. Says what it cannot advise, and why.
import { dalyInterval, expectedWaste, twoLevelAdvice, twoLevelWaste, youngInterval } from '../advice/index.js';
import { median, type Summary } from './summary.js';

export interface IntervalAdvice {
  /** Seconds the application loses to one cache checkpoint (its writing and its blocking), median. */
  cacheCost: number | null;
  /** Seconds a synchronous flush adds (median; 0 when every flush was asynchronous). */
  flushCost: number | null;
  /** The job's mean time between failures and where it comes from. */
  mtbf: { seconds: number; source: 'observed' | 'SCR_MTBF' } | null;
  /** What the job did: median compute seconds between cache checkpoints; cache checkpoints per flush. */
  current: { interval: number | null; flush: number | null };
  /** One level (every failure restarts from the last checkpoint). */
  single: { young: number; daly: number; wasteAtDaly: number; wasteNow: number | null } | null;
  /** Two levels: failures the cache survives and those only the file system does. */
  twoLevel: { cacheShare: number; interval: number; flush: number | null; waste: number; wasteNow: number | null } | null;
  /** Why a part is missing. */
  notes: string[];
}

export const MIN_OBSERVED_FAILURES = 2;

/** The mean time between failures the job's runs show: their time ÷ their failures, once there
 * were at least MIN_OBSERVED_FAILURES; else null. */
export function observedMtbf(s: Summary): number | null {
  return s.failures.length >= MIN_OBSERVED_FAILURES && s.runSeconds > 0 ? s.runSeconds / s.failures.length : null;
}

export function intervalAdvice(s: Summary, configuredMtbf: number | null): IntervalAdvice {
  const notes: string[] = [];
  const cost = (c: Summary['checkpoints'][number]) => c.blocking + (c.write ?? 0);
  const cacheCost = median(s.checkpoints.map(cost));
  const syncFlushes = s.flushList.filter((f) => f.mode === 'sync');
  const flushCost = s.flushList.length ? median(syncFlushes.map((f) => f.seconds)) ?? 0 : null;
  // The compute between two checkpoints of one run: the gap between their log lines, less the
  // second one's cost and any synchronous flush in between.
  const gaps: number[] = [];
  for (let i = 1; i < s.checkpoints.length; i++) {
    const [a, b] = [s.checkpoints[i - 1]!, s.checkpoints[i]!];
    if (a.run !== b.run) continue;
    const flushed = syncFlushes.filter((f) => f.time > a.time && f.time < b.time).reduce((x, f) => x + f.seconds, 0);
    gaps.push(Math.max(0, (b.time - a.time) / 1000 - cost(b) - flushed));
  }
  const current = { interval: median(gaps), flush: s.flushList.length ? Math.max(1, Math.round(s.checkpoints.length / s.flushList.length)) : null };
  const observed = observedMtbf(s);
  const mtbf = observed !== null ? { seconds: observed, source: 'observed' as const }
    : configuredMtbf !== null ? { seconds: configuredMtbf, source: 'SCR_MTBF' as const } : null;
  if (observed === null) notes.push(`${s.failures.length} failure(s) observed, fewer than ${MIN_OBSERVED_FAILURES}: ${configuredMtbf !== null ? 'SCR_MTBF is used' : 'set SCR_MTBF (seconds) to get advice'}`);
  if (cacheCost === null) notes.push('no checkpoint in the log: its cost is not known');
  const out: IntervalAdvice = { cacheCost, flushCost, mtbf, current, single: null, twoLevel: null, notes };
  if (!mtbf || cacheCost === null || cacheCost <= 0) return out;
  const daly = dalyInterval(cacheCost, mtbf.seconds);
  out.single = {
    young: youngInterval(cacheCost, mtbf.seconds), daly, wasteAtDaly: expectedWaste(daly, cacheCost, mtbf.seconds),
    wasteNow: current.interval !== null && current.interval > 0 ? expectedWaste(current.interval, cacheCost, mtbf.seconds) : null,
  };
  // The share of failures the cache survived: those after which the next run restarted from the
  // cache (as it was, or rebuilt) rather than from the file system.
  const classes = s.failures.map((f) => s.restarts.find((r) => r.run > f.run)?.from).filter((x): x is NonNullable<typeof x> => x !== undefined);
  if (!classes.length) {
    notes.push('no failure was followed by a restart: the share of failures the cache survives is not known, so no SCR_FLUSH is advised');
    return out;
  }
  const cacheShare = classes.filter((c) => c !== 'file system').length / classes.length;
  const input = { cacheCost, cacheRate: cacheShare / mtbf.seconds, pfsCost: flushCost ?? 0, pfsRate: (1 - cacheShare) / mtbf.seconds };
  const adv = twoLevelAdvice(input);
  out.twoLevel = {
    cacheShare, interval: adv.interval, flush: adv.flush, waste: adv.waste,
    wasteNow: current.interval !== null && current.interval > 0 && current.flush !== null ? twoLevelWaste(input, current.flush, current.interval) : null,
  };
  if (adv.flush === null) notes.push('every failure so far was survived by the cache: the two-level model asks for no flush (choose SCR_FLUSH for your other needs)');
  return out;
}
