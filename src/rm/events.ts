// Events the run wrapper adds to the job's event log (<prefix>/.scr/log), in the library's format
// (src/scr/log.ts): `<ISO time> <KIND> key=value …`, non-integer numbers with three decimals, a
// string with a blank, a quote or an '=' as a JSON string; `MiB/s` last when bytes and seconds
// are given. Written by the wrapper (and `scr postrun`'s SCAVENGE), not by rank 0, and only with SCR_LOG_ENABLE=1; a failure to
// log is a warning, never an error. Kinds (docs/formats.md#event-log-prefixscrlog):
//  JOB_START, NODE_DOWN, RUN, RUN_END, WATCHDOG, SCAVENGE, REQUEUE, JOB_END.
import { appendFile } from 'node:fs/promises';
import type { ScavengeReport } from '../scavenge/scavenge.js';
import { eventLine, logPath } from '../scr/log.js';

export type WrapperEventKind = 'JOB_START' | 'NODE_DOWN' | 'RUN' | 'RUN_END' | 'WATCHDOG' | 'SCAVENGE' | 'REQUEUE' | 'JOB_END';
export type EventFields = Record<string, string | number | undefined>;

export async function logWrapperEvent(prefix: string, kind: WrapperEventKind, fields: EventFields, warn: (line: string) => void): Promise<void> {
  try {
    await appendFile(logPath(prefix), eventLine(kind, fields), { mode: 0o600 });
  } catch (e) {
    warn(`warning: event log ${logPath(prefix)}: ${(e as Error).message}`);
  }
}

/** The wrapper's logger: a no-op when SCR_LOG_ENABLE=0. */
export type WrapperLog = (kind: WrapperEventKind, fields: EventFields) => Promise<void>;
export function wrapperLog(prefix: string, enabled: boolean, warn: (line: string) => void): WrapperLog {
  return enabled ? (kind, fields) => logWrapperEvent(prefix, kind, fields, warn) : async () => undefined;
}

/** One SCAVENGE line per dataset a scavenge copied to the prefix. */
export async function logScavenged(log: WrapperLog, report: ScavengeReport): Promise<void> {
  for (const d of report.datasets) {
    await log('SCAVENGE', { name: d.name, id: d.id, bytes: d.bytes, seconds: d.seconds, copied: d.copiedRanks.join(',') || undefined, rebuilt: d.rebuiltRanks.join(',') || undefined });
  }
}
