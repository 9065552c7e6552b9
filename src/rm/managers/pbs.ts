// The PBS adapter (OpenPBS / PBS Professional, and Torque where the two agree): the allocation from
// PBS_JOBID / PBS_NODEFILE, down nodes from `pbsnodes -l` (nodes PBS marked down or offline) and
// from the job's exec_host in `qstat -f` (nodes PBS released from the job), the end time from the
// job's walltime limit and use, runs by the MPI's own mpiexec pointed at chosen nodes, work on one
// node by `pbsdsh -n INDEX` (or SCR_REMOTE_EXEC), and the jobs still known by `qstat -t` (scr clean).
// Talks to PBS only through its commands, in forms both PBS Professional and Torque accept.
//
// Node names are kept as PBS_NODEFILE writes them (short names or FQDNs, whichever the site's
// PBS uses); `pbsnodes` and exec_host are matched against them by full name, or by the part before
// the first dot when only one side has a domain (as pbsnodes itself compares names).
//
// No requeue: `qrerun` needs PBS operator or manager privilege (the server rejects anyone else with
// PBSE_PERM: openpbs src/server/req_rerun.c, req_rerunjob), so a job cannot requeue itself.
//
// pbsdsh differs between the two: PBS Professional's -o means "do not wait for the tasks" and its
// tasks' output reaches pbsdsh's own; Torque's -o is what brings the tasks' stdout back to pbsdsh
// (without it, it goes to the job's output file). Which one is installed is asked once, of
// `pbsnodes --version` (PBS Professional prints `pbs_version = …` on stdout, Torque `version: …`
// on stderr: openpbs src/cmds/pbsnodes.c PRINT_VERSION_AND_EXIT, adaptivecomputing/torque
// src/cmds/pbsnodes.c).
//
// A TM task's output goes where PBS sends the job's (its output file), not reliably back to
// pbsdsh: Torque brings stdout back only with -o, and PBS Professional's pbsdsh has no such path.
// So the task pbsdsh starts is a small relay (src/rm/relay.ts) that runs the command and sends its
// stdout, stderr and exit status back over TCP to this process; pbsdsh's own report is used only
// when the relay never answered.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ResolvedConfig } from '../../config/resolve.js';
import { collect, type Collected, nodeResult } from '../exec.js';
import { launchGuarded } from '../guarded.js';
import { mpirunNodeArgs } from '../mpirun.js';
import { RELAY, type Relayed, RelayServer } from '../relay.js';
import { remoteExec, scrSettings } from '../remote.js';
import type { LaunchSpec, ManagerModule, NodeResult, ResourceManager, Run } from '../types.js';

/** How long a query of the PBS server may take before it counts as unanswered. */
const QUERY_MS = 15_000;
/** How long a relay's last lines may trail pbsdsh's end. */
const RELAY_GRACE_MS = 2_000;
/** pbsdsh starts the program by tm_spawn, which execs it without a PATH search: an absolute path. */
const ENV_BIN = '/usr/bin/env';

export class PbsError extends Error {
  readonly code = 'ERR_SCR_PBS';
}

/** The hosts of a PBS_NODEFILE (one line per slot or MPI process), in order of first appearance,
 * with how many lines name each: its slots. */
export function parseNodefile(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const host = raw.trim();
    if (host) out.set(host, (out.get(host) ?? 0) + 1);
  }
  return out;
}

/** The attributes of the first job in `qstat -f` output, as `name` → value (`Resource_List.walltime`
 * → `01:00:00`). qstat wraps long values at 78 columns with a newline and a tab; those lines are
 * joined back. */
export function parseQstatFull(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  let last: string | undefined;
  let jobs = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('Job Id:')) {
      if (++jobs > 1) break;
      continue;
    }
    if (line.startsWith('\t') && last) {
      attrs.set(last, attrs.get(last)! + line.slice(1));
      continue;
    }
    const m = /^ {4}(\S+) = (.*)$/.exec(line);
    if (m) {
      last = m[1]!;
      attrs.set(last, m[2]!);
    } else last = undefined;
  }
  return attrs;
}

