// scr list-down-nodes: the allocation's nodes a run must not use, and why (SPEC §8).
import { compressHostlist } from '../../common/hostlist.js';
import { loadConfig } from '../../config/resolve.js';
import { detectRM } from '../../rm/detect.js';
import { downNodes } from '../../rm/down.js';
import { UserError } from '../errors.js';
import { toJson } from '../output.js';
import type { CommandSpec } from '../spec.js';

export const listDownNodesCommand: CommandSpec = {
  name: 'list-down-nodes',
  summary: 'list the allocation\'s down nodes (Slurm\'s view, SCR_EXCLUDE_NODES, scr prerun\'s findings)',
  description: 'A node is down when Slurm says so (down, drained, failing, not responding, or taken out of a --no-kill\n' +
    'job), SCR_EXCLUDE_NODES names it, or scr prerun found its directories unusable. Prints them as a hostlist\n' +
    '(nothing when none), or one per line with --reason.',
  examples: [
    ['scr list-down-nodes', 'e.g. n[3,7]'],
    ['scr list-down-nodes --reason', 'n3: Slurm state down*: Not responding'],
    ['if scr list-down-nodes >/dev/null; then echo all up; fi', 'in a script'],
  ],
  exitCodes: [[0, 'no node is down'], [1, 'some nodes are down (printed)'], [2, 'usage or configuration error, or not inside an allocation'],
    [3, 'the resource manager did not answer (squeue/sinfo failed; the message says how)']],
  configure(cmd) {
    cmd.option('--reason', 'print each down node with the reason').option('--json', 'print {"down": {node: reason}, "up": [...]}')
      .option('--prefix <dir>', 'prefix directory, where scr prerun recorded bad nodes');
  },
  async run(_args, opts, io) {
    const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix: opts.prefix as string | undefined });
    const rm = detectRM(io.env, cfg);
    if (!rm) throw new UserError('not inside an allocation: SLURM_JOB_ID and SLURM_JOB_NODELIST are not set', { exitCode: 2, hint: 'run it in the batch script or an salloc shell' });
    const down = await downNodes(rm, cfg).catch((e: Error) => { throw new UserError(`cannot tell which nodes are down: ${e.message}`, { exitCode: 3 }); });
    if (opts.json) io.out(toJson({ down: Object.fromEntries(down), up: rm.nodes().filter((n) => !down.has(n)) }) + '\n');
    else if (opts.reason) for (const [n, why] of down) io.out(`${n}: ${why}\n`);
    else if (down.size) io.out(`${compressHostlist([...down.keys()])}\n`);
    return down.size ? 1 : 0;
  },
};
