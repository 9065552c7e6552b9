// scr glob-hosts (installed as scr_glob_hosts): SCR's scr_glob_hosts, with its option letters, on
// the host-list code of scr hostlist (src/common/hostlist.ts). Its -c is a count and -C compresses,
// as in SCR; scr hostlist keeps its own spellings.
import { compressHostlist, expandHostlist } from '../../common/hostlist.js';
import { UserError } from '../errors.js';
import type { CommandSpec } from '../spec.js';

function expand(list: string, what: string): string[] {
  try {
    return expandHostlist(list);
  } catch (e) {
    throw new UserError(`${what}: ${(e as Error).message}`, { exitCode: 2, cause: e });
  }
}

/** `s1:s2` of --minus and --intersection: the last colon splits (host names have none). */
function pair(v: string, option: string): [string[], string[]] {
  const i = v.lastIndexOf(':');
  if (i < 0) throw new UserError(`${option} ${JSON.stringify(v)}: expected two host lists joined by a colon, e.g. "n[1-8]:n[3,5]"`, { exitCode: 2 });
  return [expand(v.slice(0, i), option), expand(v.slice(i + 1), option)];
}

export const globHostsCommand: CommandSpec = {
  name: 'glob-hosts',
  summary: 'SCR\'s scr_glob_hosts: count, pick, subtract, intersect or compress host lists',
  description: 'SCR\'s option letters: -c counts, -n picks the Nth host (1 the first, -1 the last), -C compresses a\n' +
    'comma-separated list; the host list is -h (or an argument). Without -c, -n or -e it prints the list compressed.\n' +
    'scr hostlist does the same with its own spellings (-c there compresses).',
  examples: [
    ['scr glob-hosts -c -h "n[1-4,7]"', '5 (the same as scr_glob_hosts -c -h …)'],
    ['scr_glob_hosts -n 1 -h "$SLURM_JOB_NODELIST"', 'the first node of the job'],
    ['scr_glob_hosts -m "n[1-8]:n[3,5]"', 'n[1-2,4,6-8]: the hosts of the first list not in the second'],
    ['scr_glob_hosts -i "n[1-8]:n[3,5,9]"', 'n[3,5]: the hosts in both'],
    ['scr_glob_hosts -C n1,n2,n3', 'n[1-3]'],
    ['scr_glob_hosts -e -h "n[1-3]"', 'one host per line'],
  ],
  exitCodes: [[0, 'done'], [1, '-n is out of range for the list'], [2, 'usage: no host list, or a malformed one (the message quotes the bad part)']],
  configure(cmd) {
    cmd.helpOption('--help', 'display help for command')
      .argument('[hosts...]', 'host lists (the same as -h; several are joined with commas)')
      .option('-h, --hosts <hosts>', 'the host list')
      .option('-c, --count', 'print the number of hosts')
      .option('-n, --nth <num>', 'print the Nth host (1 the first, -1 the last)')
      .option('-m, --minus <s1:s2>', 'the hosts of s1 not in s2')
      .option('-i, --intersection <s1:s2>', 'the hosts in both s1 and s2')
      .option('-C, --compress <csv>', 'compress a comma-separated host list')
      .option('-e, --expand', 'print one host per line');
  },
  async run(args, opts, io) {
    const sources = [opts.hosts, opts.minus, opts.intersection, opts.compress, args.length ? args : undefined].filter((v) => v !== undefined);
    if (sources.length !== 1) {
      throw new UserError(sources.length ? 'give one host list: -h, -m, -i, -C or an argument' : 'no host list: give -h HOSTS (or -m, -i, -C)', { exitCode: 2, hint: 'scr_glob_hosts -c -h "n[1-4]"' });
    }
    let hosts: string[];
    if (opts.minus !== undefined) { const [a, b] = pair(String(opts.minus), '--minus'); hosts = a.filter((h) => !b.includes(h)); }
    else if (opts.intersection !== undefined) { const [a, b] = pair(String(opts.intersection), '--intersection'); hosts = a.filter((h) => b.includes(h)); }
    else if (opts.compress !== undefined) hosts = expand(String(opts.compress), '--compress');
    else hosts = opts.hosts !== undefined ? expand(String(opts.hosts), '--hosts') : args.flatMap((a) => expand(a, 'hosts'));
    if (opts.nth !== undefined) {
      const n = Number(opts.nth);
      if (!Number.isInteger(n)) throw new UserError(`--nth ${String(opts.nth)}: expected a whole number (1 the first, -1 the last)`, { exitCode: 2 });
      if (n === 0 || Math.abs(n) > hosts.length) throw new UserError(`--nth ${n} is out of range for a list of ${hosts.length} host(s)`, { exitCode: 1 });
      io.out(`${hosts[n > 0 ? n - 1 : hosts.length + n]}\n`);
    } else if (opts.count) io.out(`${hosts.length}\n`);
    else if (opts.expand) io.out(hosts.map((h) => `${h}\n`).join(''));
    else io.out(`${compressHostlist(hosts)}\n`);
    return 0;
  },
};
