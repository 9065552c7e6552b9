// scr clean: remove this node's cache and control directories of this user's jobs that are no
// longer running (src/cache/stale-jobs.ts says how that is decided and what is never touched).
// `scr prerun` runs the same scan on every node of the allocation and, with SCR_CLEAN_STALE=1, the
// removal.
import { humanBytes } from '../../common/bytes.js';
import type { ResolvedConfig } from '../../config/resolve.js';
import { loadConfig } from '../../config/resolve.js';
import { type Base, removeJob, scanJobs, type Skipped } from '../../cache/stale-jobs.js';
import { managerJobId } from '../../config/schema.js';
import { jobQueue } from '../../rm/job-queue.js';
import { toJson } from '../output.js';
import type { CommandSpec } from '../spec.js';

/** What one node's clean found and did (the JSON of `scr clean --json`). */
export interface CleanReport {
  node: string;
  user: string;
  dryRun: boolean;
  /** Jobs no longer running: removed (unless dryRun). */
  stale: Array<{ jobId: string; bytes: number; why: string; dirs: Array<{ path: string; setting: string; bytes: number }> }>;
  /** Jobs still running (or that cannot be told): kept. */
  kept: Array<{ jobId: string; bytes: number; why: string; unsaved?: string[] }>;
  skipped: Skipped[];
  /** What could not be removed. */
  problems: string[];
}

/** The control base and every cache store, with the setting each comes from. */
export function basesOf(cfg: ResolvedConfig): Base[] {
  return [
    { setting: 'SCR_CNTL_BASE', kind: 'control', path: cfg.str('SCR_CNTL_BASE') },
    ...cfg.stores.map((s): Base => ({ setting: s.source.kind === 'implied' ? 'SCR_CACHE_BASE' : `STORE=${s.path}`, kind: 'cache', path: s.path })),
  ];
}

/** Scans this node and removes the stale jobs' directories unless `dryRun`; a job whose cache holds
 * a checkpoint not on the file system is kept unless `force`. */
export async function cleanNode(cfg: ResolvedConfig, env: NodeJS.ProcessEnv, dryRun: boolean, force = false): Promise<CleanReport> {
  const user = cfg.str('SCR_USER_NAME');
  // The job this runs in is never stale, whatever squeue says; nor is the configured job id (outside
  // a resource manager, the prefix's own nojob-… id, whose cache the next run there restores from).
  const current = [managerJobId(env), env.SCR_JOB_ID, cfg.str('SCR_JOB_ID')].filter((x): x is string => Boolean(x));
  const scan = await scanJobs(basesOf(cfg), user, { current, queue: await jobQueue(env) });
  const report: CleanReport = { node: cfg.str('SCR_NODE_NAME'), user, dryRun, stale: [], kept: [], skipped: scan.skipped,
    problems: scan.queueError ? [scan.queueError] : [] };
  for (const j of scan.jobs) {
    if (j.running) { report.kept.push({ jobId: j.jobId, bytes: j.bytes, why: j.why }); continue; }
    if (j.unsaved.length && !force) {
      report.kept.push({ jobId: j.jobId, bytes: j.bytes, unsaved: j.unsaved, why: `${j.why}, but its cache holds ${j.unsaved.join(', ')}, not on the file system: ` +
        `save it with scr postrun --job-id ${j.jobId} --prefix <its prefix> on this node, or remove it anyway with scr clean --force` });
      continue;
    }
    report.stale.push({ jobId: j.jobId, bytes: j.bytes, why: j.why, dirs: j.dirs.map((d) => ({ path: d.dir, setting: d.setting, bytes: d.bytes })) });
    if (!dryRun) report.problems.push(...await removeJob(j));
  }
  return report;
}

