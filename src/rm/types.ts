// The resource-manager interface the batch-script commands use (SPEC §8). Each adapter is one
// file implementing it: the simulated cluster (sim.ts) and Slurm (slurm.ts); LSF, Flux or PBS
// would be one more file each.
export interface LaunchSpec {
  /** Nodes to run on, in order. */
  nodes: string[];
  /** Ranks per node (blocks: node 0 gets ranks 0..ppn−1); 0 leaves the count to the launcher's
   * own options (e.g. srun -n). */
  ppn: number;
  /** The launcher: srun (the default) or an mpirun (Open MPI or MPICH), by name or path. */
  launcher?: string;
  /** Launcher options of the user's, passed through (e.g. srun --mpi=pmix -n 8). */
  launcherArgs?: string[];
  argv: string[];
  env: Record<string, string>;
  /** Seconds the launch gets to end after SIGTERM if the wrapper dies (SCR_HALT_GRACE; default 20):
   * the launcher runs under a guard that then ends it (src/rm/guard.ts). */
  graceSeconds?: number;
}

export interface Run {
  /** Resolves to the exit code (or null if killed by a signal) when the run ends. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) to the run: the launcher and all ranks on every node. */
  kill(signal?: NodeJS.Signals): void;
}

/** What a command printed on one node. */
export interface NodeResult {
  node: string;
  /** Exit code; null when it did not answer in time or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ResourceManager {
  readonly name: string;
  jobId(): string;
  /** Every node of the allocation, in order. */
  nodes(): string[];
  /** Nodes that are down, with a reason. */
  downNodes(): Promise<Map<string, string>>;
  /** End of the allocation in epoch seconds, or null when unlimited or unknown. */
  endTime(): Promise<number | null>;
  launch(spec: LaunchSpec): Run;
  /** Runs `argv` once on each of `nodes` (in parallel), each with SCR_NODE_NAME set to the node;
   * a node that does not answer within `timeoutMs` gets code null. */
  exec(nodes: string[], argv: string[], timeoutMs: number): Promise<NodeResult[]>;
}
