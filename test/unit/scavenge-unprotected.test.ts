// scr postrun (src/scavenge) drains only protected checkpoints: a cache-index record with
// protected: false (its background encode never finished, SCR_ENCODE_ASYNC=1) is not listed,
// one without the field (older versions, synchronous encodes) is.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nodeDir } from '../../src/cache/paths.js';
import { type DatasetRecord, writeCacheIndex } from '../../src/cache/records.js';
import type { ResolvedConfig } from '../../src/config/resolve.js';
import { listNode } from '../../src/scavenge/scavenge.js';

describe('scr postrun and unprotected checkpoints', () => {
  it('lists a protected (or older) record, not an unprotected one', async () => {
    const root = mkdtempSync('/dev/shm/scr-i13-async-scav-');
    try {
      const values: Record<string, string> = { SCR_CNTL_BASE: join(root, 'cntl'), SCR_PREFIX: join(root, 'prefix') };
      const cfg = { str: (k: string) => values[k]!, int: () => 0 } as unknown as ResolvedConfig;
      const id = { user: 'u', jobId: 'j', node: 'n0' };
      const cntl = nodeDir(values.SCR_CNTL_BASE!, id);
      mkdirSync(cntl, { recursive: true });
      const rec = (n: number, extra: Partial<DatasetRecord>): DatasetRecord => ({ id: n, name: `ckpt.${n}`, flags: { checkpoint: true, output: false }, created: 0, store: join(root, 'cache'), descriptor: 0, ranks: 1, complete: true, prefix: values.SCR_PREFIX!, ...extra });
      await writeCacheIndex(cntl, { datasets: { 1: rec(1, {}), 2: rec(2, { protected: true }), 3: rec(3, { protected: false }) } });
      assert.deepEqual((await listNode(cfg, id)).map((d) => d.rec.id).sort(), [1, 2]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
