// A real Grid Engine (Son of Grid Engine 8.1.9, Debian's gridengine-* packages) on this host for
// tests: a private cell (its own SGE_ROOT in a fresh directory, classic spooling, configured with
// the packaged spoolinit/spooldefaults as Debian's init_cluster does) with one sge_qmaster and N
// sge_execd fake exec hosts n1…nN.
//
// Why namespaces: Grid Engine knows a host by the name its address resolves to, and refuses a
// client whose address resolves to another name than the one it claims ("access denied (client IP
// resolved to host name "localhost" ...)"); every execd also listens on the one cluster-wide
// execd port. So execds on one host cannot be several hosts by aliases alone: each fake host gets
// its own network namespace (an address 10.77.0.1X on a veth to a bridge in the qmaster's), UTS
// namespace (hostname nX) and mount namespace (a private /etc/hosts naming master and n1…nN, and
// the node-local directory bound over one shared path, as test/harness/slurm.ts does). The
// qmaster's namespaces ("master") hold the bridge; the tests run Grid Engine's clients there
// (nsenter). The addresses and ports exist only inside these namespaces, so parallel sessions
// cannot collide. Torn down by killing every process in the cluster's network namespaces (the
// namespaces, veths and bridge then vanish with them); the directories are removed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtFlavours } from '../../src/native/paths.js';

export interface SgeCluster {
  dir: string;
  /** The private SGE_ROOT and cell. */
  root: string;
  cell: string;
  /** The node-local directory: the same path on every node, its own contents on each. */
  local: string;
  /** Where this process finds `node`'s `local` directory. */
  localOf(node: string): string;
  nodes: string[];
  /** The cluster queue and the parallel environment (control_slaves TRUE, one slot per host). */
  queue: string;
  pe: string;
  /** Environment for Grid Engine's clients. */
  env: Record<string, string>;
  /** Runs a Grid Engine client on the master host; returns stdout, throws with stderr on failure. */
  cmd(name: string, args: string[]): string;
  /** Kills the application's processes on `node` (what Grid Engine and Open MPI's orted run there
   * stays): the ranks there die and the node's daemons live on. */
  killRanksOn(node: string): number;
  /** Kills everything on `node`, its execd too: the host is then dead to Grid Engine (state u once
   * max_unheard, 15 s, has passed). */
  killNode(node: string): void;
  stop(): Promise<void>;
}

const SGE_BIN = '/usr/lib/gridengine';
const PKG_ROOT = '/var/lib/gridengine';
const PKG_SHARE = '/usr/share/gridengine';
const TOOLS = ['qsub', 'qstat', 'qrsh', 'qmod', 'qconf', 'qhost', 'qacct'];
// Inside the cluster's own network namespaces: nothing else listens there.
const QMASTER_PORT = 6444;
// What killRanksOn leaves: when any of these dies, Grid Engine counts the job's task on that host
// as failed and kills the whole job (measured, with the shepherd, with qrsh_starter, and with only
// orted and the ranks killed: "tightly integrated parallel task 1.1 task 1.n4 failed - killing
// job"), as it does when a real host is lost — no run is left to relaunch in.
const KEEP = ['sge_execd', 'sge_shepherd', 'qrsh_starter', 'orted'];
const NET = '10.77.0';

/** Why Grid Engine cannot run here, or null when it can. */
export function sgeMissing(): string | null {
  const missing = [...['sge_qmaster', 'sge_execd', 'spoolinit', 'spooldefaults'].filter((b) => !existsSync(join(SGE_BIN, b))),
    ...TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0)];
  if (missing.length) return `${missing.join(', ')} not installed (scripts/setup installs gridengine-master, gridengine-exec and gridengine-client)`;
  if (!existsSync(join(PKG_SHARE, 'default-configuration'))) return `${PKG_SHARE}/default-configuration is missing (reinstall gridengine-common)`;
  const ns = spawnSync('unshare', ['-m', '-n', '-u', '--propagation', 'private', 'sh', '-c', 'ip link add b0 type bridge && ip link del b0'], { encoding: 'utf8' });
  if (ns.status !== 0) return `the fake exec hosts need network, mount and UTS namespaces with bridges (root, the ip tool): ${(ns.stderr || ns.error?.message || '').trim()}`;
  return null;
}

/** For a suite's `before`: starts a cluster of `nodes` fake exec hosts, or skips the suite (saying
 * why) where Grid Engine, namespaces or the Open MPI binding are missing. */
