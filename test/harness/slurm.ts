// A real Slurm cluster on this host for tests: a private munged, slurmctld and N `slurmd -N nX`
// fake nodes (n1…nN, all 127.0.0.1), from a private config with free ports, in a fresh directory.
// Settings from ../shared/PLATFORM.md (requeue restarts in seconds, DOWN nodes come back by
// themselves only when their slurmd answers). Torn down by PID; the directory is removed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { builtFlavours } from '../../src/native/paths.js';
import { processesWith } from './nodes.js';

export interface SlurmCluster {
  dir: string;
  conf: string;
  /** The node-local directory: the same path on every node, its own contents on each. */
  local: string;
  /** True when the nodes really have separate `local` directories (mount namespaces). */
  nodeLocal: boolean;
  /** Where this process finds `node`'s `local` directory. */
  localOf(node: string): string;
  nodes: string[];
  /** Environment for Slurm's clients (SLURM_CONF). */
  env: Record<string, string>;
  /** Runs a Slurm client command; returns stdout, throws with stderr on failure. */
  cmd(name: string, args: string[]): string;
  /** Kills one node's slurmd (its node is then dead to Slurm). */
  killNode(node: string): void;
  stop(): Promise<void>;
}

const TOOLS = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'srun', 'sbatch', 'squeue', 'scontrol', 'sinfo'];

/** Why Slurm cannot run here, or null when it can. */
export function slurmMissing(): string | null {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  return missing.length ? `${missing.join(', ')} not installed (scripts/setup installs slurm-wlm and munge)` : null;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports, from a random start so parallel sessions do not collide. */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free ports for the Slurm fixture');
}

/** Whether this process may make mount namespaces (root with CAP_SYS_ADMIN). */
function canUnshare(): boolean {
  return spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
}

/**
 * Node-local storage: each fake node's slurmd (and so every job step and batch script on that node)
 * runs in its own mount namespace where `nodeLocal` (one path, the same on every node, as /dev/shm
 * is) is a bind mount of `<nodeLocal>.<node>`. Nodes then see only their own files there, as real
 * nodes do, and this process finds node X's files under `<nodeLocal>.X`. Without mount namespaces
 * (not root), every node shares `nodeLocal` and `cluster.nodeLocal` says so.
 */
/** For a suite's `before`: starts a cluster of `nodes` fake nodes, or skips the suite (saying why)
 * where Slurm or the Open MPI binding is missing (scripts/setup installs both, so CI runs it). */
export async function slurmOrSkip(ctx: Mocha.Context, nodes: number, needMpi = true): Promise<SlurmCluster> {
  const missing = slurmMissing() ?? (!needMpi || builtFlavours().includes('openmpi') ? null : 'the Open MPI binding is not built');
  if (missing) {
    console.log(`    skipped: ${missing}`);
    ctx.skip();
  }
  return startSlurm({ nodes });
}

