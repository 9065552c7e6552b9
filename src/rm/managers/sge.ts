// The Grid Engine adapter (Son of Grid Engine 8.1.9 as measured; the commands and formats are
// those of Sun/Univa/Open Grid Engine too): the allocation from JOB_ID and PE_HOSTFILE (a parallel
// job), down nodes from the states of the job's queue instances (qstat -f), the end time from the
// job's h_rt/s_rt and start time (qstat -j -xml), runs by mpirun (Open MPI starts its daemons
// through `qrsh -inherit` by itself; MPICH's hydra is told `-launcher sge`), work on single nodes
// by `qrsh -inherit` (the job's parallel environment needs control_slaves TRUE) or SCR_REMOTE_EXEC,
// requeue by `qmod -rj`, the user's other jobs by qstat (scr clean).
//
// Array jobs: every task is its own allocation, so a task's id is <JOB_ID>.<SGE_TASK_ID> (Grid
// Engine's own job.task notation, which qmod takes); a job that is no array (SGE_TASK_ID
// "undefined") is plain JOB_ID.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { ResolvedConfig } from '../../config/resolve.js';
import { collect } from '../exec.js';
import { launchGuarded } from '../guarded.js';
import { mpirunIsHydra, mpirunNodeArgs } from '../mpirun.js';
import { remoteExec } from '../remote.js';
import type { LaunchSpec, ManagerModule, NodeResult, ResourceManager, Run } from '../types.js';

/** How long a query of the qmaster may take before it counts as unanswered. */
const QUERY_MS = 15_000;
/** Work on one node: qrsh -inherit starts it as a task of this job on a host of the job (no stdin:
 * the caller gives none). It joins its arguments into one line a shell reads on the node, so the
 * words are quoted as SCR_REMOTE_EXEC's are (remote.ts). */
const QRSH = 'qrsh -inherit -nostdin %h';

export class SgeError extends Error {
  readonly code = 'ERR_SCR_SGE';
}

export interface PeHost {
  host: string;
  slots: number;
  /** The queue instance (queue@host) the slots are in. */
  queue: string;
}

/** The PE_HOSTFILE's lines (`host slots queue@host processor-range`), in order; a host named
 * twice (slots in two queues) keeps its first place and adds its slots. */
export function parsePeHostfile(text: string, file = 'PE_HOSTFILE'): PeHost[] {
  const out: PeHost[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = /^(\S+)\s+(\d+)(?:\s+(\S+))?/.exec(line);
    if (!m) throw new SgeError(`${file}, line ${i + 1}: "${line}" is not "host slots queue processors" (is this Grid Engine's PE_HOSTFILE?)`);
    const have = out.find((h) => h.host === m[1]);
    if (have) have.slots += Number(m[2]);
    else out.push({ host: m[1]!, slots: Number(m[2]), queue: m[3] ?? '' });
  });
  if (!out.length) throw new SgeError(`${file} names no host: the job's parallel environment granted no slots`);
  return out;
}

/** Queue instance states (qstat -f's last column, one letter each) that mean "do not run here",
 * with what they mean. Not among them: a and A (a load or suspend threshold is exceeded: the node
 * is busy, not broken) and c (an ambiguous configuration). */
export const DOWN_STATES: Readonly<Record<string, string>> = {
  u: 'unknown: its execd does not answer',
  d: 'disabled',
  D: 'disabled by a calendar',
  E: 'error: a job failed to start there',
  s: 'suspended',
  S: 'suspended by a subordinate queue',
  C: 'suspended by a calendar',
  o: 'orphaned: no longer configured',
};

/** Each queue instance's states from `qstat -f` output (lines `queue@host qtype resv/used/tot
 * load arch [states]`; job lines and rules are skipped). */
export function parseQstatF(out: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^(\S+@\S+)\s+\S+\s+(?:\d+\/)?\d+\/\d+\s+\S+\s+\S+(?:\s+(\S+))?\s*$/.exec(line);
    if (m) states.set(m[1]!, m[2] ?? '');
  }
  return states;
}

/** Why a queue instance with `states` is down, or undefined when it is usable. */
export function downReason(queue: string, states: string): string | undefined {
  const bad = [...states].filter((s) => DOWN_STATES[s]);
  return bad.length ? `Grid Engine queue ${queue} state ${states} (${bad.map((s) => DOWN_STATES[s]).join('; ')})` : undefined;
}

