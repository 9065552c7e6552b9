// scr postrun: scavenge what the job left only in cache to the file system (SPEC §6).
import { loadConfig } from '../../config/resolve.js';
import { jobNodes } from '../../rm/job-nodes.js';
import { remoteAccess } from '../../rm/remote-scavenge.js';
import { copyNode, listNode, scavenge } from '../../scavenge/scavenge.js';
import { allocation } from '../allocation.js';
import { UserError } from '../errors.js';
import { SCR_MAIN } from '../self.js';
import { logScavenged, wrapperLog } from '../../rm/events.js';
import { toJson } from '../output.js';
import { scavengeBar } from '../progress.js';
import type { CommandSpec } from '../spec.js';

export const postrunCommand: CommandSpec = {
  name: 'postrun',
  summary: 'scavenge the newest checkpoint and output datasets from cache to the file system',
  description: 'Completes flushes the job copied but did not record, then copies output datasets not yet flushed\n' +
    '(oldest first) and the newest checkpoint not on the file system from every live node\'s cache, rebuilding\n' +
    'the files of ranks whose node is gone from redundancy (offline, no MPI), checking CRCs, and marking the index.\n' +
    'In an allocation each node copies its own cache (scr postrun --this-node, run there by the resource manager:\n' +
    'srun --overlap, pbsdsh, blaunch, flux exec, qrsh -inherit, or SCR_REMOTE_EXEC); elsewhere this process reads every node\'s directories (simulated nodes, shared storage).',
  examples: [
    ['scr postrun', 'in the batch script after the run (SCR_JOB_ID and SCR_PREFIX from the environment)'],
    ['scr postrun --job-id 4711 --nodes "n[0-4]" --prefix /p/lustre/me/run1', 'explicitly'],
  ],
  exitCodes: [[0, 'everything that needed it is on the file system'], [1, 'a dataset could not be scavenged (named)'], [2, 'usage or configuration error']],
  configure(cmd) {
    cmd.option('--prefix <dir>', 'prefix directory').option('--job-id <id>', 'the job (default SCR_JOB_ID)')
      .option('--nodes <hostlist>', 'nodes to scavenge (default: the allocation\'s, else the job\'s node directories)')
      .option('--this-node', 'on one node: list what its cache holds, or with --dataset copy the given ranks; prints JSON')
      .option('--dataset <id>', 'with --this-node: the dataset to copy')
      .option('--ranks <list>', 'with --this-node --dataset: the ranks to copy, e.g. 0,4')
      .option('--json', 'print a report as JSON');
  },
  async run(_args, opts, io) {
    const env = { ...io.env, ...(opts.jobId ? { SCR_JOB_ID: String(opts.jobId) } : {}) };
    const cfg = loadConfig({ env, cwd: io.cwd, prefix: opts.prefix as string | undefined });
    const rm = opts.nodes || opts.thisNode ? null : await allocation(env, cfg);
    // In an allocation the job is the manager's, unless SCR_JOB_ID (or --job-id) names one: where
    // the default cannot see the manager's id (Flux before 0.70 has it only as a broker attribute),
    // the wrapper's runs used the adapter's.
    const jobId = rm && cfg.sourceOf('SCR_JOB_ID').kind === 'default' ? rm.jobId() : cfg.str('SCR_JOB_ID');
    const ident = { user: cfg.str('SCR_USER_NAME'), jobId };
    if (opts.thisNode) {
      const id = { ...ident, node: cfg.str('SCR_NODE_NAME') };
      if (opts.dataset === undefined) { io.out(JSON.stringify({ datasets: await listNode(cfg, id) }) + '\n'); return 0; }
      const ranks = String(opts.ranks ?? '').split(',').filter(Boolean).map(Number);
      if (!Number.isInteger(Number(opts.dataset)) || ranks.some((r) => !Number.isInteger(r) || r < 0)) {
        throw new UserError(`--dataset ${String(opts.dataset)} --ranks ${String(opts.ranks)}: expected a dataset id and ranks such as 0,4`, { exitCode: 2 });
      }
      io.out(JSON.stringify(await copyNode(cfg, id, Number(opts.dataset), ranks)) + '\n');
      return 0;
    }
    const nodes = rm ? rm.nodes() : jobNodes(opts.nodes as string | undefined, cfg.str('SCR_CNTL_BASE'), ident);
    const say = (s: string) => { if (!opts.json) io.out(`scr postrun: ${s}\n`); };
    const access = rm ? remoteAccess(rm, SCR_MAIN, cfg.str('SCR_PREFIX'), ident.jobId) : undefined;
    // Only nodes that are up: asking a dead one would wait for its time-out.
    const down = rm ? await rm.downNodes().catch(() => new Map<string, string>()) : new Map<string, string>();
    for (const [n, why] of down) say(`leaving out ${n}: ${why}`);
    const live = nodes.filter((n) => !down.has(n));
    const report = await scavenge(cfg, ident, live, say, access, opts.json ? undefined : scavengeBar(io));
    await logScavenged(wrapperLog(cfg.str('SCR_PREFIX'), cfg.bool('SCR_LOG_ENABLE'), (l) => io.err(`scr postrun: ${l}\n`)), report);
    if (opts.json) io.out(toJson(report) + '\n');
    else if (!report.datasets.length && !report.completedFromMarkers.length) io.out('scr postrun: nothing to scavenge\n');
    return report.skipped.length ? 1 : 0;
  },
};
