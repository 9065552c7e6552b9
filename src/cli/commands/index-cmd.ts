// scr index: list the datasets in the prefix directory's index, set its current marker, drop an
// entry, verify flushed datasets' files against the CRCs recorded in their rank maps (decided in
// src/pfs/verify-index.ts), or rebuild a dataset's missing files offline from the redundancy files a
// scavenge copied (src/pfs/build.ts). This file parses options and prints.
import cliProgress from 'cli-progress';
import { type BuildProgress, type BuildReport, buildDataset } from '../../pfs/build.js';
import { byName, indexPath, type IndexEntry, type PfsIndex, pfsDatasetDir, readIndex, updateIndex } from '../../pfs/index.js';
import { DatasetLookupError, findDataset, oldestFirst, type Progress, unfailDataset, verifyDatasets } from '../../pfs/verify-index.js';
import { humanBytes } from '../../common/bytes.js';
import { UserError } from '../errors.js';
import { table, toJson } from '../output.js';
import type { CommandSpec, Io } from '../spec.js';
import { checkPrefixScr, existingPrefix } from '../prefix.js';

const currentId = (idx: PfsIndex): number | undefined => (idx.current ? byName(idx, idx.current)?.id : undefined);
/** The index's key for dataset `id` (the library keys by String(id); look rather than assume). */
const keyOf = (idx: PfsIndex, id: number): string | undefined => Object.entries(idx.datasets).find(([, e]) => e.id === id)?.[0];

/** The entry named `name`, or a UserError (exit 1) naming it and the names the index does know. */
function find(idx: PfsIndex, name: string, prefix: string): IndexEntry {
  try {
    return findDataset(idx, name, prefix);
  } catch (e) {
    throw new UserError((e as Error).message, { exitCode: 1 });
  }
}

function list(prefix: string, json: boolean, io: Io, idx: PfsIndex): number {
  const all = oldestFirst(idx);
  const cur = currentId(idx);
  if (json) {
    io.out(toJson({
      datasets: all.map((e) => ({
        id: e.id, name: e.name, checkpoint: e.flags.checkpoint, output: e.flags.output, complete: e.complete, flushed: e.flushed,
        failed: e.failed, current: e.id === cur, bytes: e.bytes, files: e.files, created: new Date(e.created).toISOString(),
        ...(e.failure ? { failure: { ...e.failure, at: new Date(e.failure.at).toISOString() } } : {}), ...(e.superseded !== undefined ? { supersededBy: e.superseded } : {}),
      })),
    }) + '\n');
    return 0;
  }
  if (!all.length) {
    io.out(`no datasets in ${indexPath(prefix)}\n`);
    return 0;
  }
  const yn = (b: boolean) => (b ? 'yes' : 'no');
  io.out(table(all.map((e) => [String(e.id), e.name, `${e.flags.checkpoint ? 'C' : ''}${e.flags.output ? 'O' : ''}` || '-',
    yn(e.complete), e.superseded !== undefined ? 'replaced' : yn(e.flushed), yn(e.failed), e.id === cur ? '*' : '', humanBytes(e.bytes), String(e.files), new Date(e.created).toISOString()]),
  ['ID', 'NAME', 'FLAGS', 'COMPLETE', 'FLUSHED', 'FAILED', 'CURRENT', 'SIZE', 'FILES', 'CREATED']));
  for (const e of all) {
    if (e.failed) io.out(`${e.name} (id ${e.id}) failed: ${e.failure ? `${e.failure.message} (${new Date(e.failure.at).toISOString()})` : 'no reason recorded'}; \`scr index --unfail ${e.name}\` clears the mark once every CRC matches\n`);
    if (e.superseded !== undefined) io.out(`${e.name} (id ${e.id}): its files were replaced by dataset ${e.superseded}, flushed to the same paths\n`);
  }
  return 0;
}

async function setCurrent(prefix: string, name: string, io: Io): Promise<number> {
  find(await readIndex(prefix), name, prefix); // no index: fail before the update would create one
  await updateIndex(prefix, (idx) => {
    const e = find(idx, name, prefix);
    const wrong = [!e.flags.checkpoint && 'it is not a checkpoint (output only)', !e.complete && 'it is not complete',
      !e.flushed && 'it is not flushed to the file system', e.failed && 'it is marked failed'].filter(Boolean);
    if (wrong.length) throw new UserError(`cannot make "${name}" (id ${e.id}) current: ${wrong.join(', ')}`, {
      exitCode: 1, hint: 'only a complete, flushed, not failed checkpoint can be restarted from; see scr index',
    });
    idx.current = name;
  });
  io.out(`current dataset is now "${name}": the next restart starts from it\n`);
  return 0;
}

