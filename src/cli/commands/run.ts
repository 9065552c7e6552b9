// scr run <launcher>: SCR's scr_run — the run loop around srun or mpirun (SPEC §8).
import { basename } from 'node:path';
import { managers } from '../../rm/registry.js';
import { UserError } from '../errors.js';
import type { CommandSpec } from '../spec.js';
import { WRAP_EXIT_CODES, wrapLauncher } from '../wrap.js';
import { wrapperOptions } from './srun.js';

export const runCommand: CommandSpec = {
  name: 'run',
  summary: 'as scr srun, with the launcher named: srun or an mpirun (Open MPI or MPICH) inside the allocation',
  description: 'The launcher is srun or mpirun (also mpiexec, mpirun.openmpi, mpirun.mpich or a path to one), or one the\n' +
    'resource manager provides (LSF: jsrun; Flux: flux run; docs/resource-managers.md). With mpirun the\n' +
    'nodes of each launch are given as --host (Open MPI) or -hosts (MPICH) with their slots; everything else is\n' +
    'as scr srun: relaunch without down nodes, halt on signals and time, scavenge, --requeue. scr\'s own options\n' +
    '(--requeue, --runs, --prefix) come before the launcher.',
  examples: [
    ['scr run srun -n 8 --mpi=pmix node app.js', 'the same as scr srun -n 8 …'],
    ['scr run mpirun -np 8 node app.js', 'Open MPI or MPICH mpirun in a Slurm allocation'],
    ['scr run --requeue srun -n 8 node app.js', 'scr\'s options first'],
  ],
  exitCodes: WRAP_EXIT_CODES,
  configure(cmd) {
    wrapperOptions(cmd);
    cmd.argument('<launcher>', 'srun or mpirun').argument('<launcher-args...>', 'its options, then the application and its arguments');
  },
  async run(args, opts, io) {
    const [launcher, ...rest] = args;
    const others = (await managers()).flatMap((m) => Object.keys(m.launchers ?? {}).map((l) => ({ l, m: m.title })));
    if (!/^(srun|mpirun|mpiexec)(\.\w+)?$/.test(basename(launcher!)) && !others.some((o) => o.l === basename(launcher!))) {
      const more = others.length ? `, or ${others.map((o) => `${o.l} (${o.m})`).join(', ')}` : '';
      throw new UserError(`unknown launcher "${launcher}": scr run takes srun or mpirun (mpiexec, mpirun.openmpi, mpirun.mpich)${more}`, { exitCode: 2 });
    }
    return wrapLauncher('run', launcher!, rest, opts, io);
  },
};
