// The Flux (flux-framework) adapter. SCR runs in a Flux batch script or `flux alloc` shell: the
// initial program of a Flux instance of its own, whose resources are the job's. There Flux sets
// FLUX_URI (this instance) and, since flux-core 0.70, FLUX_ENCLOSING_ID (the job's id in the
// enclosing instance); it deliberately unsets FLUX_JOB_ID (flux-core doc/man7/flux-environment.rst,
// "INITIAL PROGRAM ENVIRONMENT"; flux-core#4716). So the job id is FLUX_ENCLOSING_ID, else the
// broker attribute `jobid`. Nodes: `flux getattr hostlist` (broker rank order, as that page
// suggests). Down nodes: `flux resource status` (offline, excluded, drained, draining, torpid).
// End time and limit: the batch job's entry in the enclosing instance (`flux --parent jobs -o
// '{expiration}|{duration}' ID`), else the instance's R (`flux kvs get resource.R`). Runs:
// `flux run -N <n> --requires=host:<chosen nodes>`, so a down node is never used. Work on one
// node: `flux exec -r <broker rank>` (or SCR_REMOTE_EXEC). A killed `flux run` leaves its job
// running, so the launch's job is found by its name and signalled or cancelled (signalLaunch).
// Flux cannot requeue a running job, so there is no requeue.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { compressHostlist, expandHostlist } from '../../common/hostlist.js';
import type { ResolvedConfig } from '../../config/resolve.js';
import { collect, nodeResult } from '../exec.js';
import { launchGuarded } from '../guarded.js';
import { mpirunNodeArgs } from '../mpirun.js';
import { remoteExec } from '../remote.js';
import type { LauncherSyntax, LaunchSpec, ManagerModule, NodeResult, ResourceManager, Run } from '../types.js';

/** How long a query of the broker may take before it counts as unanswered. */
const QUERY_MS = 15_000;

export class FluxError extends Error {
  readonly code = 'ERR_SCR_FLUX';
}

/** `flux resource status` states (without the `*` of an offline node) that mean "do not run here";
 * avail, allocated and housekeeping are usable (or soon again). Older flux-core printed an offline
 * node's state as plain `offline`. */
const BAD_STATES = new Set(['exclude', 'drain', 'drained', 'draining', 'torpid', 'offline']);

/** The format downNodes gives `flux resource status -o`: the reason last, as it may hold `|`. */
export const STATUS_FORMAT = '{state}|{nodelist}|{reason}';

/** Down nodes from `flux resource status -n -o '{state}|{nodelist}|{reason}'`: a bad state, or an
 * offline node (state ending in `*`), with Flux's state and drain reason. */
export function parseResourceStatus(out: string): Map<string, string> {
  const down = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [state, list, ...rest] = line.trim().split('|');
    if (!state || !list) continue;
    const offline = state.endsWith('*');
    if (!offline && !BAD_STATES.has(state)) continue;
    const reason = rest.join('|').trim();
    const why = `Flux state ${state}${offline ? ' (offline)' : ''}${reason ? `: ${reason}` : ''}`;
    for (const node of expandHostlist(list)) down.set(node, why);
  }
  return down;
}

/** The start and expiration (epoch seconds) of an RFC 20 R (`flux kvs get resource.R`);
 * expiration null when the job has no limit (0 or absent). Throws on anything but an R. */
export function parseR(text: string): { start: number | null; expiration: number | null } {
  let r: { version?: number; execution?: { starttime?: number; expiration?: number } };
  try { r = JSON.parse(text) as typeof r; } catch {
    throw new FluxError(`resource.R is not JSON (${text.trim().slice(0, 80) || 'empty'})`);
  }
  const ex = r?.execution;
  if (!ex || typeof ex !== 'object') throw new FluxError(`resource.R has no execution section (${text.trim().slice(0, 80)})`);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  return { start: num(ex.starttime), expiration: num(ex.expiration) };
}

/** The format endTime gives `flux jobs -o` (flux-jobs(1): expiration, the epoch the allocation
 * expires; duration, the time limit asked, in seconds; both 0 when unlimited). */
