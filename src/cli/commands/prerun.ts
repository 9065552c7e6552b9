// scr prerun: before the first run in a batch script — prepare <prefix>/.scr and check every
// node's control directory and cache stores (SPEC §8). Nodes that fail are recorded, and the run
// wrapper and list-down-nodes leave them out.
import { checkNode, checkProblems, type NodeCheck } from '../../cache/check.js';
import { compressHostlist } from '../../common/hostlist.js';
import { prefixScrDir } from '../../cache/paths.js';
import { loadConfig } from '../../config/resolve.js';
import { writeBadNodes } from '../../rm/bad-nodes.js';
import { probeNodes } from '../../rm/probe.js';
import { allocation } from '../allocation.js';
import { UserError } from '../errors.js';
import { toJson } from '../output.js';
import { announce, leftOver } from '../../halt/index.js';
import type { ResolvedConfig } from '../../config/resolve.js';
import { checkPrefixScr, usablePrefix } from '../prefix.js';
import type { CommandSpec, Io } from '../spec.js';
import { type CleanReport, cleanNode, describeClean } from './clean.js';
import { SCR_MAIN } from '../self.js';

type NodeResult = NodeCheck & { stale?: CleanReport; staleError?: string };

/** This node's stale job directories (scanned, or removed with mode 'clean'), for the node's JSON. */
async function staleOf(cfg: ResolvedConfig, io: Io, mode: string): Promise<Pick<NodeResult, 'stale' | 'staleError'>> {
  try {
    return { stale: await cleanNode(cfg, io.env, mode !== 'clean') };
  } catch (e) {
    return { staleError: (e as Error).message };
  }
}