export interface JobTimes {
  /** When the task started, epoch seconds; null when it has not (or qstat does not say). */
  start: number | null;
  /** The hard and soft wall-clock limits requested (-l h_rt, s_rt), seconds; null when none. */
  hrt: number | null;
  srt: number | null;
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/** The limits and start time in `qstat -j <job> -xml` output; `task` picks an array task's start. */
export function parseJobXml(xml: string, task = 1): JobTimes {
  const hard = /<JB_hard_resource_list>([\s\S]*?)<\/JB_hard_resource_list>/.exec(xml)?.[1] ?? '';
  const limit = (name: string): number | null => {
    for (const req of hard.split(/<\/?qstat_l_requests>/)) {
      if (tag(req, 'CE_name') !== name) continue;
      const v = Number(tag(req, 'CE_doubleval'));
      return Number.isFinite(v) && v > 0 ? Math.round(v) : null;
    }
    return null;
  };
  // Each array task's record names its number before its start time.
  let start: number | null = null;
  let current = 1;
  for (const m of xml.matchAll(/<JAT_(task_number|start_time)>(\d+)</g)) {
    if (m[1] === 'task_number') current = Number(m[2]);
    else if (current === task && Number(m[2]) > 0) start = Number(m[2]);
  }
  return { start, hrt: limit('h_rt'), srt: limit('s_rt') };
}

/** The earlier of the two limits: at s_rt Grid Engine sends SIGUSR1, which ends a job that does
 * not catch it (the run wrapper halts on it). */
export function wallLimit(t: JobTimes): number | null {
  const limits = [t.hrt, t.srt].filter((x): x is number => x !== null);
  return limits.length ? Math.min(...limits) : null;
}

/** Job ids in `qstat -u <user>` output: each job's number, and <job>.<task> for each array task
 * its ja-task-ID column names (`3`, `1-10:1`, `1,4`). The columns are job-ID prior name user state
 * date time [queue@host] slots [ja-task-ID]: the queue only for a running job, so the task list is
 * found after the slots. */
export function parseQstatJobs(out: string): Set<string> {
  const ids = new Set<string>();
  for (const line of out.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (!/^\d+$/.test(words[0] ?? '') || words.length < 8) continue;
    ids.add(words[0]!);
    const tasks = words[words[7]!.includes('@') ? 9 : 8];
    for (const part of tasks?.split(',') ?? []) {
      const r = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
      if (!r) continue;
      const [a, b, step] = [Number(r[1]), Number(r[2] ?? r[1]), Math.max(1, Number(r[3] ?? 1))];
      for (let t = a; t <= b && t - a <= 100_000; t += step) ids.add(`${words[0]}.${t}`);
    }
  }
  return ids;
}

export class SgeRM implements ResourceManager {
  readonly name = 'sge';
  /** For the wrapper's message when it requeues (the field main's ResourceManager has). */
  readonly requeueCommand = 'qmod -rj';
  readonly #job: string;
  readonly #task: number | null;
  readonly #hosts: PeHost[];
  #launches = 0;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly remote?: string) {
    // (remote: SCR_REMOTE_EXEC, how exec() reaches a node instead of qrsh -inherit)
    const { JOB_ID: job, SGE_ROOT: root, PE_HOSTFILE: file, SGE_TASK_ID: task } = env;
    if (!job || !root || !file) {
      throw new SgeError(`not inside a Grid Engine parallel job (${[['JOB_ID', job], ['SGE_ROOT', root], ['PE_HOSTFILE', file]].filter(([, v]) => !v).map(([k]) => k).join(', ')} not set): run this in a job script submitted with qsub -pe <pe> <slots>`);
    }
    this.#job = job;
    this.#task = task && /^\d+$/.test(task) ? Number(task) : null;
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (e) {
      throw new SgeError(`PE_HOSTFILE=${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): run this in the job's own script, on its master host`);
    }
    this.#hosts = parsePeHostfile(text, `PE_HOSTFILE=${file}`);
  }

