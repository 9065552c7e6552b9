// scr prerun: before the first run in a batch script — prepare <prefix>/.scr and check every
// node's control directory and cache stores (SPEC §8). Nodes that fail are recorded, and the run
// wrapper and list-down-nodes leave them out.
import { checkNode, checkProblems, type NodeCheck } from '../../cache/check.js';
import { compressHostlist } from '../../common/hostlist.js';
import { prefixScrDir } from '../../cache/paths.js';
import { loadConfig } from '../../config/resolve.js';
import { writeBadNodes } from '../../rm/bad-nodes.js';
import { detectRM } from '../../rm/detect.js';
import { probeNodes } from '../../rm/probe.js';
import { UserError } from '../errors.js';
import { toJson } from '../output.js';
import { checkPrefixScr, usablePrefix } from '../prefix.js';
import type { CommandSpec } from '../spec.js';
import { SCR_MAIN } from './postrun.js';


export const prerunCommand: CommandSpec = {
  name: 'prerun',
  summary: 'prepare <prefix>/.scr and check the control and cache directories of every node',
  description: 'On every node of the allocation (by srun, or SCR_REMOTE_EXEC) it creates the job\'s control directory and\n' +
    'each cache store\'s directory as private directories, writes and syncs a probe file in each, and checks the\n' +
    'free space against SCR_CACHE_NEED. Nodes that fail, or that the resource manager says are down, are named\n' +
    'and recorded: scr srun / scr run leave them out and scr list-down-nodes lists them. Outside an allocation it\n' +
    'checks this node. --this-node is what it runs on each node (it prints that node\'s result as JSON).',
  examples: [
    ['scr prerun', 'in the batch script, before scr srun'],
    ['SCR_CACHE_NEED=16GiB scr prerun --json', 'require 16 GiB free in every cache store; the result as JSON'],
  ],
  exitCodes: [[0, 'the prefix is ready and at least one node is usable (bad nodes are named and left out)'],
    [1, 'the prefix cannot be prepared (missing, or its .scr a symlink or another user\'s), or no node is usable'], [2, 'usage or configuration error']],
  configure(cmd) {
    cmd.option('--prefix <dir>', 'prefix directory (default SCR_PREFIX, else the current directory)')
      .option('--this-node', 'check only the node it runs on and print the result as JSON')
      .option('--timeout <seconds>', 'how long a node may take to answer', '60')
      .option('--json', 'print the result as JSON');
  },
  async run(_args, opts, io) {
    const prefix = await usablePrefix(opts, io, 1);
    const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix });
    const user = cfg.str('SCR_USER_NAME');
    if (opts.thisNode) {
      const r = await checkNode(cfg, { user, jobId: cfg.str('SCR_JOB_ID'), node: cfg.str('SCR_NODE_NAME') });
      io.out(JSON.stringify(r) + '\n');
      return r.ok ? 0 : 1;
    }
    const timeout = Number(opts.timeout);
    if (!(timeout > 0)) throw new UserError(`--timeout ${String(opts.timeout)}: expected a number of seconds`, { exitCode: 2 });
    await checkPrefixScr(prefix, 1, { create: true });
    const rm = detectRM(io.env, cfg);
    const jobId = rm?.jobId() ?? cfg.str('SCR_JOB_ID');
    const bad = new Map<string, string>();
    const checks: NodeCheck[] = [];
    if (!rm) {
      checks.push(await checkNode(cfg, { user, jobId, node: cfg.str('SCR_NODE_NAME') }));
    } else {
      const down = await rm.downNodes().catch((e: Error) => { io.err(`scr prerun: warning: ${e.message}; checking every node\n`); return new Map<string, string>(); });
      for (const [n, why] of down) bad.set(n, why);
      const probe = await probeNodes(rm, SCR_MAIN, prefix, rm.nodes().filter((n) => !down.has(n)), timeout * 1000);
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
      io.out(`scr prerun: ${good.length} of ${nodes.length} node(s) usable${good.length ? `: ${compressHostlist(good)}` : ''}; ${prefixScrDir(prefix)} ready\n`);
    }
    return good.length ? 0 : 1;
  },
};

function gib(n: number | undefined): string {
  return n === undefined ? '?' : `${(n / 2 ** 30).toFixed(1)} GiB`;
}