export const prerunCommand: CommandSpec = {
  name: 'prerun',
  summary: 'prepare <prefix>/.scr and check the control and cache directories of every node',
  description: 'On every node of the allocation (through the resource manager, or SCR_REMOTE_EXEC) it creates the job\'s control directory and\n' +
    'each cache store\'s directory as private directories, writes and syncs a probe file in each, and checks the\n' +
    'free space against SCR_CACHE_NEED. Nodes that fail, or that the resource manager says are down, are named\n' +
    'and recorded: scr srun / scr run leave them out and scr list-down-nodes lists them. Outside an allocation it\n' +
    'checks this node. --this-node is what it runs on each node (it prints that node\'s result as JSON).\n' +
    'It also looks on every node for cache and control directories of this user\'s jobs that are no longer running\n' +
    '(as scr clean --dry-run) and names them with their sizes; with SCR_CLEAN_STALE=1 it removes them (as scr clean).\n' +
    'It announces what an earlier job left in the halt file: a "finalize was called" marker (another job id\'s does\n' +
    'not stop this job) and halt conditions, each with the scr halt command that clears it.',
  examples: [
    ['scr prerun', 'in the batch script, before scr srun'],
    ['SCR_CACHE_NEED=16GiB scr prerun --json', 'require 16 GiB free in every cache store; the result as JSON'],
    ['SCR_CLEAN_STALE=1 scr prerun', 'also remove what ended jobs left in the nodes\' caches'],
  ],
  exitCodes: [[0, 'the prefix is ready and at least one node is usable (bad nodes are named and left out)'],
    [1, 'the prefix cannot be prepared (missing, or its .scr a symlink or another user\'s), or no node is usable'], [2, 'usage or configuration error']],
  configure(cmd) {
    cmd.option('--prefix <dir>', 'prefix directory (default SCR_PREFIX, else the current directory)')
      .option('--this-node', 'check only the node it runs on and print the result as JSON')
      .option('--timeout <seconds>', 'how long a node may take to answer', '60')
      .option('--stale <mode>', 'with --this-node: scan (list) or clean (remove) the directories of ended jobs')
      .option('--json', 'print the result as JSON');
  },
  async run(_args, opts, io) {
    const prefix = await usablePrefix(opts, io, 1);
    const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix });
    const user = cfg.str('SCR_USER_NAME');
    if (opts.thisNode) {
      const r: NodeResult = await checkNode(cfg, { user, jobId: cfg.str('SCR_JOB_ID'), node: cfg.str('SCR_NODE_NAME') });
      if (opts.stale !== undefined) Object.assign(r, await staleOf(cfg, io, String(opts.stale)));
      io.out(JSON.stringify(r) + '\n');
      return r.ok ? 0 : 1;
    }
    const timeout = Number(opts.timeout);
    if (!(timeout > 0)) throw new UserError(`--timeout ${String(opts.timeout)}: expected a number of seconds`, { exitCode: 2 });
    await checkPrefixScr(prefix, 1, { create: true });
    const rm = await allocation(io.env, cfg);
    const jobId = rm?.jobId() ?? cfg.str('SCR_JOB_ID');
    for (const line of announce(await leftOver(prefix, jobId, cfg.int('SCR_HALT_SECONDS')), prefix, jobId, false)) io.err(`scr prerun: ${line}\n`);
    const staleMode = cfg.bool('SCR_CLEAN_STALE') ? 'clean' : 'scan';
    const bad = new Map<string, string>();
    const checks: NodeResult[] = [];
    if (!rm) {
      const node = cfg.str('SCR_NODE_NAME');
      checks.push({ ...await checkNode(cfg, { user, jobId, node }), ...await staleOf(cfg, io, staleMode) });
    } else {
      const down = await rm.downNodes().catch((e: Error) => { io.err(`scr prerun: warning: ${e.message}; checking every node\n`); return new Map<string, string>(); });
      for (const [n, why] of down) bad.set(n, why);
      const probe = await probeNodes(rm, SCR_MAIN, prefix, rm.nodes().filter((n) => !down.has(n)), timeout * 1000, ['--stale', staleMode]);
      checks.push(...probe.checks);
      for (const [n, why] of probe.bad) bad.set(n, why);
    }
    for (const c of checks) if (!c.ok && !bad.has(c.node)) bad.set(c.node, checkProblems(c));
    if (rm) await writeBadNodes(prefix, jobId, bad);
    const nodes = rm?.nodes() ?? checks.map((c) => c.node);
    const good = nodes.filter((n) => !bad.has(n));
    if (opts.json) {
      io.out(toJson({ prefix, jobId, resourceManager: rm?.name ?? null, nodes: checks, bad: Object.fromEntries(bad), usable: good }) + '\n');
    } else {
      for (const c of checks.filter((x) => x.ok)) {
        const cache = c.dirs.filter((d) => d.kind === 'cache').map((d) => `${d.path} ${gib(d.free)} free`).join(', ');
        io.out(`scr prerun: ${c.node}: ok (cache ${cache})\n`);
      }
      for (const [n, why] of bad) io.out(`scr prerun: ${n}: BAD: ${why}\n`);
      reportStale(checks, staleMode, io);
      io.out(good.length
        ? `scr prerun: ${good.length} of ${nodes.length} node(s) usable: ${compressHostlist(good)}; ${prefixScrDir(prefix)} ready\n`
        : `scr prerun: no node is usable (0 of ${nodes.length}): the job cannot run; fix what is named above (or leave those nodes out) and run scr prerun again\n`);
    }
    return good.length ? 0 : 1;
  },
};

/** What each node's scan found: ended jobs' directories (listed or removed), and scans that failed. */
function reportStale(checks: NodeResult[], mode: string, io: Io): void {
  let found = 0;
  for (const c of checks) {
    if (c.staleError) io.out(`scr prerun: ${c.node}: could not look for directories of ended jobs: ${c.staleError}\n`);
    if (!c.stale || (!c.stale.stale.length && !c.stale.problems.length)) continue;
    found += c.stale.stale.length;
    const r = { ...c.stale, kept: [], skipped: [] };
    for (const l of describeClean(r, `scr prerun: ${c.node}: `)) io.out(`${l}\n`);
  }
  if (found && mode !== 'clean') io.out('scr prerun: to remove the directories of ended jobs, run scr clean on those nodes, or set SCR_CLEAN_STALE=1 for scr prerun\n');
}

function gib(n: number | undefined): string {
  return n === undefined ? '?' : `${(n / 2 ** 30).toFixed(1)} GiB`;
}
