// The one list of configuration parameters. The parser, `scr config`, scr.conf.example and
// docs/config.md are all generated from it (scripts/gen-docs.mjs; test/unit/config/docs.test.ts fails on drift).
import { createHash } from 'node:crypto';
import { existsSync, accessSync, constants, statSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import type { Value } from './values.js';

/** 'component': text that becomes one path component (a directory name), e.g. the user name in
 * <base>/<user>/scr.<jobid>/node.<name>: not empty, not "." or "..", no "/" or NUL, and short
 * enough (with `componentPrefix`) for a file name of at most 255 bytes. */
export type ParamType = 'bool' | 'int' | 'float' | 'bytes' | 'string' | 'component' | 'path' | 'enum' | 'hostlist';
/** Who reads a parameter: the library inside the MPI job, the commands in the batch script, or both. */
export type Reader = 'library' | 'commands' | 'both';
export type Env = Record<string, string | undefined>;

/** What a computed default may use besides the environment. */
export interface DefaultContext {
  /** The resolved absolute SCR_PREFIX. */
  prefix: string;
  /** A parameter resolved before this one (earlier in PARAMS); a bug to ask for a later one. */
  get(name: string): Value | null;
}

export interface ParamDef {
  name: string;
  type: ParamType;
  /** The built-in default as text (parsed like any other value), or a function of the environment
   * (and, through `ctx`, of the prefix and the parameters listed before it). */
  default: string | null | ((env: Env, ctx: DefaultContext) => string | null);
  /** How the computed default is described in the docs. */
  defaultDoc?: string;
  allowed?: readonly string[];
  min?: number;
  max?: number;
  /** Words accepted besides the type's values, in lower case (SCR_CHECKPOINT_SECONDS=auto); the
   * value is then the word itself, matched without regard to case. */
  words?: readonly string[];
  /** 'component' only: the text put before the value in its path component ("scr." in scr.<jobid>). */
  componentPrefix?: string;
  readers: Reader;
  doc: string;
  /** Settable only from the environment or SCR_CONF_FILE (it locates the other sources). */
  locating?: boolean;
}

/** Node-local base directory: /dev/shm when it is a writable directory, else the OS temp dir. */
export function defaultLocalBase(): string {
  try {
    if (existsSync('/dev/shm') && statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      return '/dev/shm';
    }
  } catch { /* not writable: fall through */ }
  return tmpdir();
}

function defaultUser(env: Env): string {
  if (env.USER) return env.USER;
  try { return userInfo().username; } catch { return String(process.getuid?.() ?? 'user'); }
}

/** The job id variables, first set wins (in the order the managers are detected). Flux: a batch script or alloc shell has the job's id in
 * FLUX_ENCLOSING_ID (flux-core ≥ 0.70; Flux unsets FLUX_JOB_ID there on purpose), and inside a
 * `flux run` of it FLUX_JOB_ID is that inner job's, so FLUX_ENCLOSING_ID comes first. */
export const JOB_ID_VARS = ['SLURM_JOB_ID', 'PBS_JOBID', 'LSB_JOBID', 'FLUX_ENCLOSING_ID', 'FLUX_JOB_ID', 'COBALT_JOBID'] as const;

/** The job id outside a resource manager: "nojob-" and the first 10 hex digits of the SHA-256 of
 * the user name, a NUL byte and the absolute prefix. Two runs of one user in different prefixes
 * (or of two users in one prefix) get different ids, so their caches never mix; the library and
 * every command compute the same id for the same user and prefix. */
export function localJobId(user: string, prefix: string): string {
  return `nojob-${createHash('sha256').update(`${user}\0${prefix}`).digest('hex').slice(0, 10)}`;
}

/** An LSF job's id: LSB_JOBID, and for an element of a job array (LSB_JOBINDEX not 0, every
 * element sharing LSB_JOBID) `<id>.<index>`, so two elements on one node never share a cache. */
export function lsfJobId(env: Env): string | undefined {
  if (!env.LSB_JOBID) return undefined;
  return env.LSB_JOBINDEX && env.LSB_JOBINDEX !== '0' ? `${env.LSB_JOBID}.${env.LSB_JOBINDEX}` : env.LSB_JOBID;
}

/** Grid Engine's job id is plain JOB_ID, a name too common to trust alone: taken only beside
 * SGE_ROOT; an array task (SGE_TASK_ID a number; "undefined" otherwise) is `<id>.<task>`, Grid
 * Engine's own spelling. */
export function gridEngineJobId(env: Env): string | undefined {
  if (!env.SGE_ROOT || !env.JOB_ID) return undefined;
  return env.SGE_TASK_ID && /^\d+$/.test(env.SGE_TASK_ID) ? `${env.JOB_ID}.${env.SGE_TASK_ID}` : env.JOB_ID;
}

/** The job id of the resource manager the process runs under, if any (SCR_JOB_ID's default). */
export function managerJobId(env: Env): string | undefined {
  for (const v of JOB_ID_VARS) {
    const id = v === 'LSB_JOBID' ? lsfJobId(env) : env[v];
    if (id) return id;
  }
  return gridEngineJobId(env);
}

function defaultJobId(env: Env, ctx: DefaultContext): string {
  const rm = managerJobId(env);
  if (rm) return rm;
  return localJobId(String(ctx.get('SCR_USER_NAME') ?? ''), ctx.prefix);
}

export const COPY_TYPES = ['SINGLE', 'PARTNER', 'XOR', 'RS', 'FILE'] as const;
export const SCHEMES = ['SINGLE', 'PARTNER', 'XOR', 'RS'] as const;

export const PARAMS: readonly ParamDef[] = [
  { name: 'SCR_ENABLE', type: 'bool', default: '1', readers: 'both', doc: 'Set to 0 to turn scr off: routeFile returns paths unchanged and nothing is cached or flushed.' },
  { name: 'SCR_DEBUG', type: 'int', default: '0', min: 0, max: 5, readers: 'both', doc: 'Verbosity of diagnostic messages on stderr (0 = warnings and errors only; 1 adds, among others, one line per checkpoint from rank 0 with the time of each step).' },
  { name: 'SCR_PREFIX', type: 'path', default: () => process.cwd(), defaultDoc: 'the current directory', readers: 'both', locating: true,
    doc: 'Prefix directory on the parallel file system: checkpoints are flushed here and the index lives in <prefix>/.scr.' },
  { name: 'SCR_CONF_FILE', type: 'path', default: null, defaultDoc: '<SCR_PREFIX>/.scrconf', readers: 'both', locating: true,
    doc: 'User configuration file.' },
  { name: 'SCR_SYSTEM_CONF', type: 'path', default: '/etc/scr.conf', readers: 'both', locating: true,
    doc: 'System configuration file, read after the user file and config() values.' },
  // Before SCR_JOB_ID, whose default outside a resource manager is derived from it.
  { name: 'SCR_USER_NAME', type: 'component', default: defaultUser, defaultDoc: '$USER, else the login name', readers: 'both',
    doc: 'User name in control and cache paths (<base>/<user>/scr.<jobid>).' },
  { name: 'SCR_JOB_ID', type: 'component', componentPrefix: 'scr.', default: defaultJobId,
    defaultDoc: 'the resource manager\'s job id (SLURM_JOB_ID, PBS_JOBID, LSB_JOBID, FLUX_ENCLOSING_ID, FLUX_JOB_ID, COBALT_JOBID, or Grid Engine\'s JOB_ID when SGE_ROOT is set; an LSF or Grid Engine array element adds .<index>), else "nojob-" and 10 hex digits of the SHA-256 of SCR_USER_NAME and the absolute SCR_PREFIX (one id per user and prefix)', readers: 'both',
    doc: 'Job id: names the job\'s control and cache directories (scr.<jobid>).' },
  { name: 'SCR_JOB_NAME', type: 'string', default: null, readers: 'both', doc: 'A name for the job, recorded in the index and the log.' },
  { name: 'SCR_NODE_NAME', type: 'component', componentPrefix: 'node.', default: (env) => env.SLURMD_NODENAME || hostname(), defaultDoc: '$SLURMD_NODENAME, else the hostname', readers: 'both',
    doc: 'Node identity: names this node\'s node.<name> directories and its NODE failure group.' },
  { name: 'SCR_CNTL_BASE', type: 'path', default: () => defaultLocalBase(), defaultDoc: '/dev/shm if writable, else the OS temp dir', readers: 'both',
    doc: 'Base of the node-local control directory (small metadata files).' },
  { name: 'SCR_CACHE_BASE', type: 'path', default: () => defaultLocalBase(), defaultDoc: '/dev/shm if writable, else the OS temp dir', readers: 'both',
    doc: 'Default cache store: where checkpoint files are written on each node.' },
  { name: 'SCR_CACHE_SIZE', type: 'int', default: '2', min: 1, readers: 'both',
    doc: 'How many datasets each store keeps in cache (a store\'s COUNT overrides it). 2, so a failure while writing a checkpoint still leaves the previous one.' },
  { name: 'SCR_CACHE_BYPASS', type: 'bool', default: '0', readers: 'library',
    doc: 'Set to 1 to write files straight to the prefix directory instead of cache (redundancy is then not applied).' },
  { name: 'SCR_COPY_TYPE', type: 'enum', default: 'XOR', allowed: COPY_TYPES, readers: 'both',
    doc: 'Redundancy scheme: SINGLE, PARTNER, XOR or RS (Reed-Solomon), or FILE to use the CKPT descriptors of the configuration files.' },
  { name: 'SCR_GROUP', type: 'string', default: 'NODE', readers: 'library',
    doc: 'Failure group: NODE (ranks sharing a node), WORLD, or a group named on GROUPS= lines.' },
  { name: 'SCR_SET_SIZE', type: 'int', default: '8', min: 1, readers: 'library', doc: 'Minimum number of failure groups in a redundancy set (XOR and RS).' },
  { name: 'SCR_SET_FAILURES', type: 'int', default: '2', min: 1, max: 127, readers: 'library', doc: 'RS: failure groups per set that can be lost (number of parity chunks).' },
  { name: 'SCR_MPI_BUF_SIZE', type: 'bytes', default: '1MiB', min: 4096, readers: 'library',
    doc: 'Piece size for computing redundancy and rebuilding over MPI (SCR uses 128 KiB; larger pieces amortise the per-message cost of the asynchronous binding).' },
  { name: 'SCR_ENCODE_ASYNC', type: 'bool', default: '0', readers: 'library',
    doc: 'Set to 1 to apply redundancy in the background: completeOutput() returns once the files are in cache, checked and recorded, and the encode (with the CRC32s computed in its pass) runs behind the application on its own communicator; it completes at the next collective scr call (needCheckpoint, shouldExit, startOutput, haveRestart, finalize, …), where the ranks agree on it. Its data moves on the MPI progress thread and the libuv pool, but its JavaScript steps run only while the application awaits: a compute loop that never yields delays it until that call. Until it completes on every rank the checkpoint is unprotected: the previous protected checkpoint stays in cache, and a restart after a failure uses that one (docs/reliability.md). A checkpoint that is flushed in the same completeOutput() waits for its encode there.' },
  { name: 'SCR_FILE_BUF_SIZE', type: 'bytes', default: '1MiB', min: 4096, readers: 'both', doc: 'Buffer size for file copies (flush, fetch, scavenge).' },
  { name: 'SCR_FLUSH', type: 'int', default: '10', min: 0, readers: 'library', doc: 'Flush checkpoints whose dataset id is a multiple of N (ids count every dataset and go on across runs), every output dataset, and the newest checkpoint at finalize; 0 turns flushing of checkpoints off.' },
  { name: 'SCR_FLUSH_ASYNC', type: 'bool', default: '0', readers: 'library', doc: 'Set to 1 to flush in the background while the application computes.' },
  { name: 'SCR_FLUSH_TYPE', type: 'enum', default: 'PTHREAD', allowed: ['SYNC', 'PTHREAD'], readers: 'both',
    doc: 'How files are copied to the prefix directory: SYNC (one file at a time) or PTHREAD (several native copy threads).' },
  { name: 'SCR_FETCH', type: 'bool', default: '1', readers: 'library', doc: 'Set to 0 to never fetch a checkpoint from the prefix directory at restart.' },
  { name: 'SCR_FETCH_BYPASS', type: 'bool', default: '0', readers: 'library', doc: 'Set to 1 to read a fetched checkpoint in place on the file system instead of copying it into cache.' },
  { name: 'SCR_CURRENT', type: 'string', default: null, readers: 'library', doc: 'Name of the checkpoint to restart from, overriding the index\'s current marker.' },
  { name: 'SCR_PREFIX_SIZE', type: 'int', default: '0', min: 0, readers: 'library',
    doc: 'Keep at most N checkpoints in the prefix directory, deleting the oldest (0 = keep all). Output datasets are kept.' },
  { name: 'SCR_HALT_SECONDS', type: 'int', default: '0', min: 0, readers: 'both',
    doc: 'Halt when fewer than N seconds of the allocation remain (0 = off). The run wrapper also acts on it.' },
  { name: 'SCR_HALT_ON_TERM', type: 'bool', default: '1', readers: 'library',
    doc: 'SIGTERM in the application process (scancel, preemption) becomes a halt condition: shouldExit() turns true on every rank, and the newest checkpoint not yet on the file system is flushed before the process exits, whatever SCR_FLUSH says. The process still ends: 5 s after finalize(), or SCR_HALT_ON_TERM_IDLE seconds after the signal if no scr call comes. 0 leaves SIGTERM to the application.' },
  { name: 'SCR_HALT_ON_TERM_IDLE', type: 'int', default: '30', min: 1, readers: 'library',
    doc: 'With SCR_HALT_ON_TERM=1: seconds after a SIGTERM without any scr call (outside an output or restart phase) before the process is ended by the signal, keeping what is on the file system by then. A scheduler that sends SIGKILL after a wait (Slurm\'s KillWait, a preemption\'s GraceTime) ends the process by then anyway; this bounds it where nothing follows the SIGTERM (a launcher that only forwards it).' },
  { name: 'SCR_HALT_EXIT', type: 'bool', default: '0', readers: 'library',
    doc: 'Set to 1 to end the process cleanly in completeOutput after a checkpoint once a halt condition holds.' },
  { name: 'SCR_CHECKPOINT_INTERVAL', type: 'int', default: '0', min: 0, readers: 'library', doc: 'needCheckpoint is true every N calls (0 = off).' },
  { name: 'SCR_CHECKPOINT_SECONDS', type: 'int', default: '0', min: 0, words: ['auto'], readers: 'library',
    doc: 'needCheckpoint is true when at least N seconds passed since the last checkpoint (0 = off); auto: when the time since the last checkpoint reaches Daly\'s optimal interval for the mean checkpoint cost measured so far and SCR_MTBF (true until a checkpoint has been timed).' },
  { name: 'SCR_MTBF', type: 'float', default: null, min: 1, readers: 'both',
    doc: 'Mean time between failures of the job, in seconds, assumed by SCR_CHECKPOINT_SECONDS=auto and scr report\'s advice while the job\'s event log shows fewer than two failures (auto without it: 86400, 24 h).' },
  { name: 'SCR_CHECKPOINT_OVERHEAD', type: 'float', default: '0', min: 0, max: 100, readers: 'library',
    doc: 'needCheckpoint keeps the time spent checkpointing below this percentage of the run time (0 = off).' },
  { name: 'SCR_CRC_ON_COPY', type: 'bool', default: '1', readers: 'library', doc: 'Compute each file\'s CRC32 as it enters the cache (in the pass that already reads it).' },
  { name: 'SCR_CRC_ON_FLUSH', type: 'bool', default: '1', readers: 'both', doc: 'Check CRC32s on flush and fetch.' },
  { name: 'SCR_RUNS', type: 'int', default: '1', min: -1, readers: 'commands', doc: 'How many times the run wrapper may launch the job in one allocation (-1 = no limit).' },
  { name: 'SCR_MIN_NODES', type: 'int', default: null, min: 1, readers: 'commands', doc: 'The run wrapper stops relaunching when fewer usable nodes than this remain (default: the nodes a run needs: srun -N, scr sim --nodes; else 1).' },
  { name: 'SCR_CACHE_NEED', type: 'bytes', default: '0', readers: 'commands',
    doc: 'Free space scr prerun requires in every cache store of every node (e.g. 8GiB); a node with less is reported bad and left out of the runs. 0 = only check that the stores are writable.' },
  { name: 'SCR_REMOTE_EXEC', type: 'string', default: null, readers: 'commands',
    doc: 'How commands run work on one node, as a command with %h for the node, e.g. "pdsh -N -w %h" or "clush -N -w %h" (default: the resource manager\'s launcher, srun --overlap -w NODE). The caller\'s SCR_* variables are passed on the command line.' },
  { name: 'SCR_HALT_GRACE', type: 'int', default: '20', min: 0, readers: 'commands',
    doc: 'Seconds the run wrapper, once it is asked to stop (SIGTERM, scr halt --immediate), waits for the job to stop cleanly before it kills the launcher and its ranks; also what a launch gets after SIGTERM when the wrapper itself died (its launch guard then ends it). The default stays below Slurm\'s default KillWait (30 s), so on a cancel the wrapper still ends the run, removes its halt reason and reports before Slurm\'s SIGKILL.' },
  { name: 'SCR_WATCHDOG_TIMEOUT', type: 'int', default: '0', min: 0, readers: 'commands',
    doc: 'Seconds without a completed checkpoint, while the application runs, after which the run wrapper takes the job for hung, kills the step and relaunches it on the same nodes (0 = off). Each relaunch counts against SCR_RUNS; the wrapper sees checkpoints in the event log, so it needs SCR_LOG_ENABLE=1.' },
  { name: 'SCR_CLEAN_STALE', type: 'bool', default: '0', readers: 'commands',
    doc: 'Set to 1 to have scr prerun remove what scr clean would: cache and control directories of this user\'s jobs that are no longer running.' },
  { name: 'SCR_RESOURCE_MANAGER', type: 'string', default: null, readers: 'commands',
    doc: 'Which resource manager the commands use: slurm, pbs, lsf, flux, sge or hostfile (docs/resource-managers.md), or none; by default the first whose variables are set (SCR_HOSTFILE first, then Slurm, PBS, LSF, Flux, Grid Engine).' },
  { name: 'SCR_HOSTFILE', type: 'path', default: null, readers: 'commands',
    doc: 'A plain mpirun allocation: a file naming its nodes, one per line ("n1", "n1 slots=4" or "n1:4"; # starts a comment). The commands then run on those nodes: mpirun with --host (Open MPI) or -hosts (MPICH) for the job, SCR_REMOTE_EXEC (default "ssh -o BatchMode=yes %h") for work on one node, and a node that does not answer it within 10 s counts as down.' },
  { name: 'SCR_EXCLUDE_NODES', type: 'hostlist', default: null, readers: 'commands', doc: 'Nodes never to run on, e.g. node[3,7]; nodes not in the allocation are ignored.' },
  { name: 'SCR_END_TIME', type: 'int', default: null, min: 0, readers: 'both',
    doc: 'End of the allocation in seconds since the epoch; set by the run wrapper from the resource manager. Under SCR_HOSTFILE, which has no scheduler to ask, set it to give the allocation an end (scr env, the wrapper\'s SCR_HALT_SECONDS halt).' },
  { name: 'SCR_LOG_ENABLE', type: 'bool', default: '1', readers: 'both', doc: 'Write the event log <prefix>/.scr/log (checkpoints, flushes, fetches, rebuilds, halts).' },
  { name: 'SCR_MPI', type: 'enum', default: null, allowed: ['openmpi', 'mpich'], readers: 'library',
    doc: 'Which build of the MPI binding to load (default: the MPI that launched the process).' },
];

export const PARAM_BY_NAME: ReadonlyMap<string, ParamDef> = new Map(PARAMS.map((p) => [p.name, p]));

// ---- descriptor lines (STORE=, CKPT=, GROUPS=) ----

export interface KeyDef {
  key: string;
  type: ParamType;
  /** Default as text, or the global parameter it falls back to. */
  default: string | null;
  fallback?: string;
  allowed?: readonly string[];
  min?: number;
  max?: number;
  doc: string;
}

export interface DescriptorDef {
  /** The first key of the line, which names the descriptor. */
  head: 'STORE' | 'CKPT' | 'GROUPS';
  headType: ParamType;
  headDoc: string;
  keys: readonly KeyDef[];
  /** GROUPS lines take any NAME=value pairs after the head. */
  freeKeys?: boolean;
  doc: string;
}

export const DESCRIPTORS: readonly DescriptorDef[] = [
  {
    head: 'STORE', headType: 'path', headDoc: 'the directory of the storage device (also the store\'s name)',
    doc: 'A class of storage devices: where caches may live.',
    keys: [
      { key: 'GROUP', type: 'string', default: 'NODE', doc: 'Ranks that share one device: NODE (node-local), WORLD (shared by all) or a GROUPS name.' },
      { key: 'COUNT', type: 'int', default: null, fallback: 'SCR_CACHE_SIZE', min: 1, doc: 'Datasets kept in this store.' },
      { key: 'ENABLED', type: 'bool', default: '1', doc: 'Set to 0 to disable the store.' },
      { key: 'MKDIR', type: 'bool', default: '1', doc: 'Whether scr creates directories on the device (0: they must exist).' },
    ],
  },
  {
    head: 'CKPT', headType: 'int', headDoc: 'the descriptor\'s index (0, 1, ...)',
    doc: 'A redundancy descriptor, used when SCR_COPY_TYPE=FILE. Each checkpoint uses the enabled descriptor with the largest INTERVAL dividing its id; output datasets use the OUTPUT=1 one.',
    keys: [
      { key: 'INTERVAL', type: 'int', default: '1', min: 1, doc: 'Applies to checkpoints whose id this divides.' },
      { key: 'GROUP', type: 'string', default: null, fallback: 'SCR_GROUP', doc: 'Failure group.' },
      { key: 'STORE', type: 'path', default: null, fallback: 'SCR_CACHE_BASE', doc: 'Store to cache in (a STORE line, or the cache base).' },
      { key: 'TYPE', type: 'enum', default: 'XOR', allowed: SCHEMES, doc: 'SINGLE, PARTNER, XOR or RS.' },
      { key: 'SET_SIZE', type: 'int', default: null, fallback: 'SCR_SET_SIZE', min: 1, doc: 'Minimum failure groups per set (this descriptor only).' },
      { key: 'SET_FAILURES', type: 'int', default: null, fallback: 'SCR_SET_FAILURES', min: 1, max: 127, doc: 'RS parity chunks per set.' },
      { key: 'COUNT', type: 'int', default: null, min: 1, doc: 'Datasets of this descriptor kept in cache (besides the store\'s COUNT).' },
      { key: 'OUTPUT', type: 'bool', default: '0', doc: 'Use this descriptor for output datasets.' },
      { key: 'BYPASS', type: 'bool', default: null, fallback: 'SCR_CACHE_BYPASS', doc: 'Write files straight to the prefix directory.' },
      { key: 'ENABLED', type: 'bool', default: '1', doc: 'Set to 0 to disable the descriptor.' },
    ],
  },
  {
    head: 'GROUPS', headType: 'string', headDoc: 'a node name',
    doc: 'Failure groups beyond NODE and WORLD: one line per node, each NAME=value pair puts the node in group NAME with the nodes sharing the value.',
    keys: [], freeKeys: true,
  },
];

export const DESCRIPTOR_BY_HEAD: ReadonlyMap<string, DescriptorDef> = new Map(DESCRIPTORS.map((d) => [d.head, d]));
