// scr env: what the commands know about the job — SCR's scr_env.
import { compressHostlist } from '../../common/hostlist.js';
import { loadConfig } from '../../config/resolve.js';
import { downNodes } from '../../rm/down.js';
import { allocation } from '../allocation.js';
import { UserError } from '../errors.js';
import { toJson } from '../output.js';
import type { CommandSpec } from '../spec.js';

const FIELDS = ['user', 'jobid', 'nodes', 'down', 'runnodes', 'endtime', 'remaining', 'prefix', 'rm'] as const;

export const envCommand: CommandSpec = {
  name: 'env',
  summary: 'print the job\'s user, id, nodes, down nodes, end time and prefix',
  description: 'Without options: one "name: value" line each. With one or more field options: their values, one per line\n' +
    '(empty when unknown), for scripts. endtime is in epoch seconds (empty when unlimited), remaining in seconds.\n' +
    'Outside an allocation, nodes is this node and rm is "none".',
  examples: [
    ['scr env', 'everything'],
    ['scr env --endtime', 'e.g. 1795312837'],
    ['NODES=$(scr env --runnodes)', 'the nodes a run may use, as a hostlist'],
  ],
  exitCodes: [[0, 'printed'], [2, 'usage or configuration error'], [3, 'the resource manager did not answer (e.g. squeue/sinfo failed; the message says how)']],
  configure(cmd) {
    cmd.option('--user', 'the user (SCR_USER_NAME)').option('--jobid', 'the job id (SCR_JOB_ID)').option('--nodes', 'the allocation\'s nodes')
      .option('--down', 'its down nodes').option('--runnodes', 'the nodes still usable').option('--endtime', 'the allocation\'s end, epoch seconds')
      .option('--remaining', 'seconds left').option('--prefix <dir>', 'prefix directory').option('--json', 'everything as JSON');
  },
  async run(_args, opts, io) {
    const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix: opts.prefix as string | undefined });
    const rm = await allocation(io.env, cfg);
    const nodes = rm?.nodes() ?? [cfg.str('SCR_NODE_NAME')];
    const ask = <T>(p: Promise<T>) => p.catch((e: Error) => { throw new UserError(`the resource manager did not answer: ${e.message}`, { exitCode: 3 }); });
    const down = rm ? await ask(downNodes(rm, cfg)) : new Map<string, string>();
    const end = rm ? await ask(rm.endTime()) : cfg.optInt('SCR_END_TIME');
    const info = {
      user: cfg.str('SCR_USER_NAME'), jobid: rm?.jobId() ?? cfg.str('SCR_JOB_ID'), nodes: compressHostlist(nodes),
      down: compressHostlist([...down.keys()]), runnodes: compressHostlist(nodes.filter((n) => !down.has(n))),
      endtime: end ?? null, remaining: end ? Math.max(0, end - Math.floor(Date.now() / 1000)) : null,
      prefix: cfg.str('SCR_PREFIX'), rm: rm?.name ?? 'none',
    };
    if (opts.json) { io.out(toJson(info) + '\n'); return 0; }
    const asked = FIELDS.filter((f) => opts[f] === true);
    if (asked.length) for (const f of asked) io.out(`${info[f] ?? ''}\n`);
    else for (const f of FIELDS) io.out(`${f}: ${info[f] ?? ''}\n`);
    return 0;
  },
};
