// Two-level advice: how often to checkpoint to the cache, and every how many cache checkpoints to
// flush one to the file system (SCR_FLUSH), with the first-order model of periodic multi-level
// patterns (A. Benoit, A. Cavelan, V. Le Fèvre, Y. Robert, H. Sun, "Towards optimal multi-level
// checkpointing", IEEE Transactions on Computers, 2017, in its two-level case). A pattern is k
// segments of T seconds, each followed by a cache checkpoint (cost C1), the k-th also flushed
// (extra cost C2). Failures the cache survives (rate λ1) lose half a segment on average, failures
// that need the file system (rate λ2) half a pattern. To first order the waste is
//   W(k, T) = (C1 + C2/k)/T + (λ1 + k·λ2)·T/2,
// minimal at T(k) = sqrt(2·(C1 + C2/k)/(λ1 + k·λ2)), where W = sqrt(2·(C1 + C2/k)·(λ1 + k·λ2));
// that product is smallest at k* = sqrt(C2·λ1/(C1·λ2)), and then W = sqrt(2·λ1·C1) + sqrt(2·λ2·C2),
// the sum the paper states. k must be a whole number ≥ 1: the floor and ceiling of k* are compared.
import { checkNumber } from './check.js';

export interface TwoLevelInput {
  /** C1: seconds an application blocks for a cache checkpoint (> 0). */
  cacheCost: number;
  /** λ1: failures per second that the cache's redundancy survives. */
  cacheRate: number;
  /** C2: extra seconds a flush to the file system costs (0 if it is fully hidden). */
  pfsCost: number;
  /** λ2: failures per second that lose the cache, so only a flushed checkpoint restarts the job. */
  pfsRate: number;
}

export interface TwoLevelAdvice {
  /** T: seconds of compute between cache checkpoints. */
  interval: number;
  /** SCR_FLUSH: flush every k-th cache checkpoint; null when λ2 = 0 (no failure needs a flush, so
   * the model asks for none: choose SCR_FLUSH for other needs). */
  flush: number | null;
  /** k* before rounding (Infinity when λ2 = 0). */
  flushExact: number;
  /** The first-order waste at this interval and flush. */
  waste: number;
}

/** The first-order waste W(k, T) of a pattern of k segments of T seconds, to compare an interval
 * and SCR_FLUSH in use with the advised ones. */
export function twoLevelWaste(input: TwoLevelInput, k: number, interval: number): number {
  const { cacheCost: c1, cacheRate: l1, pfsCost: c2, pfsRate: l2 } = checked('twoLevelWaste', input);
  if (!(Number.isSafeInteger(k) && k >= 1)) throw new RangeError(`twoLevelWaste: k (SCR_FLUSH) must be a whole number ≥ 1, not ${String(k)}`);
  checkNumber('twoLevelWaste', 'the interval T', interval, 0, true);
  return (c1 + c2 / k) / interval + (l1 + k * l2) * interval / 2;
}

/** The advised cache interval and SCR_FLUSH for the two-level model. */
export function twoLevelAdvice(input: TwoLevelInput): TwoLevelAdvice {
  const { cacheCost: c1, cacheRate: l1, pfsCost: c2, pfsRate: l2 } = checked('twoLevelAdvice', input);
  if (l1 === 0 && l2 === 0) throw new RangeError('twoLevelAdvice: both failure rates are 0; with no failures no interval is optimal (any longer one wastes less)');
  if (l2 === 0) {
    const interval = Math.sqrt(2 * c1 / l1);
    return { interval, flush: null, flushExact: Infinity, waste: Math.sqrt(2 * c1 * l1) };
  }
  const flushExact = Math.sqrt(c2 * l1 / (c1 * l2));
  const product = (k: number) => (c1 + c2 / k) * (l1 + k * l2);
  const lo = Math.max(1, Math.floor(flushExact));
  const hi = Math.max(1, Math.ceil(flushExact));
  const k = product(hi) < product(lo) ? hi : lo; // a tie keeps the smaller k: more flushes, less lost
  return { interval: Math.sqrt(2 * (c1 + c2 / k) / (l1 + k * l2)), flush: k, flushExact, waste: Math.sqrt(2 * product(k)) };
}

function checked(fn: string, input: TwoLevelInput): TwoLevelInput {
  if (typeof input !== 'object' || input === null) throw new TypeError(`${fn}: expected { cacheCost, cacheRate, pfsCost, pfsRate }, got ${String(input)}`);
  checkNumber(fn, 'the cache checkpoint cost C1 (cacheCost)', input.cacheCost, 0, true);
  checkNumber(fn, 'the cache failure rate λ1 (cacheRate)', input.cacheRate);
  checkNumber(fn, 'the flush cost C2 (pfsCost)', input.pfsCost);
  checkNumber(fn, 'the file-system failure rate λ2 (pfsRate)', input.pfsRate);
  return input;
}
