// How to end one launch, wherever its processes are: the launcher's process group, every local
// process carrying the launch's marker in its environment (ranks under mpirun's daemons or
// slurmstepd are neither in that group nor its descendants), and for Slurm the job steps named
// after the launch (scancel reaches the ranks on every node, and mpirun's daemons' steps, which
// inherit the name through SLURM_JOB_NAME), and for an mpirun the steps its daemons run in
// (measured: Open MPI names them `orted`, MPICH's hydra `hydra_pmi_proxy`), those that were not
// there before the launch. Used by the run wrapper and by the launch guard (guard.ts) that ends
// the launch when the wrapper dies.
import { collect } from './exec.js';
import { groupAlive, killByEnv, pidsByEnv } from './procs.js';

export interface KillPlan {
  /** The launcher's process group (the guard starts the launcher as its leader). */
  pgid?: number;
  /** `NAME=value` in the environment of every process of the launch (unique per launch). */
  marker?: string;
  /** Slurm job steps to scancel: the job id and the steps' name; with `daemons`, also steps of
   * mpirun's daemons, except those in `before` (step ids that existed before the launch). */
  slurmStep?: { job: string; name: string; daemons?: boolean; before?: string[] };
}

/** The step names of MPI launchers' daemons started through srun. */
const DAEMON_STEPS = new Set(['orted', 'prted', 'hydra_pmi_proxy']);

/** How long a query of slurmctld may take. */
const QUERY_MS = 15_000;

/** Sends `signal` to every part of the launch: the Slurm steps first (so the ranks get it from
 * slurmstepd on their own nodes), then the launcher's group and the marked local processes. */
export async function signalLaunch(plan: KillPlan, signal: NodeJS.Signals, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (plan.slurmStep) await scancelSteps(plan.slurmStep, signal, env);
  if (plan.pgid) try { process.kill(-plan.pgid, signal); } catch { /* gone */ }
  if (plan.marker) killByEnv([plan.marker], signal);
}

/** Whether any local part of the launch is still alive (Slurm steps on other nodes are not seen). */
export function launchAlive(plan: KillPlan): boolean {
  return (plan.pgid !== undefined && groupAlive(plan.pgid)) || (plan.marker !== undefined && pidsByEnv([plan.marker]).length > 0);
}

/** The job's steps as [id, name]. */
export async function jobSteps(job: string, env: NodeJS.ProcessEnv): Promise<Array<[string, string]>> {
  const q = await collect('squeue', ['-h', '-s', '-j', job, '-o', '%i|%j'], { env, timeoutMs: QUERY_MS });
  if (q.code !== 0) return [];
  return q.stdout.split('\n').filter(Boolean).map((l) => l.split('|') as [string, string]);
}

/** Signals the launch's steps (squeue finds their ids, scancel signals them); how many. */
export async function scancelSteps(step: NonNullable<KillPlan['slurmStep']>, signal: NodeJS.Signals, env: NodeJS.ProcessEnv): Promise<number> {
  const ours = (id: string, name: string) => name === step.name || (step.daemons && DAEMON_STEPS.has(name) && !step.before?.includes(id));
  const ids = (await jobSteps(step.job, env)).filter(([id, name]) => ours(id, name)).map(([id]) => id);
  for (const id of ids) await collect('scancel', [`--signal=${signal.replace(/^SIG/, '')}`, id], { env, timeoutMs: QUERY_MS });
  return ids.length;
}
