// scr index --build (src/pfs/build.ts): rebuilding a dataset's missing files on the file system,
// offline, from the redundancy files a scavenge copied there. The redundancy files are real: each
// scheme's job runs once on simulated nodes (ckpt-app, SCR_FLUSH=1 so the checkpoint is on the
// file system), then the scavenge is simulated by copying every node's cached
// .scr/red.<rank>.scr|dat into <prefix>/.scr/scr.dataset.<id>/. Every test starts from a pristine
// copy of that prefix, loses what it names, and runs the built CLI.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMetaFile } from '../../src/meta/index.js';
import { pfsRedDataPath, pfsRedMetaPath } from '../../src/pfs/build.js';
import { indexPath, pfsDatasetDir, rankmapPath, readIndex, readRankMap, updateIndex } from '../../src/pfs/index.js';
import type { RedRecord } from '../../src/scr/dataset.js';
import { cleanEnv, scr } from '../harness/cli.js';
import { flavoursBuilt } from '../harness/launch.js';
import { cleanup, newSimJob, nodeDirs, runOnNodes, type SimJob } from '../harness/sim.js';

const app = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'ckpt-app.js');
const flavour = flavoursBuilt()[0]!;
const ID = 1;

interface Saved { data: Buffer; mode: number; mtimeMs: number }

/** One job's checkpoint on the file system with its scavenged redundancy files, and what every
 * file held before anything was lost. */
class Scenario {
  readonly saved = new Map<string, Saved>();
  /** rank → its file paths (from the rank map the flush wrote). */
  files: string[][] = [];
  records: RedRecord[] = [];
  private constructor(readonly job: SimJob, readonly nodes: string[]) {}

  static async run(tag: string, nodes: number, env: Record<string, string>): Promise<Scenario> {
    // Small pieces (SCR_MPI_BUF_SIZE, which the rebuild reuses) so every chunk spans several.
    const job = newSimJob(tag, { SCR_FLUSH: '1', SCR_MPI_BUF_SIZE: '4096', ...env });
    mkdirSync(job.prefix, { recursive: true });
    const s = new Scenario(job, Array.from({ length: nodes }, (_, i) => `n${i}`));
    const r = await runOnNodes(flavour, job, s.nodes, [app, '--ckpts', '1', '--files', '3', '--bytes', '20000']);
    assert.equal(r.code, 0, r.stderr);
    s.scavengeRedundancy();
    s.files = (await readRankMap(job.prefix, ID))!.ranks.map((fs) => fs.map((f) => f.path));
    for (const p of s.files.flat()) {
      const st = statSync(p);
      s.saved.set(p, { data: readFileSync(p), mode: st.mode & 0o7777, mtimeMs: st.mtimeMs });
    }
    for (let rank = 0; rank < nodes; rank++) s.records.push(await readMetaFile<RedRecord>(pfsRedMetaPath(job.prefix, ID, rank), { expectKind: 'redset' }));
    cpSync(job.prefix, s.pristine, { recursive: true, preserveTimestamps: true });
    return s;
  }

  get prefix(): string { return this.job.prefix; }
  get pristine(): string { return join(this.job.root, 'pristine-prefix'); }

  /** The scavenge's part that is not the issue here: each node's cached redundancy files of the
   * dataset, copied unchanged to the prefix. */
  private scavengeRedundancy(): void {
    const to = pfsDatasetDir(this.prefix, ID);
    mkdirSync(to, { recursive: true });
    for (const n of this.nodes) {
      const from = join(nodeDirs(this.job, n)[0]!, `scr.dataset.${ID}`, '.scr');
      for (const f of readdirSync(from).filter((x) => /^red\.\d+\.(scr|dat)$/.test(x))) cpSync(join(from, f), join(to, f));
    }
  }

  /** Back to the state right after the scavenge, with the index saying "not flushed". */
  async reset(): Promise<void> {
    rmSync(this.prefix, { recursive: true, force: true });
    cpSync(this.pristine, this.prefix, { recursive: true, preserveTimestamps: true });
    await updateIndex(this.prefix, (idx) => { Object.assign(idx.datasets[String(ID)]!, { flushed: false, complete: false }); });
  }

  /** Ranks lost with their node: files and (unless `keepRed`) their redundancy files. */
  lose(ranks: number[], opts: { keepRed?: boolean } = {}): void {
    for (const r of ranks) {
      for (const p of this.files[r]!) rmSync(p);
      if (!opts.keepRed) for (const p of [pfsRedMetaPath(this.prefix, ID, r), pfsRedDataPath(this.prefix, ID, r)]) rmSync(p);
    }
  }

