// scr halt: set, unset and list the halt conditions of <prefix>/.scr/halt.scr, which a running job
// reads at its next needCheckpoint/shouldExit, and ask it to checkpoint now. Every edit is one
// read-modify-write under the halt file's lock (updateHalt), so concurrent `scr halt`s, the job and
// the run wrapper never lose one another's changes.
import { ScrConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/resolve.js';
import { haltFilePath, type HaltContext, haltReason, type HaltRecord, readHalt, runShouldStop, updateHalt } from '../../halt/index.js';
import { UserError } from '../errors.js';
import { table, toJson } from '../output.js';
import type { CommandSpec, Io } from '../spec.js';
import { usablePrefix } from '../prefix.js';

const TIME_FORMS = 'ISO-8601 (2026-11-22, 2026-11-22T01:30, 2026-11-22T01:30:00Z, 2026-11-22T01:30+01:00), ' +
  'epoch seconds with a leading @ (@1795000000), or a clock time HH:MM or HH:MM:SS (the next such time, today or tomorrow)';

/**
 * A time given on the command line, as epoch seconds (whole seconds, rounded down):
 *  - `@<seconds>`: epoch seconds;
 *  - `HH:MM` or `HH:MM:SS`: the next such local time after `now`, today or tomorrow;
 *  - ISO-8601 `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]][Z|±HH[:]MM]]`: without a zone, local time; a date
 *    alone is its local midnight.
 * Anything else throws a UserError (exit 2) naming `what` and the accepted forms.
 */
export function parseTime(text: string, what: string, now: Date = new Date()): number {
  const s = text.trim();
  const bad = (why?: string): UserError =>
    new UserError(`${what}: ${JSON.stringify(text)} ${why ?? 'is not a time I can read'}`, { exitCode: 2, hint: `give ${TIME_FORMS}` });

  let m = /^@(\d+)$/.exec(s);
  if (m) {
    const t = Number(m[1]);
    if (!Number.isSafeInteger(t)) throw bad('is too large');
    return t;
  }

  m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (m) {
    const [h, mi, sec] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    if (h > 23 || mi > 59 || sec > 59) throw bad('is not a clock time (00:00 to 23:59:59)');
    let at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), h, mi, sec);
    if (at.getTime() <= now.getTime()) at = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, h, mi, sec);
    return Math.floor(at.getTime() / 1000);
  }

  m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i.exec(s);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const [h, mi, sec] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
    const zone = m[7];
    const days = new Date(Date.UTC(2000, mo, 0)).getUTCDate(); // days in month mo of a leap year
    if (mo < 1 || mo > 12 || d < 1 || d > days || (mo === 2 && d === 29 && !isLeap(y))) throw bad('is not a valid date');
    if (h > 23 || mi > 59 || sec > 59) throw bad('is not a valid time of day');
    let ms: number;
    if (zone) {
      const utc = new Date(0);
      utc.setUTCFullYear(y, mo - 1, d);
      utc.setUTCHours(h, mi, sec, 0);
      let offset = 0;
      if (zone.toUpperCase() !== 'Z') {
        const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
        const [oh, om] = [Number(z[2]), Number(z[3] ?? 0)];
        if (oh > 23 || om > 59) throw bad('has an invalid UTC offset');
        offset = (z[1] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
      }
      ms = utc.getTime() - offset;
    } else {
      const local = new Date(2000, 0, 1, 0, 0, 0, 0);
      local.setFullYear(y, mo - 1, d);
      local.setHours(h, mi, sec, 0);
      if (local.getFullYear() !== y || local.getMonth() !== mo - 1 || local.getDate() !== d || local.getHours() !== h || local.getMinutes() !== mi) {
        throw bad('does not exist in local time (a daylight-saving change?); add a UTC offset such as Z or +01:00');
      }
      ms = local.getTime();
    }
    if (Number.isNaN(ms)) throw bad('is out of range');
    return Math.floor(ms / 1000);
  }
  throw bad();
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Epoch seconds as local ISO-8601 with its UTC offset, e.g. 2026-11-22T02:00:00+01:00. */
export function localIso(t: number): string {
  const d = new Date(Math.floor(t) * 1000);
  if (Number.isNaN(d.getTime())) return String(t);
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${p(Math.trunc(off / 60))}:${p(off % 60)}`;
  return `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}