/** Seconds in a PBS duration (`01:30:00`, `100:00:00`, `30:00`, `3600`); null for anything else. */
export function parseDuration(s: string | undefined): number | null {
  const m = /^(?:(?:(\d+):)?(\d+):)?(\d+)(?:\.\d+)?$/.exec((s ?? '').trim());
  if (!m) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3]);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Epoch seconds of a time as qstat -f prints it (C's ctime(), local time: `Sun Dec  6 02:25:24
 * 2026`); null for anything else. */
export function parseCtime(s: string | undefined): number | null {
  const m = /^\w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec((s ?? '').trim());
  const month = m ? MONTHS.indexOf(m[1]!) : -1;
  if (!m || month < 0) return null;
  return Math.floor(new Date(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime() / 1000);
}

/** The hosts of an exec_host value, in order: PBS Professional's `n1/0*2+n2/0*2`, Torque's
 * `n1/0+n1/1+n2/0-3`. */
export function execHosts(value: string): string[] {
  const hosts = value.split('+').map((part) => part.trim().split('/')[0]!).filter(Boolean);
  return [...new Set(hosts)];
}

/** The end of the job in epoch seconds from its `qstat -f` attributes, at `now`; null without a
 * walltime limit. Both stime + limit and now + (limit − used) are known when the job runs; the
 * earlier is taken: resources_used.walltime is only as fresh as MoM's last poll (minutes old), and
 * it stops while the job is suspended, so neither alone is the safe answer. */
export function endFromQstat(attrs: Map<string, string>, now: number): number | null {
  const limit = parseDuration(attrs.get('Resource_List.walltime'));
  if (limit === null) return null;
  const used = parseDuration(attrs.get('resources_used.walltime'));
  const start = parseCtime(attrs.get('stime') ?? attrs.get('start_time'));
  const ends = [used !== null ? now + Math.max(0, limit - used) : null, start !== null ? start + limit : null].filter((e): e is number => e !== null);
  return ends.length ? Math.min(...ends) : now + limit;
}

/** Node states that mean "do not run here" (PBS Professional: down, offline, state-unknown, stale,
 * unresolvable; Torque's `pbsnodes -l` lists down, offline and state-unknown nodes). */
const BAD_STATES = new Set(['down', 'offline', 'state-unknown', 'unknown', 'stale', 'unresolvable']);

/** Down nodes from `pbsnodes -l` (one line per marked node: name, state list, then PBS
 * Professional's comment; Torque prints no comment). */
export function parsePbsnodesList(out: string): Map<string, string> {
  const down = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s+(\S+)(?:\s+(.*\S))?\s*$/.exec(line);
    if (!m) continue;
    const [, node, state, comment] = m;
    if (!state!.split(',').some((s) => BAD_STATES.has(s))) continue;
    down.set(node!, `PBS state ${state}${comment ? `: ${comment}` : ''}`);
  }
  return down;
}

/** The job ids in qstat's default listing (after the two header lines, the first word of each). */
export function parseQstatJobs(out: string): string[] {
  const lines = out.split('\n');
  const rule = lines.findIndex((l) => /^-{5,}/.test(l));
  return lines.slice(rule + 1).map((l) => l.trim().split(/\s+/)[0] ?? '').filter((id) => /^\d+(?:\[\d*\])?(?:\.|$)/.test(id));
}

/** A job id as qstat's listing shows it: the sequence number and the first part of the server name
 * (`123.pbs.example.com` → `123.pbs`). */
export function shortJobId(id: string): string {
  const m = /^([^.]+)(?:\.([^.]*))?/.exec(id);
  return m ? (m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]!) : id;
}

/** Job ids from qstat's listing, matched as it shows them: `has('123.pbs.example.com')` is true when
 * qstat listed `123.pbs` (it keeps only the first part of the server name), or a cut-off start of
 * that (it cuts ids to its column, 17 characters or more, PBS Professional with a last `*` in place
 * of the cut part): a false "still queued" keeps a job's
 * files, a false "ended" would delete them. */
export class PbsJobIds extends Set<string> {
  override has(id: string): boolean {
    const short = shortJobId(id);
    if (super.has(id) || super.has(short)) return true;
    // PBS Professional (19 and later) marks a cut id with a last `*` (openpbs src/cmds/qstat.c,
    // DISPLAY_TRUNC_CHAR); Torque cuts without a mark.
    for (const shown of this) {
      const kept = shown.endsWith('*') ? shown.slice(0, -1) : shown;
      if (kept.length >= 14 && short.startsWith(kept)) return true;
    }
    return false;
  }
}

/** The name `names` uses for `node`: the same, the same up to the first dot on either side, or,
 * for a name of 20 characters, one it starts (Torque's `pbsnodes -l` cuts names to 20). */
function sameNode(node: string, names: Iterable<string>): string | undefined {
  const short = node.split('.')[0];
  const all = [...names];
  return all.find((n) => n === node)
    ?? all.find((n) => n.split('.')[0] === short && (!n.includes('.') || !node.includes('.')))
    ?? (node.length === 20 ? all.find((n) => n.startsWith(node)) : undefined);
}

/** The exit status pbsdsh reports for its task: it exits 0 itself and, when the task's status is not
 * 0, prints `pbsdsh: task 0x00000000 exit status N` on stdout (PBS Professional: openpbs
 * src/cmds/pbsdsh.c) or `pbsdsh: task 0 exit status N` on stderr (Torque: adaptivecomputing/torque
 * src/cmds/pbsdsh.c). */
const TASK_STATUS = /^\S*pbsdsh\S*: task (?:0x[0-9A-Fa-f]+|\d+) exit status (-?\d+)\n?/m;

/** What a `pbsdsh` run on `node` comes to: the command's exit status and output as its relay sent
 * them, else the task's exit status as pbsdsh reports it, or null when pbsdsh could not start it
 * (not under PBS, MoM unreachable, spawn failed) or did not answer in time. */
export function pbsdshResult(node: string, r: Collected, relayed?: Relayed): NodeResult {
  if (r.code === null) return nodeResult(node, relayed ? { ...r, stdout: relayed.stdout, stderr: `${relayed.stderr}${r.stderr}` } : r);
  if (relayed?.code !== undefined) return { node, code: relayed.code, stdout: relayed.stdout, stderr: relayed.stderr };
  if (r.code !== 0 || /spawn failed|error -?\d+ on spawn|tm_init failed|tm_nodeinfo failed|Event poll failed|not executing under PBS/.test(r.stderr)) {
    return { node, code: null, stdout: r.stdout, stderr: `${r.stderr}${r.stderr.endsWith('\n') || !r.stderr ? '' : '\n'}pbsdsh could not run the command on ${node}${r.code ? ` (exit ${r.code})` : ''}` };
  }
  const out = TASK_STATUS.exec(r.stdout);
  const err = out ? null : TASK_STATUS.exec(r.stderr);
  return {
    node, code: Number((out ?? err)?.[1] ?? 0),
    stdout: out ? r.stdout.replace(TASK_STATUS, '') : r.stdout, stderr: err ? r.stderr.replace(TASK_STATUS, '') : r.stderr,
  };
}

/** Which PBS `pbsnodes --version` output names: Torque prints `version: X` (on stderr). */
export function pbsFlavour(output: string): 'pbspro' | 'torque' {
  return /^version: /m.test(output) ? 'torque' : 'pbspro';
}

export class PbsRM implements ResourceManager {
  readonly name = 'pbs';
  readonly #job: string;
  readonly #slots: Map<string, number>;
  /** Each host's first line in PBS_NODEFILE: its index in the job's TM node list (pbsdsh -n). */
  readonly #index = new Map<string, number>();
  #launches = 0;
  #flavour?: Promise<'pbspro' | 'torque'>;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly remote?: string) {
    const job = env.PBS_JOBID;
    const file = env.PBS_NODEFILE;
    if (!job || !file) throw new PbsError('not inside a PBS job (PBS_JOBID and PBS_NODEFILE are not set): run this in a qsub batch script or a qsub -I session');
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (e) {
      throw new PbsError(`PBS_NODEFILE=${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): run this on the job's first node, where PBS writes that file`);
    }
    this.#job = job;
    this.#slots = parseNodefile(text);
    if (!this.#slots.size) throw new PbsError(`PBS_NODEFILE=${file} names no node: PBS writes the job's hosts there, one line per slot`);
    text.split('\n').map((l) => l.trim()).forEach((h, i) => { if (h && !this.#index.has(h)) this.#index.set(h, i); });
  }

  jobId(): string { return this.#job; }
  nodes(): string[] { return [...this.#slots.keys()]; }

  async #query(cmd: string, args: string[]): Promise<string> {
    const r = await collect(cmd, args, { env: this.env, timeoutMs: QUERY_MS });
    if (r.code !== 0) throw new PbsError(`${cmd} ${args.join(' ')} failed: ${r.failure ?? (r.stderr.trim().split('\n').join(' ') || `exit ${r.code}`)}`);
    return r.stdout;
  }

  #jobAttributes(): Promise<Map<string, string>> {
    return this.#query('qstat', ['-f', this.#job]).then(parseQstatFull);
  }

  /** PBS Professional or Torque (asked once; PBS Professional's form when pbsnodes does not say). */
  #which(): Promise<'pbspro' | 'torque'> {
    this.#flavour ??= collect('pbsnodes', ['--version'], { env: this.env, timeoutMs: QUERY_MS }).then((r) => pbsFlavour(`${r.stdout}${r.stderr}`));
    return this.#flavour;
  }

  async downNodes(): Promise<Map<string, string>> {
    // `pbsnodes -l` rather than `-a` or `-F json`: both PBS Professional and Torque have it, it
    // lists only the marked nodes (not every node of the site), and its one-line form has not
    // changed in either; -F json exists only in PBS Professional.
    // A failed qstat only loses the exec_host check: pbsnodes' answer is kept (a failed pbsnodes
    // throws, and the caller goes on with the down nodes it knew).
    const [marked, job] = await Promise.allSettled([this.#query('pbsnodes', ['-l']), this.#jobAttributes()]);
    if (marked.status === 'rejected') throw marked.reason;
    const attrs = job.status === 'fulfilled' ? job.value : new Map<string, string>();
    const down = new Map<string, string>();
    for (const [name, why] of parsePbsnodesList(marked.value)) {
      const node = sameNode(name, this.#slots.keys());
      if (node) down.set(node, why);
    }
    const exec = attrs.get('exec_host');
    if (exec) {
      const hosts = execHosts(exec);
      for (const n of this.#slots.keys()) {
        if (!down.has(n) && !sameNode(n, hosts)) down.set(n, 'no longer in the job\'s exec_host (PBS released it from the job)');
      }
    }
    return down;
  }

  async endTime(): Promise<number | null> {
    return endFromQstat(await this.#jobAttributes(), Math.floor(Date.now() / 1000));
  }

  /** The job's walltime limit in seconds (Resource_List.walltime); null when it has none. */
  async timeLimit(): Promise<number | null> {
    return parseDuration((await this.#jobAttributes()).get('Resource_List.walltime'));
  }

  launch(spec: LaunchSpec): Run {
    const launcher = spec.launcher ?? 'mpiexec';
    const args = [...(spec.launcherArgs ?? []), ...mpirunNodeArgs(launcher, spec.nodes, spec.ppn, (n) => this.#slots.get(n) ?? 1, this.env)];
    // The ranks run under the MPI's daemons (or PBS's MoMs, for a TM-aware mpiexec), not in the
    // launcher's process group: each local one is found by this marker.
    const mark = `${this.#job}.${process.pid}.${++this.#launches}`;
    return launchGuarded({
      cmd: launcher, args: [...args, ...spec.argv], graceSeconds: spec.graceSeconds ?? 60,
      env: { ...this.env, ...spec.env, SCRLAUNCH_ID: mark }, plan: { marker: `SCRLAUNCH_ID=${mark}` },
    });
  }

  async exec(nodes: string[], argv: string[], timeoutMs: number): Promise<NodeResult[]> {
    const env = { ...this.env, SCR_JOB_ID: this.env.SCR_JOB_ID ?? this.#job };
    if (this.remote) return remoteExec(this.remote, nodes, argv, timeoutMs, env);
    // pbsdsh starts the task with the job's environment, not the caller's: the SCR_* settings go
    // along as `env NAME=value` words (tm_spawn passes the words as they are, no shell between).
    // `-n INDEX` (the node's place in the job's TM node list, which follows PBS_NODEFILE) is the
    // form both have; PBS Professional has no -h HOST. Torque needs -o for the task's stdout.
    const torque = (await this.#which()) === 'torque';
    const relay = new RelayServer();
    const port = await relay.listen();
    try {
      return await Promise.all(nodes.map(async (node) => {
        const index = this.#index.get(node);
        if (index === undefined) return { node, code: null, stdout: '', stderr: `${node} is not in this job's PBS_NODEFILE: pbsdsh reaches only the job's own nodes` };
        const token = relay.expect(node);
        const args = [...(torque ? ['-o'] : []), '-n', String(index), '--', ENV_BIN, `SCR_NODE_NAME=${node}`, ...scrSettings(env),
          process.execPath, '-e', RELAY, hostname(), String(port), token, ...argv];
        const r = await collect('pbsdsh', args, { env: this.env, timeoutMs });
        return pbsdshResult(node, r, await relay.result(token, r.code === null ? 0 : RELAY_GRACE_MS));
      }));
    } finally {
      relay.close();
    }
  }
}

/** PBS job ids: a sequence number (with an array index in brackets) and the server's name. */
// The server's name has a letter: Grid Engine's array task ids (7.2) are not PBS's.
const JOB_ID = /^\d+(?:\[\d*\])?\.(?=[A-Za-z0-9.-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9.-]*$/;

/** Whether `qstat -t` output is PBS's listing (its header starts `Job id`/`Job ID`; no jobs print
 * nothing). Grid Engine names its command qstat too (header `job-ID  prior`): no answer about PBS. */
export function isPbsListing(out: string): boolean {
  const first = out.split('\n').find((l) => l.trim());
  return first === undefined || /^Job ID\b/i.test(first);
}

/** The jobs qstat lists (every job this user may see, in any state; -t shows array subjobs too): a
 * superset of this user's, which only keeps more. Not `qstat -u`: that form cuts ids to 15
 * characters. Null when qstat is not installed here, or is another scheduler's. */
async function liveJobs(env: NodeJS.ProcessEnv): Promise<Set<string> | null> {
  const r = await collect('qstat', ['-t'], { env, timeoutMs: 30_000 });
  if (r.code === null && /ENOENT/.test(r.failure ?? '')) return null;
  if (r.code !== 0) throw new PbsError(`qstat failed: ${(r.stderr.trim().split('\n').join(' ') || r.failure || `exit ${r.code}`).trim()}`);
  return isPbsListing(r.stdout) ? new PbsJobIds(parseQstatJobs(r.stdout)) : null;
}

export const manager: ManagerModule = {
  name: 'pbs',
  title: 'PBS',
  order: 30,
  needs: 'PBS_JOBID and PBS_NODEFILE',
  detect: (env) => Boolean(env.PBS_JOBID && env.PBS_NODEFILE),
  create: (env, cfg: ResolvedConfig) => new PbsRM(env, cfg.optStr('SCR_REMOTE_EXEC') ?? undefined),
  ownsJobId: (id) => JOB_ID.test(id),
  liveJobs,
  queueCommand: 'qstat',
};
