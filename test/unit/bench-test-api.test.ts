// bench/checkpoint --workload test-api: the pieces that decide PASS/FAIL and "broken" (no MPI).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { patternBuffer, sameBytes, setHeader, writeBlocking } from '../../bench/test-api-data.js';
import { rebuildProblem, type RebuildOut, type Row } from '../../bench/test-api.js';
import { ratio, rebuildRatio, rssPieces } from '../../bench/test-api-report.js';

const good: RebuildOut = {
  loadSeconds: 0.1, mpiInitSeconds: 0.1, initSeconds: 0.6, restored: 'ckpt.5', ranksVerified: 4, ranks: 4, initStats: null,
  timings: [{ id: 6, name: 'ckpt.5', seconds: 0.4, moved: [], rebuilt: [1] }],
};

describe('bench test-api', () => {
  it('a relaunch counts as a rebuild only if every rank got the newest checkpoint back and rank 1 was rebuilt', () => {
    assert.equal(rebuildProblem(good, 5, [1]), null);
    assert.match(rebuildProblem({ ...good, restored: null }, 5, [1])!, /no checkpoint/);
    assert.match(rebuildProblem({ ...good, restored: 'ckpt.4' }, 5, [1])!, /not the newest/);
    assert.match(rebuildProblem({ ...good, ranksVerified: 3 }, 5, [1])!, /3 of 4 ranks/);
    assert.match(rebuildProblem({ ...good, timings: [{ ...good.timings[0]!, rebuilt: [] }] }, 5, [1])!, /no rebuild/);
    assert.match(rebuildProblem(good, 5, [1, 2])!, /no rebuild/);
  });

  it('ratios: paired per round, rebuild over the median raw write, RSS in buffer pieces', () => {
    const row = {
      write: { raw: [1, 2, 1], ckpt: [2, 2, 4], rssKiB: [[1000, 3048], [1000, 1512]], bufBytes: 1 << 20 },
      rebuild: { initSeconds: 1.5 },
    } as unknown as Row;
    assert.equal(ratio(row), 0.5);
    assert.equal(rebuildRatio(row), 1.5);
    assert.equal(rssPieces(row), 2);
  });

  it('file bytes: rank, step and length all count', () => {
    const p = join('/tmp', `scr-i13-bench-unit-${process.pid}.dat`);
    try {
      const b = patternBuffer(3, 70_003);
      setHeader(b, 3, 5);
      writeBlocking(p, b);
      assert.equal(sameBytes(p, b), true);
      const otherStep = Buffer.from(b);
      setHeader(otherStep, 3, 4);
      assert.equal(sameBytes(p, otherStep), false);
      const otherRank = patternBuffer(2, 70_003);
      setHeader(otherRank, 3, 5);
      assert.equal(sameBytes(p, otherRank), false);
      assert.equal(sameBytes(p, b.subarray(0, 70_002)), false);
      assert.equal(sameBytes(p, Buffer.concat([b, Buffer.alloc(1)])), false);
    } finally { rmSync(p, { force: true }); }
  });
});