export const JOB_TIMES_FORMAT = '{expiration}|{duration}';

/** `{expiration}|{duration}` of one job (Python floats, e.g. `1700003600.0|3600.0`); each null when
 * 0 or inf (no limit); undefined when the listing is empty (no such job). */
export function parseJobTimes(out: string): { expiration: number | null; duration: number | null } | undefined {
  const line = out.split('\n').map((l) => l.trim()).find(Boolean);
  if (!line) return undefined;
  const [e, d] = line.split('|').map((v) => Number(v));
  const limited = (v: number | undefined) => (v !== undefined && Number.isFinite(v) && v > 0 ? v : null);
  return { expiration: limited(e), duration: limited(d) };
}

/** Flux job ids in F58 form (ƒ, or f where the locale cannot show ƒ, then base58 digits), the
 * form of FLUX_ENCLOSING_ID and of `flux jobs -o {id.f58}` (flux-environment(7)). */
const F58 = /^[ƒf][1-9A-HJ-NP-Za-km-z]+$/;
export function isFluxJobId(id: string): boolean { return F58.test(id); }

/** Both spellings of an F58 id, so a directory named under one locale matches a listing in another. */
function f58Forms(id: string): string[] { return F58.test(id) ? [`ƒ${id.slice(1)}`, `f${id.slice(1)}`] : [id]; }

/** The ids `flux jobs -n -o '{id.f58}'` prints, one a line. ({id.f58}, not {id}: older flux-core
 * printed {id} in decimal, flux-jobs(1) of those versions.) */
export function parseJobIds(out: string): string[] {
  return out.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** `flux run`'s options that take a value (flux-core doc/man1/flux-run.rst and the
 * common/job-*.rst it includes). The wrapper owns -N/--nodes; the user's --requires is kept and
 * ANDed with the adapter's host constraint (each --requires adds terms). */
export const FLUX_RUN: LauncherSyntax = {
  lead: ['run'],
  valued: ['n', 'ntasks', 'c', 'cores-per-task', 'g', 'gpus-per-task', 'N', 'nodes', 'cores', 'tasks-per-node',
    'gpus-per-node', 'tasks-per-core', 'q', 'queue', 'B', 'bank', 't', 'time-limit', 'job-name', 'flags', 'o', 'setopt',
    'S', 'setattr', 'add-file', 'env', 'env-remove', 'env-file', 'rlimit', 'input', 'output', 'error', 'log', 'log-stderr',
    'urgency', 'dependency', 'begin-time', 'signal', 'taskmap', 'requires', 'cwd', 'conf', 'cc', 'bcc', 'wait-event'],
  glued: ['n', 'c', 'g', 'N', 'q', 'B', 't', 'o', 'S'],
  owned: { nodes: ['N', 'nodes'] },
};

/** What signalLaunch reads: the launch's job name (its --job-name). */
export interface FluxLaunch { name: string }

function flux(args: string[], env: NodeJS.ProcessEnv, timeoutMs = QUERY_MS) {
  return collect('flux', args, { env, timeoutMs });
}

/** One attribute of this instance's broker (`flux getattr NAME`), synchronously: the adapter needs
 * the nodes when it is made. Null when the attribute is not set; throws when Flux does not answer. */
function getattr(name: string, env: NodeJS.ProcessEnv): string | null {
  const r = spawnSync('flux', ['getattr', name], { env, encoding: 'utf8', timeout: QUERY_MS });
  if (r.error) throw new FluxError(`flux getattr ${name} failed: ${r.error.message}${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? ' (is flux on PATH?)' : ''}`);
  if (r.status !== 0) {
    const msg = (r.stderr || '').trim();
    // An unset attribute (e.g. `jobid` in an instance Flux did not start as a job) is ENOENT.
    if (/No such file or directory|not found|ENOENT/i.test(msg) && !/connect|flux_open|broker socket/i.test(msg)) return null;
    throw new FluxError(`flux getattr ${name} failed: ${msg || `exit ${r.status}`} (FLUX_URI=${env.FLUX_URI ?? 'unset'}: is the instance still running?)`);
  }
  return r.stdout.trim() || null;
}

