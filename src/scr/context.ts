// What init() establishes for the life of a library instance: configuration, communicators,
// node identity, directories, and the redundancy sets of each descriptor (made on first use).
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrefixScrDir, ensureSafeDir } from '../common/dirs.js';
import { markInUse } from '../cache/in-use.js';
import type { CkptDescriptor, ResolvedConfig } from '../config/resolve.js';
import type { Comm } from '../mpi/index.js';
import { formSets, type RedSet, type Scheme, type SetLayout } from '../redundancy/sets.js';
import { controlDir, type Identity, nodeDir, prefixScrDir } from '../cache/paths.js';
import { type CacheIndex, readCacheIndexOrSetAside, writeCacheIndex } from '../cache/records.js';

export interface SetPlace {
  layout: SetLayout;
  /** This rank's set and its communicator (rank = ring position). */
  set: RedSet;
  comm: Comm;
}

export class Context {
  readonly rank: number;
  readonly size: number;
  readonly ident: Identity;
  readonly prefix: string;
  readonly cntlDir: string;
  readonly pieceSize: number;
  readonly fileBufSize: number;
  readonly crcOnCopy: boolean;
  readonly #sets = new Map<string, SetPlace>();
  #cindex: CacheIndex | null = null;
  readonly #deleting: Array<Promise<void>> = [];
  /** Releases this node's in-use mark (node leaders, from makeNodeDirs to close). */
  #releaseNode: (() => Promise<void>) | null = null;
  /** group/node pairs already warned about (no GROUPS= value). */
  readonly #ungrouped = new Set<string>();

  constructor(
    readonly cfg: ResolvedConfig,
    readonly comm: Comm,
    /** Node name of every rank. */
    readonly nodeOf: string[],
    readonly nodeComm: Comm,
  ) {
    this.rank = comm.rank;
    this.size = comm.size;
    this.ident = { user: cfg.str('SCR_USER_NAME'), jobId: cfg.str('SCR_JOB_ID'), node: cfg.str('SCR_NODE_NAME') };
    this.prefix = cfg.str('SCR_PREFIX');
    this.cntlDir = controlDir(cfg.str('SCR_CNTL_BASE'), this.ident);
    this.pieceSize = cfg.int('SCR_MPI_BUF_SIZE');
    this.fileBufSize = cfg.int('SCR_FILE_BUF_SIZE');
    this.crcOnCopy = cfg.bool('SCR_CRC_ON_COPY');
  }

  /** The job ranks on this node, in order (nodeComm's rank r is nodeRanks[r]). */
  get nodeRanks(): number[] {
    return this.nodeOf.map((n, r) => (n === this.node ? r : -1)).filter((r) => r >= 0);
  }

  get nodeLeader(): boolean {
    return this.nodeComm.rank === 0;
  }

  get node(): string {
    return this.ident.node;
  }

  /** Deletes a directory in the background (see removeDataset). */
  deleteLater(dir: string): void {
    this.#deleting.push(rm(dir, { recursive: true, force: true }).catch((e: Error) => this.warn(`could not delete ${dir}: ${e.message}`)));
  }

