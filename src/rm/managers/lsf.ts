// The IBM Spectrum LSF adapter. The allocation from LSB_JOBID and LSB_DJOB_HOSTFILE (else
// LSB_MCPU_HOSTS, else LSB_HOSTS); down hosts from `bhosts -w`; the end from bjobs' time_left;
// runs by jsrun (the launcher of CORAL systems such as Summit and Sierra) told which hosts to leave
// out, or by mpirun; work on single hosts by blaunch (or SCR_REMOTE_EXEC); requeue by brequeue;
// the user's unfinished jobs by bjobs (scr clean). Talks to LSF only through its commands.
//
// Choices, and why:
//  - The launch node. On CORAL systems the batch script runs on a launch node that LSF lists first
//    in LSB_DJOB_HOSTFILE (one slot, never again) and that runs no ranks: jsrun never places tasks
//    there. Counting it made SCR think one more node was needed and available (LLNL/scr issue #143;
//    SCR's own lsf.py drops the first line of the file). A plain LSF cluster's first host runs
//    ranks, so it is dropped only when it looks like a launch node (one slot, others after it)
//    and jsrun is installed (Job Step Manager: a CORAL-style system).
//  - Job arrays. Every element of array 123 has LSB_JOBID=123 and its own LSB_JOBINDEX. The job id
//    of element 4 is 123.4 (lsfJobId, as SCR_JOB_ID's default has it, so the library, the run
//    wrapper and scr postrun name the same cache directories, and two elements on one node never
//    share one); for LSF's commands it is 123[4] (bjobs, brequeue).
//  - Down hosts: `bhosts -w` (wide: no truncated host names, the closed_* reasons spelled out) is in
//    every LSF since 6.x, where `bhosts -o` and `-json` came with 10.1 fix packs.
import { accessSync, constants, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import type { ResolvedConfig } from '../../config/resolve.js';
import { lsfJobId } from '../../config/schema.js';
import { type Collected, collect, nodeResult } from '../exec.js';
import { launchGuarded } from '../guarded.js';
import { mpirunNodeArgs } from '../mpirun.js';
import { remoteExec, scrSettings, shellQuote } from '../remote.js';
import type { LaunchSpec, LauncherSyntax, ManagerModule, NodeResult, ResourceManager, Run } from '../types.js';

/** How long a query of LSF's daemons may take before it counts as unanswered. */
const QUERY_MS = 15_000;

export class LsfError extends Error {
  readonly code = 'ERR_SCR_LSF';
}

/** Hosts in order of first appearance, with how many slots each is listed with. */
export type HostSlots = Map<string, number>;

/** LSB_DJOB_HOSTFILE: one host name per line, once per slot. */
export function parseDjobHostfile(text: string): HostSlots {
  const out: HostSlots = new Map();
  for (const line of text.split('\n')) {
    const h = line.trim();
    if (h) out.set(h, (out.get(h) ?? 0) + 1);
  }
  return out;
}

/** LSB_MCPU_HOSTS: "hostA 4 hostB 4", each host once with its slot count. */
export function parseMcpuHosts(value: string): HostSlots {
  const words = value.trim().split(/\s+/).filter(Boolean);
  if (words.length % 2 || words.some((w, i) => i % 2 === 1 && !/^\d+$/.test(w))) {
    throw new LsfError(`LSB_MCPU_HOSTS="${value}" is not "host slots host slots …"`);
  }
  const out: HostSlots = new Map();
  for (let i = 0; i < words.length; i += 2) out.set(words[i]!, (out.get(words[i]!) ?? 0) + Number(words[i + 1]));
  return out;
}

/** LSB_HOSTS: "hostA hostA hostB", once per slot (LSF truncates it for large jobs: the last resort). */
export function parseLsbHosts(value: string): HostSlots {
  return parseDjobHostfile(value.split(/\s+/).join('\n'));
}

/** The CORAL launch node, if `hosts` starts with one: listed with one slot, not the only host,
 * and Job Step Manager (jsrun) present. */
export function launchNode(hosts: HostSlots, jsm: boolean): string | null {
  const [first] = hosts;
  return jsm && first && first[1] === 1 && hosts.size > 1 ? first[0] : null;
}

/** bhosts states (STATUS of `bhosts -w`) that mean the host cannot run the job's work. From the
 * bhosts manual: unavail (host down, or LIM and sbatchd unreachable), unreach (sbatchd
 * unreachable), closed_Adm (closed by the administrator: taken out of service, like Slurm's
 * drain), closed_Lock (locked by lsadmin limlock: LSF suspends its batch jobs), closed_LIM (LIM
 * unreachable though sbatchd answers: the host's LSF is failing). Not down: ok; closed_Full and
 * closed_Excl (busy, often with this very job), closed_Busy (load over a threshold: jobs already
 * there keep running), closed_Wind (dispatch window: running jobs are not affected), closed_EGO,
 * closed_RC and anything unknown (about dispatching new jobs, not about a host's health). */
const DOWN_STATES: ReadonlyMap<string, string> = new Map([
  ['unavail', 'host down, or its LIM and sbatchd unreachable'],
  ['unreach', 'its sbatchd unreachable'],
  ['closed_Adm', 'closed by the LSF administrator'],
  ['closed_Lock', 'locked by the LSF administrator; its batch jobs are suspended'],
  ['closed_LIM', 'its LIM unreachable'],
]);

/** Down hosts from `bhosts -w` output: HOST_NAME STATUS JL/U MAX NJOBS RUN SSUSP USUSP RSV. */
export function parseBhosts(out: string): Map<string, string> {
  const down = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [host, status] = line.trim().split(/\s+/);
    if (!host || !status || host === 'HOST_NAME') continue;
    const why = DOWN_STATES.get(status);
    if (why) down.set(host, `LSF state ${status} (${why})`);
  }
  return down;
}

