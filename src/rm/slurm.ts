// The Slurm adapter: the allocation from SLURM_JOB_ID / SLURM_JOB_NODELIST, down nodes from
// squeue (nodes Slurm took out of a --no-kill job) and sinfo (down, drained, failing or not
// responding), the end time from squeue's remaining time, runs by srun (or mpirun) restricted to
// chosen nodes, work on single nodes by `srun --overlap -w NODE` (or SCR_REMOTE_EXEC), and requeue
// by scontrol. Talks to Slurm only through its commands, so any version with these options works.
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { compressHostlist, expandHostlist } from '../common/hostlist.js';
import { collect, nodeResult } from './exec.js';
import { launchGuarded } from './guarded.js';
import { remoteExec } from './remote.js';
import type { LaunchSpec, NodeResult, ResourceManager, Run } from './types.js';

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

/** Whether `mpirun` is MPICH's hydra (which takes -hosts) rather than Open MPI's (--host). */
export function mpirunIsHydra(mpirun: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return /HYDRA/i.test(spawnSync(mpirun, ['--version'], { env, encoding: 'utf8', timeout: 10_000 }).stdout ?? '');
}

export class SlurmRM implements ResourceManager {
  readonly name = 'slurm';
  readonly #job: string;
  readonly #nodes: string[];
  #steps = 0;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly remote?: string) {
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
      const slots = spec.ppn > 0 ? spec.ppn : Number(this.env.SLURM_CPUS_ON_NODE) || 1;
      const hosts = spec.nodes.map((n) => `${n}:${slots}`).join(',');
      args.push(mpirunIsHydra(launcher, this.env) ? '-hosts' : '--host', hosts);
      if (spec.ppn > 0) args.push('-np', String(spec.nodes.length * spec.ppn));
    }
    // srun's step is found by its name, an mpirun's daemon steps (orted, hydra_pmi_proxy) as new
    // steps of those names (kill-plan.ts); every local process of the launch by the marker.
    const mark = `${this.#job}.${name}`;
    return launchGuarded({
      cmd: launcher, args: [...args, ...spec.argv], graceSeconds: spec.graceSeconds ?? 60,
      env: { ...this.env, ...spec.env, SLURM_JOB_NAME: name, SCRLAUNCH_ID: mark },
      plan: { slurmStep: { job: this.#job, name, daemons: !isSrun }, marker: `SCRLAUNCH_ID=${mark}` },
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