export async function sgeOrSkip(ctx: Mocha.Context, nodes: number, needMpi = true): Promise<SgeCluster> {
  const missing = sgeMissing() ?? (!needMpi || builtFlavours().includes('openmpi') ? null : 'the Open MPI binding is not built');
  if (missing) {
    console.log(`    skipped: ${missing}`);
    ctx.skip();
  }
  return startSge({ nodes });
}

function netOf(pid: number): string | undefined {
  try { return readlinkSync(`/proc/${pid}/ns/net`); } catch { return undefined; }
}

/** Processes whose network namespace is one of `nets`; never this process's own namespace (the
 * host's: a namespace read before unshare had made the new one must not count). */
function processesIn(nets: Set<string>): number[] {
  const own = netOf(process.pid);
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const net = netOf(Number(pid));
    if (net && net !== own && nets.has(net)) out.push(Number(pid));
  }
  return out;
}

function setLines(text: string, values: Record<string, string>): string {
  let out = text;
  for (const [k, v] of Object.entries(values)) {
    const re = new RegExp(`^${k}\\s.*$`, 'm');
    if (!re.test(out)) throw new Error(`no ${k} line to set in Grid Engine's template`);
    out = out.replace(re, `${k} ${v}`);
  }
  return out;
}

export async function startSge(opts: { nodes?: number } = {}): Promise<SgeCluster> {
  const n = opts.nodes ?? 4;
  const dir = mkdtempSync('/tmp/scr-sge-');
  const root = join(dir, 'root');
  const cell = 'scr';
  const common = join(root, cell, 'common');
  const spool = join(root, cell, 'spool');
  for (const d of [common, join(spool, 'qmaster'), join(spool, 'execd'), join(dir, 'log')]) mkdirSync(d, { recursive: true });
  for (const d of ['bin', 'lib', 'utilbin', 'util']) symlinkSync(join(PKG_ROOT, d), join(root, d));
  const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const local = mkdtempSync('/dev/shm/scr-sge-local-');
  // Each host's job temporary directories (TMPDIR) are in its own `local`: in one shared /tmp, a
  // host's execd removed the job's directory at the end of its task while the other hosts' tasks
  // still needed it (measured: "can't open tmpdir /tmp/1.1.scr.q", and the job was killed).
  for (const node of nodes) mkdirSync(`${local}.${node}/tmp`, { recursive: true });
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, ['127.0.0.1 localhost', `${NET}.1 master`, ...nodes.map((x, i) => `${NET}.${11 + i} ${x}`), ''].join('\n'));
  const spoolParams = `${common};${join(spool, 'qmaster')}`;
  writeFileSync(join(common, 'bootstrap'), [
    'admin_user none', 'default_domain none', 'ignore_fqdn true', 'spooling_method classic', 'spooling_lib libspoolc',
    `spooling_params ${spoolParams}`, `binary_path ${SGE_BIN}`, `qmaster_spool_dir ${join(spool, 'qmaster')}`,
    'security_mode none', 'listener_threads 2', 'worker_threads 2', 'scheduler_threads 1', '',
  ].join('\n'));
  writeFileSync(join(common, 'act_qmaster'), 'master\n');
  const env = { SGE_ROOT: root, SGE_CELL: cell, SGE_QMASTER_PORT: String(QMASTER_PORT), SGE_EXECD_PORT: String(QMASTER_PORT + 1) };
  const penv = { ...process.env, ...env };
  const setup = (cmd: string, args: string[]) => {
    const r = spawnSync(join(SGE_BIN, cmd), args, { env: penv, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout || r.error?.message || `exit ${r.status}`}`);
  };
  setup('spoolinit', ['classic', 'libspoolc', spoolParams, 'init']);
  setup('spooldefaults', ['configuration', join(PKG_SHARE, 'default-configuration')]);
  setup('spooldefaults', ['complexes', join(PKG_SHARE, 'util', 'resources', 'centry')]);
  setup('spooldefaults', ['usersets', join(PKG_SHARE, 'util', 'resources', 'usersets')]);
  setup('spooldefaults', ['managers', 'root']);
  // spooldefaults rejects an edited configuration file (measured: exit 1, no message), so the
  // spooled one is edited: root may run jobs; load reports every 2 s and a host unheard for 15 s is
  // unknown (u); accounting (qacct) is written within a second.
  const confFile = join(common, 'configuration');
  writeFileSync(confFile, setLines(readFileSync(confFile, 'utf8'), {
    execd_spool_dir: join(spool, 'execd'), min_uid: '0', min_gid: '0', load_report_time: '00:00:02', max_unheard: '00:00:15',
    reporting_params: 'accounting=true reporting=false flush_time=00:00:01 joblog=false sharelog=00:00:00',
  }));

  const procs: ChildProcess[] = [];
  const nets = new Set<string>();
  const daemon = (args: string[]): ChildProcess => {
    // SGE_ND: the daemons stay in the foreground, so the PID is the daemon's (unshare and sh exec).
    const p = spawn('unshare', ['-m', '-n', '-u', '--propagation', 'private', 'sh', '-c', ...args],
      { env: { ...penv, SGE_ND: '1' }, stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    procs.push(p);
    return p;
  };
  /** A daemon's own network namespace, once unshare has made it (undefined before). */
  const ownNet = (p: ChildProcess) => { const x = p.pid ? netOf(p.pid) : undefined; return x && x !== netOf(process.pid) ? x : undefined; };
  // The bridge gets a fixed MAC address: by default it takes its ports' lowest, which changed when a
  // killed host's veth went away, and the other hosts, their ARP entries for the qmaster stale, went
  // unheard too (measured: every queue instance turned u when one execd was killed).
  const hub = daemon([`mount --bind "$1" /etc/hosts && hostname master && ip link set lo up && ip link add br0 type bridge && ip link set br0 address 02:00:0a:4d:00:01 && ip addr add ${NET}.1/24 dev br0 && ip link set br0 up && exec ${SGE_BIN}/sge_qmaster`, 'sh', hosts]);
  const inMaster = (name: string, args: string[], timeout = 30_000) =>
    spawnSync('nsenter', ['-t', String(hub.pid), '-m', '-n', '-u', '--', name, ...args], { env: penv, encoding: 'utf8', timeout });
  const execd = new Map<string, ChildProcess>();

  const cluster: SgeCluster = {
    dir, root, cell, nodes, env, local, queue: 'scr.q', pe: 'scr',
    localOf: (node) => `${local}.${node}`,
    cmd(name, args) {
      const r = inMaster(name, args);
      if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: ${r.stderr || r.stdout || r.error?.message || `exit ${r.status}`}`);
      return r.stdout;
    },
    killRanksOn(node) {
      const p = execd.get(node);
      const net = p ? ownNet(p) : undefined;
      if (!net) return 0;
      const comm = (pid: number) => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; } };
      const pids = processesIn(new Set([net])).filter((x) => x !== p!.pid && !KEEP.includes(comm(x)));
      for (const pid of pids) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      return pids.length;
    },
    killNode(node) {
      const p = execd.get(node);
      const net = p ? ownNet(p) : undefined;
      if (net) for (const pid of processesIn(new Set([net]))) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    },
    async stop() {
      if (hub.pid && hub.exitCode === null) {
        inMaster('qdel', ['-f', '-u', '*'], 10_000);
        // qdel only asks: wait (briefly) for the execds to end the jobs' processes themselves.
        await waitFor(() => { const r = inMaster('qstat', ['-u', '*'], 5_000); return r.status !== 0 || r.stdout.trim() === ''; }, 15_000, 'jobs').catch(() => undefined);
      }
      for (const p of procs) if (p.pid && p.exitCode === null) try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ }
      await waitFor(() => processesIn(nets).length === 0, 5_000, 'daemons').catch(() => undefined);
      // Whatever is left in the cluster's namespaces (a shepherd, a job's ranks) goes too.
      for (const pid of processesIn(nets)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      for (const p of procs) if (p.pid && p.exitCode === null) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      for (const d of [local, ...nodes.map((x) => `${local}.${x}`)]) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    },
  };

  try {
    await waitFor(() => { const x = ownNet(hub); if (x) nets.add(x); return x !== undefined && inMaster('qconf', ['-sconf'], 5_000).status === 0; }, 30_000, 'sge_qmaster did not answer');
    // The scheduler runs every second and right after a submit or a job's end (default: 15 s).
    const sconf = join(dir, 'sconf');
    writeFileSync(sconf, setLines(readFileSync(join(PKG_SHARE, 'util', 'install_modules', 'inst_schedd_normal.conf'), 'utf8'),
      { schedule_interval: '0:0:1', flush_submit_sec: '1', flush_finish_sec: '1' }));
    cluster.cmd('qconf', ['-Msconf', sconf]);
    for (const h of ['master', ...nodes]) { cluster.cmd('qconf', ['-ah', h]); cluster.cmd('qconf', ['-as', h]); }
    // One slot per host (allocation_rule 1), so `-pe scr N` is N hosts; control_slaves lets the job
    // start tasks on its hosts by `qrsh -inherit` (Open MPI's mpirun and the adapter's exec()).
    const pe = join(dir, 'pe');
    writeFileSync(pe, ['pe_name scr', 'slots 9999', 'user_lists NONE', 'xuser_lists NONE', 'start_proc_args NONE', 'stop_proc_args NONE',
      'allocation_rule 1', 'control_slaves TRUE', 'job_is_first_task FALSE', 'urgency_slots min', 'accounting_summary FALSE', 'qsort_args NONE', ''].join('\n'));
    cluster.cmd('qconf', ['-Ap', pe]);
    // No load threshold (this host is shared and busy: np_load_avg=1.75 would put queues in alarm);
    // rerun TRUE so a job may be rescheduled (qmod -rj); scripts run by their #! line.
    const q = join(dir, 'queue');
    writeFileSync(q, setLines(cluster.cmd('qconf', ['-sq']), {
      qname: 'scr.q', hostlist: nodes.join(' '), pe_list: 'scr', slots: '2', load_thresholds: 'NONE', rerun: 'TRUE', shell_start_mode: 'unix_behavior', tmpdir: `${local}/tmp`,
    }));
    cluster.cmd('qconf', ['-Aq', q]);
    nodes.forEach((node, i) => {
      const p = daemon([`mount --bind "$1" /etc/hosts && mount --bind "$2" "$3" && hostname "$4" && ip link set lo up && ` +
        `for t in $(seq 200); do ip link show eth0 >/dev/null 2>&1 && break; sleep 0.05; done && ip addr add "$5/24" dev eth0 && ip link set eth0 up && exec ${SGE_BIN}/sge_execd`,
      'sh', hosts, `${local}.${node}`, local, node, `${NET}.${11 + i}`]);
      execd.set(node, p);
    });
    for (const [node, p] of execd) {
      await waitFor(() => ownNet(p) !== undefined, 10_000, `${node}'s namespace was not made`);
      nets.add(ownNet(p)!);
      const veth = `v${node}`;
      for (const args of [['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(p.pid)], ['link', 'set', veth, 'master', 'br0', 'up']]) {
        const r = inMaster('ip', args);
        if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
      }
    }
    // Up: every queue instance reports a load and has no state (not u: unknown).
    await waitFor(() => {
      const r = inMaster('qstat', ['-f', '-q', 'scr.q'], 10_000);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('scr.q@'));
      return r.status === 0 && lines.length === n && lines.every((l) => /\s+\d+\/\d+\/\d+\s+\d[\d.]*\s+\S+\s*$/.test(l));
    }, 40_000, 'the exec hosts did not come up');
  } catch (e) {
    const log = (f: string) => { try { return readFileSync(f, 'utf8').split('\n').slice(-10).join('\n'); } catch { return ''; } };
    const msg = `${(e as Error).message}; qmaster messages:\n${log(join(spool, 'qmaster', 'messages'))}`;
    await cluster.stop();
    throw new Error(msg);
  }
  return cluster;
}