/** Seconds in a bjobs duration: "h:mm" (time_left) or "h:mm:ss" (-hms, LSB_HMS_TIME_FORMAT=Y). */
function clock(s: string): number | null {
  const m = /^(\d+):(\d{1,2})(?::(\d{1,2}))?$/.exec(s);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0) : null;
}

/** runtimelimit of `bjobs -o`: minutes ("60.0", "60.0/hostA" with ABS_RUNLIMIT=Y) or hh:mm:ss
 * (-hms); "-" when there is none. Seconds, or null. */
export function parseRunLimit(s: string): number | null {
  const t = s.trim();
  const min = /^(\d+(?:\.\d+)?)(?:\/\S+)?$/.exec(t);
  if (min) return Math.round(Number(min[1]) * 60);
  return clock(t);
}

/** run_time of `bjobs -o`: "3600 second(s)", or hh:mm:ss (-hms). Seconds, or null. */
export function parseRunTime(s: string): number | null {
  const t = s.trim();
  const m = /^(\d+) second\(s\)$/.exec(t);
  return m ? Number(m[1]) : clock(t);
}

/** Seconds left from `bjobs -noheader -o "time_left runtimelimit run_time delimiter='|'"`. time_left
 * is "h:mm X", X being L (a run limit, no estimate), E (an estimated run time, not exceeded) or X
 * (the estimate exceeded), or "-" with neither. Only L counts down the limit LSF enforces; with an
 * estimate the limit less the run time is what is left. Null when there is no run limit. */
export function parseTimeLeft(line: string): number | null {
  const [left = '', limit = '', ran = ''] = line.trim().split('|');
  const m = /^(\S+)\s+([LEX])$/.exec(left.trim());
  if (m && m[2] === 'L') return clock(m[1]!);
  const lim = parseRunLimit(limit);
  const used = parseRunTime(ran);
  return lim === null || used === null ? null : Math.max(0, lim - used);
}

/** This user's unfinished jobs from `bjobs -u USER -noheader -o "jobid jobindex"` (index 0: not an
 * array element). An element counts as 123.4 (the job id its caches are named by) and as 123. */
export function parseLiveJobs(out: string): Set<string> {
  const ids = new Set<string>();
  for (const line of out.split('\n')) {
    const [id, index] = line.trim().split(/\s+/);
    if (!id || !/^\d+$/.test(id)) continue;
    ids.add(id);
    if (index && index !== '0') ids.add(`${id}.${index}`);
  }
  return ids;
}

/** What a failed LSF command said, as one line. */
function failure(r: Collected): string {
  return r.failure ?? (r.stderr.trim().split('\n').filter(Boolean).at(-1) || r.stdout.trim() || `exit ${r.code}`);
}

/** Whether `cmd` is an executable on PATH. */
function onPath(cmd: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).filter(Boolean).some((d) => {
    try { accessSync(join(d, cmd), constants.X_OK); return true; } catch { return false; }
  });
}

