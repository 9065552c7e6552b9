// Smoke tests of the fault-injection infrastructure, with Open MPI and MPICH:
// - isolation: a rank sees only its own node's storage (ranks of one node share it), the test
//   process reaches every node's files, and MPI's shared memory still spans the nodes;
// - a batch of cases on 4 private nodes: write 2 checkpoints, lose n1, restart with a spare (n4) in
//   its place: XOR and PARTNER bring every byte back, SINGLE refuses with a clear message, a
//   flipped parity byte is found by its CRC before the rebuild (two members of the set are then
//   lost) and the restart falls back to the older checkpoint, and so does one the app rejects.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertCase, type CaseReport, type DataSpec, type FaultCase, FaultSuite, type Launch, runCases } from '../harness/faults.js';
import { flavoursBuilt } from '../harness/launch.js';
import { privateNodesMissing } from '../harness/nodes.js';
import { skipBecause } from '../harness/skip.js';

const missing = privateNodesMissing();

for (const flavour of flavoursBuilt()) {
  describe(`fault suite smoke, ${flavour}`, function () {
    // Two launches per batch, each with its own 180 s limit (FaultSuite): the hooks outlast both.
    this.timeout(600_000);
    // Without mount namespaces (not root) there are no private nodes: said, not hidden.
    before(function () { if (missing) { console.log(`      skipped: ${missing}`); this.skip(); } });

    describe('isolation: ranks 0,1 on n0, rank 2 on n1, rank 3 on n2', () => {
      const placement = ['n0', 'n0', 'n1', 'n2'];
      let suite: FaultSuite;
      let launch: Launch;
      let cacheDir: string;
      const exists = (node: string) => join(cacheDir, `node.${node}`);

      before(async function () {
        if (missing) skipBecause(this, missing);
        suite = new FaultSuite(flavour);
        const env = { SCR_COPY_TYPE: 'XOR', SCR_FLUSH: '0' };
        suite.define('iso', env);
        suite.define('iso-probe');
        cacheDir = join(suite.job.local, 'cache', suite.job.user, 'scr.iso');
        const data: DataSpec = { ckpts: 1, files: 1, bytes: 2000, seed: 3 };
        const hidden = ['n0', 'n1', 'n2'].map((n) => join(suite.root, `local.${n}`, 'cache'));
        launch = await suite.launch(placement, [
          suite.scenario('iso', { kind: 'write', data }),
          suite.scenario('iso-probe', { kind: 'probe', list: [cacheDir], exists: [...['n0', 'n1', 'n2'].map(exists), ...hidden] }),
        ]);
        assert.equal(launch.run.code, 0, launch.run.stderr);
        assert.deepEqual(launch.missing, []);
      });
      after(() => suite?.cleanup());

      it('each rank sees only its own node\'s cache, and ranks of one node share it', () => {
        const lines = launch.results.get('iso-probe')!;
        for (const l of lines) {
          const own = placement[l.rank]!;
          assert.equal(l.node, own);
          assert.equal(l.error, null, `rank ${l.rank}: ${l.error?.message}`);
          const seen = l.probe!.listed[cacheDir]!;
          const nodeDirs = seen.filter((p) => /^node\.[^/]+\/$/.test(p));
          assert.deepEqual(nodeDirs, [`node.${own}/`], `rank ${l.rank} on ${own} sees ${JSON.stringify(seen)}`);
          for (const n of ['n0', 'n1', 'n2']) {
            assert.equal(l.probe!.exists[exists(n)], n === own, `rank ${l.rank} on ${own}: node.${n} ${n === own ? 'missing' : 'visible'}`);
            // Not through the nodes' own directories either: they are covered in every rank's view.
            assert.equal(l.probe!.exists[join(suite.root, `local.${n}`, 'cache')], false, `rank ${l.rank} reaches local.${n}`);
          }
          const files = seen.filter((p) => p.endsWith('.dat') && !p.includes('/.scr/'));
          const expected = placement.map((n, r) => (n === own ? r : -1)).filter((r) => r >= 0).map((r) => `rank_${r}.dat`);
          assert.deepEqual(files.map((p) => p.split('/').pop()).sort(), expected.sort(), `rank ${l.rank} on ${own} sees ${JSON.stringify(files)}`);
        }
      });

      it('the test process reaches every node\'s files at local.<node>', () => {
        const data = suite.files('iso', 'data');
        assert.deepEqual(data.map((f) => `${f.node}:${f.rank}`), ['n0:0', 'n0:1', 'n1:2', 'n2:3']);
        for (const f of data) assert.ok(f.path.startsWith(join(suite.root, `local.${f.node}`, 'cache')), f.path);
        // XOR sets are lines across the nodes: {0, 2, 3} and {1} alone, which degrades to SINGLE
        // (no redundancy data), as docs/api.md's "Redundancy in brief" says.
        assert.deepEqual(suite.files('iso', 'redData').map((f) => `${f.node}:${f.rank}`), ['n0:0', 'n1:2', 'n2:3']);
        assert.deepEqual(suite.files('iso', 'redRecord').map((f) => `${f.node}:${f.rank}`), ['n0:0', 'n1:2', 'n2:3']);
        // Rank 0 says so, and the fixture caught it in that scenario's stderr of rank 0 only.
        const w = launch.results.get('iso')!;
        assert.match(w[0]!.stderr, /set of ranks 1 has 1 member\(s\): too few for XOR, using SINGLE/);
        assert.deepEqual(w.slice(1).map((l) => l.stderr), ['', '', '']);
        assert.deepEqual(launch.results.get('iso-probe')!.map((l) => l.stderr), ['', '', '', '']);
        assert.deepEqual(suite.files('iso', 'filemap').map((f) => `${f.node}:${f.rank}`), ['n0:0', 'n0:1', 'n1:2', 'n2:3']);
        assert.deepEqual(suite.files('iso', 'cindex').map((f) => f.node), ['n0', 'n1', 'n2']);
        assert.deepEqual(suite.files('iso', 'flushed'), [], 'SCR_FLUSH=0: nothing on the prefix');
        assert.equal(suite.files('iso', 'halt').length, 1);
      });

      it('MPI shared memory spans the nodes\' namespaces (ranks on n0 and n1 map a common /dev/shm segment)', () => {
        const lines = launch.results.get('iso-probe')!;
        const a = new Set(lines[0]!.probe!.shm);
        const b = lines[2]!.probe!.shm;
        assert.ok(a.size > 0, 'rank 0 maps no /dev/shm segment');
        assert.ok(b.some((s) => a.has(s)), `no common segment: rank 0 ${JSON.stringify([...a])}, rank 2 ${JSON.stringify(b)}`);
      });
    });

    describe('4 nodes, 2 checkpoints, n1 lost, spare n4 in its place', () => {
      const data: DataSpec = { ckpts: 2, files: 2, bytes: 3000, seed: 11 };
      const base = { SCR_FLUSH: '0' };
      const cases: FaultCase[] = [
        { id: 'xor', env: { ...base, SCR_COPY_TYPE: 'XOR' }, data, expect: { restored: 'ckpt.2', message: /rebuilt dataset ckpt\.2: files of rank\(s\) 1 restored from XOR/ } },
        { id: 'partner-same-path', env: { ...base, SCR_COPY_TYPE: 'PARTNER' }, data: { ...data, layout: 'same', zeroFile: 1 }, expect: { restored: 'ckpt.2' } },
        { id: 'single', env: { ...base, SCR_COPY_TYPE: 'SINGLE' }, data, expect: { restored: null, orRefused: /dropped dataset 2 \(ckpt\.2\): the files of rank 1 are gone or damaged and no redundancy covers them/ } },
        // A byte of rank 2's parity flipped: rebuilding rank 1 must notice (CRC) and fall back.
        { id: 'xor-flipped-parity', env: { ...base, SCR_COPY_TYPE: 'XOR' }, data, fault: (c) => { c.flip('redData', { node: 'n2', dataset: 2, rank: 2 }); },
          expect: { restored: 'ckpt.1', message: /dropped dataset 2 \(ckpt\.2\): XOR set of ranks 0,1,2,3 lost 2 member\(s\) \(ranks 1,2\), more than it can restore; rank 2: its redundancy data has CRC32 [0-9a-f]+, [0-9a-f]+ when encoded \(node n2\)/ } },
        { id: 'app-rejects-newest', env: { ...base, SCR_COPY_TYPE: 'XOR' }, data, restart: { reject: ['ckpt.2'], thenWrite: 1 }, expect: { restored: 'ckpt.1', message: /checkpoint ckpt\.2 was rejected by the application \(completeRestart\(false\)\): it was only in cache \(SCR_FLUSH=0\), so it is deleted/ } },
      ];
      let suite: FaultSuite;
      let reports: Map<string, CaseReport>;

      before(async function () {
        if (missing) skipBecause(this, missing);
        suite = new FaultSuite(flavour);
        reports = await runCases(suite, cases, {
          nodes: ['n0', 'n1', 'n2', 'n3'],
          restartOn: ['n0', 'n4', 'n2', 'n3'],
          between: () => {
            assert.ok(suite.files('xor', 'data', { node: 'n1' }).length > 0, 'n1 held data before the loss');
            suite.loseNode('n1');
            assert.deepEqual(suite.files('xor', 'data', { node: 'n1' }), []);
          },
        });
      });
      after(() => suite?.cleanup());

      for (const c of cases) it(c.id, () => assertCase(reports.get(c.id)));

      it('the spare holds rank 1\'s rebuilt files; the rejected checkpoint is gone and ckpt.2 was written anew', () => {
        assert.deepEqual(suite.files('xor', 'data', { node: 'n4' }).map((f) => `${f.dataset}:${f.rank}.${f.file}`), ['1:1.0', '1:1.1', '2:1.0', '2:1.1']);
        const rej = reports.get('app-rejects-newest')!;
        assert.deepEqual(rej.restart.map((l) => l.attempts.map((a) => `${a.name}:${a.bytesOk}:${a.accepted}`).join(' ')), Array(4).fill('ckpt.2:true:false ckpt.1:true:true'));
        assert.deepEqual(rej.restart.map((l) => JSON.stringify(l.wrote)), Array(4).fill('[{"name":"ckpt.2","ok":true}]'));
      });
    });
  });
}
