// scr hostlist: expand and compress Slurm-style host lists.
import { compressHostlist, expandHostlist } from '../../common/hostlist.js';
import { UserError } from '../errors.js';
import { toJson } from '../output.js';
import type { CommandSpec } from '../spec.js';

export const hostlistCommand: CommandSpec = {
  name: 'hostlist',
  summary: 'expand or compress host lists such as node[1-4,7]',
  description: 'Without --expand or --compress: lists that contain brackets are expanded, plain host names are compressed.',
  examples: [
    ['scr hostlist --expand "node[1-4,7],gpu[01-02]"', 'one host per line: node1 node2 node3 node4 node7 gpu01 gpu02'],
    ['scr hostlist --compress n1 n2 n3 n10', 'n[1-3,10]'],
    ['scr hostlist --count "$SLURM_JOB_NODELIST"', 'how many nodes the job has'],
    ['scr hostlist --expand --json "n[1-3]"', '["n1","n2","n3"]'],
  ],
  exitCodes: [[0, 'done'], [2, 'a malformed host list (the message quotes the bad part)']],
  configure(cmd) {
    cmd.argument('<hosts...>', 'host lists (several arguments are joined with commas)')
      .option('-e, --expand', 'print every host')
      .option('-c, --compress', 'print the compressed list')
      .option('-n, --count', 'print the number of hosts')
      .option('--json', 'print JSON');
  },
  async run(args, opts, io) {
    if ([opts.expand, opts.compress, opts.count].filter(Boolean).length > 1) {
      throw new UserError('choose one of --expand, --compress and --count', { exitCode: 2 });
    }
    let hosts: string[];
    try {
      hosts = args.flatMap((a) => expandHostlist(a));
    } catch (e) {
      throw new UserError((e as Error).message, { exitCode: 2, cause: e });
    }
    const mode = opts.expand ? 'expand' : opts.compress ? 'compress' : opts.count ? 'count' : args.some((a) => a.includes('[')) ? 'expand' : 'compress';
    if (mode === 'count') io.out(opts.json ? `${toJson({ count: hosts.length })}\n` : `${hosts.length}\n`);
    else if (mode === 'expand') io.out(opts.json ? `${toJson(hosts, 0)}\n` : hosts.map((h) => `${h}\n`).join(''));
    else io.out(opts.json ? `${toJson(compressHostlist(hosts), 0)}\n` : `${compressHostlist(hosts)}\n`);
    return 0;
  },
};
