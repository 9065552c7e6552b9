// The resource-manager interface the batch-script commands use (SPEC §8). Each adapter is one
// file: the simulated cluster (sim.ts) now; Slurm, LSF, Flux and PBS implement the same.
export interface LaunchSpec {
  /** Nodes to run on, each with `ppn` ranks, in rank order (blocks: node 0 gets ranks 0..ppn−1). */
  nodes: string[];
  ppn: number;
  argv: string[];
  env: Record<string, string>;
}

export interface Run {
  /** Resolves to the exit code (or null if killed by a signal) when the run ends. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends the run (all ranks). */
  kill(signal?: NodeJS.Signals): void;
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
}
