// Splits a launcher command line (`srun [options] app…`, `mpirun [options] app…`, and the launchers
// a resource manager's module describes: `jsrun`, `flux run`) into the options the run wrapper must
// own (node count, node list, excluded nodes), the options it passes through, and the application.
// Which options take a separate value is a table per launcher (a LauncherSyntax); `--opt=value` is
// always one token. An option the table does not know is passed through as a flag, so
// `--unknown value` would be misread: write such options as `--unknown=value`.
import type { LauncherSyntax } from './types.js';


/** srun 22.05 options that take a value (`-n 4`, `--ntasks 4`). */
const SRUN_SHORT = new Set('AbcdDeiJLMmnNopqrSTtWwxCGB'.split('').map((c) => `-${c}`));
const SRUN_LONG = new Set(['account', 'acctg-freq', 'bb', 'bbf', 'bcast', 'begin', 'cpus-per-task', 'comment', 'container',
  'cpu-freq', 'dependency', 'deadline', 'delay-boot', 'chdir', 'export', 'error', 'epilog', 'gres', 'gres-flags', 'input',
  'jobid', 'job-name', 'licenses', 'clusters', 'distribution', 'mail-type', 'mail-user', 'mcs-label', 'mpi', 'ntasks',
  'ntasks-per-node', 'nodes', 'output', 'het-group', 'partition', 'power', 'priority', 'prolog', 'profile', 'qos',
  'relative', 'core-spec', 'slurmd-debug', 'switches', 'task-epilog', 'task-prolog', 'thread-spec', 'threads', 'time',
  'time-min', 'wait', 'wckey', 'cluster-constraint', 'constraint', 'mem', 'mincpus', 'reservation', 'tmp', 'nodelist',
  'exclude', 'mem-per-cpu', 'sockets-per-node', 'cores-per-socket', 'threads-per-core', 'extra-node-info',
  'ntasks-per-core', 'ntasks-per-socket', 'cpus-per-gpu', 'gpus', 'gpu-bind', 'gpu-freq', 'gpus-per-node',
  'gpus-per-socket', 'gpus-per-task', 'mem-per-gpu', 'cpu-bind', 'mem-bind', 'hint', 'network', 'signal', 'uid', 'gid', 'nodefile', 'tres-per-task', 'ntasks-per-gpu', 'accel-bind', 'open-mode']);
/** Open MPI 4.1 and MPICH 4.0 (hydra) mpirun options that take a value; `--mca`/`-mca`/`-gmca`
 * take two. Both accept single-dash long options. */
const MPIRUN_ONE = new Set(['n', 'np', 'c', 'N', 'npernode', 'npersocket', 'ppn', 'H', 'host', 'hosts', 'hostfile',
  'machinefile', 'f', 'default-hostfile', 'x', 'env', 'genv', 'genvlist', 'envlist', 'map-by', 'rank-by', 'bind-to',
  'wdir', 'wd', 'path', 'prefix', 'output-filename', 'tag-output-prefix', 'report-uri', 'timeout', 'launcher',
  'bootstrap', 'bootstrap-exec', 'rmk', 'demux', 'iface', 'configfile', 'preload-files', 's', 'stdin', 'am',
  'tune', 'cpus-per-proc', 'cpus-per-rank', 'tmpdir', 'output', 'personality', 'display-map-format', 'hostfile-order']);
const MPIRUN_TWO = new Set(['mca', 'gmca', 'gmcaparams']);

/** srun: short options cluster (`-lu`), and a short option's value may be glued on (`-n4`). */
export const SRUN: LauncherSyntax & { name: string; clusters: true } = {
  name: 'srun', clusters: true,
  valued: [...SRUN_SHORT].map((o) => o.slice(1)).concat([...SRUN_LONG]), glued: [...SRUN_SHORT].map((o) => o.slice(1)),
  owned: { nodes: ['N', 'nodes'], nodelist: ['w', 'nodelist'], exclude: ['x', 'exclude'] },
};
/** Open MPI's and MPICH's mpirun (and mpiexec): single-dash long options. */
export const MPIRUN: LauncherSyntax & { name: string } = {
  name: 'mpirun', valued: [...MPIRUN_ONE], twoValued: [...MPIRUN_TWO], owned: { nodelist: ['H', 'host', 'hosts'] },
};

export type NamedSyntax = LauncherSyntax & { name: string; clusters?: boolean };