/** "in 2 h 5 min", "3 min ago", "now". */
function relative(t: number, now: number): string {
  const delta = Math.round(t - now);
  if (delta === 0) return 'now';
  let a = Math.abs(delta);
  const parts: string[] = [];
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]] as const) {
    if (a >= n && parts.length < 2) { parts.push(`${Math.floor(a / n)} ${unit}`); a %= n; }
    else if (parts.length) break;
  }
  return delta > 0 ? `in ${parts.join(' ')}` : `${parts.join(' ')} ago`;
}

const at = (t: number, now: number) => `${localIso(t)} (${relative(t, now)})`;

/** The keys --unset takes, and the record field each names. */
const UNSET_KEYS: Readonly<Record<string, keyof HaltRecord>> = {
  checkpoints: 'checkpointsLeft', before: 'exitBefore', after: 'exitAfter', seconds: 'seconds', reason: 'reason',
};

/** The record's fields in the order the listing shows them, with a label and how to show a value. */
const FIELDS: ReadonlyArray<readonly [keyof HaltRecord, string, (v: unknown, now: number) => string]> = [
  ['checkpointsLeft', 'checkpoints left', (v) => String(v)],
  ['exitBefore', 'exit before', (v, now) => at(v as number, now)],
  ['exitAfter', 'exit after', (v, now) => at(v as number, now)],
  ['seconds', 'seconds', (v) => `${v as number} s`],
  ['reason', 'reason', (v) => JSON.stringify(v)],
  ['finalized', 'finalized', (v) => (v ? 'yes' : 'no')],
  ['finalizedJob', 'finalized by job', (v) => String(v)],
  ['checkpointNow', 'checkpoint-now requests', (v) => String(v)],
  ['immediate', 'end the running step now', (v) => (v ? 'yes' : 'no')],
];
const KNOWN = new Set<string>(FIELDS.map(([k]) => k));

function showUnknown(v: unknown): string {
  try {
    return toJson(v, 0);
  } catch {
    return String(v);
  }
}

/** One line per field that differs between `old` and `now`. */
function changes(old: HaltRecord, next: HaltRecord, now: number): string[] {
  const out: string[] = [];
  const o = old as Record<string, unknown>;
  const n = next as Record<string, unknown>;
  for (const [key, label, show] of FIELDS) {
    const [a, b] = [o[key], n[key]];
    if (a === b) continue;
    if (key === 'checkpointNow') {
      out.push(`requested a checkpoint: the job checkpoints at its next needCheckpoint (request ${String(b)})`);
    } else if (key === 'finalized') {
      out.push(b ? 'set the finalized marker' : 'removed the finalized marker (the run wrapper may relaunch the job)');
    } else if (a === undefined) {
      out.push(`set ${label}: ${show(b, now)}`);
    } else if (b === undefined) {
      out.push(`removed ${label} (was ${show(a, now)})`);
    } else {
      out.push(`changed ${label}: ${show(b, now)} (was ${show(a, now)})`);
    }
  }
  for (const key of new Set([...Object.keys(o), ...Object.keys(n)])) {
    if (KNOWN.has(key) || o[key] === n[key]) continue;
    out.push(n[key] === undefined ? `removed key ${key} (was ${showUnknown(o[key])})` : `changed key ${key}: ${showUnknown(n[key])}`);
  }
  return out;
}

/** The halt context of the configuration: SCR_END_TIME and SCR_HALT_SECONDS. `problem` is set
 * when the configuration has errors (then neither is used). */
