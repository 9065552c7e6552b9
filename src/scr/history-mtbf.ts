// The MTBF SCR_CHECKPOINT_SECONDS=auto assumes (rank 0, at init): the one the job's earlier runs
// show in its event log once they failed at least twice (src/report/advice.ts, observedMtbf),
// else SCR_MTBF, else none (the policy's 24 h default). A log that cannot be read is no history.
import { readFile } from 'node:fs/promises';
import { observedMtbf } from '../report/advice.js';
import { parseLog } from '../report/events.js';
import { summarize } from '../report/summary.js';
import { logPath } from './log.js';

export async function autoMtbf(prefix: string, configured: number | null): Promise<{ mtbf: number | null; source?: string }> {
  // Only rank 0 calls this, between collectives: it must not throw, whatever the log holds.
  try {
    const text = await readFile(logPath(prefix), 'utf8').catch(() => '');
    const s = summarize(parseLog(text).events);
    const seen = observedMtbf(s);
    if (seen === null) return { mtbf: configured };
    return { mtbf: seen, source: `an MTBF of ${Math.round(seen)} s observed in the job's event log (${s.failures.length} failures in ${Math.round(s.runSeconds)} s of runs)` };
  } catch {
    return { mtbf: configured };
  }
}