  /** Waits for background deletions, so cache space is really free. */
  async settleDeletes(): Promise<void> {
    await Promise.all(this.#deleting.splice(0));
  }

  /** Changes this node's cache index (node leaders only). The running job's node leader is its
   * only writer, so it keeps the index in memory and replaces the file without a lock. */
  async updateCacheIndex(fn: (idx: CacheIndex) => void): Promise<void> {
    if (!this.nodeLeader) return;
    this.#cindex ??= (await readCacheIndexOrSetAside(this.cntlDir, (m) => this.warnHere(m))).index;
    fn(this.#cindex);
    await writeCacheIndex(this.cntlDir, this.#cindex);
  }

  /** The cache index this node leader starts from (set by the restore scan, which read it). */
  adoptCacheIndex(idx: CacheIndex): void {
    this.#cindex = idx;
  }

  /** A warning about this rank's node, printed by this rank (not only rank 0). */
  warnHere(message: string): void {
    process.stderr.write(`scr: warning: node ${this.node} (rank ${this.rank}): ${message}\n`);
  }

  /** Messages every rank would print alike are printed once, by rank 0. */
  warn(message: string): void {
    if (this.rank === 0) process.stderr.write(`scr: warning: ${message}\n`);
  }

  /** Something users want to know (a rebuild, a relaunch), printed once by rank 0. */
  note(message: string): void {
    if (this.rank === 0) process.stderr.write(`scr: ${message}\n`);
  }

  /** Something users want to know about this rank's node, printed by this rank. */
  noteHere(message: string): void {
    process.stderr.write(`scr: ${message}\n`);
  }

  debug(level: number, message: string): void {
    if (this.cfg.int('SCR_DEBUG') >= level) process.stderr.write(`scr[${this.rank}]: ${message}\n`);
  }

  /** Creates this node's control directory and, for each enabled store, its node directory
   * (0700, refusing symlinks and other owners). Run by node leaders (idempotent). */
  async makeNodeDirs(): Promise<void> {
    await ensureSafeDir(this.cntlDir, { base: this.cfg.str('SCR_CNTL_BASE') });
    this.#releaseNode = await markInUse(this.cntlDir, this.ident.jobId, this.prefix);
    for (const s of this.cfg.stores) {
      if (s.enabled && s.mkdir) await ensureSafeDir(nodeDir(s.path, this.ident), { base: s.path });
    }
  }

  /** <prefix>/.scr, made by rank 0. */
  async makePrefixDir(): Promise<void> {
    // Refuses a .scr that is a symlink or another user's (SPEC §4), as for cache directories.
    await ensurePrefixScrDir(this.prefix);
  }

  /** Replaces <prefix>/.scr/app.conf (rank 0): written to a temp file, fsynced, renamed; or
   * removed when the application set nothing with config(). */
  async writeAppConf(text: string | null): Promise<void> {
    const path = join(prefixScrDir(this.prefix), 'app.conf');
    if (text === null) {
      await rm(path, { force: true });
      return;
    }
    const tmp = `${path}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  }

  /** The failure-group key of a node for a group name (SPEC §5). */
  groupKey(group: string, node: string): string {
    if (group === 'NODE') return node;
    if (group === 'WORLD') return '*';
    const v = this.cfg.groups.get(node)?.[group];
    if (v !== undefined) return `=${v}`;
    // A node the GROUPS= lines leave out (a spare, typically) is a failure group of its own.
    if (!this.#ungrouped.has(`${group}/${node}`)) {
      this.#ungrouped.add(`${group}/${node}`);
      this.warn(`failure group ${group}: node ${node} has no GROUPS line giving it a ${group} value, so it forms a group of its own; add "GROUPS=${node} ${group}=<value>" to the configuration to place it`);
    }
    return `node:${node}`;
  }

  /** The redundancy sets for a descriptor (collective the first time a descriptor is used). */
  async setsFor(d: CkptDescriptor): Promise<SetPlace> {
    const key = `${d.group}/${d.setSize}/${d.type}/${d.setFailures}`;
    const known = this.#sets.get(key);
    if (known) return known;
    const layout = formSets(this.nodeOf.map((n) => this.groupKey(d.group, n)), d.setSize, d.type as Scheme, d.setFailures);
    for (const w of layout.warnings) this.warn(w);
    const [setId, pos] = layout.where[this.rank]!;
    const comm = (await this.comm.split(setId, pos))!;
    const place = { layout, set: layout.sets[setId]!, comm };
    this.#sets.set(key, place);
    return place;
  }

  async close(): Promise<void> {
    await this.settleDeletes();
    await this.#releaseNode?.().catch(() => undefined);
    this.#releaseNode = null;
    for (const p of this.#sets.values()) await p.comm.free();
    this.#sets.clear();
    await this.nodeComm.free();
  }
}
