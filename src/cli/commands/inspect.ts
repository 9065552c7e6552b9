// scr inspect (scr_inspect): what a prefix directory holds and which checkpoints a restart can use.
// The index says what was flushed (src/pfs/index.ts), each dataset's rank map which files it has;
// the files are checked where they are (sizes; CRCs too with --verify) by the code of scr index
// --verify (src/pfs/verify.ts), without marking anything. Scavenged dataset directories that the
// index does not list are named with the command that adds them.
import { readdir } from 'node:fs/promises';
import { humanBytes } from '../../common/bytes.js';
import { prefixScrDir } from '../../cache/paths.js';
import { fetchable, indexPath, type IndexEntry, readIndex, restartCandidates } from '../../pfs/index.js';
import { planVerify, runVerify } from '../../pfs/verify.js';
import { UserError } from '../errors.js';
import { table, toJson } from '../output.js';
import { checkPrefixScr, existingPrefix } from '../prefix.js';
import type { CommandSpec } from '../spec.js';

interface Inspected {
  id: number;
  name: string;
  checkpoint: boolean;
  output: boolean;
  complete: boolean;
  flushed: boolean;
  failed: boolean;
  bytes: number;
  files: number;
  /** Files found as recorded (size, and CRC with --verify). */
  filesOk: number;
  restartable: boolean;
  /** Why it is not restartable. */
  why?: string;
  problems: string[];
}

async function inspectEntry(prefix: string, e: IndexEntry, crc: boolean): Promise<Inspected> {
  const base = { id: e.id, name: e.name, checkpoint: e.flags.checkpoint, output: e.flags.output, complete: e.complete, flushed: e.flushed, failed: e.failed, bytes: e.bytes, files: e.files };
  const index = [!e.flags.checkpoint && 'output only, not a checkpoint', !e.complete && 'not complete', !e.flushed && (e.superseded !== undefined ? `its files were replaced by dataset ${e.superseded}` : 'not flushed'),
    e.failed && `marked failed${e.failure ? ` (${e.failure.message})` : ''}`].filter((x): x is string => Boolean(x));
  if (!e.flushed && !e.complete) return { ...base, filesOk: 0, restartable: false, why: index.join(', '), problems: [] };
  const plan = await planVerify(prefix, e.id);
  if (plan.mapProblem) return { ...base, filesOk: 0, restartable: false, why: [...index, plan.mapProblem].join(', '), problems: [plan.mapProblem] };
  const res = await runVerify(crc ? plan : { ...plan, files: plan.files.map((f) => ({ ...f, crc: null })) });
  const problems = res.problems.map((p) => `rank ${p.rank}: ${p.path}: ${p.message}`);
  const files = problems.length ? [`${problems.length} of ${plan.files.length} file(s) ${crc ? 'missing or damaged' : 'missing or of the wrong size'}`] : [];
  const why = [...index, ...files];
  return { ...base, files: plan.files.length, filesOk: plan.files.length - problems.length, restartable: fetchable(e) && !problems.length, ...(why.length ? { why: why.join(', ') } : {}), problems };
}

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: 'what a prefix holds and which checkpoints a restart can use (SCR\'s scr_inspect)',
  description: 'Reads <prefix>/.scr/index.scr and checks each flushed dataset\'s files where they are: present with their\n' +
    'recorded sizes (and CRCs with --verify). A checkpoint is restartable when it is complete, flushed, not marked\n' +
    'failed, and every file checks out; the listing says why another is not, and which one a restart starts from\n' +
    '(the current one, else the newest). Scavenged datasets under .scr/scr.dataset.<id>/ that the index does not\n' +
    'list are named with the command that adds them. Nothing is changed: to mark a damaged dataset failed, use\n' +
    'scr index --verify.',
  examples: [
    ['scr inspect', 'the datasets in $SCR_PREFIX (else the current directory), newest first'],
    ['scr_inspect /p/lustre/me/run1', 'SCR\'s name, the prefix as an argument'],
    ['scr inspect --verify --json', 'also compare every file\'s CRC; {"prefix", "current", "restartFrom", "datasets": […], "unindexed": […]}'],
  ],
  exitCodes: [
    [0, 'at least one checkpoint is restartable'],
    [1, 'no restartable checkpoint (or the prefix, its .scr or the index cannot be read; the message says which)'],
    [2, 'usage'],
  ],
  configure(cmd) {
    cmd.argument('[prefix]', 'prefix directory (the same as --prefix)')
      .option('-p, --prefix <dir>', 'prefix directory (default: SCR_PREFIX, else the current directory)')
      .option('--verify', 'also compare the CRC of every file (reads every byte)')
      .option('--json', 'print the result as JSON');
  },
  async run(args, opts, io) {
    if (args[0] !== undefined && opts.prefix !== undefined && opts.prefix !== args[0]) throw new UserError(`two prefixes: ${args[0]} and --prefix ${String(opts.prefix)}; give one`, { exitCode: 2 });
    const prefix = existingPrefix(args[0] !== undefined ? { prefix: args[0] } : opts, io, 1);
    await checkPrefixScr(prefix, 1);
    const idx = await readIndex(prefix);
    const entries = Object.values(idx.datasets).sort((a, b) => b.id - a.id);
    const inspected: Inspected[] = [];
    for (const e of entries) inspected.push(await inspectEntry(prefix, e, Boolean(opts.verify)));
    const ok = new Set(inspected.filter((d) => d.restartable).map((d) => d.id));
    const order = restartCandidates(idx, 'any', null).filter((e) => ok.has(e.id)).map((e) => e.name);
    const known = new Set(entries.map((e) => e.id));
    const unindexed = (await readdir(prefixScrDir(prefix)).catch(() => [] as string[]))
      .map((n) => /^scr\.dataset\.(\d+)$/.exec(n)?.[1]).filter((x): x is string => x !== undefined).map(Number).filter((id) => !known.has(id)).sort((a, b) => b - a);
    if (opts.json) {
      io.out(toJson({ prefix, current: idx.current, restartFrom: order[0] ?? null, restartOrder: order, datasets: inspected, unindexed }) + '\n');
      return order.length ? 0 : 1;
    }
    io.out(`prefix ${prefix}: ${inspected.length} dataset(s) in ${indexPath(prefix)}${idx.current ? `; current: ${idx.current}` : ''}\n`);
    if (inspected.length) {
      io.out(table(inspected.map((d) => [String(d.id), d.name, `${d.checkpoint ? 'C' : ''}${d.output ? 'O' : ''}` || '-', `${d.filesOk}/${d.files}`, humanBytes(d.bytes),
        d.restartable ? `yes${d.name === order[0] ? ' (a restart starts here)' : ''}` : `no: ${d.why ?? ''}`]), ['ID', 'NAME', 'FLAGS', 'FILES OK', 'SIZE', 'RESTARTABLE']));
    }
    for (const d of inspected) for (const p of d.problems.slice(0, 5)) io.out(`  ${d.name} (id ${d.id}): ${p}\n`);
    for (const id of unindexed) io.out(`${prefixScrDir(prefix)}/scr.dataset.${id}: scavenged but not in the index; check it and add it with: scr index --add ${id} --prefix ${prefix}\n`);
    io.out(order.length ? `restart: starts from ${order[0]}${order.length > 1 ? ` (then ${order.slice(1).join(', ')})` : ''}\n` : 'restart: no restartable checkpoint: the job would start from the beginning\n');
    return order.length ? 0 : 1;
  },
};
