// Parsing of parameter values by type. Returns the typed value or throws a message string.
import type { ParamType } from './schema.js';
import { didYouMean } from './suggest.js';

export type Value = boolean | number | string;

export interface ValueRule {
  type: ParamType;
  allowed?: readonly string[];
  min?: number;
  max?: number;
  /** Words accepted besides the type's values, in lower case (the value is the word). */
  words?: readonly string[];
  /** 'component': the text before the value in its path component ("scr." in scr.<jobid>). */
  componentPrefix?: string;
}

/** The longest file name (one path component) in bytes on Linux file systems (NAME_MAX). */
export const NAME_MAX = 255;

const UNITS: Record<string, number> = { '': 1, B: 1, K: 2 ** 10, KB: 2 ** 10, KIB: 2 ** 10, M: 2 ** 20, MB: 2 ** 20, MIB: 2 ** 20,
  G: 2 ** 30, GB: 2 ** 30, GIB: 2 ** 30, T: 2 ** 40, TB: 2 ** 40, TIB: 2 ** 40 };

export class ValueError extends Error {}

/** A value shown in a message: quoted, control characters escaped, long ones cut. */
function shown(raw: string): string {
  const q = JSON.stringify(raw);
  return q.length > 60 ? `${q.slice(0, 50)}…" (${Buffer.byteLength(raw)} bytes)` : q;
}

/** The most bytes a 'component' value may have, given the text put before it. */
export function componentMaxBytes(prefix = ''): number {
  return NAME_MAX - Buffer.byteLength(prefix);
}

/** Why `s` cannot be one path component (after `prefix`), or null if it can. */
export function pathComponentProblem(s: string, prefix = ''): string | null {
  if (s === '') return 'it is empty';
  if (s === '.' || s === '..') return `"${s}" is not a name but ${s === '.' ? 'the directory itself' : 'its parent'}`;
  if (s.includes('/')) return 'it contains "/", which would make it several directories';
  if (s.includes('\0')) return 'it contains a NUL byte, which no file name can hold';
  const max = componentMaxBytes(prefix);
  const n = Buffer.byteLength(s);
  if (n > max) return `it is ${n} bytes long, but ${prefix ? `${prefix}<name>` : 'a file name'} can have at most ${NAME_MAX} bytes, so at most ${max} are left for it`;
  return null;
}

/** Numbers beyond ±(2^53 − 1) lose digits in JavaScript: refuse rather than round. */
function safeInt(n: number, raw: string): number {
  if (!Number.isSafeInteger(n)) {
    throw new ValueError(`is out of range: ${shown(raw.trim())} lies outside ±${Number.MAX_SAFE_INTEGER} (2^53 − 1), the whole numbers scr can hold exactly; give a value within that range`);
  }
  return n;
}

function safeBytes(n: number, raw: string): number {
  if (!Number.isSafeInteger(n)) {
    throw new ValueError(`is out of range: ${shown(raw.trim())} is more than ${Number.MAX_SAFE_INTEGER} bytes (2^53 − 1, about 8 PiB), the most scr can count exactly; give a smaller size`);
  }
  return n;
}

function range(n: number, rule: ValueRule): number {
  if (rule.min !== undefined && n < rule.min) throw new ValueError(`must be at least ${rule.min}, got ${n}`);
  if (rule.max !== undefined && n > rule.max) throw new ValueError(`must be at most ${rule.max}, got ${n}`);
  return n;
}

/** Parses `raw` per `rule`; throws ValueError with a message saying what is allowed. */
export function parseValue(raw: string, rule: ValueRule, validateHostlist?: (s: string) => void): Value {
  const s = raw.trim();
  const word = rule.words?.find((w) => w === s.toLowerCase());
  if (word !== undefined) return word;
  switch (rule.type) {
    case 'bool': {
      const v = s.toLowerCase();
      if (['1', 'yes', 'true', 'on'].includes(v)) return true;
      if (['0', 'no', 'false', 'off'].includes(v)) return false;
      throw new ValueError(`must be 0 or 1 (or yes/no, true/false, on/off), got "${raw}"`);
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(s)) throw new ValueError(`must be a whole number, got "${raw}"${rule.words?.length ? `; also accepted: ${rule.words.join(', ')}` : ''}`);
      return range(safeInt(Number(s), raw), rule);
    }
    case 'float': {
      const n = Number(s);
      if (s === '' || !Number.isFinite(n)) throw new ValueError(`must be a number, got "${raw}"`);
      return range(n, rule);
    }
    case 'bytes': {
      const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(s);
      const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
      if (!m || unit === undefined) throw new ValueError(`must be a size in bytes such as 1048576, 512KB or 4MiB (units are powers of 1024), got "${raw}"`);
      return range(safeBytes(Math.round(Number(m[1]) * unit), raw), rule);
    }
    case 'enum': {
      const hit = rule.allowed!.find((a) => a.toLowerCase() === s.toLowerCase());
      if (!hit) throw new ValueError(`must be one of ${rule.allowed!.join(', ')}, got "${raw}"${didYouMean(s, rule.allowed!)}`);
      return hit;
    }
    case 'hostlist':
      validateHostlist?.(s);
      return s;
    case 'path':
      if (s === '') throw new ValueError('must be a path, got an empty value');
      return s;
    case 'string':
      return s;
    case 'component': {
      const why = pathComponentProblem(s, rule.componentPrefix);
      if (why) {
        const prefix = rule.componentPrefix ?? '';
        throw new ValueError(`must be a single directory name (a path component of <base>/<user>/scr.<jobid>/node.<name>), but ${why}: got ${shown(raw)}; ` +
          `give a name without "/" or NUL that is not "." or ".." and has at most ${componentMaxBytes(prefix)} bytes`);
      }
      return s;
    }
  }
}

/** The canonical text of a value, as written in configuration files. */
export function formatValue(v: Value): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}
