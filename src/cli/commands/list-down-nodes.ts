// scr list-down-nodes: the allocation's nodes a run must not use, and why (SPEC §8).
import { compressHostlist } from '../../common/hostlist.js';
import { loadConfig } from '../../config/resolve.js';
import { downNodes } from '../../rm/down.js';
import { requireAllocation } from '../allocation.js';
import { UserError } from '../errors.js';
import { toJson } from '../output.js';
import type { CommandSpec } from '../spec.js';

export const listDownNodesCommand: CommandSpec = {
  name: 'list-down-nodes',
  summary: 'list the allocation\'s down nodes (the resource manager\'s view, SCR_EXCLUDE_NODES, scr prerun\'s findings)',
  description: 'A node is down when the resource manager says so (Slurm: down, drained, failing, not responding, or\n' +
    'taken out of a --no-kill job; PBS, LSF, Flux, Grid Engine: docs/resource-managers.md), SCR_EXCLUDE_NODES names it, or scr prerun found its directories unusable. Prints them as a hostlist\n' +
    '(nothing when none), or one per line with --reason.',
  examples: [
    ['scr list-down-nodes', 'e.g. n[3,7]'],
    ['scr list-down-nodes --reason', 'n3: Slurm state down*: Not responding'],
    ['if scr list-down-nodes >/dev/null; then echo all up; fi', 'in a script'],
  ],
  exitCodes: [[0, 'no node is down'], [1, 'some nodes are down (printed)'], [2, 'usage or configuration error, or not inside an allocation'],
    [3, 'the resource manager did not answer (e.g. squeue/sinfo failed; the message says how)']],
  configure(cmd) {
    cmd.option('--reason', 'print each down node with the reason').option('--json', 'print {"down": {node: reason}, "up": [...]}')
      .option('--prefix <dir>', 'prefix directory, where scr prerun recorded bad nodes');
  },
  async run(_args, opts, io) {
    const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix: opts.prefix as string | undefined });
    const rm = await requireAllocation('not inside an allocation', io.env, cfg, 'run it in the batch script or an interactive allocation (salloc, qsub -I, bsub -Is, flux alloc)');
    const down = await downNodes(rm, cfg).catch((e: Error) => { throw new UserError(`cannot tell which nodes are down: ${e.message}`, { exitCode: 3 }); });
    if (opts.json) io.out(toJson({ down: Object.fromEntries(down), up: rm.nodes().filter((n) => !down.has(n)) }) + '\n');
    else if (opts.reason) for (const [n, why] of down) io.out(`${n}: ${why}\n`);
    else if (down.size) io.out(`${compressHostlist([...down.keys()])}\n`);
    return down.size ? 1 : 0;
  },
};
