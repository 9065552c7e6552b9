// How often one level of checkpoints should be taken, from the blocking cost C of a checkpoint,
// the restart cost R and the mean time between failures M (all in seconds), failures being
// exponentially distributed (a Poisson process), as in the models cited below and in
// docs/report.md ("How often to checkpoint"). Every interval is compute time: the time from the
// end of one checkpoint to the start of the next.
import { checkNumber } from './check.js';

/** Young's first-order optimum (J. W. Young, CACM 17(9), 1974): sqrt(2·C·M). */
export function youngInterval(cost: number, mtbf: number): number {
  checkNumber('youngInterval', 'the checkpoint cost C', cost);
  checkNumber('youngInterval', 'the MTBF M', mtbf, 0, true);
  return Math.sqrt(2 * cost * mtbf);
}

/** Daly's higher-order optimum (J. T. Daly, FGCS 22(3), 2006, the perturbation solution):
 * for C < 2M, sqrt(2·C·M)·(1 + (1/3)·sqrt(C/(2M)) + (1/9)·(C/(2M))) − C; for C ≥ 2M, M. */
export function dalyInterval(cost: number, mtbf: number): number {
  checkNumber('dalyInterval', 'the checkpoint cost C', cost);
  checkNumber('dalyInterval', 'the MTBF M', mtbf, 0, true);
  if (cost >= 2 * mtbf) return mtbf;
  const x = cost / (2 * mtbf);
  return Math.sqrt(2 * cost * mtbf) * (1 + Math.sqrt(x) / 3 + x / 9) - cost;
}

/** The expected fraction of wall time not spent on useful work when computing `interval` seconds
 * between checkpoints, from Daly's expected wall time (FGCS 2006) for a solve time Ts:
 *   Tw = M·e^(R/M)·(e^((τ+C)/M) − 1)·Ts/τ,   waste = 1 − Ts/Tw = 1 − τ / (M·e^(R/M)·(e^((τ+C)/M) − 1)).
 * With no failures (M → ∞) it tends to C/(τ+C), the share the checkpoints take. */
export function expectedWaste(interval: number, cost: number, mtbf: number, restart = 0): number {
  checkNumber('expectedWaste', 'the interval τ', interval, 0, true);
  checkNumber('expectedWaste', 'the checkpoint cost C', cost);
  checkNumber('expectedWaste', 'the MTBF M', mtbf, 0, true);
  checkNumber('expectedWaste', 'the restart cost R', restart);
  return 1 - interval / (mtbf * Math.exp(restart / mtbf) * Math.expm1((interval + cost) / mtbf));
}
