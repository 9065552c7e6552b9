// Simulated nodes with PRIVATE node-local storage, for the fault-injection suite (test/faults).
//
// One mpirun (Open MPI or MPICH) with an MPMD command line starts every rank in its own mount
// namespace (`unshare -m --propagation private`), where `<root>/local` — one path, the same on every
// node, as /dev/shm is on a real cluster — is a recursive bind mount of that node's own directory
// `<root>/local.<node>`. Ranks placed on one node bind the same directory, so they share it. Every
// `<root>/local.*` is then covered by an empty read-only tmpfs in the rank's namespace, so a rank
// cannot reach any node's storage except through `<root>/local`, its own. Only paths below the job
// root are re-mounted: /dev/shm itself, /tmp and everything else stay shared, so MPI's
// shared-memory transports work across the namespaces (test/faults/smoke.test.ts checks both).
//
//   <root>/local.<node>/cache    SCR_CACHE_BASE of the ranks on <node> (seen by them as <root>/local/cache)
//   <root>/local.<node>/cntl     SCR_CNTL_BASE                           (<root>/local/cntl)
//   <root>/prefix                the parallel file system stand-in, shared by all
//
// The test process reaches node X's files at `<root>/local.X/…` (hostPath translates a rank's
// view). A timed-out job is killed whole: mpirun's process group, then every process carrying this
// launch's marker (SCRFAULT_RUN) in its environment, as src/rm/sim.ts's killByEnv finds them.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join, relative, isAbsolute } from 'node:path';
import type { MpiFlavour } from '../../src/native/paths.js';
import { killByEnv } from '../../src/rm/sim.js';
import { mpirunFor } from './launch.js';

export interface NodeJob {
  /** /dev/shm/scr-fault-<pid>-<n>: everything of this job lives below it. */
  root: string;
  /** `<root>/local`: the node-local path, the same on every node (a rank sees its own node's). */
  local: string;
  /** `<root>/prefix`: shared by every node. */
  prefix: string;
  /** SCR_USER_NAME of the job's ranks. */
  user: string;
  /** Environment every launch gets: SCR_CACHE_BASE, SCR_CNTL_BASE, SCR_PREFIX, SCR_USER_NAME, … */
  env: Record<string, string>;
  /** tmpfs mounts made by mountTmpfs (unmounted by unmount / cleanupNodeJob). */
  mounts: string[];
  /** Launches so far (numbers the per-launch kill marker). */
  launches: number;
}

export interface NodeRunOptions {
  /** Added to every rank's environment (after job.env). */
  env?: Record<string, string>;
  /** Extra environment per node name, e.g. { n2: { SCR_CACHE_BASE: `${job.local}/cacheB` } }. */
  nodeEnv?: Record<string, Record<string, string>>;
  /** Hard limit for the whole launch; then every rank of it is killed (default 120 s). */
  timeoutMs?: number;
  cwd?: string;
}

export interface NodeRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Wall time of the launch. */
  ms: number;
  /** SCRFAULT_RUN=… : in the environment of every rank of this launch (see processesWith). */
  marker: string;
}

let jobCounter = 0;
const live = new Set<NodeJob>();
/** Launches running now: their kill marker and mpirun's process group. */
const running = new Map<string, number>();
let swept = false;

/** Who made a job root: PID, its start time (so a reused PID is told apart) and PID namespace. */
interface Owner { pid: number; start: string; pidns: string }

function ownerOf(pid: number): Owner | null {
  try {
    // Field 22 of /proc/PID/stat, counted after the command name (which may contain blanks).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
    return { pid, start, pidns: readlinkSync(`/proc/${pid}/ns/pid`) };
  } catch { return null; }
}

/** Job roots left by test processes that died without cleaning up (SIGKILL): unmounted and
 * removed. Only roots whose recorded owner is provably gone (same PID namespace as ours, and no
 * process with that PID and start time) are touched; anything unclear is left alone. */
function sweepStaleRoots(): void {
  swept = true;
  const me = ownerOf(process.pid);
  if (!me) return;
  let entries: string[] = [];
  try { entries = readdirSync('/dev/shm'); } catch { return; }
  for (const e of entries) {
    if (!/^scr-fault-\d+-\d+$/.test(e)) continue;
    const root = join('/dev/shm', e);
    let owner: Owner;
    try { owner = JSON.parse(readFileSync(join(root, 'owner.json'), 'utf8')) as Owner; } catch { continue; }
    if (owner.pidns !== me.pidns) continue;
    const now = ownerOf(owner.pid);
    if (now && now.start === owner.start) continue;
    for (const p of mountsBelow(root).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', p]);
    if (mountsBelow(root).length === 0) rmSync(root, { recursive: true, force: true });
  }
}

/** SIGINT/SIGTERM while launches run: every rank of them is killed and every job root cleaned,
 * then the signal takes its default course. Installed only while a launch runs. */
function onSignal(sig: NodeJS.Signals): void {
  for (const [marker, pgid] of running) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
    killByEnv([marker]);
  }
  for (const job of [...live]) {
    try { cleanupNodeJob(job); } catch { /* best effort */ }
  }
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.kill(process.pid, sig);
}

