// The exhaustive loss test (issue 4): for each scheme and protection level, on 4–6 simulated
// nodes with one rank each, write a checkpoint, then for every subset of lost nodes up to one more
// than the scheme can survive: delete those nodes' cache and control directories, relaunch with
// spares in their place, and check that the checkpoint comes back — every byte, mode and mtime —
// exactly when the scheme allows it, and is refused otherwise.
import assert from 'node:assert/strict';
import { subsets } from '../harness/files.js';
import { flavoursBuilt } from '../harness/launch.js';
import { cleanup, loseNode, newSimJob, rankLines, restoreSnapshot, runOnNodes, snapshot, type SimJob } from '../harness/sim.js';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const app = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'ckpt-app.js');
interface Line { rank: number; node: string; restored: string | null; verified: boolean }

/** When the checkpoint must survive losing the nodes at these ring positions (independent of the
 * library's own rule, from SPEC §5's table). */
function survives(scheme: string, k: number, n: number, lost: number[]): boolean {
  if (lost.length === 0) return true;
  switch (scheme) {
    case 'SINGLE': return false;
    case 'PARTNER': return lost.length < n && lost.every((i) => !lost.includes((i + 1) % n));
    case 'XOR': return lost.length <= 1;
    default: return lost.length <= k;
  }
}

const MATRIX: Array<{ scheme: string; k: number; nodes: number; maxLost: number }> = [
  { scheme: 'SINGLE', k: 0, nodes: 4, maxLost: 1 },
  { scheme: 'PARTNER', k: 0, nodes: 4, maxLost: 2 },
  { scheme: 'XOR', k: 1, nodes: 4, maxLost: 2 },
  { scheme: 'RS', k: 2, nodes: 5, maxLost: 3 },
  { scheme: 'RS', k: 3, nodes: 6, maxLost: 4 },
];

for (const flavour of flavoursBuilt()) {
  // MPICH runs the XOR row only, to keep CI time in bounds; Open MPI runs them all.
  for (const row of MATRIX.filter((r) => flavour === 'openmpi' || r.scheme === 'XOR')) {
    describe(`loss matrix, ${flavour}: ${row.scheme}${row.scheme === 'RS' ? ` k=${row.k}` : ''} on ${row.nodes} nodes`, function () {
      this.timeout(600_000);
      let job: SimJob;
      const nodes = Array.from({ length: row.nodes }, (_, i) => `n${i}`);
      // The cache alone: nothing flushed, so nothing can be fetched back from the file system.
      const env = { SCR_FLUSH: '0', SCR_COPY_TYPE: row.scheme, SCR_SET_FAILURES: String(Math.max(1, row.k)), SCR_MPI_BUF_SIZE: '4096', SCR_CACHE_SIZE: '1' };
      const args = [app, '--ckpts', '1', '--files', '4', '--bytes', '9000', '--seed', '5'];

      before(async () => {
        job = newSimJob('loss', env);
        const r = await runOnNodes(flavour, job, nodes, args);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(rankLines<Line>(r).every((l) => l.restored === null), 'the first run starts fresh');
        snapshot(job, 'written');
      });
      after(() => cleanup(job));

      it('every subset of lost nodes: recovered exactly when the scheme allows it', async () => {
        const results: string[] = [];
        for (const lost of subsets(row.nodes, row.maxLost)) {
          restoreSnapshot(job, 'written');
          for (const i of lost) loseNode(job, nodes[i]!);
          // Spares take the lost nodes' places; the other ranks stay where they were.
          const placed = nodes.map((n, i) => (lost.includes(i) ? `spare${lost.indexOf(i)}` : n));
          const r = await runOnNodes(flavour, job, placed, args);
          assert.equal(r.code, 0, `losing ${lost}: the job failed\n${r.stderr}`);
          const lines = rankLines<Line>(r);
          assert.equal(lines.filter(Boolean).length, row.nodes, `every rank reported (lost ${lost})`);
          const expect = survives(row.scheme, row.k, row.nodes, lost);
          const got = lines.every((l) => l.restored === 'ckpt.1' && l.verified);
          const none = lines.every((l) => l.restored === null);
          assert.ok(got || none, `ranks disagree after losing ${lost}: ${JSON.stringify(lines)}`);
          assert.equal(got, expect, `losing nodes ${lost.map((i) => nodes[i]).join(',')}: expected ${expect ? 'recovery' : 'no restart'}; ranks said ${JSON.stringify(lines)}\n${r.stderr}`);
          if (expect) assert.match(r.stderr, /rebuilt dataset ckpt\.1: files of rank\(s\) /);
          else assert.match(r.stderr, /dropped dataset 1 \(ckpt\.1\)/);
          results.push(`${lost.join('+')}:${got ? 'ok' : 'refused'}`);
        }
        assert.ok(results.length > 0);
      });
    });
  }
}
