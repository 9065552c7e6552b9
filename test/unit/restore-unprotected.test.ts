// At restart, a checkpoint of the background encode (SCR_ENCODE_ASYNC=1) counts as protected when
// any node recorded it so (the ranks agreed before the nodes wrote it): the plan must then carry
// it as protected even when the plan's record came from a node the job stopped before it wrote
// `protected: true` (else the restart passed over it and wrote `false` back to every node).
import assert from 'node:assert/strict';
import type { DatasetRecord } from '../../src/cache/records.js';
import { decide } from '../../src/scr/restore-plan.js';
import type { NodeReport } from '../../src/scr/restore-scan.js';
import { FakeNet } from '../harness/plan-net.js';

const rec = (id: number, protectedFlag: boolean | undefined): DatasetRecord => ({
  id, name: `ckpt.${id}`, flags: { checkpoint: true, output: false }, created: 0, store: '/cache', descriptor: 0, ranks: 2, complete: true, prefix: '/p',
  ...(protectedFlag === undefined ? {} : { protected: protectedFlag }),
});
// Two nodes, one rank each, SINGLE: every rank's data is on its own node.
const report = (node: string, rank: number, recs: DatasetRecord[]): NodeReport => ({
  node, foreign: [],
  datasets: Object.fromEntries(recs.map((r) => [String(r.id), { rec: r, dir: `/cache/${node}/${r.id}`, data: [rank], red: [rank], sets: [], damaged: [] }])),
});

describe('restart: protected and unprotected checkpoints (SCR_ENCODE_ASYNC)', () => {
  // Rank 0's decision (rank 1's is checked to agree), with the two ranks simulated in one process.
  const plan = async (reports: NodeReport[]) => {
    const net = new FakeNet(2);
    const [d0, d1] = await Promise.all(reports.map((r, rank) => decide(net.net(rank), r, ['n0', 'n1'], () => 'SINGLE')));
    assert.deepEqual(d1!.plans.map((p) => [p.id, p.rec]), d0!.plans.map((p) => [p.id, p.rec]));
    return d0!;
  };

  it('a checkpoint recorded protected on one node only is restored as protected', async () => {
    // n0 (first, so its record is the plan's) stopped before it recorded ckpt.2 protected.
    const d = await plan([report('n0', 0, [rec(1, true), rec(2, false)]), report('n1', 1, [rec(1, true), rec(2, true)])]);
    assert.deepEqual(d.plans.map((p) => [p.id, p.rec.protected]), [[1, true], [2, true]]);
    assert.deepEqual(d.drops, []);
  });

  it('a checkpoint unprotected on every node is dropped, naming the one used instead', async () => {
    const d = await plan([report('n0', 0, [rec(1, true), rec(2, false)]), report('n1', 1, [rec(1, true), rec(2, false)])]);
    assert.deepEqual(d.plans.map((p) => p.id), [1]);
    assert.equal(d.drops.length, 1);
    assert.match(d.drops[0]!.why, /not protected: .* falls back to ckpt\.1 \(id 1\)/);
  });

  it('a record without the field (an older version, or a synchronous encode) is protected', async () => {
    const d = await plan([report('n0', 0, [rec(3, undefined)]), report('n1', 1, [rec(3, undefined)])]);
    assert.deepEqual(d.plans.map((p) => [p.id, p.rec.protected]), [[3, undefined]]);
  });
});