/** jsrun (IBM Job Step Manager) options that take a value, long and short. From IBM's jsrun manual
 * (https://www.ibm.com/docs/en/spectrum-lsf/10.1.0?topic=SSWRJV_10.1.0/jsm/jsrun.html). The wrapper
 * owns --exclude_hosts (it chooses the hosts; LLNL/scr's scr_jsrun passes down hosts there). jsrun
 * has no host count or host list option: it picks hosts itself among those not excluded, so the
 * host count comes from the resource sets: ceil(--nrs / --rs_per_host) when both are numbers (with
 * either missing, or ALL_HOSTS and the like, the run takes every usable host). -h
 * (--chdir) and -f (--appfile) are taken as valued from the OLCF Summit guide's table (not checked
 * against IBM's page): reading a value too many would swallow the application, one too few would
 * take a directory for it. */
export const JSRUN: LauncherSyntax = {
  valued: ['n', 'nrs', 'a', 'tasks_per_rs', 'c', 'cpu_per_rs', 'g', 'gpu_per_rs', 'r', 'rs_per_host', 'K', 'rs_per_socket',
    'p', 'np', 'm', 'memory_per_rs', 'b', 'bind', 'd', 'launch_distribution', 'l', 'latency_priority', 'U', 'erf_input',
    'E', 'env', 'F', 'env_eval', 'D', 'env_no_propagate', 'h', 'chdir', 'e', 'stdio_mode', 'k', 'stdio_stderr',
    'o', 'stdio_stdout', 'stdio_input', 'M', 'smpiargs', 'f', 'appfile', 'exclude_hosts'],
  owned: { exclude: ['exclude_hosts'] },
  nodeCount(given) {
    const count = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : undefined);
    // Of an option's two spellings (-n and --nrs), the one given last counts, as in jsrun.
    const last = (...names: string[]) => [...given].filter(([k]) => names.includes(k)).at(-1)?.[1];
    const sets = count(last('n', 'nrs'));
    const perHost = count(last('r', 'rs_per_host'));
    return sets !== undefined && perHost !== undefined ? Math.ceil(sets / perHost) : undefined;
  },
};