  build(which: string | number = ID, extra: string[] = []) {
    return scr(['index', '--prefix', this.prefix, '--build', String(which), ...extra], { env: cleanEnv() });
  }

  /** Every file holds what it held, with its mode and mtime; no temporary files are left. */
  assertIntact(ranks: number[] = this.files.map((_, r) => r)): void {
    for (const r of ranks) {
      for (const p of this.files[r]!) {
        const want = this.saved.get(p)!;
        assert.ok(readFileSync(p).equals(want.data), `${p} differs`);
        const st = statSync(p);
        assert.equal(st.mode & 0o7777, want.mode, `${p} mode`);
        assert.equal(st.mtimeMs, want.mtimeMs, `${p} mtime`);
      }
    }
    for (const d of new Set(this.files.flat().map((p) => dirname(p)))) {
      assert.deepEqual(readdirSync(d).filter((f) => f.includes('.build.')), [], `temporary files left in ${d}`);
    }
  }

  async entry() {
    return Object.values((await readIndex(this.prefix)).datasets).find((e) => e.id === ID);
  }

  async assertFlushed(): Promise<void> {
    const e = (await this.entry())!;
    assert.deepEqual([e.name, e.complete, e.flushed, e.failed, e.ranks], ['ckpt.1', true, true, false, this.nodes.length]);
    const v = scr(['index', '--prefix', this.prefix, '--verify', 'ckpt.1'], { env: cleanEnv() });
    assert.equal(v.code, 0, v.stdout + v.stderr);
  }

  /** What a failed build must leave alone: the index, and the files it could not rebuild. */
  assertUnchanged(indexBefore: Buffer, gone: number[]): void {
    assert.deepEqual(readFileSync(indexPath(this.prefix)), indexBefore, 'the index changed');
    for (const r of gone) for (const p of this.files[r]!) assert.ok(!existsSync(p), `${p} was written`);
    this.assertIntact(this.files.map((_, r) => r).filter((r) => !gone.includes(r)));
  }

  cleanup(): void { cleanup(this.job); }
}

