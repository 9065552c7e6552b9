// The checkpoint path must not grow with the job (docs/scaling.md): the same checkpoint of
// small files, counted (SCR_COUNT_FILE) at 4 ranks on 2 nodes and at 8 ranks on 4 nodes, makes
// no gathering collective over the whole job, and every rank receives exactly as many bytes over
// job-wide communicators at both sizes. An allgather of every rank's data brought back on this
// path (as sameNameOnNode's once was) fails here.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCounts, summarize } from '../../bench/scale-summary.js';
import type { Counts } from '../../src/common/count.js';
import { flavoursBuilt } from '../harness/launch.js';
import { cleanup, newSimJob, runOnNodes, type SimJob } from '../harness/sim.js';

const app = join(fileURLToPath(import.meta.url), '..', '..', '..', 'bench', 'scale-rank.js');
// Counts are the library's, not the MPI flavour's: one flavour is enough.
const flavour = flavoursBuilt().includes('openmpi') ? 'openmpi' : flavoursBuilt()[0];
// Phases of the checkpoint path (the second checkpoint's completeOutput flushes: rank 0 gathers
// the rank map then, which docs/scaling.md argues; the other ranks must stay flat).
const PATH = ['startOutput#1', 'completeOutput#1', 'startOutput#2'];

describe('counts of the checkpoint path do not grow with the job', function () {
  this.timeout(120_000);
  let job: SimJob | null = null;
  afterEach(() => { if (job) cleanup(job); job = null; });

  async function countsAt(nodes: string[]): Promise<Array<{ rank: number; counts: Counts }>> {
    job = newSimJob('count', { SCR_COPY_TYPE: 'XOR', SCR_SET_SIZE: '2', SCR_FLUSH: '2', SCR_MPI_BUF_SIZE: '64KiB' });
    mkdirSync(job.prefix, { recursive: true });
    const dir = join(job.root, 'counts');
    mkdirSync(dir);
    const r = await runOnNodes(flavour!, job, nodes, [app, 'write', '2'], { SCR_COUNT_FILE: join(dir, 'rank') });
    assert.equal(r.code, 0, r.stderr);
    const got = readCounts(dir);
    assert.equal(got.length, nodes.length, 'every rank wrote its counts');
    cleanup(job);
    job = null;
    return got;
  }

  (flavour ? it : it.skip)('XOR, sets of 2 nodes: 4 ranks on 2 nodes and 8 ranks on 4 nodes', async () => {
    const small = await countsAt(['n0', 'n0', 'n1', 'n1']);
    const large = await countsAt(['n0', 'n0', 'n1', 'n1', 'n2', 'n2', 'n3', 'n3']);
    // Bytes received over job-wide communicators, less MPI_Comm_split's (the sets' communicators
    // are made once, at the first checkpoint; docs/scaling.md), max over ranks.
    const worldRecv = (ranks: typeof small, phase: string, from = 0) => Math.max(...ranks.slice(from).map((r) => {
      const s = summarize(r.counts[phase] ?? {});
      return s.worldRecv - s.splitRecv;
    }));
    for (const [label, ranks] of [['4 ranks', small], ['8 ranks', large]] as const) {
      for (const r of ranks) {
        for (const phase of PATH) {
          assert.ok(r.counts[phase], `${label}: rank ${r.rank} counted ${phase}`);
          const gathers = Object.keys(r.counts[phase]!).filter((k) => /^(allgather|gather|alltoall|splitByString)@world$/.test(k));
          assert.deepEqual(gathers, [], `${label}, rank ${r.rank}, ${phase}: no gathering collective over the whole job`);
        }
      }
    }
    for (const r of [...small, ...large]) assert.ok(!r.counts['startOutput#2']!['split@world'], 'the sets are made once');
    for (const phase of PATH) {
      assert.ok(worldRecv(small, phase) > 0, `${phase} agrees over the job`);
      assert.equal(worldRecv(large, phase), worldRecv(small, phase), `${phase}: bytes received per rank over the whole job at 8 ranks = at 4`);
    }
    // The flushed checkpoint: the ranks other than the root receive the same at both sizes.
    assert.equal(worldRecv(large, 'completeOutput#2', 1), worldRecv(small, 'completeOutput#2', 1), 'completeOutput with a flush, ranks other than 0');
  });
});
