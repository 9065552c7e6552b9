// The local simulated cluster (SPEC §9): nodes n0…n(N+S−1) on one machine, each a group of
// ranks with its own SCR_NODE_NAME (so its own node.<name> directories), launched as one
// MPMD mpirun. Failing a node kills its ranks (found by their environment) and deletes its cache
// and control directories, as losing a real node loses them.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { builtFlavours, type MpiFlavour } from '../native/paths.js';
import { collect, nodeResult } from './exec.js';
import { launchGuarded } from './guarded.js';
import { killByEnv } from './procs.js';
import { remoteExec } from './remote.js';
import type { LaunchSpec, NodeResult, ResourceManager, Run } from './types.js';

export { killByEnv } from './procs.js';

export interface SimOptions {
  nodes: number;
  spares: number;
  jobId: string;
  flavour?: MpiFlavour;
  /** SCR_REMOTE_EXEC, if set: how exec() reaches a node (else it runs the command here). */
  remote?: string;
}

export function mpirunCommand(flavour: MpiFlavour): { cmd: string; env: Record<string, string> } {
  if (flavour === 'openmpi') {
    const env: Record<string, string> = { OMPI_MCA_rmaps_base_oversubscribe: '1' };
    if (process.getuid?.() === 0) Object.assign(env, { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' });
    return { cmd: 'mpirun.openmpi', env };
  }
  return { cmd: 'mpirun.mpich', env: {} };
}

export class SimCluster implements ResourceManager {
  readonly name = 'sim';
  readonly #all: string[];
  readonly #down = new Map<string, string>();
  readonly flavour: MpiFlavour;
  #launches = 0;
  /** The marker of the current launch (SCRSIM_RUN). */
  #run = '';

  constructor(readonly opts: SimOptions) {
    this.#all = Array.from({ length: opts.nodes + opts.spares }, (_, i) => `n${i}`);
    const built = builtFlavours();
    this.flavour = opts.flavour ?? (built.includes('openmpi') ? 'openmpi' : built[0] ?? 'openmpi');
  }

  jobId(): string { return this.opts.jobId; }
  nodes(): string[] { return [...this.#all]; }
  async downNodes(): Promise<Map<string, string>> { return new Map(this.#down); }
  async endTime(): Promise<number | null> { return null; }

  /** Marks a node down (sticky for the allocation). */
  markDown(node: string, reason: string): void {
    this.#down.set(node, reason);
  }

  launch(spec: LaunchSpec): Run {
    const { cmd, env } = mpirunCommand(this.flavour);
    const args: string[] = [];
    spec.nodes.forEach((n, i) => {
      if (i) args.push(':');
      args.push('-np', String(spec.ppn), 'env', `SCR_NODE_NAME=${n}`, ...spec.argv);
    });
    // Every rank carries a marker of this launch, so killing the run finds all its ranks (they are
    // not all in mpirun's process group) and nothing else, even processes of the same job id.
    this.#run = `${this.opts.jobId}.${process.pid}.${++this.#launches}`;
    const marker = `SCRSIM_RUN=${this.#run}`;
    return launchGuarded({
      cmd, args, env: { ...process.env, ...env, ...spec.env, SCR_JOB_ID: this.opts.jobId, SCRSIM_RUN: this.#run },
      graceSeconds: spec.graceSeconds ?? 60, plan: { marker },
    });
  }

  exec(nodes: string[], argv: string[], timeoutMs: number): Promise<NodeResult[]> {
    if (this.opts.remote) return remoteExec(this.opts.remote, nodes, argv, timeoutMs, process.env);
    const [cmd, ...args] = argv;
    return Promise.all(nodes.map(async (node) => {
      return nodeResult(node, await collect(cmd!, args, { env: { ...process.env, SCR_NODE_NAME: node, SCR_JOB_ID: this.opts.jobId }, timeoutMs }));
    }));
  }

  /** Kills the ranks running as `node` in the current launch (found by SCR_NODE_NAME and
   * SCRSIM_RUN in their environment) and deletes the node's cache and control directories. */
  fail(node: string, dirs: string[]): number {
    const killed = this.#run ? killByEnv([`SCR_NODE_NAME=${node}`, `SCRSIM_RUN=${this.#run}`]) : 0;
    for (const d of dirs) if (existsSync(d)) rmSync(d, { recursive: true, force: true });
    this.markDown(node, 'failed (scr sim --fail)');
    return killed;
  }
}

/** Whether an MPI launcher for the flavour is installed. */
export function haveLauncher(flavour: MpiFlavour): boolean {
  return spawnSync('sh', ['-c', `command -v ${mpirunCommand(flavour).cmd}`]).status === 0;
}