function track(marker: string, pgid: number | null): void {
  if (pgid === null) {
    running.delete(marker);
    if (running.size === 0) { process.removeListener('SIGINT', onSignal); process.removeListener('SIGTERM', onSignal); }
    return;
  }
  if (running.size === 0) { process.on('SIGINT', onSignal); process.on('SIGTERM', onSignal); }
  running.set(marker, pgid);
}

/** Why private node storage cannot be made here (not root, no unshare), or null when it can. */
export function privateNodesMissing(): string | null {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=4096 tmpfs /mnt'], { encoding: 'utf8' });
  if (r.error) return `unshare is not installed (${r.error.message})`;
  if (r.status !== 0) return `cannot make mount namespaces here (needs root with CAP_SYS_ADMIN): ${r.stderr.trim()}`;
  return null;
}

/** A fresh job root, unique per test process and call: /dev/shm/scr-fault-<pid>-<n>. */
export function newNodeJob(opts: { user?: string; env?: Record<string, string> } = {}): NodeJob {
  if (!swept) sweepStaleRoots();
  let root: string;
  do root = join('/dev/shm', `scr-fault-${process.pid}-${jobCounter++}`); while (existsSync(root));
  mkdirSync(join(root, 'local'), { recursive: true });
  mkdirSync(join(root, 'prefix'), { recursive: true });
  writeFileSync(join(root, 'owner.json'), JSON.stringify(ownerOf(process.pid)));
  const user = opts.user ?? 'u';
  const job: NodeJob = {
    root, local: join(root, 'local'), prefix: join(root, 'prefix'), user, mounts: [], launches: 0,
    env: {
      SCR_CACHE_BASE: join(root, 'local', 'cache'), SCR_CNTL_BASE: join(root, 'local', 'cntl'), SCR_PREFIX: join(root, 'prefix'),
      SCR_USER_NAME: user, SCR_SYSTEM_CONF: '/dev/null', ...opts.env,
    },
  };
  live.add(job);
  return job;
}

/** Node `node`'s own directory, as this (the test) process sees it: `<root>/local.<node>`. */
export function nodeDir(job: NodeJob, node: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(node)) throw new Error(`node name ${JSON.stringify(node)}: use letters, digits, '_', '.', '-'`);
  return join(job.root, `local.${node}`);
}

/** Where this process finds `path` as the ranks on `node` see it: a path below `<root>/local` is
 * that node's copy; any other path (the prefix, …) is the same everywhere. */
export function hostPath(job: NodeJob, node: string, path: string): string {
  const rel = relative(job.local, path);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return join(nodeDir(job, node), rel);
  return path;
}

/** One rank's command line: its own mount namespace with `<root>/local` bound (recursively, so
 * a tmpfs mounted below a node's directory comes along) to its node's directory; then every
 * `<root>/local.*` is covered by an empty read-only tmpfs, so no node's storage — its own
 * included — is reachable by any other path; then `env NAME=… node argv…` (exec all the way, so
 * mpirun's child is node itself). */