/** Lines describing a report, for scr clean and scr prerun. */
export function describeClean(r: CleanReport, who: string): string[] {
  const lines: string[] = [];
  const verb = r.dryRun ? 'would remove' : 'removed';
  for (const s of r.stale) {
    lines.push(`${who}${verb} job ${s.jobId}: ${humanBytes(s.bytes)} (${s.why}): ${s.dirs.map((d) => `${d.path} [${d.setting}]`).join(', ')}`);
  }
  for (const k of r.kept) lines.push(`${who}kept job ${k.jobId}: ${humanBytes(k.bytes)} (${k.why})`);
  for (const s of r.skipped) lines.push(`${who}left alone ${s.path}: ${s.why}`);
  for (const p of r.problems) lines.push(`${who}problem: ${p}`);
  const total = r.stale.reduce((n, s) => n + s.bytes, 0);
  const unsaved = r.kept.filter((k) => k.unsaved).length;
  const running = r.kept.length - unsaved;
  lines.push(`${who}${r.stale.length ? `${verb} ${r.stale.length} ended job(s), ${humanBytes(total)}` : 'no directories of ended jobs'}` +
    `${running ? `; kept ${running} running job(s)` : ''}${unsaved ? `; kept ${unsaved} ended job(s) holding a checkpoint not on the file system` : ''}`);
  return lines;
}

export const cleanCommand: CommandSpec = {
  name: 'clean',
  summary: 'remove this node\'s cache and control directories of your jobs that are no longer running',
  description: 'Looks at <base>/<user>/scr.<jobid>/ under SCR_CNTL_BASE and every cache store (SCR_CACHE_BASE, STORE= lines)\n' +
    'on the node it runs on. A job still runs if its resource manager\'s queue lists it (a Slurm job id: squeue;\n' +
    'PBS: qstat; LSF: bjobs; Flux: flux jobs; Grid Engine: qstat; any state, pending or requeued too), or if a live process holds its in-use mark (inuse.json, which the library keeps in each node\'s\n' +
    'control directory from init to finalize, and scr sim for its whole run); the job this runs in always counts\n' +
    'as running, and so does the configured SCR_JOB_ID (outside an allocation, the prefix\'s own nojob-… id,\n' +
    'whose cache the next run in that prefix restores from). A job id of a resource manager whose queue command is not installed here is kept. Only this user\'s real directories are\n' +
    'touched: a symlink is never followed, and a job directory holding anything of another user is left alone.\n' +
    'To clean every node of an allocation, run it through srun (srun --ntasks-per-node=1 scr clean) or set\n' +
    'SCR_CLEAN_STALE=1 for scr prerun. An ended job whose cache holds a complete checkpoint newer than the newest\n' +
    'one on its prefix\'s file system is kept and named (it may be the only copy; scr postrun --job-id saves it);\n' +
    '--force removes it anyway.',
  examples: [
    ['scr clean --dry-run', 'list the directories of ended jobs on this node, with their sizes'],
    ['scr clean', 'remove them'],
    ['srun --ntasks-per-node=1 scr clean --json', 'on every node of the allocation, as JSON'],
    ['SCR_CLEAN_STALE=1 scr prerun', 'what prerun does on every node before the job'],
  ],
  exitCodes: [
    [0, 'done (nothing to clean is done too)'],
    [1, 'a queue command failed (e.g. squeue: its Slurm jobs were kept), or a directory could not be removed (each is named)'],
    [2, 'usage or configuration error'],
  ],
  configure(cmd) {
    cmd.option('--dry-run', 'only list what would be removed, with sizes')
      .option('--force', 'also remove ended jobs whose cache holds a checkpoint that is not on the file system')
      .option('--json', 'print the report as JSON')
      .option('--prefix <dir>', 'prefix directory whose configuration to use (default: SCR_PREFIX, else the current directory)');
  },
  async run(_args, opts, io) {
    const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix: opts.prefix as string | undefined });
    const report = await cleanNode(cfg, io.env, Boolean(opts.dryRun), Boolean(opts.force));
    if (opts.json) io.out(toJson(report, 0) + '\n');
    else for (const l of describeClean(report, '')) io.out(`${l}\n`);
    return report.problems.length ? 1 : 0;
  },
};