  jobId(): string { return this.#task === null ? this.#job : `${this.#job}.${this.#task}`; }
  nodes(): string[] { return this.#hosts.map((h) => h.host); }

  async #query(cmd: string, args: string[]): Promise<string> {
    const r = await collect(cmd, args, { env: this.env, timeoutMs: QUERY_MS });
    if (r.code !== 0) throw new SgeError(`${cmd} ${args.join(' ')} failed: ${r.failure ?? ((r.stderr.trim() || r.stdout.trim()) || `exit ${r.code}`)}`);
    return r.stdout;
  }

  async downNodes(): Promise<Map<string, string>> {
    const queues = this.#hosts.filter((h) => h.queue);
    const states = parseQstatF(await this.#query('qstat', ['-f', '-q', queues.map((h) => h.queue).join(',')]));
    const down = new Map<string, string>();
    for (const h of queues) {
      const s = states.get(h.queue);
      const why = s === undefined ? `Grid Engine lists no queue instance ${h.queue} (deleted?)` : downReason(h.queue, s);
      if (why) down.set(h.host, why);
    }
    return down;
  }

  async #times(): Promise<JobTimes> {
    return parseJobXml(await this.#query('qstat', ['-j', this.#job, '-xml']), this.#task ?? 1);
  }

  async endTime(): Promise<number | null> {
    const t = await this.#times();
    const limit = wallLimit(t);
    return limit === null || t.start === null ? null : t.start + limit;
  }

  /** The job's wall-clock limit in seconds (the earlier of h_rt and s_rt); null when unlimited. */
  async timeLimit(): Promise<number | null> {
    return wallLimit(await this.#times());
  }

  launch(spec: LaunchSpec): Run {
    const launcher = spec.launcher ?? 'mpirun';
    const user = spec.launcherArgs ?? [];
    const args = [...user, ...mpirunNodeArgs(launcher, spec.nodes, spec.ppn, (n) => this.#hosts.find((h) => h.host === n)?.slots ?? 1, this.env)];
    // Open MPI finds the job (JOB_ID, PE_HOSTFILE) and starts its daemons by qrsh -inherit itself;
    // hydra needs telling, unless the user chose a launcher.
    if (mpirunIsHydra(launcher, this.env) && !user.some((a) => /^-{1,2}(launcher|bootstrap)(=|$)/.test(a))) args.unshift('-launcher', 'sge');
    const mark = `${this.jobId()}.${process.pid}.${++this.#launches}`;
    return launchGuarded({
      cmd: launcher, args: [...args, ...spec.argv], graceSeconds: spec.graceSeconds ?? 60,
      env: { ...this.env, ...spec.env, SCRLAUNCH_ID: mark }, plan: { marker: `SCRLAUNCH_ID=${mark}` },
    });
  }

  exec(nodes: string[], argv: string[], timeoutMs: number): Promise<NodeResult[]> {
    return remoteExec(this.remote ?? QRSH, nodes, argv, timeoutMs, { ...this.env, SCR_JOB_ID: this.env.SCR_JOB_ID ?? this.jobId() });
  }

  /** Reschedules the job (`qmod -rj`): Grid Engine ends this run and queues the job again. The job
   * must be rerunnable (qsub -r y, or the queue's rerun TRUE). */
  async requeue(): Promise<void> {
    await this.#query('qmod', ['-rj', this.jobId()]);
  }
}

/** qstat's complaint when the client is installed but no cell is configured here (no
 * $SGE_ROOT/$SGE_CELL/common/act_qmaster; measured with Debian's gridengine-client): then there is
 * no Grid Engine to ask, as when qstat is missing, and scr clean must not keep every job for it. */
export const NO_CELL = /unable to read qmaster name|act_qmaster.*(No such file|failed)/;

/** Whether `qstat -u` output is Grid Engine's (its header starts `job-ID  prior`; no jobs print
 * nothing). PBS names its command qstat too: its listing is no answer about Grid Engine's jobs. */
export function isGridEngineListing(out: string): boolean {
  const first = out.split('\n').find((l) => l.trim());
  return first === undefined || /^job-ID\s+prior\b/.test(first);
}

/** This user's Grid Engine jobs (any state); null when qstat is not installed, has no cell, or is
 * another scheduler's qstat. */
async function liveJobs(env: NodeJS.ProcessEnv): Promise<Set<string> | null> {
  const r = await collect('qstat', ['-u', userInfo().username], { env, timeoutMs: 30_000 });
  if (r.code === null && /ENOENT/.test(r.failure ?? '')) return null;
  if (r.code !== 0 && NO_CELL.test(r.stderr)) return null;
  if (r.code !== 0) throw new SgeError(`qstat failed: ${(r.stderr.trim().split('\n').at(-1) || r.failure || `exit ${r.code}`).trim()}`);
  return isGridEngineListing(r.stdout) ? parseQstatJobs(r.stdout) : null;
}

export const manager: ManagerModule = {
  name: 'sge',
  title: 'Grid Engine',
  order: 60,
  needs: 'JOB_ID, SGE_ROOT and PE_HOSTFILE',
  // JOB_ID alone is too common a name to trust; a serial job (no PE_HOSTFILE) is one node, which
  // scr handles without a resource manager.
  detect: (env) => Boolean(env.JOB_ID && env.SGE_ROOT && env.PE_HOSTFILE),
  create: (env, cfg: ResolvedConfig) => new SgeRM(env, cfg.optStr('SCR_REMOTE_EXEC') ?? undefined),
  ownsJobId: (id) => /^\d+(\.\d+)?$/.test(id),
  liveJobs,
  queueCommand: 'qstat',
};
