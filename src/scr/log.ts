// The event log (SCR_LOG_ENABLE): one line per event in <prefix>/.scr/log, written by rank 0:
//   2026-11-22T00:55:00.123Z FLUSH name=ckpt.3 id=3 bytes=1073741824 seconds=0.412 MiB/s=2485.4
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prefixScrDir } from '../cache/paths.js';
import type { Context } from './context.js';

export type EventKind = 'START' | 'CHECKPOINT' | 'OUTPUT' | 'FLUSH' | 'FETCH' | 'REBUILD' | 'PROTECTED' | 'RESTART' | 'HALT' | 'FAILED' | 'FINALIZE';

export function logPath(prefix: string): string {
  return join(prefixScrDir(prefix), 'log');
}

type Fields = Record<string, string | number | undefined>;

/** A field's value as written: a whole number as is, another number with three decimals; a string
 * with a blank, a quote or '=' (or empty) as a JSON string, unless it already is one (the callers
 * that always quote, e.g. HALT's reason), so every field stays one key=value token. */
export function logValue(v: string | number): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  if (/^".*"$/.test(v)) { try { if (typeof JSON.parse(v) === 'string') return v; } catch { /* not JSON: quote it */ } }
  return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
}

const format = (fields: Fields) => Object.entries(fields).filter((e): e is [string, string | number] => e[1] !== undefined).map(([k, v]) => `${k}=${logValue(v)}`);

/** One line of the log (the library's and the run wrapper's, src/rm/events.ts): the time, the
 * kind, `fields` in order, `MiB/s` when they have bytes and seconds, then `after`. */
export function eventLine(kind: string, fields: Fields, after: Fields = {}, at = new Date()): string {
  const parts = format(fields);
  if (typeof fields.bytes === 'number' && typeof fields.seconds === 'number' && fields.seconds > 0) {
    parts.push(`MiB/s=${(fields.bytes / 2 ** 20 / fields.seconds).toFixed(1)}`);
  }
  parts.push(...format(after));
  return `${[at.toISOString(), kind, ...parts].join(' ')}\n`;
}

/** Appends one event (rank 0 only; a failure to log is a warning, never an error). `after`:
 * fields written after MiB/s (which follows `fields`). */
export async function logEvent(ctx: Context, kind: EventKind, fields: Fields, after: Fields = {}): Promise<void> {
  if (ctx.rank !== 0 || !ctx.cfg.bool('SCR_LOG_ENABLE')) return;
  try {
    await appendFile(logPath(ctx.prefix), eventLine(kind, fields, after), { mode: 0o600 });
  } catch (e) {
    ctx.warn(`event log: ${(e as Error).message}`);
  }
}
