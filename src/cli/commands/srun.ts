// scr srun: SCR's scr_srun — the run loop around srun (SPEC §7, §8).
import type { CommandSpec } from '../spec.js';
import { WRAP_EXIT_CODES, wrapLauncher } from '../wrap.js';

export function wrapperOptions(cmd: import('commander').Command): void {
  cmd.option('--requeue', 'when the job stops for lack of time (warning signal or SCR_HALT_SECONDS), requeue it after the scavenge')
    .option('--runs <n>', 'launches allowed in this allocation, -1 for no limit (default SCR_RUNS)')
    .option('--prefix <dir>', 'prefix directory (default SCR_PREFIX, else the current directory)')
    .allowUnknownOption().passThroughOptions();
}

export const srunCommand: CommandSpec = {
  name: 'srun',
  summary: 'run an MPI job with srun; relaunch it without failed nodes; halt on the walltime signal; scavenge; requeue',
  description: 'Launches `srun [srun options] app`, streaming its output, and when the run ends: stops if the application\n' +
    'called finalize, a halt condition holds, SCR_RUNS launches are used up or fewer than SCR_MIN_NODES nodes are\n' +
    'left; otherwise relaunches on the nodes still up (a down node stays down; with -N, a spare takes its place).\n' +
    'SIGUSR1/SIGUSR2 (#SBATCH --signal=B:USR1@N, with `exec scr srun …` in the script) and the remaining time\n' +
    '(SCR_HALT_SECONDS before the end, from squeue) halt the job: it checkpoints and exits. Then it scavenges the\n' +
    'cache to the prefix (scr postrun) and, with --requeue, requeues the job if it ran out of time.\n' +
    'scr\'s own options come before the srun options; -N, --nodelist and --exclude are scr\'s to set per launch.',
  examples: [
    ['scr srun -n 8 --mpi=pmix node app.js', 'one run on all nodes of the allocation'],
    ['SCR_RUNS=3 scr srun -N 4 -n 8 --mpi=pmix node app.js', '4 of the allocation\'s nodes; up to 3 launches, spares replacing failed nodes'],
    ['exec scr srun --requeue -n 8 node app.js', 'in an sbatch script with --signal=B:USR1@120: halt, scavenge, requeue'],
  ],
  exitCodes: WRAP_EXIT_CODES,
  configure(cmd) {
    wrapperOptions(cmd);
    cmd.argument('<srun-args...>', 'srun options, then the application and its arguments');
  },
  run: (args, opts, io) => wrapLauncher('srun', 'srun', args, opts, io),
};
