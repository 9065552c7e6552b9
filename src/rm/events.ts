// Events the run wrapper adds to the job's event log (<prefix>/.scr/log), in the library's format
// (src/scr/log.ts): `<ISO time> <KIND> key=value …`, non-integer numbers with three decimals.
// Written by the wrapper, not by rank 0; a failure to log is a warning, never an error.
import { appendFile } from 'node:fs/promises';
import { logPath } from '../scr/log.js';

export type WrapperEventKind = 'WATCHDOG';

export async function logWrapperEvent(prefix: string, kind: WrapperEventKind, fields: Record<string, string | number | undefined>,
  warn: (line: string) => void): Promise<void> {
  const parts = Object.entries(fields).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : v}`);
  try {
    await appendFile(logPath(prefix), `${[new Date().toISOString(), kind, ...parts].join(' ')}\n`, { mode: 0o600 });
  } catch (e) {
    warn(`warning: event log ${logPath(prefix)}: ${(e as Error).message}`);
  }
}