export async function startSlurm(opts: { nodes?: number; cpus?: number } = {}): Promise<SlurmCluster> {
  const n = opts.nodes ?? 5;
  const dir = mkdtempSync('/tmp/scr-slurm-');
  chmodSync(dir, 0o755);
  const host = hostname();
  const base = await freePorts(n + 2);
  for (const d of ['munge', 'state', 'log', ...Array.from({ length: n }, (_, i) => `spool/n${i + 1}`)]) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'munge'), 0o755);
  const sock = join(dir, 'munge', 'sock');
  const local = mkdtempSync('/dev/shm/scr-slurm-local-');
  const separate = canUnshare();
  for (const node of Array.from({ length: n }, (_, i) => `n${i + 1}`)) mkdirSync(`${local}.${node}`, { recursive: true });
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, [
    `ClusterName=scr${process.pid}x${base}`,
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${base}`,
    `SlurmdPort=${base + 1}`,
    'AuthType=auth/munge', 'CredType=cred/munge', `AuthInfo=socket=${sock},cred_expire=5`,
    'SlurmUser=root', 'SlurmdUser=root',
    `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool/%n`, `TmpFS=${dir}/spool/%n`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.%n.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`, `SlurmdLogFile=${dir}/log/slurmd.%n.log`,
    'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core',
    'MpiDefault=none', 'JobRequeue=1', 'ReturnToService=2', 'SchedulerParameters=sched_interval=2,bf_interval=1',
    'SlurmctldTimeout=10', 'SlurmdTimeout=10', 'InactiveLimit=0', 'KillWait=5', 'MinJobAge=60', 'OverTimeLimit=0',
    `NodeName=n[1-${n}] NodeHostname=${host} NodeAddr=127.0.0.1 Port=[${base + 2}-${base + 1 + n}] CPUs=${opts.cpus ?? 2} State=UNKNOWN`,
    `PartitionName=debug Nodes=n[1-${n}] Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n'));
  const env = { SLURM_CONF: conf };
  const procs: ChildProcess[] = [];
  const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const slurmd = new Map<string, ChildProcess>();
  const daemon = (cmd: string, args: string[]): ChildProcess => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    procs.push(p);
    return p;
  };

  const cluster: SlurmCluster = {
    dir, conf, nodes, env, local, nodeLocal: separate,
    localOf: (node) => (separate ? `${local}.${node}` : local),
    cmd(name, args) {
      const r = spawnSync(name, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
      return r.stdout;
    },
    killNode(node) {
      const p = slurmd.get(node);
      if (p?.pid) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    },
    async stop() {
      try { spawnSync('scancel', ['--full', '--user=root'], { env: { ...process.env, ...env }, timeout: 10_000 }); } catch { /* down already */ }
      // scancel only asks: the jobs end once the slurmds have signalled their steps (KillWait=5).
      // Stopping the daemons before that left a failed test's job running — its slurmstepd and
      // ranks orphaned, spinning for the rest of the CI run.
      await waitFor(() => {
        const r = spawnSync('squeue', ['-h', '-o', '%i'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 10_000 });
        return r.status !== 0 || r.stdout.trim() === '';
      }, 20_000, 'jobs still queued').catch(() => undefined);
      for (const p of procs) if (p.pid && p.exitCode === null) try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ }
      await new Promise((r) => setTimeout(r, 300));
      for (const p of procs) if (p.pid && p.exitCode === null) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
      // Anything of this cluster still running (a step daemon, a job's processes: every one has
      // this cluster's SLURM_CONF in its environment) goes too.
      for (const pid of processesWith(`SLURM_CONF=${conf}`)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      for (const d of [local, ...nodes.map((x) => `${local}.${x}`)]) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    },
  };

  const key = spawnSync('mungekey', ['-c', '-k', join(dir, 'munge', 'munge.key'), '-b', '1024']);
  if (key.status !== 0) throw new Error(`mungekey: ${key.stderr}`);
  daemon('munged', ['-F', '-f', `--socket=${sock}`, `--key-file=${dir}/munge/munge.key`, `--pid-file=${dir}/munge/pid`,
    `--log-file=${dir}/munge/log`, `--seed-file=${dir}/munge/seed`]);
  await waitFor(() => spawnSync('munge', ['-S', sock, '-n']).status === 0, 10_000, 'munged did not start');
  daemon('slurmctld', ['-D', '-f', conf]);
  for (const node of nodes) {
    // unshare and sh exec into slurmd, so the PID is slurmd's.
    slurmd.set(node, separate
      ? daemon('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind "$1" "$2" && exec slurmd -D -N "$3" -f "$4"`, 'sh', `${local}.${node}`, local, node, conf])
      : daemon('slurmd', ['-D', '-N', node, '-f', conf]));
  }
  try {
    await waitFor(() => {
      const r = spawnSync('sinfo', ['-h', '-o', '%t %D'], { env: { ...process.env, ...env }, encoding: 'utf8' });
      return r.status === 0 && r.stdout.trim() === `idle ${n}`;
    }, 30_000, 'the Slurm nodes did not come up idle');
  } catch (e) {
    const log = (() => { try { return readFileSync(join(dir, 'log', 'slurmctld.log'), 'utf8').split('\n').slice(-15).join('\n'); } catch { return ''; } })();
    await cluster.stop();
    throw new Error(`${(e as Error).message}; slurmctld log:\n${log}`);
  }
  return cluster;
}

async function waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} within ${ms / 1000} s`);
}

/** Submits a batch script (its text); returns the job id. */
export function sbatch(c: SlurmCluster, script: string, args: string[], env: Record<string, string> = {}): string {
  const path = join(c.dir, `job.${Date.now()}.${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, script, { mode: 0o755 });
  return sbatchFile(c, path, args, env);
}

/** Submits a batch script file from `cwd` (its SLURM_SUBMIT_DIR); returns the job id. */
export function sbatchFile(c: SlurmCluster, path: string, args: string[], env: Record<string, string> = {}, cwd?: string): string {
  const r = spawnSync('sbatch', ['--parsable', ...args, path], { cwd, env: { ...process.env, ...c.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sbatch: ${r.stderr}`);
  return r.stdout.trim().split(';')[0]!;
}

/** The job's state (squeue, or scontrol once it has left the queue). */
export function jobState(c: SlurmCluster, job: string): string {
  const r = spawnSync('scontrol', ['-o', 'show', 'job', job], { env: { ...process.env, ...c.env }, encoding: 'utf8' });
  return /JobState=(\S+)/.exec(r.stdout)?.[1] ?? 'UNKNOWN';
}

/** Waits until `test` holds for the job's state; returns it. */
export async function waitJob(c: SlurmCluster, job: string, test: (state: string) => boolean, ms: number): Promise<string> {
  const end = Date.now() + ms;
  let s = '';
  while (Date.now() < end) {
    s = jobState(c, job);
    if (test(s)) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`job ${job} is ${s} after ${ms / 1000} s`);
}
