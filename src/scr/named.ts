// Operations on a dataset by name (SPEC §2 current, drop, deleteDataset), collective, with the
// name already checked and agreed by the caller. A name found nowhere is an error on every rank.
import { byName, readIndex, updateIndex } from '../pfs/index.js';
import { agreeKeepingMine } from './agree.js';
import { CODES, ScrError } from './errors.js';
import { deleteDatasetFiles } from '../pfs/commit.js';
import type { Session } from './session.js';

/** SCR_Current: the checkpoint to restart from (in cache, or the index's current marker). */
export async function current(s: Session, name: string): Promise<void> {
  const ctx = s.ctx;
  let err: unknown = null;
  const inCache = [...s.datasets.values()].some((r) => r.name === name && r.flags.checkpoint && !r.failed);
  if (ctx.rank === 0) {
    try {
      const idx = await readIndex(ctx.prefix);
      const e = byName(idx, name);
      const usableOnPfs = !!e && e.flags.checkpoint && !e.failed && e.flushed;
      if (!usableOnPfs && !inCache) {
        throw new ScrError(e ? `current(${name}): it is ${!e.flags.checkpoint ? 'not a checkpoint' : e.failed ? 'marked failed' : 'not flushed'} and not in cache`
          : `current(${name}): no checkpoint of that name in cache or in ${ctx.prefix}/.scr/index.scr`, CODES.ARGUMENT);
      }
      if (usableOnPfs) await updateIndex(ctx.prefix, (x) => { x.current = name; });
    } catch (e) { err = e; }
  }
  await agreeKeepingMine(ctx.comm, `current(${name})`, err);
  s.currentName = name;
}

/** drop() and deleteDataset(): finish its flushes, remove it from cache and index, and with
 * `deleteFiles` from the file system. */
export async function forget(s: Session, call: 'drop' | 'deleteDataset', name: string, opts: { deleteFiles: boolean }): Promise<void> {
  const ctx = s.ctx;
  await s.flushes.settleName(name);
  const cached = [...s.datasets.values()].filter((x) => x.name === name);
  for (const r of cached) await s.drop(r);
  let err: unknown = null;
  if (ctx.rank === 0) {
    try {
      const onPfs = Object.values((await readIndex(ctx.prefix)).datasets).filter((x) => x.name === name);
      if (onPfs.length === 0 && cached.length === 0) {
        throw new ScrError(`${call}(${name}): no dataset of that name in cache or in ${ctx.prefix}/.scr/index.scr`, CODES.ARGUMENT);
      }
      // The index forgets it first, so its files are deleted except those a remaining dataset
      // still lists (an application that reuses its paths shares them).
      if (onPfs.length) {
        await updateIndex(ctx.prefix, (idx) => {
          for (const [id, e] of Object.entries(idx.datasets)) if (e.name === name) delete idx.datasets[id];
          if (idx.current === name) idx.current = null;
        }, (m) => ctx.warn(m));
      }
      if (opts.deleteFiles) for (const e of onPfs) await deleteDatasetFiles(ctx.prefix, e.id, (m) => ctx.warn(m));
    } catch (e) { err = e; }
  }
  await agreeKeepingMine(ctx.comm, `${call}(${name})`, err);
  if (s.currentName === name) s.currentName = null;
}
