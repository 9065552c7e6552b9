// Pointing an mpirun (Open MPI's or MPICH's hydra; also as mpiexec) at chosen nodes: what every
// adapter whose job may be launched by mpirun shares (Slurm, PBS, LSF, the hostfile allocation).
import { spawnSync } from 'node:child_process';

const hydra = new Map<string, boolean>();

/** Whether `mpirun` is MPICH's hydra (which takes -hosts) rather than Open MPI's (--host). Asked
 * once per process for each command and PATH (a wrapper that relaunches asks once, not per run). */
export function mpirunIsHydra(mpirun: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const key = `${mpirun}\0${env.PATH ?? ''}`;
  let is = hydra.get(key);
  if (is === undefined) {
    is = /HYDRA/i.test(spawnSync(mpirun, ['--version'], { env, encoding: 'utf8', timeout: 10_000 }).stdout ?? '');
    hydra.set(key, is);
  }
  return is;
}

/** The options that restrict `mpirun` to `nodes` with `slots(node)` slots each, and with `ppn` > 0
 * start nodes × ppn ranks (blocks: ppn per node). */
export function mpirunNodeArgs(mpirun: string, nodes: readonly string[], ppn: number, slots: (node: string) => number, env: NodeJS.ProcessEnv): string[] {
  const hosts = nodes.map((n) => `${n}:${ppn > 0 ? ppn : slots(n)}`).join(',');
  const args = [mpirunIsHydra(mpirun, env) ? '-hosts' : '--host', hosts];
  if (ppn > 0) args.push('-np', String(nodes.length * ppn));
  return args;
}