export async function waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} within ${ms / 1000} s`);
}

/** Submits a batch script (its text) with `args` (e.g. -pe scr 4 -l h_rt=600); returns the job id. */
export function qsub(c: SgeCluster, script: string, args: string[]): string {
  const path = join(c.dir, `job.${Date.now()}.${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, script, { mode: 0o755 });
  const out = c.cmd('qsub', ['-terse', ...args, path]);
  return out.trim().split('.')[0]!;
}

/** Whether the qmaster still knows the job (queued, running, or being rescheduled). */
export function jobListed(c: SgeCluster, job: string): boolean {
  return c.cmd('qstat', ['-u', '*']).split('\n').some((l) => l.trim().split(/\s+/)[0] === job);
}

/** The job's state letters in qstat (r, qw, Rr, …), '' once it has left. */
export function jobState(c: SgeCluster, job: string): string {
  const line = c.cmd('qstat', ['-u', '*']).split('\n').find((l) => l.trim().split(/\s+/)[0] === job);
  return line?.trim().split(/\s+/)[4] ?? '';
}

/** Waits until the job has left the queue; returns its accounting record's exit status (qacct). */
export async function waitJobEnd(c: SgeCluster, job: string, ms: number): Promise<number> {
  await waitFor(() => !jobListed(c, job), ms, `job ${job} still queued or running`);
  let status: number | undefined;
  await waitFor(() => {
    const r = spawnSync('qacct', ['-j', job], { env: { ...process.env, ...c.env }, encoding: 'utf8', timeout: 10_000 });
    const all = [...r.stdout.matchAll(/^exit_status\s+(\d+)/gm)];
    if (all.length) status = Number(all.at(-1)![1]);
    return status !== undefined;
  }, 15_000, `job ${job}'s accounting record`);
  return status!;
}
