// How to end one launch, wherever its processes are: the launcher's process group, every local
// process carrying the launch's marker in its environment (ranks under mpirun's daemons or
// slurmstepd are neither in that group nor its descendants), and for Slurm the job steps named
// after the launch (scancel reaches the ranks on every node, and mpirun's daemons' steps, which
// inherit the name through SLURM_JOB_NAME). Used by the run wrapper and by the launch guard
// (guard.ts) that ends the launch when the wrapper dies.
import { collect } from './exec.js';
import { groupAlive, killByEnv, pidsByEnv } from './procs.js';

export interface KillPlan {
  /** The launcher's process group (the guard starts the launcher as its leader). */
  pgid?: number;
  /** `NAME=value` in the environment of every process of the launch (unique per launch). */
  marker?: string;
  /** Slurm job steps to scancel: the job id and the steps' name. */
  slurmStep?: { job: string; name: string };
}

/** How long a query of slurmctld may take. */
const QUERY_MS = 15_000;

/** Sends `signal` to every part of the launch: the Slurm steps first (so the ranks get it from
 * slurmstepd on their own nodes), then the launcher's group and the marked local processes. */
export async function signalLaunch(plan: KillPlan, signal: NodeJS.Signals, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (plan.slurmStep) await scancelSteps(plan.slurmStep.job, plan.slurmStep.name, signal, env);
  if (plan.pgid) try { process.kill(-plan.pgid, signal); } catch { /* gone */ }
  if (plan.marker) killByEnv([plan.marker], signal);
}

/** Whether any local part of the launch is still alive (Slurm steps on other nodes are not seen). */
export function launchAlive(plan: KillPlan): boolean {
  return (plan.pgid !== undefined && groupAlive(plan.pgid)) || (plan.marker !== undefined && pidsByEnv([plan.marker]).length > 0);
}

/** Signals every step of `job` named `name` (squeue finds their ids, scancel signals them). */
export async function scancelSteps(job: string, name: string, signal: NodeJS.Signals, env: NodeJS.ProcessEnv): Promise<number> {
  const q = await collect('squeue', ['-h', '-s', '-j', job, '-o', '%i|%j'], { env, timeoutMs: QUERY_MS });
  if (q.code !== 0) return 0;
  const ids = q.stdout.split('\n').map((l) => l.split('|')).filter(([, n]) => n === name).map(([id]) => id!);
  for (const id of ids) await collect('scancel', [`--signal=${signal.replace(/^SIG/, '')}`, id], { env, timeoutMs: QUERY_MS });
  return ids.length;
}
