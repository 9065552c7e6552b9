// A plain mpirun allocation given by a hostfile (SCR_HOSTFILE): no scheduler to ask, so the
// adapter learns what it can by itself. Nodes: the file's, in order. Job id: SCR_JOB_ID (outside a
// scheduler, the per-user-and-prefix nojob-… id). Down nodes: those that do not answer a trivial
// command through the remote shell within 10 s. End time: SCR_END_TIME, if set. Runs: mpirun
// with --host/-hosts; work on one node: SCR_REMOTE_EXEC, default `ssh -o BatchMode=yes %h`.
import { readFileSync } from 'node:fs';
import type { ResolvedConfig } from '../../config/resolve.js';
import { tailOf } from '../exec.js';
import { launchGuarded } from '../guarded.js';
import { mpirunNodeArgs } from '../mpirun.js';
import { remoteExec } from '../remote.js';
import type { LaunchSpec, ManagerModule, NodeResult, ResourceManager, Run } from '../types.js';

/** How long a node may take to answer the liveness check. */
const PING_MS = 10_000;
const DEFAULT_REMOTE = 'ssh -o BatchMode=yes %h';

export class HostfileError extends Error {
  readonly code = 'ERR_SCR_HOSTFILE';
}

/** The nodes and their slots a hostfile names: `n1`, `n1 slots=4` (Open MPI), `n1:4` (MPICH);
 * `#` starts a comment; a node named twice keeps its first place and adds its slots. */
export function parseHostfile(text: string, file = 'the hostfile'): Map<string, number> {
  const out = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const m = /^([A-Za-z0-9_.-]+)(?::(\d+))?(?:\s+(.*))?$/.exec(line);
    const words = m?.[3]?.trim().split(/\s+/).filter(Boolean) ?? [];
    const slotsOpt = words.map((w) => /^slots=(\d+)$/.exec(w)).find(Boolean);
    // Open MPI's max_slots (max-slots) bounds oversubscription; it is read past, not counted.
    if (!m || words.some((w) => !/^(slots|max[-_]slots)=\d+$/.test(w))) throw new HostfileError(`${file}, line ${i + 1}: "${line}" is not a node ("n1", "n1 slots=4" or "n1:4")`);
    const slots = Number(m[2] ?? slotsOpt?.[1] ?? 1);
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + slots);
  });
  if (!out.size) throw new HostfileError(`${file} names no node: write one node per line ("n1", "n1 slots=4" or "n1:4")`);
  return out;
}

export class HostfileRM implements ResourceManager {
  readonly name = 'hostfile';
  readonly #slots: Map<string, number>;
  readonly #remote: string;
  #launches = 0;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly cfg: ResolvedConfig) {
    const file = cfg.optStr('SCR_HOSTFILE');
    if (!file) throw new HostfileError('SCR_HOSTFILE is not set: name the file that lists the nodes');
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (e) {
      throw new HostfileError(`SCR_HOSTFILE=${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): name a file that lists the nodes, one per line`);
    }
    this.#slots = parseHostfile(text, `SCR_HOSTFILE=${file}`);
    this.#remote = cfg.optStr('SCR_REMOTE_EXEC') ?? DEFAULT_REMOTE;
  }

  jobId(): string { return this.cfg.str('SCR_JOB_ID'); }
  nodes(): string[] { return [...this.#slots.keys()]; }

  async downNodes(): Promise<Map<string, string>> {
    const down = new Map<string, string>();
    for (const r of await this.exec(this.nodes(), ['true'], PING_MS)) {
      if (r.code !== 0) down.set(r.node, `does not answer ${this.#remote.replaceAll('%h', r.node)} (${r.code === null ? tailOf(r.stderr) || 'no answer' : `exit ${r.code}: ${tailOf(r.stderr) || 'no message'}`})`);
    }
    return down;
  }

  async endTime(): Promise<number | null> { return this.cfg.optInt('SCR_END_TIME'); }

  launch(spec: LaunchSpec): Run {
    const launcher = spec.launcher ?? 'mpirun';
    const args = [...(spec.launcherArgs ?? []), ...mpirunNodeArgs(launcher, spec.nodes, spec.ppn, (n) => this.#slots.get(n) ?? 1, this.env)];
    const mark = `${this.jobId()}.${process.pid}.${++this.#launches}`;
    return launchGuarded({
      cmd: launcher, args: [...args, ...spec.argv], graceSeconds: spec.graceSeconds ?? 60,
      env: { ...this.env, ...spec.env, SCRLAUNCH_ID: mark }, plan: { marker: `SCRLAUNCH_ID=${mark}` },
    });
  }

  exec(nodes: string[], argv: string[], timeoutMs: number): Promise<NodeResult[]> {
    return remoteExec(this.#remote, nodes, argv, timeoutMs, { ...this.env, SCR_JOB_ID: this.jobId() });
  }
}

export const manager: ManagerModule = {
  name: 'hostfile',
  title: 'hostfile',
  // An explicit SCR_HOSTFILE wins over a scheduler's variables (e.g. inside an allocation of one).
  order: 10,
  needs: 'SCR_HOSTFILE',
  detect: (_env, cfg) => Boolean(cfg.optStr('SCR_HOSTFILE')),
  create: (env, cfg) => new HostfileRM(env, cfg),
};
