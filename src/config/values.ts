// Parsing of parameter values by type. Returns the typed value or throws a message string.
import type { ParamType } from './schema.js';

export type Value = boolean | number | string;

export interface ValueRule {
  type: ParamType;
  allowed?: readonly string[];
  min?: number;
  max?: number;
}

const UNITS: Record<string, number> = { '': 1, B: 1, K: 2 ** 10, KB: 2 ** 10, KIB: 2 ** 10, M: 2 ** 20, MB: 2 ** 20, MIB: 2 ** 20,
  G: 2 ** 30, GB: 2 ** 30, GIB: 2 ** 30, T: 2 ** 40, TB: 2 ** 40, TIB: 2 ** 40 };

export class ValueError extends Error {}

function range(n: number, rule: ValueRule): number {
  if (rule.min !== undefined && n < rule.min) throw new ValueError(`must be at least ${rule.min}, got ${n}`);
  if (rule.max !== undefined && n > rule.max) throw new ValueError(`must be at most ${rule.max}, got ${n}`);
  return n;
}

/** Parses `raw` per `rule`; throws ValueError with a message saying what is allowed. */
export function parseValue(raw: string, rule: ValueRule, validateHostlist?: (s: string) => void): Value {
  const s = raw.trim();
  switch (rule.type) {
    case 'bool': {
      const v = s.toLowerCase();
      if (['1', 'yes', 'true', 'on'].includes(v)) return true;
      if (['0', 'no', 'false', 'off'].includes(v)) return false;
      throw new ValueError(`must be 0 or 1 (or yes/no, true/false, on/off), got "${raw}"`);
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(s)) throw new ValueError(`must be a whole number, got "${raw}"`);
      return range(Number(s), rule);
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
      return range(Math.round(Number(m[1]) * unit), rule);
    }
    case 'enum': {
      const hit = rule.allowed!.find((a) => a.toLowerCase() === s.toLowerCase());
      if (!hit) throw new ValueError(`must be one of ${rule.allowed!.join(', ')}, got "${raw}"`);
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
  }
}

/** The canonical text of a value, as written in configuration files. */
export function formatValue(v: Value): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}