async function drop(prefix: string, name: string, io: Io): Promise<number> {
  find(await readIndex(prefix), name, prefix);
  let dropped!: IndexEntry;
  let clearedCurrent = false;
  await updateIndex(prefix, (idx) => {
    dropped = find(idx, name, prefix);
    delete idx.datasets[keyOf(idx, dropped.id)!];
    if (idx.current === name) { idx.current = null; clearedCurrent = true; }
  });
  io.out(`dropped "${name}" (id ${dropped.id}) from the index; its files stay on the file system (under ${prefix} and ${pfsDatasetDir(prefix, dropped.id)})\n`);
  if (clearedCurrent) io.out('it was the current dataset: the index has no current marker now (restarts take the newest good checkpoint)\n');
  return 0;
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A progress bar over `total` files on a terminal. */
function fileBar(io: Io, total: number, what: string): cliProgress.SingleBar | undefined {
  return io.isTTY && total > 0
    ? new cliProgress.SingleBar({ stream: process.stdout, format: `${what} [{bar}] {value}/{total} files | {eta_formatted} left`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : undefined;
}

/** Runs a domain step, turning a lookup error (unknown dataset, nothing flushed) into exit 1. */
async function looked<T>(p: Promise<T>, hint?: string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof DatasetLookupError) throw new UserError(e.message, { exitCode: 1, ...(hint ? { hint } : {}) });
    throw e;
  }
}

/** Progress on a terminal: a bar over the files. */
function barProgress(io: Io): Progress & { stop(): void } {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start: (n) => { bar = fileBar(io, n, 'verifying'); bar?.start(n, 0); },
    tick: () => bar?.increment(),
    stop: () => bar?.stop(),
  };
}

async function verify(prefix: string, name: string | undefined, io: Io): Promise<number> {
  const progress = barProgress(io);
  let checks;
  try { checks = await looked(verifyDatasets(prefix, name, progress)); } finally { progress.stop(); }
  if (!checks.length) {
    io.out(`no flushed datasets to verify in ${indexPath(prefix)}\n`);
    return 0;
  }
  let damaged = 0;
  for (const c of checks) {
    const label = `"${c.entry.name}" (id ${c.entry.id})`;
    for (const l of c.problems) io.out(`${label}: ${l}\n`);
    const note = c.result.sizeOnly ? `; ${count(c.result.sizeOnly, 'file')} had no recorded CRC and ${c.result.sizeOnly === 1 ? 'was' : 'were'} checked for size only` : '';
    const ranks = new Set(c.plan.files.map((j) => j.rank)).size;
    if (!c.problems.length) {
      io.out(`${label}: ok: ${count(c.plan.files.length, 'file')} of ${count(ranks, 'rank')} match${note}\n`);
      continue;
    }
    damaged++;
    const bad = c.plan.mapProblem ? 'cannot be verified' : `${c.problems.length} of ${count(c.plan.files.length, 'file')} damaged`;
    io.out(`${label}: ${bad}${note}; ${c.marked ? 'marked failed in the index: restarts will skip it' : 'no longer in the index, so not marked'}` +
      `${c.wasCurrent ? ' (it was current: the index has no current marker now)' : ''}\n`);
  }
  return damaged ? 1 : 0;
}

/** --unfail: clears a failed mark once every file of the dataset matches its recorded CRC. */
async function unfail(prefix: string, name: string, io: Io): Promise<number> {
  const progress = barProgress(io);
  let r;
  try { r = await looked(unfailDataset(prefix, name, progress)); } finally { progress.stop(); }
  const label = `"${r.entry.name}" (id ${r.entry.id})`;
  if (r.state === 'not-failed') {
    io.out(`${label} is not marked failed: nothing to do\n`);
    return 0;
  }
  if (r.state === 'damaged') {
    throw new UserError(`${label} stays marked failed: ${r.problems.join('; ')}`, { exitCode: 1, hint: 'repair or restore those files (or rebuild them with scr index --build), then run --unfail again' });
  }
  const e = r.entry;
  const note = r.result.sizeOnly ? ` (${count(r.result.sizeOnly, 'file')} without a recorded CRC checked for size only)` : '';
  io.out(`${label}: every file of ${count(new Set(r.plan.files.map((f) => f.rank)).size, 'rank')} matches its CRC${note}; the failed mark ` +
    `(${e.failure ? `${e.failure.message}, ${new Date(e.failure.at).toISOString()}` : 'no reason recorded'}) is cleared: restarts may use it again\n`);
  return 0;
}

