// scr sim: the run loop on a simulated cluster (SPEC §9), then postrun.
import { existsSync, readFileSync } from 'node:fs';
import { humanBytes } from '../../common/bytes.js';
import { ensureSafeDir } from '../../common/dirs.js';
import { fsErrorText, isFsError } from '../../common/errno.js';
import { markInUse } from '../../cache/in-use.js';
import { jobDir, nodeDir } from '../../cache/paths.js';
import { removeJob, scanJobs } from '../../cache/stale-jobs.js';
import { loadConfig } from '../../config/resolve.js';
import { SimCluster } from '../../rm/sim.js';
import { runWrapped } from '../../rm/wrapper.js';
import { logPath } from '../../scr/log.js';
import { UserError } from '../errors.js';
import { scavengeBar } from '../progress.js';
import type { CommandSpec } from '../spec.js';
import { basesOf } from './clean.js';

interface FailPlan { node: string; after: number }

function parseFail(v: string, prev: FailPlan[] = []): FailPlan[] {
  const m = /^node=([^,]+),after=(\d+)$/.exec(v);
  if (!m) throw new UserError(`--fail ${v}: expected node=NAME,after=K (kill NAME's ranks after its K-th checkpoint)`, { exitCode: 2 });
  return [...prev, { node: m[1]!, after: Number(m[2]) }];
}

const ordinal = (k: number) => `${k}${k % 10 === 1 && k !== 11 ? 'st' : k % 10 === 2 && k !== 12 ? 'nd' : k % 10 === 3 && k !== 13 ? 'rd' : 'th'}`;