describe(`scr index --build: offline rebuild on the file system (${flavour})`, function () {
  this.timeout(180_000);

  describe('XOR, one set of 4', () => {
    let s: Scenario;
    before(async () => { s = await Scenario.run('build-xor', 4, { SCR_COPY_TYPE: 'XOR' }); });
    beforeEach(() => s.reset());
    after(() => s?.cleanup());

    it('the scavenged records describe one XOR set of the 4 ranks with CRCs recorded (the premise of the tests)', () => {
      assert.deepEqual(s.records.map((r) => [r.scheme, r.k, r.members, r.position]), [0, 1, 2, 3].map((p) => ['XOR', 1, [0, 1, 2, 3], p]));
      assert.ok(s.records[0]!.chunk > 3 * 4096, 'chunks span several pieces');
      assert.ok(s.records[0]!.filemaps.every((m) => m.files.every((f) => typeof f.crc === 'number')));
    });

    it('rebuilds a rank lost with its node (files and redundancy files): byte for byte, mode and mtime, then complete and flushed', async () => {
      s.lose([2]);
      const r = s.build('ckpt.1'); // by name; the others go by id
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /"ckpt\.1" \(id 1\): rebuilt rank 2 from its XOR set \(ranks 0,1,2,3\): 3 files, /);
      for (const p of s.files[2]!) assert.ok(r.stdout.includes(`  ${p}\n`), `lists ${p}`);
      assert.match(r.stdout, /rebuilt 1 rank of 4 in [\d.]+ s; the index marks it complete and flushed/);
      s.assertIntact();
      await s.assertFlushed();
    });

    it('a file of the right size with a wrong CRC counts as missing; a lost index entry and rank map are recreated', async () => {
      const victim = s.files[1]![0]!;
      const data = readFileSync(victim);
      data[4097] ^= 0x20;
      writeFileSync(victim, data);
      await updateIndex(s.prefix, (idx) => { delete idx.datasets[String(ID)]; });
      rmSync(rankmapPath(s.prefix, ID));
      const r = s.build();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /rebuilt rank 1 from its XOR set/);
      s.assertIntact();
      await s.assertFlushed(); // the name comes from the dataset's summary
      const map = (await readRankMap(s.prefix, ID))!;
      assert.deepEqual(map.ranks.map((fs) => fs.map((f) => f.path)), s.files);
      assert.ok(map.ranks.flat().every((f) => typeof f.crc === 'number'));
    });

    it('nothing missing: exit 0, nothing rebuilt, and the dataset is recorded flushed', async () => {
      const r = s.build();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /"ckpt\.1" \(id 1\): nothing to rebuild: the files of all 4 ranks are intact; the index marks it complete and flushed/);
      await s.assertFlushed();
    });

    it('two ranks lost are more than XOR restores: exit 1 naming the set and the ranks, and nothing changes', async () => {
      s.lose([1, 3]);
      const before = readFileSync(indexPath(s.prefix));
      const r = s.build();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /^scr index: cannot rebuild dataset 1: the XOR set of ranks 0,1,2,3 lost ranks 1,3: files missing or damaged on rank 1 \(\S+rank1\.file0\.dat: missing, and 2 more\), rank 3 .*; redundancy data unusable on rank 1 \(red\.1\.dat is missing\), rank 3 .*XOR restores one lost member per set/);
      assert.match(r.stderr, /\nhint: nothing was changed/);
      s.assertUnchanged(before, [1, 3]);
    });

    it('a survivor\'s missing redundancy data is named (the lost rank\'s own files are then beyond XOR)', async () => {
      s.lose([1], { keepRed: true });
      rmSync(pfsRedDataPath(s.prefix, ID, 3));
      const before = readFileSync(indexPath(s.prefix));
      const r = s.build();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /the XOR set of ranks 0,1,2,3 lost rank 1: .*redundancy data unusable on rank 3 \(red\.3\.dat is missing\)/);
      s.assertUnchanged(before, [1]);
    });

    it('redundancy data of the wrong size is unusable; with no records at all the error says what a scavenge must copy', async () => {
      s.lose([1]);
      truncateSync(pfsRedDataPath(s.prefix, ID, 0), 100);
      let r = s.build();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`redundancy data unusable on rank 0 \\(red\\.0\\.dat has 100 bytes, ${s.records[0]!.chunk} expected\\)`));
      await s.reset();
      for (const f of readdirSync(pfsDatasetDir(s.prefix, ID)).filter((x) => x.startsWith('red.'))) rmSync(join(pfsDatasetDir(s.prefix, ID), f));
      r = s.build();
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^scr index: dataset 1 has no usable redundancy records \(red\.<rank>\.scr\) in \S+scr\.dataset\.1;/);
      assert.match(r.stderr, /hint: a scavenge copies each member's \.scr\/red\.<rank>\.scr and red\.<rank>\.dat from its cache into /);
      assert.equal((await s.entry())!.flushed, false);
    });

    it('damaged redundancy data: the rebuilt file fails its CRC, exit 1, and nothing is put in place', async () => {
      s.lose([2]);
      const dat = pfsRedDataPath(s.prefix, ID, 0);
      const data = readFileSync(dat);
      data[10] ^= 0xff;
      writeFileSync(dat, data);
      const before = readFileSync(indexPath(s.prefix));
      const r = s.build();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /^scr index: rebuilt \S+rank2\.file\d\.dat \(rank 2\) has \d+ bytes and CRC32 0x[0-9a-f]{8}, but \d+ bytes and 0x[0-9a-f]{8} were recorded: the redundancy data of the XOR set of ranks 0,1,2,3 is damaged/);
      s.assertUnchanged(before, [2]);
    });

    it('--build is one action among --current, --drop and --verify, and does not take --json (exit 2)', () => {
      for (const extra of [['--verify'], ['--drop', 'ckpt.1'], ['--json']]) {
        const r = s.build(ID, extra);
        assert.equal(r.code, 2, extra.join(' '));
      }
      const r = scr(['index', '--help']);
      assert.match(r.stdout, /--build <id>/);
      assert.match(r.stdout, /\$ scr index --build 40/);
    });
  });

  describe('XOR, two sets of 2', () => {
    let s: Scenario;
    before(async () => { s = await Scenario.run('build-xor2', 4, { SCR_COPY_TYPE: 'XOR', SCR_SET_SIZE: '2' }); });
    beforeEach(() => s.reset());
    after(() => s?.cleanup());
    const sets = () => [...new Set(s.records.map((r) => r.members.join(',')))].map((k) => k.split(',').map(Number));

    it('one rank lost in each set: both sets rebuild', async () => {
      assert.equal(sets().length, 2);
      const [a, b] = sets() as [number[], number[]];
      s.lose([a[0]!, b[1]!]);
      const r = s.build();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`rebuilt rank ${Math.min(a[0]!, b[1]!)} from its XOR set`));
      assert.match(r.stdout, new RegExp(`rebuilt rank ${Math.max(a[0]!, b[1]!)} from its XOR set`));
      s.assertIntact();
      await s.assertFlushed();
    });

    it('all or nothing: a set beyond repair stops the other set\'s rebuild too', async () => {
      const [a, b] = sets() as [number[], number[]];
      s.lose([a[0]!, b[0]!]);
      s.lose([a[1]!], { keepRed: true }); // its record still names the set
      const before = readFileSync(indexPath(s.prefix));
      const r = s.build();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`the XOR set of ranks ${a.join(',')} lost ranks ${a.join(',')}: `));
      assert.doesNotMatch(r.stderr, new RegExp(`set of ranks ${b.join(',')}`));
      s.assertUnchanged(before, [...a, b[0]!]);
    });

    it('a set whose every record is gone: its lost ranks are named as covered by no record', async () => {
      const [a] = sets() as [number[], number[]];
      s.lose(a);
      const r = s.build();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`rank ${a[0]} lost files \\(\\S+rank${a[0]}\\.file0\\.dat: missing, and 2 more\\) and no redundancy record covers it`));
      assert.equal((await s.entry())!.flushed, false);
    });
  });

  describe('RS with 2 parity chunks, one set of 5', () => {
    let s: Scenario;
    before(async () => { s = await Scenario.run('build-rs', 5, { SCR_COPY_TYPE: 'RS', SCR_SET_FAILURES: '2' }); });
    beforeEach(() => s.reset());
    after(() => s?.cleanup());

    it('two ranks lost with their nodes are rebuilt byte for byte', async () => {
      assert.deepEqual(s.records.map((r) => [r.scheme, r.k, r.members.length]), s.records.map(() => ['RS', 2, 5]));
      s.lose([1, 3]);
      const r = s.build();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /rebuilt rank 1 from its RS set \(ranks 0,1,2,3,4\)/);
      assert.match(r.stdout, /rebuilt rank 3 from its RS set/);
      s.assertIntact();
      await s.assertFlushed();
    });

    it('two ring neighbours (0 and 1) lost with their nodes are rebuilt too', async () => {
      s.lose([0, 1]);
      const r = s.build();
      assert.equal(r.code, 0, r.stderr);
      s.assertIntact();
    });

    it('three ranks lost with their nodes are beyond RS k=2: exit 1 naming the set', async () => {
      s.lose([0, 2, 4]);
      const before = readFileSync(indexPath(s.prefix));
      const r = s.build();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /the RS set of ranks 0,1,2,3,4 lost ranks 0,2,4: .*RS restores 2 lost members per set/);
      s.assertUnchanged(before, [0, 2, 4]);
    });

    it('files damaged on three ranks whose redundancy data survived: every stripe still has enough chunks', async () => {
      // Ranks 0, 1, 3: no stripe holds data of all three (a stripe's data members are 3
      // consecutive ranks), and their parity chunks are still there.
      s.lose([0, 1, 3], { keepRed: true });
      const r = s.build();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /rebuilt 3 ranks of 5/);
      s.assertIntact();
    });
  });

  describe('PARTNER, a ring of 4', () => {
    let s: Scenario;
    before(async () => { s = await Scenario.run('build-partner', 4, { SCR_COPY_TYPE: 'PARTNER' }); });
    beforeEach(() => s.reset());
    after(() => s?.cleanup());

    it('a rank lost with its node comes back from its right-hand neighbour\'s copy', async () => {
      assert.deepEqual(s.records.map((r) => [r.scheme, r.members]), s.records.map(() => ['PARTNER', [0, 1, 2, 3]]));
      s.lose([1]);
      const r = s.build();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /rebuilt rank 1 from its PARTNER set \(ranks 0,1,2,3\)/);
      s.assertIntact();
      await s.assertFlushed();
    });

    it('two ring neighbours lost with their nodes: exit 1 naming the set and the rank without a copy', async () => {
      s.lose([1, 2]);
      const before = readFileSync(indexPath(s.prefix));
      const r = s.build();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /the PARTNER set of ranks 0,1,2,3 cannot restore rank 1: .*no two ring neighbours may be lost/);
      s.assertUnchanged(before, [1, 2]);
    });

    it('every file and their directory gone, every copy present: all ranks rebuilt, the directory recreated', async () => {
      const dir = dirname(s.files[0]![0]!);
      rmSync(dir, { recursive: true });
      const r = s.build();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /rebuilt 4 ranks of 4/);
      s.assertIntact();
      await s.assertFlushed();
    });
  });
});
