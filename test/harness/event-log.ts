// Reading a job's event log (<prefix>/.scr/log, docs/formats.md) while the job runs: its lines,
// the lines of one kind, and a wait until a kind has been logged N times. Used by tests that act
// at a point of a running job (kill a node after the second checkpoint, signal the ranks).
import { existsSync, readFileSync } from 'node:fs';
import { parseLine } from '../../src/report/events.js';
import { logPath } from '../../src/scr/log.js';

/** The event log's lines under `prefix` (none while it does not exist yet). */
export function logLines(prefix: string): string[] {
  const log = logPath(prefix);
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** The logged events of one kind (`CHECKPOINT`, `FLUSH`, …), whole lines. Each line is read by
 * scr report's parser: its kind is the word after the time, never a word inside a value. */
export function eventsOf(prefix: string, kind: string): string[] {
  return logLines(prefix).filter((l, i) => {
    const e = parseLine(l, i + 1);
    return !('why' in e) && e.kind === kind;
  });
}

/** Resolves once `kind` has been logged at least `n` times under `prefix`; throws after `ms`. */
export async function waitForEvents(prefix: string, kind: string, n: number, ms = 120_000, pollMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (eventsOf(prefix, kind).length < n) {
    if (Date.now() > end) throw new Error(`fewer than ${n} ${kind} events in ${logPath(prefix)} after ${ms / 1000} s:\n${logLines(prefix).join('\n')}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
