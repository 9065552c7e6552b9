// How to end one launch, wherever its processes are: the launcher's process group, every local
// process carrying the launch's marker in its environment (ranks under mpirun's daemons or
// slurmstepd are neither in that group nor its descendants), and what the resource manager runs
// elsewhere (Slurm: the job steps named after the launch), through its module's signalLaunch.
// Used by the run wrapper and by the launch guard (guard.ts) that ends the launch when the
// wrapper dies.
import { managerNamed } from './registry.js';
import { groupAlive, killByEnv, pidsByEnv } from './procs.js';

export interface KillPlan {
  /** The launcher's process group (the guard starts the launcher as its leader). */
  pgid?: number;
  /** `NAME=value` in the environment of every process of the launch (unique per launch). */
  marker?: string;
  /** The manager's own part: its module's name and the data its signalLaunch reads (JSON). */
  rm?: { manager: string; data: unknown };
}

/** Sends `signal` to every part of the launch: the manager's remote parts first (so the ranks get
 * it on their own nodes), then the launcher's group and the marked local processes. */
export async function signalLaunch(plan: KillPlan, signal: NodeJS.Signals, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (plan.rm) {
    const m = await managerNamed(plan.rm.manager);
    await m?.signalLaunch?.(plan.rm.data, signal, env).catch(() => undefined);
  }
  if (plan.pgid) try { process.kill(-plan.pgid, signal); } catch { /* gone */ }
  if (plan.marker) killByEnv([plan.marker], signal);
}

/** Runs the manager's preparation of the plan (in the guard, before the launcher starts). */
export async function prepareLaunch(plan: KillPlan, env: NodeJS.ProcessEnv): Promise<void> {
  if (!plan.rm) return;
  const m = await managerNamed(plan.rm.manager);
  if (m?.beforeLaunch) plan.rm.data = await m.beforeLaunch(plan.rm.data, env);
}

/** Whether any local part of the launch is still alive (remote parts on other nodes are not seen). */
export function launchAlive(plan: KillPlan): boolean {
  return (plan.pgid !== undefined && groupAlive(plan.pgid)) || (plan.marker !== undefined && pidsByEnv([plan.marker]).length > 0);
}