function rankCommand(job: NodeJob, node: string, marker: string, extra: Record<string, string>, argv: string[]): string[] {
  const script = [
    'src=$1; dst=$2; root=$3; shift 3',
    'mount --rbind "$src" "$dst" || exit 97',
    'for d in "$root"/local.*; do mount -t tmpfs -o ro,size=4k tmpfs "$d" || exit 97; done',
    'exec env "$@"',
  ].join('\n');
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'scr-node', nodeDir(job, node), job.local, job.root,
    `SCR_NODE_NAME=${node}`, marker, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`), process.execPath, ...argv];
}

/** The processes whose environment holds `marker` (NodeRunResult.marker), by PID. */
export function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try { if (readFileSync(join('/proc', pid, 'environ'), 'latin1').split('\0').includes(marker)) out.push(Number(pid)); } catch { /* gone */ }
  }
  return out;
}

/**
 * Runs `argv` (a node script and its arguments) with one rank per entry of `placement` (the node
 * name of each rank, in rank order), each rank in its node's private storage. Never hangs: after
 * `timeoutMs` mpirun's process group and every rank of this launch are killed. Ranks of a job that
 * ended are waited for (a straggler cannot write into a directory the test is about to inspect).
 */
export function runNodes(flavour: MpiFlavour, job: NodeJob, placement: string[], argv: string[], opts: NodeRunOptions = {}): Promise<NodeRunResult> {
  if (placement.length === 0) throw new Error('runNodes: no ranks');
  const marker = `SCRFAULT_RUN=${basename(job.root)}.${++job.launches}`;
  for (const n of new Set(placement)) mkdirSync(nodeDir(job, n), { recursive: true });
  const args: string[] = [];
  placement.forEach((n, i) => {
    if (i > 0) args.push(':');
    args.push('-np', '1', ...rankCommand(job, n, marker, opts.nodeEnv?.[n] ?? {}, argv));
  });
  const { cmd, env: mpiEnv } = mpirunFor(flavour);
  // The test process's own SCR_*/SLURM_* settings must not leak into the job.
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(SCR_|SCRTEST_|SLURM_)/.test(k)) base[k] = v;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...base, ...mpiEnv, ...job.env, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid) track(marker, child.pid);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killAll = () => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      killByEnv([marker]);
    };
    const timer = setTimeout(() => { timedOut = true; killAll(); }, opts.timeoutMs ?? 120_000);
    child.on('error', (e) => { clearTimeout(timer); track(marker, null); reject(e); });
    child.on('close', async (code, signal) => {
      clearTimeout(timer);
      // mpirun is gone; so must every rank be before the caller looks at the nodes' files.
      for (let i = 0; i < 50 && processesWith(marker).length > 0; i++) {
        if (i === 10 || timedOut) killByEnv([marker]);
        await new Promise((r) => setTimeout(r, 100));
      }
      track(marker, null);
      resolve({ code, signal, stdout, stderr, timedOut, ms: performance.now() - t0, marker });
    });
  });
}

/** Loses a node: everything in its storage is deleted (the directory stays, empty, if it is a
 * tmpfs mount point; otherwise it is removed — a later launch placing a rank there recreates it
 * empty, as a replaced node's disk would be). */
export function loseNode(job: NodeJob, node: string): void {
  const dir = nodeDir(job, node);
  if (job.mounts.includes(dir)) {
    for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Flips (XOR 0xff) one byte of a file, by default its middle one. Returns what it changed. */
export function flipByte(file: string, offset?: number): { offset: number; before: number; after: number } {
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new Error(`flipByte: ${file} is empty`);
    const at = offset ?? Math.floor(size / 2);
    if (at < 0 || at >= size) throw new Error(`flipByte: offset ${at} outside ${file} (${size} bytes)`);
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    const before = b[0]!;
    b[0] = before ^ 0xff;
    writeSync(fd, b, 0, 1, at);
    return { offset: at, before, after: b[0]! };
  } finally { closeSync(fd); }
}

/** Truncates a file to `length` bytes (default: half its size). Returns the new length. */
export function truncateFile(file: string, length?: number): number {
  const fd = openSync(file, 'r+');
  try {
    const len = length ?? Math.floor(fstatSync(fd).size / 2);
    ftruncateSync(fd, len);
    return len;
  } finally { closeSync(fd); }
}

/** Mounts a tmpfs of `bytes` bytes at `dir` (which must lie under the job's root; created if
 * missing, and must be empty), for ENOSPC tests. Ranks launched later see it (their namespaces
 * copy the mount, and `<root>/local` is bound recursively). */
export function mountTmpfs(job: NodeJob, dir: string, bytes: number): void {
  const rel = relative(job.root, dir);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new Error(`mountTmpfs: ${dir} is not below ${job.root}`);
  if (job.mounts.includes(dir)) throw new Error(`mountTmpfs: ${dir} is already mounted`);
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length) throw new Error(`mountTmpfs: ${dir} is not empty`);
  // tmpfs rounds the size up to whole pages.
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount -t tmpfs at ${dir}: ${r.stderr || r.error?.message}`);
  job.mounts.push(dir);
}

/** A small tmpfs as node `node`'s whole storage (cache and control directories). */
export function mountNodeTmpfs(job: NodeJob, node: string, bytes: number): string {
  const dir = nodeDir(job, node);
  mountTmpfs(job, dir, bytes);
  return dir;
}

/** A small tmpfs as the prefix (or as a directory below it, e.g. one scenario's prefix). */
export function mountPrefixTmpfs(job: NodeJob, bytes: number, dir: string = job.prefix): string {
  mountTmpfs(job, dir, bytes);
  return dir;
}

/** Unmounts one tmpfs made by mountTmpfs (its contents are lost). */
export function unmount(job: NodeJob, dir: string): void {
  const r = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    const lazy = spawnSync('umount', ['-l', dir], { encoding: 'utf8' });
    if (lazy.status !== 0) throw new Error(`umount ${dir}: ${r.stderr} / ${lazy.stderr}`);
  }
  job.mounts = job.mounts.filter((m) => m !== dir);
}

/** Mount points at or below `root` in this process's namespace (from /proc/self/mountinfo). */
export function mountsBelow(root: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const point = line.split(' ')[4];
    if (!point) continue;
    const p = point.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (p === root || p.startsWith(`${root}/`)) out.push(p);
  }
  return out;
}

/** Unmounts everything below the job's root (deepest first) and removes it. Safe to call twice. */
export function cleanupNodeJob(job: NodeJob): void {
  const all = [...new Set([...job.mounts, ...mountsBelow(job.root)])].sort((a, b) => b.length - a.length);
  for (const m of all) {
    try { unmount(job, m); } catch { /* reported below if it is still there */ }
  }
  const left = mountsBelow(job.root);
  live.delete(job);
  if (left.length) throw new Error(`cleanup: still mounted: ${left.join(', ')}`);
  rmSync(job.root, { recursive: true, force: true, maxRetries: 3 });
}

// A test process that dies between a mount and its cleanup must not leave mounts behind.
process.on('exit', () => {
  for (const job of [...live]) {
    try { cleanupNodeJob(job); } catch { /* best effort at exit */ }
  }
});
