// The Slurm adapter: the allocation from SLURM_JOB_ID / SLURM_JOB_NODELIST, down nodes from
// squeue (nodes Slurm took out of a --no-kill job) and sinfo (down, drained, failing or not
// responding), the end time from squeue's remaining time, runs by srun (or mpirun) restricted to
// chosen nodes, work on single nodes by `srun --overlap -w NODE` (or SCR_REMOTE_EXEC), and requeue
// by scontrol, ending a launch's steps by scancel, the user's other jobs by squeue (scr clean).
// Talks to Slurm only through its commands, so any version with these options works.
import { basename } from 'node:path';
import { compressHostlist, expandHostlist } from '../../common/hostlist.js';
import type { ResolvedConfig } from '../../config/resolve.js';
import { collect, nodeResult } from '../exec.js';
import { launchGuarded } from '../guarded.js';
import { mpirunNodeArgs } from '../mpirun.js';
import { remoteExec } from '../remote.js';
import type { LaunchSpec, ManagerModule, NodeResult, ResourceManager, Run } from '../types.js';

/** How long a query of slurmctld may take before it counts as unanswered. */
const QUERY_MS = 15_000;

export class SlurmError extends Error {
  readonly code = 'ERR_SCR_SLURM';
}

/** Seconds in squeue's %L (`2-03:05:00`, `1:30:00`, `4:59`, `59`); null for UNLIMITED, NOT_SET or
 * anything else it does not recognise. */
export function parseRemaining(s: string): number | null {
  const m = /^(?:(\d+)-)?(?:(?:(\d+):)?(\d+):)?(\d+)$/.exec(s.trim());
  if (!m) return null;
  const [, d, h, min, sec] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(sec);
}

/** Node states (sinfo %t, without the `*` of a node not responding) that mean "do not run here". */
const BAD_STATES = new Set(['down', 'drain', 'drng', 'drained', 'draining', 'fail', 'failg', 'maint', 'unk', 'futr', 'npc', 'boot', 'powered_down', 'pow_dn', 'powering_down']);