export class FluxRM implements ResourceManager {
  readonly name = 'flux';
  readonly #job: string;
  readonly #nodes: string[];
  #launches = 0;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly remote?: string) {
    if (!env.FLUX_URI) throw new FluxError('not inside a Flux instance (FLUX_URI is not set): run this in a flux batch script or a flux alloc shell');
    const job = env.FLUX_ENCLOSING_ID || getattr('jobid', env) || env.SCR_JOB_ID;
    if (!job) {
      throw new FluxError(env.FLUX_JOB_ID
        ? `FLUX_JOB_ID=${env.FLUX_JOB_ID} is a job, not an instance of its own: scr runs in a flux batch script or flux alloc shell (submit the script with flux batch)`
        : 'this Flux instance has no job id (it was not started by flux batch or flux alloc): set SCR_JOB_ID to name the job');
    }
    this.#job = job;
    const list = getattr('hostlist', env);
    if (!list) throw new FluxError('flux getattr hostlist printed nothing: the instance names no nodes');
    this.#nodes = expandHostlist(list);
  }

  jobId(): string { return this.#job; }
  nodes(): string[] { return [...this.#nodes]; }

  async #query(args: string[]): Promise<string> {
    const r = await flux(args, this.env);
    if (r.code !== 0) throw new FluxError(`flux ${args.join(' ')} failed: ${r.failure ?? (r.stderr.trim() || `exit ${r.code}`)}`);
    return r.stdout;
  }

  async downNodes(): Promise<Map<string, string>> {
    const all = new Set(this.#nodes);
    const down = parseResourceStatus(await this.#query(['resource', 'status', '-n', '-o', STATUS_FORMAT]));
    for (const n of down.keys()) if (!all.has(n)) down.delete(n);
    return down;
  }

  /** The allocation's expiration and time limit. A batch job's come from the enclosing instance's
   * job list, which follows a limit changed while the job runs (flux update), as LLNL SCR's own
   * Flux support asks it; an instance without a Flux job id (SCR_JOB_ID given) has only its R. */
  async #times(): Promise<{ expiration: number | null; limit: number | null }> {
    if (!isFluxJobId(this.#job)) {
      const { start, expiration } = parseR(await this.#query(['kvs', 'get', 'resource.R']));
      return { expiration, limit: start === null || expiration === null ? null : expiration - start };
    }
    const out = await this.#query(['--parent', 'jobs', '-n', '-o', JOB_TIMES_FORMAT, this.#job]);
    const t = parseJobTimes(out);
    if (!t) throw new FluxError(`flux --parent jobs does not list job ${this.#job} (printed "${out.trim().slice(0, 80)}"): is this the batch job's instance?`);
    return { expiration: t.expiration, limit: t.duration };
  }

  async endTime(): Promise<number | null> {
    const e = (await this.#times()).expiration;
    return e === null ? null : Math.floor(e);
  }

  /** The job's time limit in seconds; null when unlimited. */
  async timeLimit(): Promise<number | null> {
    const l = (await this.#times()).limit;
    return l === null ? null : Math.round(l);
  }

  launch(spec: LaunchSpec): Run {
    // Unique in the instance: two wrappers on different nodes of one Flux instance may share a pid.
    const name = `scr.${hostname()}.${process.pid}.${++this.#launches}`;
    const launcher = spec.launcher ?? 'flux';
    const args = [...(spec.launcherArgs ?? [])];
    if (basename(launcher) === 'flux') {
      if (args[0] !== 'run') args.unshift('run');
      // The host constraint (RFC 31/35) limits the job to the chosen nodes, -N makes it use all of them.
      args.push(`--job-name=${name}`, `--nodes=${spec.nodes.length}`, `--requires=host:${compressHostlist(spec.nodes)}`);
      // -n with -N spreads the tasks evenly, block by block (flux-run(1)); --tasks-per-node would
      // clash with the user's per-task options (-c, -g), which flux run refuses to mix with it.
      if (spec.ppn > 0) args.push(`--ntasks=${spec.nodes.length * spec.ppn}`);
    } else {
      args.push(...mpirunNodeArgs(launcher, spec.nodes, spec.ppn, () => 1, this.env));
    }
    // The job's ranks run under flux-shell, not under `flux run`: signalLaunch reaches them by the
    // job's name; local processes of the launch by the marker. SCR_JOB_ID goes along, as the ranks'
    // FLUX_JOB_ID is their own job's, not the batch job's.
    const mark = `${this.#job}.${name}`;
    return launchGuarded({
      cmd: launcher, args: [...args, ...spec.argv], graceSeconds: spec.graceSeconds ?? 60,
      env: { ...this.env, SCR_JOB_ID: this.env.SCR_JOB_ID ?? this.#job, ...spec.env, SCRLAUNCH_ID: mark },
      plan: { rm: { manager: 'flux', data: { name } satisfies FluxLaunch }, marker: `SCRLAUNCH_ID=${mark}` },
    });
  }

  exec(nodes: string[], argv: string[], timeoutMs: number): Promise<NodeResult[]> {
    const env = { ...this.env, SCR_JOB_ID: this.env.SCR_JOB_ID ?? this.#job };
    if (this.remote) return remoteExec(this.remote, nodes, argv, timeoutMs, env);
    return Promise.all(nodes.map(async (node) => {
      const rank = this.#nodes.indexOf(node);
      if (rank < 0) return { node, code: null, stdout: '', stderr: `${node} is not a node of this Flux instance (${compressHostlist(this.#nodes)})` };
      // Broker rank = the node's place in the hostlist attribute; flux exec passes our environment.
      return nodeResult(node, await flux(['exec', '-r', String(rank), '-n', 'env', `SCR_NODE_NAME=${node}`, `SCR_JOB_ID=${env.SCR_JOB_ID}`, ...argv], env, timeoutMs));
    }));
  }
}

/** The ids of the launch's active jobs (`flux jobs --name`: pending and running by default). */
async function launchJobs(l: FluxLaunch, env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await flux(['jobs', '-n', '-c', '0', `--name=${l.name}`, '-o', '{id.f58}'], env);
  return r.code === 0 ? parseJobIds(r.stdout) : [];
}

/** Signals the launch's job: `flux job kill` delivers the signal to every task on its node; SIGKILL
 * (the end of the grace) cancels the job instead, which also ends it while it is still pending. */
async function signalLaunch(data: unknown, signal: NodeJS.Signals, env: NodeJS.ProcessEnv): Promise<void> {
  const ids = await launchJobs(data as FluxLaunch, env);
  if (!ids.length) return;
  await flux(signal === 'SIGKILL' ? ['cancel', ...ids] : ['job', 'kill', `--signal=${signal}`, ...ids], env);
}

/** This user's active jobs where job ids of batch jobs live: the enclosing instance (`flux --parent`
 * is the instance itself at the top). Null when flux is not installed. */
async function liveJobs(env: NodeJS.ProcessEnv): Promise<Set<string> | null> {
  // -c 0: every job (flux-jobs(1): "--count=N Limit output to N jobs (default 1000)"); a job past
  // the thousandth would otherwise look ended and its cache be removed.
  const r = await flux(['--parent', 'jobs', '-n', '-c', '0', '--filter=pending,running', '-o', '{id.f58}'], env, 30_000);
  if (r.code === null && /ENOENT/.test(r.failure ?? '')) return null;
  if (r.code !== 0) throw new FluxError(`flux jobs failed: ${(r.stderr.trim().split('\n').at(-1) || r.failure || `exit ${r.code}`).trim()}`);
  return new Set(parseJobIds(r.stdout).flatMap(f58Forms));
}

export const manager: ManagerModule = {
  name: 'flux',
  title: 'Flux',
  order: 50,
  needs: 'FLUX_URI, as in a flux batch script or flux alloc shell',
  detect: (env) => Boolean(env.FLUX_URI),
  create: (env, cfg: ResolvedConfig) => new FluxRM(env, cfg.optStr('SCR_REMOTE_EXEC') ?? undefined),
  launchers: { flux: FLUX_RUN },
  signalLaunch,
  ownsJobId: isFluxJobId,
  liveJobs,
  queueCommand: 'flux jobs',
};