function context(prefix: string, io: Io): { ctx: HaltContext; problem?: string } {
  const now = Date.now() / 1000;
  try {
    const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix });
    return { ctx: { now, endTime: cfg.optInt('SCR_END_TIME'), haltSeconds: cfg.int('SCR_HALT_SECONDS') } };
  } catch (e) {
    if (!(e instanceof ScrConfigError)) throw e;
    return { ctx: { now, endTime: null, haltSeconds: 0 }, problem: e.problems.length === 1 ? e.message : `${e.problems.length} problems` };
  }
}

function list(path: string, halt: HaltRecord, io: Io, ctx: HaltContext): void {
  const h = halt as Record<string, unknown>;
  const rows = FIELDS.map(([key, label, show]) => [label, h[key] === undefined ? '-' : show(h[key], ctx.now)]);
  const notes: Record<string, string> = {
    checkpointsLeft: 'halt when it reaches 0; each checkpoint takes one off',
    exitBefore: 'halt when it is less than "seconds" away',
    exitAfter: 'halt once it has passed',
    seconds: 'halt when fewer remain before the allocation ends or "exit before"; overrides SCR_HALT_SECONDS',
    reason: 'any reason halts at once',
    finalized: 'the job ended on purpose: the run wrapper does not relaunch it (a later job id clears it)',
  };
  FIELDS.forEach(([key], i) => { if (h[key] !== undefined && notes[key]) rows[i]!.push(notes[key]!); });
  for (const key of Object.keys(h)) if (!KNOWN.has(key)) rows.push([key, showUnknown(h[key])]);
  const keys = Object.keys(h).filter((k) => k !== 'checkpointNow');
  io.out(`halt file ${path}${keys.length ? '' : ' (no halt conditions set)'}:\n`);
  io.out(table(rows).split('\n').map((l) => (l ? `  ${l}` : l)).join('\n'));
  const job = haltReason(halt, ctx);
  const run = runShouldStop(halt, ctx);
  io.out(`job (needCheckpoint, shouldExit): ${job === null ? 'go on: no halt condition holds' : `halt: ${job}`}\n`);
  io.out(`run wrapper, scr should-exit:    ${run === null ? 'go on: no halt condition holds' : `stop: ${run}`}\n`);
  io.out(`(evaluated at ${localIso(ctx.now)} with SCR_END_TIME=${ctx.endTime ?? 'unset'}, SCR_HALT_SECONDS=${ctx.haltSeconds})\n`);
}

function count(v: unknown, option: string): number {
  const s = String(v).trim();
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw new UserError(`${option}: ${JSON.stringify(String(v))} is not a whole number of 0 or more`, { exitCode: 2 });
  }
  return Number(s);
}

