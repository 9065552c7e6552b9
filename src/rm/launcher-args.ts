// Splits a launcher command line (`srun [options] app…`, `mpirun [options] app…`) into the options
// the run wrapper must own (node count, node list, excluded nodes), the options it passes through,
// and the application. Which options take a separate value is a table per launcher; `--opt=value`
// is always one token. An option the table does not know is passed through as a flag, so
// `--unknown value` would be misread: write such options as `--unknown=value`.

export type LauncherKind = 'srun' | 'mpirun';

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

export interface LauncherArgs {
  kind: LauncherKind;
  /** Options passed through unchanged, in order. */
  pass: string[];
  /** The application and its arguments. */
  app: string[];
  /** Nodes asked for (srun -N / --nodes; the lower bound of a range), if given. */
  nodes?: number;
  /** srun -w / --nodelist, mpirun --host: the nodes to choose from, as written. */
  nodelist?: string;
  /** srun -x / --exclude: nodes never to use, as written. */
  exclude?: string;
}

export class LauncherArgsError extends Error {
  readonly code = 'ERR_SCR_USAGE';
}

/** Splits `args` (what follows the launcher's name). Throws LauncherArgsError when there is no
 * application or an owned option is malformed. */
export function parseLauncherArgs(kind: LauncherKind, args: readonly string[]): LauncherArgs {
  const out: LauncherArgs = { kind, pass: [], app: [] };
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    const { name, inline, count } = describe(kind, a);
    const values: string[] = [];
    if (inline !== undefined) values.push(inline);
    for (let k = values.length; k < count; k++) {
      const v = args[i + 1 + k - (inline !== undefined ? 1 : 0)];
      if (v === undefined) throw new LauncherArgsError(`${kind} option ${a} needs a value`);
      values.push(v);
    }
    const used = 1 + count - (inline !== undefined ? 1 : 0);
    if (!own(kind, name, values, out)) out.pass.push(...args.slice(i, i + used));
    i += used;
  }
  out.app = args.slice(i);
  if (!out.app.length) throw new LauncherArgsError(`no application after the ${kind} options (${args.join(' ') || 'none given'})`);
  return out;
}

function describe(kind: LauncherKind, a: string): { name: string; inline?: string; count: number } {
  const eq = a.indexOf('=');
  const body = a.replace(/^--?/, '');
  const name = eq > 0 ? body.slice(0, body.indexOf('=')) : body;
  const inline = eq > 0 ? a.slice(eq + 1) : undefined;
  if (kind === 'srun') {
    if (a.startsWith('--')) return { name, inline, count: SRUN_LONG.has(name) ? 1 : inline !== undefined ? 1 : 0 };
    // -n4 and -n 4 are both a count of tasks; a cluster of short flags (-lu) takes none.
    const short = a.slice(0, 2);
    if (SRUN_SHORT.has(short)) return a.length > 2 ? { name: short.slice(1), inline: a.slice(2).replace(/^=/, ''), count: 1 } : { name: short.slice(1), count: 1 };
    return { name: body, count: 0 };
  }
  if (MPIRUN_TWO.has(name)) return { name, count: 2 };
  return { name, inline, count: MPIRUN_ONE.has(name) || inline !== undefined ? 1 : 0 };
}

/** Takes the options the wrapper owns; false for the rest. */
function own(kind: LauncherKind, name: string, values: string[], out: LauncherArgs): boolean {
  if (kind === 'srun') {
    if (name === 'N' || name === 'nodes') {
      const n = Number(/^(\d+)/.exec(values[0]!)?.[1]);
      if (!Number.isInteger(n) || n < 1) throw new LauncherArgsError(`srun -N ${values[0]}: expected a number of nodes`);
      out.nodes = n;
      return true;
    }
    if (name === 'w' || name === 'nodelist') { out.nodelist = values[0]; return true; }
    if (name === 'x' || name === 'exclude') { out.exclude = values[0]; return true; }
    return false;
  }
  if (name === 'H' || name === 'host' || name === 'hosts') { out.nodelist = values[0]; return true; }
  return false;
}
