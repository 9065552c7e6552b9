// What `scr index --verify` and `--unfail` decide, without printing: which flushed datasets to
// check, every file against its recorded size and CRC (verify.ts), and the index's answer — a
// damaged dataset is marked failed (restarts then skip it; a current marker naming it is cleared,
// as a failed fetch does), and a failed mark is cleared only when every file matches again.
import { byName, clearFailed, indexPath, type IndexEntry, markFailed, type PfsIndex, pfsDatasetDir, readIndex } from './index.js';
import { failureOf, planVerify, runVerify, type VerifyPlan, type VerifyResult } from './verify.js';

export class DatasetLookupError extends Error {
  readonly code = 'ERR_SCR_DATASET';
}

export const oldestFirst = (idx: PfsIndex): IndexEntry[] => Object.values(idx.datasets).sort((a, b) => a.id - b.id);

/** The entry named `name`; a DatasetLookupError naming it and the names the index knows. */
export function findDataset(idx: PfsIndex, name: string, prefix: string): IndexEntry {
  const e = byName(idx, name);
  if (e) return e;
  const known = [...new Set(oldestFirst(idx).map((d) => d.name))];
  throw new DatasetLookupError(`no dataset named "${name}" in ${indexPath(prefix)}; ${known.length ? `known: ${known.join(', ')}` : 'the index has no datasets'}`);
}

/** One dataset's verification. */
export interface DatasetCheck {
  entry: IndexEntry;
  plan: VerifyPlan;
  result: VerifyResult;
  /** What is wrong, one line each (empty: every file matched). */
  problems: string[];
  /** Damaged, and marked failed in the index (false when it left the index meanwhile). */
  marked: boolean;
  /** Damaged and was the current dataset (the index has no current marker now). */
  wasCurrent: boolean;
}

export interface Progress {
  /** Called once, with the number of files to read, before the first. */
  start?(files: number): void;
  /** Called after each file. */
  tick?(): void;
}

/** Verifies dataset `name` (which must be flushed, or failed), or every flushed one; marks the
 * damaged ones failed. An empty list: nothing flushed to verify. */
export async function verifyDatasets(prefix: string, name: string | undefined, progress: Progress = {}): Promise<DatasetCheck[]> {
  const idx = await readIndex(prefix);
  let targets: IndexEntry[];
  if (name !== undefined) {
    const e = findDataset(idx, name, prefix);
    if (!e.flushed && !e.failed) throw new DatasetLookupError(`"${name}" (id ${e.id}) is not flushed: there is nothing on the file system to verify yet`);
    targets = [e];
  } else {
    targets = oldestFirst(idx).filter((e) => e.flushed);
  }
  // Every rank map first, so the progress knows the total.
  const plans = await Promise.all(targets.map((e) => planVerify(prefix, e.id)));
  progress.start?.(plans.reduce((n, p) => n + p.files.length, 0));
  const out: DatasetCheck[] = [];
  for (const [k, plan] of plans.entries()) {
    const entry = targets[k]!;
    const result = await runVerify(plan, progress.tick);
    const problems = plan.mapProblem ? [`${plan.mapProblem} (${pfsDatasetDir(prefix, entry.id)})`]
      : result.problems.map((p) => `rank ${p.rank}: ${p.path}: ${p.message}`);
    let marked = false;
    let wasCurrent = false;
    if (problems.length) {
      const now = await readIndex(prefix);
      const before = now.datasets[String(entry.id)];
      wasCurrent = !!before && before.name === now.current;
      if (before) { await markFailed(prefix, entry.id, failureOf(plan, result)); marked = true; }
    }
    out.push({ entry, plan, result, problems, marked, wasCurrent });
  }
  return out;
}

export type UnfailOutcome =
  | { state: 'not-failed'; entry: IndexEntry }
  | { state: 'damaged'; entry: IndexEntry; problems: string[] }
  | { state: 'cleared'; entry: IndexEntry; plan: VerifyPlan; result: VerifyResult };

/** Clears dataset `name`'s failed mark once every file matches its recorded size and CRC. */
export async function unfailDataset(prefix: string, name: string, progress: Progress = {}): Promise<UnfailOutcome> {
  const entry = findDataset(await readIndex(prefix), name, prefix);
  if (!entry.failed) return { state: 'not-failed', entry };
  if (!entry.complete) throw new DatasetLookupError(`"${entry.name}" (id ${entry.id}) was never completely flushed, so there is nothing on the file system to restart from`);
  const plan = await planVerify(prefix, entry.id);
  progress.start?.(plan.files.length);
  const result = await runVerify(plan, progress.tick);
  const problems = plan.mapProblem ? [`${plan.mapProblem} (${pfsDatasetDir(prefix, entry.id)})`] : result.problems.map((p) => `rank ${p.rank}: ${p.path}: ${p.message}`);
  if (problems.length) return { state: 'damaged', entry, problems };
  await clearFailed(prefix, entry.id);
  return { state: 'cleared', entry, plan, result };
}
