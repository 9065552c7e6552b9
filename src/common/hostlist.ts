/**
 * Slurm-style host lists: `node[1-4,7],gpu[01-02],login` <-> the host names it stands for.
 *
 * Grammar (whitespace = any JavaScript `\s` character):
 *
 *   list    := sep* [ hostexp ( sep+ hostexp )* ] sep*
 *   sep     := ',' | whitespace                     -- only outside brackets
 *   hostexp := ( text | '[' ranges ']' )+
 *   text    := one or more characters other than '[', ']', ',' and whitespace
 *   ranges  := range ( ',' range )*                  -- no whitespace inside brackets
 *   range   := digits [ '-' digits ]                 -- first <= second
 *   digits  := [0-9]+
 *
 * Meaning:
 * - A hostexp stands for every concatenation of its pieces; a bracket group contributes each of its
 *   numbers in the order written. With several groups the leftmost varies slowest:
 *   `rack[1-2]-n[1-2]` -> rack1-n1 rack1-n2 rack2-n1 rack2-n2.
 * - Every number of a range is zero-padded to the width of its lower bound as written:
 *   `n[008-010]` -> n008 n009 n010, `n[8-10]` -> n8 n9 n10, `n[08-100]` -> n08 … n99 n100.
 * - Hosts come out in the order written, duplicates included.
 * - Errors (HostlistError, code 'ERR_HOSTLIST'): unbalanced or nested brackets, empty brackets or an
 *   empty entry in them, non-numeric or malformed ranges, descending ranges, and anything that would
 *   expand to more than HOSTLIST_MAX_HOSTS (1,000,000) hosts — one range, one hostexp or the list.
 *
 * compressHostlist is the inverse. Each host is split around its LAST run of digits into
 * prefix, number and suffix (`rack1-node07-ib` -> `rack1-node`, `07`, `-ib`). Hosts with the same
 * prefix, suffix and padding style form a group written `prefix[ranges]suffix`:
 * - a number with a leading zero (`07`) is padded to its width; such hosts group only with hosts
 *   whose number has that same width (`n09,n10` -> `n[09-10]`);
 * - other numbers (`7`, `10`) are natural; they join a padded group of their own width when one
 *   exists in the input (so `n01,n02,n10` -> `n[01-02,10]`), else the natural group
 *   (`n1,n2,n10` -> `n[1-2,10]`).
 * Groups keep the order of their first host; numbers are sorted numerically inside a group and
 * consecutive ones become ranges. Duplicates are kept (`n1,n1,n2` -> `n[1,1-2]`). A group of one
 * host and a host without digits are written as they are (`n1`, `login`).
 *
 * Guarantees, for every array `h` of valid host names (non-empty, without '[', ']', ',', whitespace):
 * - expandHostlist(compressHostlist(h)) is a permutation of h (nothing lost, nothing added);
 * - it equals h when h is already in compress order (groups in first-appearance order and
 *   contiguous, numbers ascending within each group); hence expand∘compress is idempotent;
 * - each `prefix[…]suffix` group is at most 2 characters (its brackets) longer than its hosts
 *   comma-joined, and never longer when prefix + suffix has 2 or more characters.
 * compressHostlist(expandHostlist(x)) therefore may reorder x, but never loses a host.
 */

/** Largest number of hosts a list may expand to. */
export const HOSTLIST_MAX_HOSTS = 1_000_000;

export class HostlistError extends Error {
  readonly code = 'ERR_HOSTLIST';
  constructor(message: string) {
    super(`hostlist: ${message}`);
    this.name = 'HostlistError';
  }
}

interface Range { lo: bigint; hi: bigint; width: number }
/** A hostexp piece: literal text, or a bracket group's ranges. */
type Piece = string | Range[];

const LIMIT = BigInt(HOSTLIST_MAX_HOSTS);
const LIMIT_TEXT = HOSTLIST_MAX_HOSTS.toLocaleString('en-US');

// ---------------------------------------------------------------- expand

/** Expands a host list into host names, in the order written, duplicates kept. */
export function expandHostlist(list: string): string[] {
  return parseList(list).flatMap(expandPieces);
}

/** The number of hosts expandHostlist(list) would return, without building them (same errors). */
export function hostlistCount(list: string): number {
  return Number(parseList(list).reduce((sum, pieces) => sum + countPieces(pieces), 0n));
}

function parseList(list: string): Piece[][] {
  const texts = splitList(list);
  const exprs = texts.map(parseExpr);
  let total = 0n;
  exprs.forEach((pieces, i) => {
    const n = countPieces(pieces);
    if (n > LIMIT) throw new HostlistError(`"${texts[i]}" expands to ${n} hosts, more than the limit of ${LIMIT_TEXT}`);
    total += n;
  });
  if (total > LIMIT) throw new HostlistError(`the list expands to ${total} hosts, more than the limit of ${LIMIT_TEXT}`);
  return exprs;
}

/** Splits at separators outside brackets. Bracket errors are reported later, per hostexp. */
function splitList(list: string): string[] {
  const exprs: string[] = [];
  let current = '';
  let inBracket = false;
  for (const c of list) {
    if (!inBracket && (c === ',' || /\s/.test(c))) {
      if (current) exprs.push(current);
      current = '';
      continue;
    }
    if (c === '[') inBracket = true;
    else if (c === ']') inBracket = false;
    current += c;
  }
  if (current) exprs.push(current);
  return exprs;
}

