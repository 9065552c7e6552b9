// Reading a job's event log (<prefix>/.scr/log, docs/formats.md) while the job runs: its lines,
// the lines of one kind, and a wait until a kind has been logged N times. Used by tests that act
// at a point of a running job (kill a node after the second checkpoint, signal the ranks).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The event log's lines under `prefix` (none while it does not exist yet). */
export function logLines(prefix: string): string[] {
  const log = join(prefix, '.scr', 'log');
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** The logged events of one kind (`CHECKPOINT`, `FLUSH`, …), whole lines. */
export function eventsOf(prefix: string, kind: string): string[] {
  return logLines(prefix).filter((l) => l.includes(` ${kind} `) || l.endsWith(` ${kind}`));
}

/** Resolves once `kind` has been logged at least `n` times under `prefix`; throws after `ms`. */
export async function waitForEvents(prefix: string, kind: string, n: number, ms = 120_000, pollMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (eventsOf(prefix, kind).length < n) {
    if (Date.now() > end) throw new Error(`fewer than ${n} ${kind} events in ${join(prefix, '.scr', 'log')} after ${ms / 1000} s:\n${logLines(prefix).join('\n')}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