export const simCommand: CommandSpec = {
  name: 'sim',
  summary: 'run an MPI job on a simulated cluster: relaunch after node failures, then scavenge',
  description: 'With --nodes N and --spares S, nodes n0…n(N−1) run the job and nN…n(N+S−1) wait as spares. Each\n' +
    'rank group gets its own SCR_NODE_NAME, so its own node.<name> directories. --fail kills a node\'s ranks after\n' +
    'its K-th checkpoint and deletes its cache and control directories; the job is relaunched with that node\'s\n' +
    'ranks on the first unused spare.\n' +
    'When it ends, after the scavenge, it removes the simulated nodes\' cache and control directories (the job\'s\n' +
    '<base>/<user>/scr.<jobid>/), saying what it removed; --keep keeps them. They are kept anyway when the scavenge\n' +
    'could not save a dataset (they may hold its only copy). While it runs, the job\'s control directory holds an\n' +
    'in-use mark (inuse.json), so scr clean elsewhere leaves it alone.',
  examples: [
    ['scr sim --nodes 4 --ppn 2 --spares 1 -- node app.js', '8 ranks on n0..n3, n4 spare'],
    ['scr sim --nodes 4 --ppn 1 --spares 1 --fail node=n1,after=3 -- node dist/examples/heat.js', 'rehearse losing n1 after its 3rd checkpoint'],
  ],
  exitCodes: [[0, 'the application finished (called finalize)'], [1, 'it did not: runs used up, too few nodes, or halted'], [2, 'usage or configuration error']],
  configure(cmd) {
    cmd.requiredOption('--nodes <n>', 'nodes the job runs on', Number)
      .requiredOption('--ppn <n>', 'ranks per node', Number)
      .option('--spares <n>', 'spare nodes, named after the working ones (nN…)', Number, 0)
      .option('--fail <spec>', 'node=NAME,after=K: fail NAME after its K-th checkpoint (repeatable)', parseFail, [])
      .option('--runs <n>', 'launches allowed (default: spares + 1)', Number)
      .option('--prefix <dir>', 'prefix directory (default SCR_PREFIX, else the current directory)')
      .option('--keep', 'keep the simulated nodes\' cache and control directories when it ends')
      .argument('<command...>', 'the application, after --');
  },
  async run(args, opts, io) {
    const n = opts.nodes as number;
    const ppn = opts.ppn as number;
    const spares = opts.spares as number;
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(ppn) || ppn < 1 || !Number.isInteger(spares) || spares < 0) {
      throw new UserError('--nodes and --ppn must be positive whole numbers, --spares a whole number', { exitCode: 2 });
    }
    const jobId = io.env.SCR_JOB_ID || `sim${process.pid}`;
    const env = { ...io.env, SCR_JOB_ID: jobId };
    const cfg = loadConfig({ env, cwd: io.cwd, prefix: opts.prefix as string | undefined });
    const prefix = cfg.str('SCR_PREFIX');
    const ident = { user: cfg.str('SCR_USER_NAME'), jobId };
    const sim = new SimCluster({ nodes: n, spares, jobId, remote: cfg.optStr('SCR_REMOTE_EXEC') ?? undefined });
    const fails = opts.fail as FailPlan[];
    for (const f of fails) if (!sim.nodes().includes(f.node)) throw new UserError(`--fail node=${f.node}: the simulated nodes are ${sim.nodes()[0]}…${sim.nodes().at(-1)}`, { exitCode: 2 });
    const say = (s: string) => io.out(`scr sim: ${s}\n`);
    const runs = opts.runs !== undefined ? Number(opts.runs) : io.env.SCR_RUNS ? cfg.int('SCR_RUNS') : spares + 1;
    const dirsOf = (node: string) => [...cfg.stores.map((s) => nodeDir(s.path, { ...ident, node })), nodeDir(cfg.str('SCR_CNTL_BASE'), { ...ident, node })];
    say(`job ${jobId}: ${n} node(s) x ${ppn} rank(s), ${spares} spare(s), prefix ${prefix}`);
    // The whole job is in use while the simulation runs (scr clean leaves it alone), between runs too.
    const cntlJob = jobDir(cfg.str('SCR_CNTL_BASE'), { ...ident, node: '' });
    try {
      await ensureSafeDir(cntlJob, { base: cfg.str('SCR_CNTL_BASE') });
    } catch (e) {
      if (!isFsError(e)) throw e;
      throw new UserError(`cannot create the job's control directory ${cntlJob} under SCR_CNTL_BASE=${cfg.str('SCR_CNTL_BASE')}: ${fsErrorText(e)}`, { exitCode: 1, cause: e, hint: 'set SCR_CNTL_BASE to a writable node-local directory' });
    }
    const release = await markInUse(cntlJob, jobId, prefix);

    const result = await runWrapped({
      rm: sim, cfg, need: n, ppn, argv: args, runs, requeue: false, say, bar: scavengeBar(io),
      onLaunch: (run, nodes, attempt) => {
        const pending = fails.filter((f) => attempt === 1 && nodes.includes(f.node));
        if (!pending.length) return;
        // Count this run's completed checkpoints in the event log (rank 0 logs each once every
        // rank has completed it), and fail each node after its K-th.
        const log = logPath(prefix);
        const logged = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => / CHECKPOINT /.test(l)).length : 0);
        const base = logged();
        let over = false;
        void run.done.then(() => { over = true; });
        const timer = setInterval(() => {
          if (over || !pending.length) { clearInterval(timer); return; }
          const count = logged() - base;
          for (const f of pending.filter((p) => count >= p.after)) {
            const killed = sim.fail(f.node, dirsOf(f.node));
            say(`node ${f.node} fails after its ${ordinal(f.after)} checkpoint: killed its ${killed} rank(s), deleted its cache and control directories`);
            pending.splice(pending.indexOf(f), 1);
          }
        }, 20);
      },
    }).finally(release);
    if (opts.keep) say(`kept the simulated nodes' cache and control directories (--keep): ${jobDirsText(cfg, ident)}`);
    else if (result.scavenge.skipped.length) {
      say(`kept the simulated nodes' cache and control directories: the scavenge could not save ${result.scavenge.skipped.join('; ')}, so they may hold its only copy (${jobDirsText(cfg, ident)})`);
    } else {
      const job = (await scanJobs(basesOf(cfg), ident.user, { queue: null, only: jobId })).jobs[0];
      if (job?.running) {
        say(`kept the simulated nodes' cache and control directories: ${job.why} (${jobDirsText(cfg, ident)})`);
      } else if (job?.unsaved.length) {
        say(`kept the simulated nodes' cache and control directories: they hold ${job.unsaved.join(', ')}, not on the file system (${jobDirsText(cfg, ident)})`);
      } else if (job) {
        const problems = await removeJob(job);
        say(`removed the simulated nodes' cache and control directories (${humanBytes(job.bytes)}): ${job.dirs.map((d) => d.dir).join(', ')}; --keep keeps them`);
        for (const p of problems) say(`warning: could not remove ${p}`);
      }
    }
    return result.finalized && result.scavenge.skipped.length === 0 ? 0 : 1;
  },
};

function jobDirsText(cfg: ReturnType<typeof loadConfig>, ident: { user: string; jobId: string }): string {
  return [...new Set(basesOf(cfg).map((b) => jobDir(b.path, { ...ident, node: '' })))].join(', ');
}