export interface LauncherArgs {
  /** The launcher's name as messages give it. */
  kind: string;
  /** Options passed through unchanged, in order. */
  pass: string[];
  /** The application and its arguments. */
  app: string[];
  /** Nodes asked for (srun -N / --nodes; the lower bound of a range; or worked out by the
   * syntax's nodeCount, as jsrun's from --nrs and --rs_per_host), if given. */
  nodes?: number;
  /** srun -w / --nodelist, mpirun --host: the nodes to choose from, as written. */
  nodelist?: string;
  /** srun -x / --exclude (and the like): nodes never to use, as written. */
  exclude?: string;
}

export class LauncherArgsError extends Error {
  readonly code = 'ERR_SCR_USAGE';
}

/** Splits `args` (what follows the launcher's name). Throws LauncherArgsError when there is no
 * application or an owned option is malformed. `srun` and `mpirun` name the built-in tables. */
export function parseLauncherArgs(kind: 'srun' | 'mpirun' | NamedSyntax, args: readonly string[]): LauncherArgs {
  const syn: NamedSyntax = kind === 'srun' ? SRUN : kind === 'mpirun' ? MPIRUN : kind;
  const out: LauncherArgs = { kind: syn.name, pass: [], app: [] };
  const given = new Map<string, string>();
  let i = 0;
  for (const w of syn.lead ?? []) {
    if (args[i] !== w) throw new LauncherArgsError(`${syn.name} must be followed by ${(syn.lead ?? []).join(' ')} (got ${args[i] ?? 'nothing'})`);
    out.pass.push(w);
    i++;
  }
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    const { name, inline, count } = describe(syn, a);
    const values: string[] = [];
    if (inline !== undefined) values.push(inline);
    for (let k = values.length; k < count; k++) {
      const v = args[i + 1 + k - (inline !== undefined ? 1 : 0)];
      if (v === undefined) throw new LauncherArgsError(`${syn.name} option ${a} needs a value`);
      values.push(v);
    }
    const used = 1 + count - (inline !== undefined ? 1 : 0);
    if (!own(syn, inline !== undefined ? a : `${a} ${values.join(' ')}`.trim(), name, values, out)) {
      out.pass.push(...args.slice(i, i + used));
      if (values.length) { given.delete(name); given.set(name, values[0]!); } // in the order last given
    }
    i += used;
  }
  if (out.nodes === undefined && syn.nodeCount) {
    const n = syn.nodeCount(given);
    if (n !== undefined) out.nodes = n;
  }
  out.app = args.slice(i);
  if (!out.app.length) throw new LauncherArgsError(`no application after the ${syn.name} options (${args.join(' ') || 'none given'})`);
  return out;
}

function describe(syn: NamedSyntax, a: string): { name: string; inline?: string; count: number } {
  const eq = a.indexOf('=');
  const body = a.replace(/^--?/, '');
  const name = eq > 0 ? body.slice(0, body.indexOf('=')) : body;
  const inline = eq > 0 ? a.slice(eq + 1) : undefined;
  const takes = (n: string) => (syn.twoValued?.includes(n) ? 2 : syn.valued.includes(n) ? 1 : 0);
  if (!a.startsWith('--') && syn.clusters) {
    // -n4 and -n 4 are both a count of tasks; a cluster of short flags (-lu) takes none.
    const short = a.slice(1, 2);
    if (syn.glued?.includes(short) && a.length > 2) return { name: short, inline: a.slice(2).replace(/^=/, ''), count: 1 };
    if (a.length === 2) return { name: short, count: takes(short) };
    return { name: body, count: 0 };
  }
  if (!a.startsWith('--') && a.length > 2 && syn.glued?.includes(a.slice(1, 2)) && !syn.valued.includes(name)) {
    return { name: a.slice(1, 2), inline: a.slice(2).replace(/^=/, ''), count: 1 };
  }
  const n = takes(name);
  return { name, inline, count: n || (inline !== undefined ? 1 : 0) };
}

/** Takes the options the wrapper owns; false for the rest. `written`: the option as given. */
function own(syn: NamedSyntax, written: string, name: string, values: string[], out: LauncherArgs): boolean {
  const o = syn.owned;
  if (o.nodes?.includes(name)) {
    const n = Number(/^(\d+)/.exec(values[0]!)?.[1]);
    if (!Number.isInteger(n) || n < 1) throw new LauncherArgsError(`${syn.name} ${written}: expected a number of nodes`);
    out.nodes = n;
    return true;
  }
  if (o.nodelist?.includes(name)) { out.nodelist = values[0]; return true; }
  if (o.exclude?.includes(name)) { out.exclude = values[0]; return true; }
  return false;
}
