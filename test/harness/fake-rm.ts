// A scripted resource manager for run-wrapper tests in this process: each launch runs the next
// script, which ends the run when it likes (or waits to be killed).
import type { LaunchSpec, NodeResult, ResourceManager, Run } from '../../src/rm/types.js';

export type Outcome = { code: number | null; signal: NodeJS.Signals | null };
export type Script = (spec: LaunchSpec, end: (o: Outcome) => void) => void | Promise<void>;

export class FakeRM implements ResourceManager {
  readonly name = 'fake';
  launches: LaunchSpec[] = [];
  kills: NodeJS.Signals[] = [];
  requeues = 0;
  down = new Map<string, string>();
  /** The job's time limit in seconds (timeLimit()); null: unlimited. */
  limit: number | null = null;
  end: number | null = null;
  constructor(readonly all: string[], readonly scripts: Script[]) {}
  jobId() { return 'fake1'; }
  nodes() { return [...this.all]; }
  async downNodes() { return new Map(this.down); }
  async endTime(): Promise<number | null> { return this.end; }
  async timeLimit(): Promise<number | null> { return this.limit; }
  launch(spec: LaunchSpec): Run {
    this.launches.push(spec);
    let end!: (o: Outcome) => void;
    const done = new Promise<Outcome>((r) => { end = r; });
    void this.scripts[this.launches.length - 1]!(spec, end);
    return { done, kill: (signal = 'SIGTERM') => { this.kills.push(signal); if (signal === 'SIGKILL') end({ code: null, signal }); } };
  }
  async exec(nodes: string[]): Promise<NodeResult[]> { return nodes.map((node) => ({ node, code: 0, stdout: '', stderr: '' })); }
  async requeue() { this.requeues++; }
}