export class LsfRM implements ResourceManager {
  readonly name = 'lsf';
  readonly #job: string;
  /** The job as LSF's commands name it: 123, or 123[4] for an array element. */
  readonly #lsfJob: string;
  readonly #slots: HostSlots;
  #launches = 0;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly remote?: string) {
    // (remote: SCR_REMOTE_EXEC, how exec() reaches a host instead of blaunch)
    const job = env.LSB_JOBID;
    if (!job) throw new LsfError('not inside an LSF job (LSB_JOBID is not set): run this in a bsub batch script or a bsub -Is shell');
    this.#job = lsfJobId(env)!;
    const index = env.LSB_JOBINDEX;
    this.#lsfJob = index && index !== '0' ? `${job}[${index}]` : job;
    const all = hostsOf(env);
    const launch = launchNode(all, onPath('jsrun', env));
    this.#slots = new Map([...all].filter(([h]) => h !== launch));
  }

  jobId(): string { return this.#job; }
  nodes(): string[] { return [...this.#slots.keys()]; }

  async #query(cmd: string, args: string[]): Promise<string> {
    const r = await collect(cmd, args, { env: this.env, timeoutMs: QUERY_MS });
    if (r.code !== 0) throw new LsfError(`${cmd} ${args.join(' ')} failed: ${failure(r)}`);
    return r.stdout;
  }

  async downNodes(): Promise<Map<string, string>> {
    return parseBhosts(await this.#query('bhosts', ['-w', ...this.nodes()]));
  }

  async endTime(): Promise<number | null> {
    const out = await this.#query('bjobs', ['-noheader', '-o', "time_left runtimelimit run_time delimiter='|'", this.#lsfJob]);
    const left = parseTimeLeft(out.trim().split('\n')[0] ?? '');
    return left === null ? null : Math.floor(Date.now() / 1000) + left;
  }

  /** The job's run limit in seconds (bjobs runtimelimit); null when it has none. */
  async timeLimit(): Promise<number | null> {
    return parseRunLimit((await this.#query('bjobs', ['-noheader', '-o', 'runtimelimit', this.#lsfJob])).trim().split('\n')[0] ?? '');
  }

  launch(spec: LaunchSpec): Run {
    const launcher = spec.launcher ?? 'jsrun';
    const args = [...(spec.launcherArgs ?? [])];
    if (basename(launcher) === 'jsrun') {
      // jsrun takes no host list: every host of the allocation not chosen is excluded.
      const chosen = new Set(spec.nodes);
      const others = this.nodes().filter((n) => !chosen.has(n));
      if (others.length) args.push(`--exclude_hosts=${others.join(',')}`);
      // ppn ranks on each host: one resource set per host with ppn tasks.
      if (spec.ppn > 0) args.push('--nrs', String(spec.nodes.length), '--rs_per_host', '1', '--tasks_per_rs', String(spec.ppn));
    } else {
      args.push(...mpirunNodeArgs(launcher, spec.nodes, spec.ppn, (n) => this.#slots.get(n) ?? 1, this.env));
    }
    // jsrun forwards signals to the tasks on every host; the marker finds whatever runs here.
    const mark = `${this.#job}.${process.pid}.${++this.#launches}`;
    return launchGuarded({
      cmd: launcher, args: [...args, ...spec.argv], graceSeconds: spec.graceSeconds ?? 60,
      env: { ...this.env, ...spec.env, SCRLAUNCH_ID: mark }, plan: { marker: `SCRLAUNCH_ID=${mark}` },
    });
  }

  exec(nodes: string[], argv: string[], timeoutMs: number): Promise<NodeResult[]> {
    const env = { ...this.env, SCR_JOB_ID: this.env.SCR_JOB_ID ?? this.#job };
    if (this.remote) return remoteExec(this.remote, nodes, argv, timeoutMs, env);
    // blaunch starts a task of this job on one of its hosts (blaunch [-n] host command [args]). As
    // the rsh/ssh it replaces, it hands the words to a shell there as one line (unless -no-shell),
    // so each is quoted: a setting with a blank or a glob character stays one word.
    return Promise.all(nodes.map(async (node) => nodeResult(node, await collect('blaunch',
      [node, ...['env', `SCR_NODE_NAME=${node}`, ...scrSettings(env), ...argv].map(shellQuote)], { env, timeoutMs }))));
  }

  /** Kills the job and puts it back in the queue (`brequeue`, which a job's owner may run on it). */
  async requeue(): Promise<void> {
    await this.#query('brequeue', [this.#lsfJob]);
  }
}

/** The allocation's hosts and slots: LSB_DJOB_HOSTFILE (complete), else LSB_MCPU_HOSTS, else
 * LSB_HOSTS (which LSF truncates for large jobs). */
function hostsOf(env: NodeJS.ProcessEnv): HostSlots {
  const file = env.LSB_DJOB_HOSTFILE;
  let hosts: HostSlots | undefined;
  let unreadable: string | undefined;
  if (file) {
    try { hosts = parseDjobHostfile(readFileSync(file, 'utf8')); } catch (e) {
      unreadable = `LSB_DJOB_HOSTFILE=${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
  }
  if (!hosts?.size && env.LSB_MCPU_HOSTS) hosts = parseMcpuHosts(env.LSB_MCPU_HOSTS);
  if (!hosts?.size && env.LSB_HOSTS) hosts = parseLsbHosts(env.LSB_HOSTS);
  if (!hosts?.size) {
    throw new LsfError(`${unreadable ?? (file ? `LSB_DJOB_HOSTFILE=${file} names no host` : 'LSB_DJOB_HOSTFILE, LSB_MCPU_HOSTS and LSB_HOSTS are not set')}: run this inside the LSF job (its batch script or a bsub -Is shell), where LSF sets them`);
  }
  return hosts;
}

/** This user's unfinished LSF jobs (bjobs' default: pending, running, suspended); null when bjobs
 * is not installed. bjobs says "No unfinished job found" (on stderr, exit 255) when there are none. */
async function liveJobs(env: NodeJS.ProcessEnv): Promise<Set<string> | null> {
  const user = env.USER || userInfo().username;
  const r = await collect('bjobs', ['-u', user, '-noheader', '-o', 'jobid jobindex'], { env, timeoutMs: 30_000 });
  if (r.code === null && /ENOENT/.test(r.failure ?? '')) return null;
  if (/No unfinished job found/.test(r.stderr)) return new Set();
  if (r.code !== 0) throw new LsfError(`bjobs failed: ${failure(r)}`);
  return parseLiveJobs(r.stdout);
}

export const manager: ManagerModule = {
  name: 'lsf',
  title: 'LSF',
  order: 40,
  needs: 'LSB_JOBID and LSB_DJOB_HOSTFILE (or LSB_MCPU_HOSTS)',
  detect: (env) => Boolean(env.LSB_JOBID && (env.LSB_DJOB_HOSTFILE || env.LSB_MCPU_HOSTS || env.LSB_HOSTS)),
  create: (env, cfg: ResolvedConfig) => new LsfRM(env, cfg.optStr('SCR_REMOTE_EXEC') ?? undefined),
  launchers: { jsrun: JSRUN },
  // LSF job ids are digits; an array element is 123[4].
  ownsJobId: (id) => /^\d+(?:\.\d+)?$/.test(id),
  liveJobs,
  queueCommand: 'bjobs',
};
