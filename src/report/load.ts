// Reads a prefix's event log and index into the report's summary (src/report/summary.ts).
import { readFile } from 'node:fs/promises';
import { readIndex, type PfsIndex } from '../pfs/index.js';
import { logPath } from '../scr/log.js';
import { type LogEvent, type MalformedLine, parseLog } from './events.js';
import { summarize, type Summary } from './summary.js';

export interface Report { prefix: string; log: string; summary: Summary; events: LogEvent[]; malformed: MalformedLine[]; indexProblem?: string }

/** ENOENT when the log does not exist; an index that cannot be read leaves `summary.index` null and says why in `indexProblem`. */
export async function loadReport(prefix: string, warn: (line: string) => void): Promise<Report> {
  const log = logPath(prefix);
  const { events, malformed } = parseLog(await readFile(log, 'utf8'));
  let index: PfsIndex | null = null;
  let indexProblem: string | undefined;
  try {
    index = await readIndex(prefix, warn);
  } catch (e) {
    indexProblem = (e as Error).message;
  }
  return { prefix, log, summary: summarize(events, index), events, malformed, ...(indexProblem ? { indexProblem } : {}) };
}
