// Checks one node's control directory and cache stores before a job uses them (`scr prerun`, which
// runs `scr prerun --this-node` on every node): each must be creatable as this user's private
// directory, writable (a probe file is written, synced and removed), and a cache store must have
// SCR_CACHE_NEED bytes free. No MPI; the result is JSON-friendly.
import { randomBytes } from 'node:crypto';
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { humanBytes } from '../common/bytes.js';
import { ensureSafeDir } from '../common/dirs.js';
import { fsErrorText } from '../common/errno.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { type Identity, nodeDir } from './paths.js';

export interface DirCheck {
  kind: 'control' | 'cache';
  /** The setting its base comes from: SCR_CNTL_BASE, SCR_CACHE_BASE or STORE=<path>. */
  setting?: string;
  /** The node's directory (`<base>/<user>/scr.<jobid>/node.<node>`). */
  path: string;
  ok: boolean;
  /** Free bytes where it lives (when it could be measured). */
  free?: number;
  /** Bytes required free (SCR_CACHE_NEED; cache stores only). */
  need?: number;
  problem?: string;
}

export interface NodeCheck {
  node: string;
  ok: boolean;
  dirs: DirCheck[];
}

async function probe(kind: DirCheck['kind'], setting: string, base: string, id: Identity, need: number): Promise<DirCheck> {
  const path = nodeDir(base, id);
  const out: DirCheck = { kind, setting, path, ok: false, ...(kind === 'cache' ? { need } : {}) };
  try {
    await ensureSafeDir(path, { base });
    const file = join(path, `.prerun-probe.${randomBytes(4).toString('hex')}`);
    const fh = await open(file, 'wx', 0o600);
    try {
      await fh.write(Buffer.alloc(4096, 1));
      await fh.sync();
    } finally {
      await fh.close();
      await rm(file, { force: true });
    }
    const fs = await statfs(path);
    out.free = fs.bavail * fs.bsize;
    if (kind === 'cache' && out.free < need) {
      out.problem = `only ${humanBytes(out.free)} free, SCR_CACHE_NEED is ${humanBytes(need)}`;
      return out;
    }
    out.ok = true;
  } catch (e) {
    out.problem = `cannot create or write it under ${setting}=${base}: ${fsErrorText(e)}`;
  }
  return out;
}

/** Why a failed check failed, one clause per directory: `<kind> <path>: <problem>; …`. */
export function checkProblems(c: NodeCheck): string {
  return c.dirs.filter((d) => !d.ok).map((d) => `${d.kind} ${d.path}: ${d.problem}`).join('; ');
}

/** Checks the control directory and every enabled cache store of node `id.node`. */
export async function checkNode(cfg: ResolvedConfig, id: Identity): Promise<NodeCheck> {
  const need = cfg.int('SCR_CACHE_NEED');
  const dirs = [await probe('control', 'SCR_CNTL_BASE', cfg.str('SCR_CNTL_BASE'), id, 0)];
  for (const s of cfg.stores.filter((x) => x.enabled)) dirs.push(await probe('cache', s.source.kind === 'implied' ? 'SCR_CACHE_BASE' : `STORE=${s.path}`, s.path, id, need));
  return { node: id.node, ok: dirs.every((d) => d.ok), dirs };
}