function parseExpr(expr: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  while (i < expr.length) {
    const open = expr.indexOf('[', i);
    const text = expr.slice(i, open < 0 ? undefined : open);
    if (text.includes(']')) throw new HostlistError(`unbalanced brackets in "${expr}": a "]" has no matching "["`);
    if (text) pieces.push(text);
    if (open < 0) break;
    const close = expr.indexOf(']', open);
    if (close < 0) throw new HostlistError(`unbalanced brackets in "${expr}": a "[" is never closed`);
    const inner = expr.slice(open + 1, close);
    if (inner.includes('[')) throw new HostlistError(`unbalanced brackets in "${expr}": a "[" opens inside another bracket group (they cannot nest)`);
    if (inner === '') throw new HostlistError(`empty brackets "[]" in "${expr}": expected numbers or ranges such as [1-4,7]`);
    pieces.push(inner.split(',').map((part) => parseRange(part, expr)));
    i = close + 1;
  }
  return pieces;
}

function parseRange(part: string, expr: string): Range {
  if (part === '') throw new HostlistError(`empty entry in the brackets of "${expr}": remove the extra ","`);
  const m = /^(\d+)(?:-(\d+))?$/.exec(part);
  if (!m) {
    const what = /[^0-9-]/.test(part) ? 'non-numeric' : 'malformed';
    throw new HostlistError(`${what} range "${part}" in "${expr}": expected a number (7) or two numbers joined by "-" (1-4)`);
  }
  const lo = BigInt(m[1]);
  const hi = m[2] === undefined ? lo : BigInt(m[2]);
  if (lo > hi) throw new HostlistError(`descending range "${part}" in "${expr}": ${m[1]} is greater than ${m[2]}; write ${m[2]}-${m[1]}`);
  const count = hi - lo + 1n;
  if (count > LIMIT) throw new HostlistError(`range "${part}" in "${expr}" covers ${count} hosts, more than the limit of ${LIMIT_TEXT}`);
  return { lo, hi, width: m[1].length };
}

function countPieces(pieces: Piece[]): bigint {
  let n = 1n;
  for (const p of pieces) if (typeof p !== 'string') n *= p.reduce((s, r) => s + r.hi - r.lo + 1n, 0n);
  return n;
}

function expandPieces(pieces: Piece[]): string[] {
  let names = [''];
  for (const p of pieces) {
    if (typeof p === 'string') {
      names = names.map((name) => name + p);
    } else {
      const numbers = p.flatMap(rangeNumbers);
      names = names.flatMap((name) => numbers.map((num) => name + num));
    }
  }
  return names;
}

function rangeNumbers({ lo, hi, width }: Range): string[] {
  const out: string[] = [];
  for (let n = lo; n <= hi; n++) out.push(n.toString().padStart(width, '0'));
  return out;
}

// ---------------------------------------------------------------- compress

interface Group { prefix: string; suffix: string; digits: string[] }

/** Writes hosts as a host list; see the top comment for grouping, order and guarantees. */
export function compressHostlist(hosts: readonly string[]): string {
  const split = hosts.map(splitHost);
  const key = (prefix: string, suffix: string, width: number) => JSON.stringify([prefix, suffix, width]);
  // Padded groups that exist; width 0 stands for the natural (unpadded) group.
  const padded = new Set(split.flatMap((s) => (s && isPadded(s.digits) ? [key(s.prefix, s.suffix, s.digits.length)] : [])));

  const items: (string | Group)[] = [];
  const groups = new Map<string, Group>();
  split.forEach((s, i) => {
    if (!s) {
      items.push(hosts[i]); // no digits: written as it is
      return;
    }
    const exact = key(s.prefix, s.suffix, s.digits.length);
    const k = padded.has(exact) ? exact : key(s.prefix, s.suffix, 0);
    let group = groups.get(k);
    if (!group) {
      group = { prefix: s.prefix, suffix: s.suffix, digits: [] };
      groups.set(k, group);
      items.push(group);
    }
    group.digits.push(s.digits);
  });
  return items.map((item) => (typeof item === 'string' ? item : formatGroup(item))).join(',');
}

const isPadded = (digits: string): boolean => digits.length > 1 && digits[0] === '0';

/** Splits a host around its last run of digits; null when it has none. Rejects unusable names. */
function splitHost(host: string): { prefix: string; digits: string; suffix: string } | null {
  if (host === '') throw new HostlistError('empty host name');
  const bad = /[[\],\s]/.exec(host);
  if (bad) throw new HostlistError(`host name "${host}" contains ${JSON.stringify(bad[0])}, which cannot appear in a host list`);
  const m = /^(.*?)(\d+)(\D*)$/.exec(host);
  return m ? { prefix: m[1], digits: m[2], suffix: m[3] } : null;
}

function formatGroup({ prefix, suffix, digits }: Group): string {
  if (digits.length === 1) return prefix + digits[0] + suffix;
  // Within a group numbers are all of one width or all without leading zeros,
  // so (length, text) order is numeric order.
  const sorted = [...digits].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && BigInt(sorted[j + 1]) === BigInt(sorted[j]) + 1n) j++;
    parts.push(i === j ? sorted[i] : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return `${prefix}[${parts.join(',')}]${suffix}`;
}
