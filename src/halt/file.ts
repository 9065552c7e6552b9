// The halt file <prefix>/.scr/halt.scr (metadata kind 'halt'): the conditions under which a running
// job should stop, the "finalize was called" marker for the run wrapper, and the "checkpoint now"
// request counter. Commands (`scr halt`, the run wrapper) edit it while the job runs; rank 0 of the
// library reads it in needCheckpoint/shouldExit and decrements checkpointsLeft after each
// checkpoint. Every change is a read-modify-write under the metadata layer's NFS-safe lock, so
// concurrent editors never lose one another's updates. A record is checked on read (a bad field is
// a MetaError 'ERR_META_BODY') and before it is written (TypeError). Keys this code does not know
// are kept by updates (a newer scr may have written them) and dropped by clearHalt.
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { MetaError, readMetaFileIfExists, updateMetaFile, type LockOptions } from '../meta/index.js';

/** The metadata kind of the halt file. */
export const HALT_KIND = 'halt';

/** The contents of the halt file. Every key is optional; a missing file is the empty record. */
export interface HaltRecord {
  /** Halt once this reaches 0: the library decrements it after each completed checkpoint. */
  checkpointsLeft?: number;
  /** Epoch seconds: halt when now + seconds ≥ exitBefore (leave `seconds` before this time). */
  exitBefore?: number;
  /** Epoch seconds: halt once now ≥ exitAfter. */
  exitAfter?: number;
  /** Halt when fewer than this many seconds of the allocation remain; also the margin before
   * exitBefore. Overrides SCR_HALT_SECONDS when set (0 turns both uses off). */
  seconds?: number;
  /** A reason set by a user or command: any non-empty reason means halt now. */
  reason?: string;
  /** finalize() was called, so the job ended on purpose: the run wrapper stops relaunching. Not a
   * halt condition for the application. */
  finalized?: boolean;
  /** The job id (SCR_JOB_ID) of the run that set `finalized`. A run wrapper of another job id
   * clears an earlier job's marker when it starts (src/halt/stale.ts); one of the same job id
   * stops. Halt files written before this field have `finalized` alone: an earlier job's. */
  finalizedJob?: string;
  /** Request counter: each `scr halt --checkpoint-now` adds 1 and the job checkpoints once when it
   * sees a larger value than before. Never reset (clearHalt keeps it), so no request is missed. */
  checkpointNow?: number;
  /** Set by `scr halt --immediate`: the run wrapper ends the running step at once (the reason makes
   * it stop there). The wrapper removes it with the reason it goes with. */
  immediate?: boolean;
}

type Check = [test: (v: unknown) => boolean, expected: string];
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isTime = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const CHECKS: ReadonlyMap<string, Check> = new Map<keyof HaltRecord, Check>([
  ['checkpointsLeft', [isCount, 'a non-negative integer']],
  ['exitBefore', [isTime, 'a time in epoch seconds']],
  ['exitAfter', [isTime, 'a time in epoch seconds']],
  ['seconds', [(v) => isTime(v) && (v as number) >= 0, 'a non-negative number of seconds']],
  ['reason', [(v) => typeof v === 'string', 'a string']],
  ['finalized', [(v) => typeof v === 'boolean', 'true or false']],
  ['finalizedJob', [(v) => typeof v === 'string', 'a string']],
  ['checkpointNow', [isCount, 'a non-negative integer']],
  ['immediate', [(v) => typeof v === 'boolean', 'true or false']],
]);

/** `<prefix>/.scr/halt.scr`. */
export function haltFilePath(prefix: string): string {
  return join(prefix, '.scr', 'halt.scr');
}

/** The halt record of `prefix`; {} when there is no halt file. A damaged file rejects with the
 * metadata layer's MetaError (e.g. 'ERR_META_CRC'), a field of the wrong type with 'ERR_META_BODY'. */
export async function readHalt(prefix: string): Promise<HaltRecord> {
  const path = haltFilePath(prefix);
  const raw = await readMetaFileIfExists(path, { expectKind: HALT_KIND });
  return raw === undefined ? {} : fromFile(raw, path);
}

/**
 * Read-modify-write of the halt file under its lock. `fn` gets a copy of the current record ({} if
 * there is none) and returns the new one (a key set to undefined or null is removed), or undefined
 * to leave the file alone. The file is written only if the record changed; `<prefix>/.scr` is
 * created (0700) if missing, the prefix itself must exist. Resolves to the record the file now holds.
 */
export async function updateHalt(prefix: string,
  fn: (old: HaltRecord) => HaltRecord | undefined | Promise<HaltRecord | undefined>,
  opts: LockOptions = {}): Promise<HaltRecord> {
  const path = haltFilePath(prefix);
  await mkdir(dirname(path), { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  let now: HaltRecord = {};
  await updateMetaFile<unknown>(path, HALT_KIND, async (raw) => {
    const old = raw === undefined ? {} : fromFile(raw, path);
    now = old;
    const next = await fn({ ...old });
    if (next === undefined) return undefined;
    const checked = normalize(next, (why) => new TypeError(`updateHalt(${prefix}): ${why}`));
    if (isDeepStrictEqual(checked, old)) return undefined;
    now = checked;
    return checked;
  }, opts);
  return now;
}

/** Moves a damaged halt file aside (to halt.scr.damaged.<time>), so the next update starts from
 * an empty record; resolves to where it went. */
export async function setHaltAside(prefix: string): Promise<string> {
  const aside = `${haltFilePath(prefix)}.damaged.${Date.now()}`;
  await rename(haltFilePath(prefix), aside);
  return aside;
}

/** Removes every halt condition and the finalized marker (`scr halt --remove`); keeps only the
 * checkpointNow counter, which must never go backwards. Resolves to the new record. */
export function clearHalt(prefix: string, opts: LockOptions = {}): Promise<HaltRecord> {
  return updateHalt(prefix, (h) => (h.checkpointNow === undefined ? {} : { checkpointNow: h.checkpointNow }), opts);
}

/** Asks the running job to checkpoint at its next needCheckpoint (`scr halt --checkpoint-now`):
 * adds 1 to checkpointNow. Resolves to the new counter. */
export async function requestCheckpointNow(prefix: string, opts: LockOptions = {}): Promise<number> {
  const h = await updateHalt(prefix, (old) => ({ ...old, checkpointNow: (old.checkpointNow ?? 0) + 1 }), opts);
  return h.checkpointNow as number;
}

function fromFile(raw: unknown, path: string): HaltRecord {
  return normalize(raw, (why) => new MetaError('ERR_META_BODY',
    `${path} is not a valid halt record: ${why}. Rewrite the field with scr halt, or remove the file (its halt conditions are then lost)`, path));
}

/** A checked copy of `value` without undefined/null keys; throws fail(why) if it is not a map or a
 * known key has the wrong type. Unknown keys are kept as they are. */
function normalize(value: unknown, fail: (why: string) => Error): HaltRecord {
  const proto = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (proto !== Object.prototype && proto !== null) throw fail(`the record is ${describe(value)}, not a map of keys to values`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as object)) {
    if (v === undefined || v === null) continue;
    const check = CHECKS.get(key);
    if (check && !check[0](v)) throw fail(`${key} is ${describe(v)}, not ${check[1]}`);
    out[key] = v;
  }
  return out as HaltRecord;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'binary data';
  if (v instanceof Date) return `a date (${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}