export const haltCommand: CommandSpec = {
  name: 'halt',
  summary: 'set, unset or list the halt conditions of a running job; ask it to checkpoint now',
  description: 'Edits <prefix>/.scr/halt.scr under its lock, so it is safe while the job runs; the job reads it at its next\n' +
    'needCheckpoint/shouldExit (and halts once a condition holds), the run wrapper before each relaunch. A bare\n' +
    '`scr halt` sets the reason "scr halt": the job halts at its next check. Options combine: --remove first, then\n' +
    '--unset, then the values given; --list (or --json) then shows the result. Each change is printed.\n' +
    'TIME is ISO-8601 (2026-11-22T01:30, …Z or …+01:00 for another zone; local time without one), epoch seconds\n' +
    'with a leading @ (@1795000000), or a clock time HH:MM[:SS]: the next such local time, today or tomorrow.\n' +
    '--immediate also asks the run wrapper (scr srun / scr run / scr sim) to end the running job step at once,\n' +
    'without waiting for a checkpoint: it sees the request within a second, then scavenges what is in cache.',
  examples: [
    ['scr halt', 'halt the job at its next check (reason "scr halt")'],
    ['scr halt --checkpoints 3', 'halt after 3 more checkpoints'],
    ['scr halt --before 06:00 --seconds 1200', 'leave 20 minutes before the next 6 a.m. (local time)'],
    ['scr halt --after 2026-11-22T01:30:00Z', 'halt once that time has passed'],
    ['scr halt --checkpoint-now', 'ask the job to checkpoint at its next needCheckpoint (no halt)'],
    ['scr halt --reason "file system maintenance" --list', 'halt with a reason, then show the conditions'],
    ['scr halt --unset before --unset reason', 'remove those two conditions'],
    ['scr halt --remove', 'remove every condition (the checkpoint-now counter stays)'],
    ['scr halt --list --json --prefix /p/lustre/me/run1', 'the conditions and what they mean now, as JSON'],
    ['scr_halt -c 10 -b 08:30 /p/lustre/me/run1', 'SCR\'s spellings: 10 more checkpoints or before 8:30, the prefix as an argument'],
    ['scr_halt --unset-before --unset-reason', 'SCR\'s --unset-KEY spellings of --unset KEY'],
    ['scr_halt -r', 'SCR\'s -r: the same as --remove (clears a finished job\'s marker too)'],
  ],
  exitCodes: [
    [0, 'done (changes and the listing are printed)'],
    [1, 'the prefix directory does not exist, its .scr is a symlink or another user\'s, the halt file is damaged or cannot be locked (the message says which)'],
    [2, 'usage: a bad option, number or TIME, an unknown --unset key, or setting and unsetting the same key'],
  ],
  configure(cmd) {
    cmd.argument('[prefix]', 'prefix directory, as SCR\'s scr_halt takes it (the same as --prefix)')
      .option('--prefix <dir>', 'prefix directory (default: SCR_PREFIX, else the current directory)')
      .option('-c, --checkpoints <n>', 'halt after N more checkpoints (0: at once)')
      .option('-b, --before <time>', 'halt before TIME, leaving "seconds" (or SCR_HALT_SECONDS) to spare')
      .option('-a, --after <time>', 'halt once TIME has passed')
      .option('-s, --seconds <n>', 'halt when fewer than N seconds of the allocation remain (overrides SCR_HALT_SECONDS)')
      .option('--reason <text>', 'halt at the next check, giving this reason')
      .option('-i, --immediate', 'end the running job step now (the run wrapper kills it; reason "halt --immediate" unless --reason)')
      .option('--checkpoint-now', 'ask the job to checkpoint at its next needCheckpoint (not a halt)')
      .option('--unset <key>', 'remove one condition: checkpoints, before, after, seconds or reason (repeatable)',
        (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((k) => k.trim()).filter(Boolean)]);
    for (const k of Object.keys(UNSET_KEYS)) cmd.option(`--unset-${k}`, `the same as --unset ${k} (SCR's spelling)`);
    cmd.option('-r, --remove', 'remove every condition and the finalized marker (the checkpoint-now counter stays)')
      .option('-l, --list', 'show the conditions and whether the job should halt now')
      .option('--json', 'show the listing (and the changes) as JSON');
  },
  async run(args, opts, io) {
    if (args[0] !== undefined) {
      if (opts.prefix !== undefined && opts.prefix !== args[0]) throw new UserError(`two prefixes: ${args[0]} and --prefix ${String(opts.prefix)}; give one`, { exitCode: 2 });
      opts = { ...opts, prefix: args[0] };
    }
    const now = new Date();
    const set: HaltRecord = {};
    if (opts.checkpoints !== undefined) set.checkpointsLeft = count(opts.checkpoints, '--checkpoints');
    if (opts.before !== undefined) set.exitBefore = parseTime(String(opts.before), '--before', now);
    if (opts.after !== undefined) set.exitAfter = parseTime(String(opts.after), '--after', now);
    if (opts.seconds !== undefined) set.seconds = count(opts.seconds, '--seconds');
    if (opts.reason !== undefined) {
      if (!String(opts.reason).trim()) throw new UserError('--reason needs a text: an empty reason would not halt (to remove the reason, use --unset reason)', { exitCode: 2 });
      set.reason = String(opts.reason);
    } else if (opts.immediate) set.reason = 'halt --immediate';
    if (opts.immediate) set.immediate = true;
    const unset = [...(opts.unset as string[] | undefined) ?? [],
      ...Object.keys(UNSET_KEYS).filter((k) => opts[`unset${k[0]!.toUpperCase()}${k.slice(1)}`] === true)];
    for (const k of unset) {
      if (!(k in UNSET_KEYS)) throw new UserError(`--unset: unknown key "${k}"; the keys are ${Object.keys(UNSET_KEYS).join(', ')}`, { exitCode: 2 });
      if (set[UNSET_KEYS[k]!] !== undefined) {
        const by = k === 'reason' && opts.reason === undefined ? '--immediate (which sets the reason)' : `--${k}`;
        throw new UserError(`--unset ${k} and ${by} at once: choose one`, { exitCode: 2 });
      }
    }
    const edits = Object.keys(set).length > 0 || unset.length > 0 || Boolean(opts.remove) || Boolean(opts.checkpointNow);
    const listing = Boolean(opts.list) || Boolean(opts.json);
    if (!edits && !listing) set.reason = 'scr halt';

    // Editing creates <prefix>/.scr if needed; listing only reads (and creates nothing).
    const prefix = await usablePrefix(opts, io, 1, { create: edits || !listing });
    const path = haltFilePath(prefix);
    let before: HaltRecord = {};
    let halt: HaltRecord;
    if (edits || !listing) {
      halt = await updateHalt(prefix, (old) => {
        before = { ...old };
        let rec: HaltRecord = opts.remove ? (old.checkpointNow === undefined ? {} : { checkpointNow: old.checkpointNow }) : { ...old };
        for (const k of unset) delete rec[UNSET_KEYS[k]!];
        // --immediate goes with the reason: without one it would end runs that are not halting.
        if (unset.includes('reason')) delete rec.immediate;
        rec = { ...rec, ...set };
        if (opts.checkpointNow) rec.checkpointNow = (rec.checkpointNow ?? 0) + 1;
        return rec;
      });
    } else {
      halt = await readHalt(prefix);
      before = halt;
    }
    const changed = edits || !listing ? changes(before, halt, now.getTime() / 1000) : [];
    const notes = opts.immediate ? ['note: the run wrapper (scr srun / scr run / scr sim) ends the running step within a second; ' +
      'an application started without it halts at its next needCheckpoint/shouldExit'] : [];

    if (!listing) {
      io.out(changed.length ? changed.map((c) => `${c}\n`).join('') : `no change: ${path} already says so\n`);
      for (const n of notes) io.out(`${n}\n`);
      return 0;
    }
    const { ctx, problem } = context(prefix, io);
    if (problem) io.err(`scr halt: warning: the configuration has errors (${problem}; see scr config): evaluated without SCR_END_TIME and SCR_HALT_SECONDS\n`);
    if (opts.json) {
      io.out(toJson({
        file: path, halt, haltReason: haltReason(halt, ctx), runShouldStop: runShouldStop(halt, ctx),
        now: Math.floor(ctx.now), endTime: ctx.endTime, haltSeconds: ctx.haltSeconds,
        ...(edits ? { changes: changed } : {}), ...(notes.length ? { notes } : {}),
      }) + '\n');
      return 0;
    }
    if (edits) {
      io.out(changed.length ? changed.map((c) => `${c}\n`).join('') : `no change: ${path} already says so\n`);
      for (const n of notes) io.out(`${n}\n`);
      io.out('\n');
    }
    list(path, halt, io, ctx);
    return 0;
  },
};