/** Down nodes from `sinfo -h -N -o '%N|%t|%E'` output: a bad state, or `*` (not responding). */
export function parseSinfo(out: string): Map<string, string> {
  const down = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [node, state, reason] = line.split('|');
    if (!node || !state) continue;
    const base = state.replace(/[*~#!%$@^-]+$/, '');
    if (BAD_STATES.has(base) || state.endsWith('*')) {
      const why = reason && reason !== 'none' ? `: ${reason}` : '';
      down.set(node.trim(), `Slurm state ${state}${state.endsWith('*') ? ' (not responding)' : ''}${why}`);
    }
  }
  return down;
}

export class SlurmRM implements ResourceManager {
  readonly name = 'slurm';
  readonly requeueCommand = 'scontrol requeue';
  readonly #job: string;
  readonly #nodes: string[];
  #steps = 0;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly remote?: string) {
    // (remote: SCR_REMOTE_EXEC, how exec() reaches a node instead of srun --overlap)
    const job = env.SLURM_JOB_ID ?? env.SLURM_JOBID;
    const list = env.SLURM_JOB_NODELIST ?? env.SLURM_NODELIST;
    if (!job || !list) throw new SlurmError('not inside a Slurm allocation (SLURM_JOB_ID and SLURM_JOB_NODELIST are not set): run this in an sbatch script or an salloc shell');
    this.#job = job;
    this.#nodes = expandHostlist(list);
  }

  jobId(): string { return this.#job; }
  nodes(): string[] { return [...this.#nodes]; }

  async #query(cmd: string, args: string[]): Promise<string> {
    const r = await collect(cmd, args, { env: this.env, timeoutMs: QUERY_MS });
    if (r.code !== 0) throw new SlurmError(`${cmd} ${args.join(' ')} failed: ${r.failure ?? (r.stderr.trim() || `exit ${r.code}`)}`);
    return r.stdout;
  }

  async downNodes(): Promise<Map<string, string>> {
    const all = compressHostlist(this.#nodes);
    const [queued, info] = await Promise.all([
      this.#query('squeue', ['-h', '-j', this.#job, '-o', '%N']),
      this.#query('sinfo', ['-h', '-N', '-n', all, '-o', '%N|%t|%E']),
    ]);
    const down = parseSinfo(info);
    const current = queued.trim() ? new Set(expandHostlist(queued.trim())) : null;
    if (current) {
      for (const n of this.#nodes) if (!current.has(n) && !down.has(n)) down.set(n, 'no longer in the allocation (Slurm removed it after a node failure)');
    }
    return down;
  }

  async endTime(): Promise<number | null> {
    // %l is the limit (UNLIMITED for none: %L then counts down from a year), %L what is left.
    const [limit, rest] = (await this.#query('squeue', ['-h', '-j', this.#job, '-o', '%l|%L'])).trim().split('|');
    const left = parseRemaining(rest ?? '');
    return left === null || parseRemaining(limit ?? '') === null ? null : Math.floor(Date.now() / 1000) + left;
  }

  launch(spec: LaunchSpec): Run {
    const name = `scr.${process.pid}.${++this.#steps}`;
    const launcher = spec.launcher ?? 'srun';
    const args = [...(spec.launcherArgs ?? [])];
    const isSrun = basename(launcher).startsWith('srun');
    if (isSrun) {
      args.push(`--job-name=${name}`, `--nodelist=${compressHostlist(spec.nodes)}`, `--nodes=${spec.nodes.length}`);
      if (spec.ppn > 0) args.push(`--ntasks=${spec.nodes.length * spec.ppn}`, `--ntasks-per-node=${spec.ppn}`);
    } else {
      // mpirun in the allocation starts its daemons through srun; it is told the nodes and their slots.
      args.push(...mpirunNodeArgs(launcher, spec.nodes, spec.ppn, () => Number(this.env.SLURM_CPUS_ON_NODE) || 1, this.env));
    }
    // srun's step is found by its name, an mpirun's daemon steps (orted, hydra_pmi_proxy) as new
    // steps of those names (kill-plan.ts); every local process of the launch by the marker.
    const mark = `${this.#job}.${name}`;
    return launchGuarded({
      cmd: launcher, args: [...args, ...spec.argv], graceSeconds: spec.graceSeconds ?? 60,
      env: { ...this.env, ...spec.env, SLURM_JOB_NAME: name, SCRLAUNCH_ID: mark },
      plan: { rm: { manager: 'slurm', data: { job: this.#job, name, daemons: !isSrun } satisfies SlurmSteps }, marker: `SCRLAUNCH_ID=${mark}` },
    });
  }

  /** The job's time limit in seconds (squeue %l); null when unlimited or unknown. */
  async timeLimit(): Promise<number | null> {
    return parseRemaining((await this.#query('squeue', ['-h', '-j', this.#job, '-o', '%l'])).trim());
  }

  exec(nodes: string[], argv: string[], timeoutMs: number): Promise<NodeResult[]> {
    if (this.remote) return remoteExec(this.remote, nodes, argv, timeoutMs, { ...this.env, SCR_JOB_ID: this.env.SCR_JOB_ID ?? this.#job });
    return Promise.all(nodes.map(async (node) => {
      return nodeResult(node, await collect('srun', ['--overlap', '--nodes=1', '--ntasks=1', `--nodelist=${node}`, `--job-name=scr.exec`, '--quiet',
        'env', `SCR_NODE_NAME=${node}`, ...argv], { env: this.env, timeoutMs }));
    }));
  }

  /** Puts the job back in the queue (`scontrol requeue`); Slurm then ends this run of the job. */
  async requeue(): Promise<void> {
    await this.#query('scontrol', ['requeue', this.#job]);
  }
}

/** A launch's Slurm job steps: the job id and the steps' name; with `daemons`, also the steps of
 * mpirun's daemons, except those in `before` (step ids that existed before the launch). */
export interface SlurmSteps { job: string; name: string; daemons?: boolean; before?: string[] }

/** The step names of MPI launchers' daemons started through srun (measured: Open MPI names them
 * `orted`, MPICH's hydra `hydra_pmi_proxy`). */
const DAEMON_STEPS = new Set(['orted', 'prted', 'hydra_pmi_proxy']);

/** The job's steps as [id, name]. */
export async function jobSteps(job: string, env: NodeJS.ProcessEnv): Promise<Array<[string, string]>> {
  const q = await collect('squeue', ['-h', '-s', '-j', job, '-o', '%i|%j'], { env, timeoutMs: QUERY_MS });
  if (q.code !== 0) return [];
  return q.stdout.split('\n').filter(Boolean).map((l) => l.split('|') as [string, string]);
}

/** Signals the launch's steps (squeue finds their ids, scancel signals them, so the ranks get it
 * from slurmstepd on their own nodes); how many. */
export async function scancelSteps(step: SlurmSteps, signal: NodeJS.Signals, env: NodeJS.ProcessEnv): Promise<number> {
  const ours = (id: string, name: string) => name === step.name || (step.daemons && DAEMON_STEPS.has(name) && !step.before?.includes(id));
  const ids = (await jobSteps(step.job, env)).filter(([id, name]) => ours(id, name)).map(([id]) => id);
  for (const id of ids) await collect('scancel', [`--signal=${signal.replace(/^SIG/, '')}`, id], { env, timeoutMs: QUERY_MS });
  return ids.length;
}

/** What squeue says when no slurm.conf can be found (measured with Debian's slurm-client 22.05
 * without a configuration: "squeue: fatal: Could not establish a configuration source"). */
export const NO_CONFIG = /Could not establish a configuration source|Unable to process configuration file/;

/** The Slurm job ids squeue lists for this user (any state); null when squeue is not installed or
 * has no configuration here. */
async function liveJobs(env: NodeJS.ProcessEnv): Promise<Set<string> | null> {
  const r = await collect('squeue', ['-h', '-u', String(process.getuid?.() ?? ''), '-o', '%A'], { env, timeoutMs: 30_000 });
  if (r.code === null && /ENOENT/.test(r.failure ?? '')) return null;
  // A Slurm client with no configuration here (another scheduler's site): no Slurm to ask.
  if (r.code !== 0 && NO_CONFIG.test(r.stderr)) return null;
  if (r.code !== 0) throw new SlurmError(`squeue failed: ${(r.stderr.trim().split('\n').at(-1) || r.failure || `exit ${r.code}`).trim()}`);
  return new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
}

export const manager: ManagerModule = {
  name: 'slurm',
  title: 'Slurm',
  order: 20,
  needs: 'SLURM_JOB_ID and SLURM_JOB_NODELIST',
  detect: (env) => Boolean((env.SLURM_JOB_ID || env.SLURM_JOBID) && (env.SLURM_JOB_NODELIST || env.SLURM_NODELIST)),
  create: (env, cfg: ResolvedConfig) => new SlurmRM(env, cfg.optStr('SCR_REMOTE_EXEC') ?? undefined),
  async signalLaunch(data, signal, env) { await scancelSteps(data as SlurmSteps, signal, env); },
  // An mpirun's daemon steps are told from other steps of the job by being new.
  async beforeLaunch(data, env) {
    const d = data as SlurmSteps;
    return d.daemons ? { ...d, before: (await jobSteps(d.job, env)).map(([id]) => id) } : d;
  },
  ownsJobId: (id) => /^\d+$/.test(id),
  liveJobs,
  queueCommand: 'squeue',
};
