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
const format = (fields: Fields) => Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : v}`);

/** Appends one event (rank 0 only; a failure to log is a warning, never an error). `after`:
 * fields written after MiB/s (which follows `fields`). */
export async function logEvent(ctx: Context, kind: EventKind, fields: Fields, after: Fields = {}): Promise<void> {
  if (ctx.rank !== 0 || !ctx.cfg.bool('SCR_LOG_ENABLE')) return;
  const parts = format(fields);
  if (typeof fields.bytes === 'number' && typeof fields.seconds === 'number' && fields.seconds > 0) {
    parts.push(`MiB/s=${(fields.bytes / 2 ** 20 / fields.seconds).toFixed(1)}`);
  }
  parts.push(...format(after));
  try {
    await appendFile(logPath(ctx.prefix), `${[new Date().toISOString(), kind, ...parts].join(' ')}\n`, { mode: 0o600 });
  } catch (e) {
    ctx.warn(`event log: ${(e as Error).message}`);
  }
}
