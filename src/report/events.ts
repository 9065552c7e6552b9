// The event log (<prefix>/.scr/log, docs/formats.md "Event log") read back as typed events:
//   2026-11-22T00:55:00.123Z FLUSH name=ckpt.3 id=3 bytes=1073741824 seconds=0.412 MiB/s=2485.4 mode=sync
// Kinds and fields this version does not know are kept as they are (a newer library or wrapper
// may add them); a line that is not `<ISO time> <KIND> key=value …` is returned with its line
// number and what is wrong with it, and the rest of the log is still read.

/** The kinds the library (src/scr/log.ts) and the run wrapper (src/rm/events.ts) write. */
export const KNOWN_KINDS = ['START', 'CHECKPOINT', 'OUTPUT', 'FLUSH', 'FETCH', 'REBUILD', 'PROTECTED', 'RESTART', 'FAILED', 'HALT', 'FINALIZE',
  'JOB_START', 'NODE_DOWN', 'RUN', 'RUN_END', 'WATCHDOG', 'SCAVENGE', 'REQUEUE', 'JOB_END'] as const;
export type KnownKind = (typeof KNOWN_KINDS)[number];

export type FieldValue = string | number;

export interface LogEvent {
  /** 1-based line number in the log. */
  line: number;
  /** Epoch milliseconds. */
  time: number;
  kind: string;
  /** Whether this version knows the kind (KNOWN_KINDS). */
  known: boolean;
  /** Numbers where the value is a number, JSON strings unquoted, anything else as written. */
  fields: Record<string, FieldValue>;
}

export interface MalformedLine { line: number; text: string; why: string }

export interface ParsedLog { events: LogEvent[]; malformed: MalformedLine[] }

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const KIND = /^[A-Z][A-Z0-9_]*$/;
const NUMBER = /^-?\d+(\.\d+)?$/;
const known = new Set<string>(KNOWN_KINDS);

/** The fields after the kind; a string says what is wrong. */
function parseFields(rest: string): Record<string, FieldValue> | string {
  const fields: Record<string, FieldValue> = {};
  let i = 0;
  while (i < rest.length) {
    if (rest[i] === ' ') { i++; continue; }
    const eq = rest.indexOf('=', i);
    const space = rest.indexOf(' ', i);
    if (eq < 0 || (space >= 0 && space < eq)) return `"${rest.slice(i, space < 0 ? undefined : space)}" is not key=value`;
    const key = rest.slice(i, eq);
    if (!key) return `a value without a key at column ${i + 1}`;
    let j = eq + 1;
    let value: FieldValue;
    if (rest[j] === '"') {
      // A JSON string: up to the first quote that no backslash escapes.
      let k = j + 1;
      while (k < rest.length && rest[k] !== '"') k += rest[k] === '\\' ? 2 : 1;
      if (k >= rest.length) return `the quoted value of ${key} has no closing quote`;
      try {
        value = JSON.parse(rest.slice(j, k + 1)) as string;
      } catch {
        return `the quoted value of ${key} is not a JSON string`;
      }
      j = k + 1;
      if (j < rest.length && rest[j] !== ' ') return `the quoted value of ${key} runs into "${rest.slice(j).split(' ')[0]}"`;
    } else {
      const end = rest.indexOf(' ', j);
      const raw = rest.slice(j, end < 0 ? undefined : end);
      value = NUMBER.test(raw) ? Number(raw) : raw;
      j = end < 0 ? rest.length : end;
    }
    fields[key] = value;
    i = j;
  }
  return fields;
}

/** One line (without its newline), or what is wrong with it. */
export function parseLine(text: string, line: number): LogEvent | MalformedLine {
  const [stamp = '', kind = ''] = text.split(' ', 2);
  if (!TIME.test(stamp) || Number.isNaN(Date.parse(stamp))) return { line, text, why: `"${stamp}" is not a UTC ISO time (e.g. 2026-11-22T00:55:00.123Z)` };
  if (!KIND.test(kind)) return { line, text, why: kind ? `"${kind}" is not an event kind (capitals and _)` : 'no event kind after the time' };
  const fields = parseFields(text.slice(stamp.length + 1 + kind.length));
  if (typeof fields === 'string') return { line, text, why: fields };
  return { line, time: Date.parse(stamp), kind, known: known.has(kind), fields };
}

/** Every line of a log; blank lines are skipped, a last line without its newline (a writer
 * still appending) is read like the others. */
export function parseLog(text: string): ParsedLog {
  const events: LogEvent[] = [];
  const malformed: MalformedLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.replace(/\r$/, '');
    if (!t.trim()) return;
    const r = parseLine(t, i + 1);
    if ('why' in r) malformed.push(r); else events.push(r);
  });
  return { events, malformed };
}

/** A numeric field, or undefined when absent or not a number. */
export function num(e: LogEvent, key: string): number | undefined {
  const v = e.fields[key];
  return typeof v === 'number' ? v : undefined;
}

/** A field as text (numbers too: a job id may look like one), or undefined when absent. */
export function str(e: LogEvent, key: string): string | undefined {
  const v = e.fields[key];
  return v === undefined ? undefined : String(v);
}
