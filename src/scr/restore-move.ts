// Step 3 of a restore (restore.ts): a rank whose intact data sits on another live node (it was
// placed elsewhere this run) gets it from a rank running there, point to point: a header (its
// file map, or the sender's error), then its files and its redundancy data in pieces. Neither side
// ever leaves the exchange early: a read or write that fails goes on with zeros and is reported
// afterwards, so the partner never waits for bytes that will not come. The old copies are removed
// only once every rank agreed the moves worked (the returned cleanup).
import { open, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { filemapPath, redDataPath, redMetaPath } from '../cache/paths.js';
import { applyFileMetadata, type Filemap, readFilemap, writeFilemap } from '../cache/records.js';
import { writeMetaFile } from '../meta/index.js';
import { redDataSize } from '../pfs/build.js';
import { Guarded } from '../redundancy/encode.js';
import type { Context } from './context.js';
import type { Plan } from './restore-plan.js';

const TAG_MOVE = 5151;

/** Moves every rank's data that is on another node (collective in effect: each pair exchanges).
 * `from` is this node's directory of the dataset (where the data it sends is). Each rank takes its
 * part — its sends and its own receive — in the order of the receiving ranks, as every other
 * rank does, so no pair waits on another. Resolves to this rank's first error (or null) and what
 * to delete once all agree. */
export async function moveData(ctx: Context, plan: Plan, here: string, from: string | undefined): Promise<{ error: Error | null; cleanup: () => Promise<void> }> {
  const comm = ctx.comm;
  const rec = plan.rec;
  const g = new Guarded();
  const buf = Buffer.allocUnsafe(ctx.fileBufSize);
  const removeLater: string[] = [];

  const receive = plan.holder !== null && ctx.nodeOf[plan.holder] !== ctx.node;
  const moves = [...plan.sends.map((s) => ({ r: s.rank, rr: s.red, sender: ctx.rank })), ...(receive ? [{ r: ctx.rank, rr: plan.set?.red, sender: plan.holder! }] : [])]
    .sort((a, b) => a.r - b.r);
  for (const { r, rr, sender } of moves) {
    const node = ctx.nodeOf[sender]!;
    const redBytes = rr ? redDataSize(rr, rr.members.indexOf(r)) : 0;
    if (ctx.rank === sender && r !== ctx.rank) {
      const map = await g.runAsync(async () => {
        if (!from) throw new Error(`this node holds no directory of ${rec.name}`);
        const m = await readFilemap(from, r);
        if (!m) throw new Error(`the file map of rank ${r} in ${from} is gone`);
        return m;
      }, () => null);
      // The redundancy's size travels with the file map, so both sides move the same bytes even if
      // their copies of the set's record were to differ.
      const header = Buffer.from(JSON.stringify(map ? { map, redBytes: rr ? redBytes : null } : { error: g.error?.message ?? 'unknown' }));
      await comm.send(Float64Array.of(header.length), r, TAG_MOVE);
      await comm.send(header, r, TAG_MOVE);
      if (!map) continue;
      const sources = [...map.files.map((f) => ({ path: rec.bypass ? null : join(from!, f.name), size: f.size })), { path: rr ? redDataPath(from!, r) : null, size: redBytes }];
      for (const src of sources) {
        if (!src.path) continue;
        const fh = await g.runAsync(() => open(src.path!, 'r'), () => null);
        for (let o = 0; o < src.size; o += buf.length) {
          const n = Math.min(buf.length, src.size - o);
          await g.runAsync(async () => {
            const { bytesRead } = await fh!.read(buf, 0, n, o);
            if (bytesRead !== n) throw new Error(`${src.path} is shorter than its recorded ${src.size} bytes`);
          }, () => buf.fill(0, 0, n));
          await comm.send(buf.subarray(0, n), r, TAG_MOVE);
        }
        await fh?.close().catch(() => undefined);
      }
      removeLater.push(...map.files.map((f) => (rec.bypass ? '' : join(from!, f.name))).filter(Boolean), filemapPath(from!, r), redMetaPath(from!, r), redDataPath(from!, r));
    }
    if (ctx.rank === r && sender !== ctx.rank) {
      const size = new Float64Array(1);
      await comm.recv(size, sender, TAG_MOVE);
      const json = Buffer.alloc(size[0]!);
      await comm.recv(json, sender, TAG_MOVE);
      const header = JSON.parse(json.toString()) as { map?: Filemap; redBytes?: number | null; error?: string };
      if (!header.map) {
        g.run(() => { throw new Error(`node ${node} could not send rank ${r}'s data: ${header.error}`); }, () => undefined);
        continue;
      }
      const map = header.map;
      const targets = [...map.files.map((f) => ({ path: rec.bypass ? null : join(here, f.name), size: f.size, crc: f.crc, meta: f as typeof f | null })),
        { path: header.redBytes === null ? null : rr ? redDataPath(here, r) : '', size: header.redBytes ?? 0, crc: null, meta: null }];
      for (const t of targets) {
        if (t.path === null) continue;
        // ('' : bytes this rank has no set record for: received and not kept.)
        if (t.path === '') {
          for (let o = 0; o < t.size; o += buf.length) await comm.recv(buf.subarray(0, Math.min(buf.length, t.size - o)), sender, TAG_MOVE);
          g.run(() => { throw new Error(`rank ${r}'s redundancy record differs between nodes`); }, () => undefined);
          continue;
        }
        // Created anew: whatever was at the path (a planted symlink too) is removed, not followed.
        const fh = await g.runAsync(async () => { await rm(t.path!, { force: true }); return open(t.path!, 'wx', 0o600); }, () => null);
        let crc = 0;
        for (let o = 0; o < t.size; o += buf.length) {
          const n = Math.min(buf.length, t.size - o);
          await comm.recv(buf.subarray(0, n), sender, TAG_MOVE);
          if (t.crc !== null) crc = crc32(buf.subarray(0, n), crc);
          await g.runAsync(async () => { await fh!.write(buf, 0, n, o); }, () => undefined);
        }
        await g.runAsync(async () => {
          await fh?.close();
          if (t.crc !== null && crc !== t.crc) throw new Error(`${t.path}: CRC32 ${crc.toString(16)} after the move, ${t.crc.toString(16)} when written`);
          if (t.meta) await applyFileMetadata(t.path!, t.meta);
        }, () => undefined);
      }
      await g.runAsync(async () => {
        await writeFilemap(here, map);
        if (rr) await writeMetaFile(redMetaPath(here, r), 'redset', { ...rr, position: rr.members.indexOf(r), nodes: rr.members.map((m) => ctx.nodeOf[m]!) });
      }, () => undefined);
    }
  }
  return {
    error: g.error,
    cleanup: async () => { await Promise.all(removeLater.map((p) => unlink(p).catch(() => undefined))); },
  };
}
