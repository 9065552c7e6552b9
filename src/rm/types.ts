// The resource-manager interface the batch-script commands use (SPEC §8). Each manager is one
// module under src/rm/managers/ exporting `manager: ManagerModule` (found there by registry.ts,
// so adding one is adding a file); the simulated cluster (sim.ts) implements ResourceManager too
// but is made by `scr sim`, never detected.
import type { ResolvedConfig } from '../config/resolve.js';

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
  /** Puts the job back in the queue, if the manager can (the wrapper's --requeue). */
  requeue?(): Promise<void>;
  /** The command requeue() runs, for messages ("scontrol requeue"). */
  readonly requeueCommand?: string;
  /** The job's time limit in seconds; null when unlimited or unknown (the requeue guard). */
  timeLimit?(): Promise<number | null>;
}

/** How a launcher's command line reads (launcher-args.ts): which options take a value, and which
 * the run wrapper owns because it chooses the nodes. `--opt=value` is always one token. */
export interface LauncherSyntax {
  /** Options taking one value, without dashes (`n` for -n, `nrs` for --nrs). */
  valued: readonly string[];
  /** Options taking two values. */
  twoValued?: readonly string[];
  /** Words that follow the launcher's name before any option (`run` for `flux run`). */
  lead?: readonly string[];
  /** Short options that may carry their value glued on (`-n4`). */
  glued?: readonly string[];
  /** Options the wrapper owns: a node count, the nodes to choose from, the nodes never to use. */
  owned: { nodes?: readonly string[]; nodelist?: readonly string[]; exclude?: readonly string[] };
  /** For a launcher without a node-count option: the nodes a launch needs, worked out from the
   * valued options it was given (name without dashes → its last value; the map in the order the
   * options were last given, so of two spellings the later one wins), or undefined when they do
   * not say. The wrapper then chooses that many nodes and keeps the rest as spares. */
  nodeCount?(given: ReadonlyMap<string, string>): number | undefined;
}

/** One resource manager's module: src/rm/managers/<name>.ts exports it as `manager`. */
export interface ManagerModule {
  /** As `scr env` prints it (rm:) and SCR_RESOURCE_MANAGER names it. */
  readonly name: string;
  /** For people: "Slurm", "PBS", "Grid Engine". */
  readonly title: string;
  /** Detection order, lower first (an explicit SCR_HOSTFILE comes before the schedulers). */
  readonly order: number;
  /** What tells it is present, for messages: "SLURM_JOB_ID and SLURM_JOB_NODELIST". */
  readonly needs: string;
  /** Whether the process runs inside this manager's allocation. */
  detect(env: NodeJS.ProcessEnv, cfg: ResolvedConfig): boolean;
  /** The adapter for the allocation; throws (naming what is missing) when it cannot be made. */
  create(env: NodeJS.ProcessEnv, cfg: ResolvedConfig): ResourceManager;
  /** Launchers it knows how to point at chosen nodes, by command name (`jsrun`, `flux`). */
  readonly launchers?: Readonly<Record<string, LauncherSyntax>>;
  /** Signals the parts of a launch the manager runs elsewhere (Slurm's job steps), given the
   * `data` the adapter put in the launch's kill plan. Runs in the launch guard too. */
  signalLaunch?(data: unknown, signal: NodeJS.Signals, env: NodeJS.ProcessEnv): Promise<void>;
  /** Runs in the launch guard just before the launcher starts; returns the plan's new data. */
  beforeLaunch?(data: unknown, env: NodeJS.ProcessEnv): Promise<unknown>;
  /** Whether `jobId` is one of this manager's ids (Slurm: digits), for scr clean. */
  ownsJobId?(jobId: string): boolean;
  /** This user's jobs the manager still knows (any state), for scr clean; null when its query
   * command is not installed here. Throws when the query fails. */
  liveJobs?(env: NodeJS.ProcessEnv): Promise<Set<string> | null>;
  /** The command liveJobs runs, for messages ("squeue"). */
  readonly queueCommand?: string;
}