/** --build takes a dataset id, or a name the index knows. */
async function buildTarget(prefix: string, which: string): Promise<number> {
  if (/^\d+$/.test(which)) return Number(which);
  return find(await readIndex(prefix), which, prefix).id;
}

async function build(prefix: string, which: string, io: Io): Promise<number> {
  const id = await buildTarget(prefix, which);
  let bar: cliProgress.SingleBar | undefined;
  let phase: BuildProgress['phase'] | undefined;
  const onProgress = (p: BuildProgress) => {
    if (p.phase !== phase) {
      bar?.stop();
      phase = p.phase;
      bar = p.total > 0
        ? new cliProgress.SingleBar({ stream: process.stdout, format: `${p.phase === 'check' ? 'checking' : 'rebuilding'} [{bar}] {percentage}% | {eta_formatted} left`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
        : undefined;
      bar?.start(p.total, p.done);
    } else bar?.update(p.done);
  };
  let report: BuildReport;
  try {
    report = await buildDataset(prefix, id, io.isTTY ? { onProgress } : {});
  } finally {
    bar?.stop();
  }
  const label = `"${report.entry.name}" (id ${id})`;
  for (const r of report.rebuilt) {
    const set = report.sets.find((s) => s.members.includes(r.rank))!;
    io.out(`${label}: rebuilt rank ${r.rank} from its ${set.scheme} set (ranks ${set.members.join(',')}): ${count(r.files.length, 'file')}, ${humanBytes(r.bytes)}\n`);
    for (const f of r.files) io.out(`  ${f}\n`);
  }
  const note = report.unchecked ? `; ${count(report.unchecked, 'file')} had no recorded CRC and ${report.unchecked === 1 ? 'was' : 'were'} checked for size only` : '';
  io.out(report.rebuilt.length
    ? `${label}: rebuilt ${count(report.rebuilt.length, 'rank')} of ${report.ranks} in ${report.seconds.toFixed(2)} s${note}; the index marks it complete and flushed\n`
    : `${label}: nothing to rebuild: the files of all ${count(report.ranks, 'rank')} are intact${note}; the index marks it complete and flushed\n`);
  if (report.entry.failed) io.out(`${label}: note: the index still marks it failed, so restarts skip it\n`);
  return 0;
}

export const indexCommand: CommandSpec = {
  name: 'index',
  summary: 'list the datasets on the file system; set the current one, drop one, verify CRCs, rebuild missing files',
  description: 'Reads <prefix>/.scr/index.scr. The table lists datasets oldest first: FLAGS C (checkpoint) and O (output),\n' +
    'CURRENT * on the one restarts start from. --current, --drop and --verify edit the index under its lock, so they\n' +
    'are safe while a job runs. --drop only forgets the dataset: its files stay on the file system. --verify marks a\n' +
    'damaged dataset failed so restarts skip it. --build rebuilds a dataset\'s missing or damaged files offline (no MPI)\n' +
    'from the redundancy files a scavenge copied to <prefix>/.scr/scr.dataset.<id>/ (red.<rank>.scr, red.<rank>.dat),\n' +
    'checks them against their CRCs, and marks the dataset complete and flushed; if any set lost more than it can\n' +
    'restore, it changes nothing. A dataset marked failed (by a fetch that found it damaged, --verify, or the\n' +
    'application\'s completeRestart(false)) is listed with why; --unfail clears the mark after checking every CRC.',
  examples: [
    ['scr index', 'the datasets in $SCR_PREFIX (else the current directory), oldest first'],
    ['scr index --prefix /p/lustre/me/run1 --json', '{"datasets": [{"id", "name", "checkpoint", "output", "complete", "flushed", "failed", "current", "bytes", "files", "created"}]}'],
    ['scr index --current ckpt.40', 'restart from ckpt.40 next time (a complete, flushed, not failed checkpoint)'],
    ['scr index --drop ckpt.41', 'forget ckpt.41 (its files stay)'],
    ['scr index --verify', 'recompute the CRC of every file of every flushed dataset'],
    ['scr index --verify ckpt.40', 'only that one'],
    ['scr index --build 40', 'rebuild the missing files of dataset 40 from its scavenged redundancy files'],
    ['scr index --build ckpt.40', 'the same, by name'],
    ['scr_index --list /p/lustre/me/run1', 'SCR\'s spellings: --list (-l), the prefix as an argument'],
    ['scr_index --add 40', 'SCR\'s name for --build 40'],
    ['scr_index --remove ckpt.41', 'SCR\'s name for --drop ckpt.41'],
    ['scr index --unfail ckpt.40', 'ckpt.40 was marked failed (the listing says why): check every CRC and clear the mark'],
  ],
  exitCodes: [
    [0, 'done; --verify: every file matched; --build: every missing file was rebuilt (or none was missing); --unfail: every file matched and the mark is cleared'],
    [1, 'a problem the message names: a missing prefix directory, a prefix .scr that is a symlink or another user\'s, an unknown dataset, one that cannot be current, --verify found damage (the dataset is then marked failed), an unreadable index, --build cannot rebuild (the set and ranks are named; nothing changed), --unfail found damage (the mark stays)'],
    [2, 'usage: a bad option, or more than one of --current, --drop (--remove), --verify, --build (--add) and --unfail'],
  ],
  configure(cmd) {
    cmd.argument('[prefix]', 'prefix directory, as SCR\'s scr_index takes it (the same as --prefix)')
      .option('-p, --prefix <dir>', 'prefix directory (default: SCR_PREFIX, else the current directory)')
      .option('-l, --list', 'list the datasets (what it does without an action; SCR\'s spelling)')
      .option('--json', 'print the datasets as JSON')
      .option('--current <name>', 'make this dataset the one restarts start from')
      .option('--drop <name>', 'remove this dataset from the index (its files stay)')
      .option('--verify [name]', 'check sizes and CRCs of the files of this dataset, or of every flushed one')
      .option('--build <id>', 'rebuild the missing files of this dataset (an id or a name) from its scavenged redundancy files')
      .option('--unfail <name>', 'clear the failed mark of this dataset once every file matches its recorded CRC')
      .option('-a, --add <id>', 'SCR\'s name for --build: check a scavenged dataset, rebuild what is missing, and add it to the index')
      .option('-r, --remove <name>', 'SCR\'s name for --drop: remove the dataset from the index (its files stay)');
  },
  async run(args, opts, io) {
    if (args[0] !== undefined) {
      if (opts.prefix !== undefined && opts.prefix !== args[0]) throw new UserError(`two prefixes: ${args[0]} and --prefix ${String(opts.prefix)}; give one`, { exitCode: 2 });
      opts = { ...opts, prefix: args[0] };
    }
    for (const [scr, ours] of [['add', 'build'], ['remove', 'drop']] as const) {
      if (opts[scr] === undefined) continue;
      if (opts[ours] !== undefined) throw new UserError(`--${scr} is another name for --${ours}: give one of them`, { exitCode: 2 });
      opts = { ...opts, [ours]: opts[scr] };
    }
    if (opts.list && [opts.current, opts.drop, opts.verify, opts.build, opts.unfail].some((v) => v !== undefined)) {
      throw new UserError('--list goes alone (or with --json), not with an action', { exitCode: 2 });
    }
    const actions = [opts.current, opts.drop, opts.verify, opts.build, opts.unfail].filter((v) => v !== undefined);
    if (actions.length > 1) throw new UserError('choose one of --current, --drop, --verify, --build and --unfail: one action at a time', { exitCode: 2 });
    if (actions.length && opts.json) throw new UserError('--json goes with the listing, not with --current, --drop, --verify, --build or --unfail', { exitCode: 2 });
    const prefix = existingPrefix(opts, io, 1);
    // Every action reads the index first, so a missing .scr is not created here.
    await checkPrefixScr(prefix, 1);
    if (opts.current !== undefined) return setCurrent(prefix, opts.current as string, io);
    if (opts.drop !== undefined) return drop(prefix, opts.drop as string, io);
    if (opts.build !== undefined) return build(prefix, opts.build as string, io);
    if (opts.unfail !== undefined) return unfail(prefix, opts.unfail as string, io);
    if (opts.verify !== undefined) return verify(prefix, opts.verify === true ? undefined : (opts.verify as string), io);
    return list(prefix, Boolean(opts.json), io, await readIndex(prefix));
  },
};
