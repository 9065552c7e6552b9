// scr index: the listing (table and JSON), --current, --drop and --verify, on prefix directories
// built here with the library's own index and rank-map writers and real files.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { FileEntry } from '../../../src/cache/records.js';
import { type IndexEntry, pfsDatasetDir, readIndex, updateIndex, writeRankMap, writeSummary } from '../../../src/pfs/index.js';
import { cleanEnv, scr, tempDir } from '../../harness/cli.js';

const GiB = 1024 ** 3;
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

interface Spec { id: number; name: string; ckpt?: boolean; out?: boolean; complete?: boolean; flushed?: boolean; failed?: boolean; bytes?: number; files?: number }

function entry(s: Spec): IndexEntry {
  const flushed = s.flushed ?? true;
  return {
    id: s.id, name: s.name, flags: { checkpoint: s.ckpt ?? true, output: s.out ?? false }, created: T0 + s.id * 60_000, ranks: 2,
    complete: s.complete ?? flushed, flushed, failed: s.failed ?? false, bytes: s.bytes ?? 0, files: s.files ?? 2,
    ...(flushed ? { flushedAt: T0 + s.id * 60_000 + 5_000 } : {}),
  };
}

/** A real file under the prefix, and its rank-map entry with the CRC zlib computes. */
function realFile(prefix: string, rel: string, content: Buffer, crc: number | null = crc32(content)): FileEntry {
  const path = join(prefix, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return { name: rel.split('/').pop()!, path, size: content.length, crc, mode: 0o600, mtimeMs: Date.now() };
}

/** Two ranks' files for dataset `name` (rank r writes r+1 files of varied sizes). */
async function flushedFiles(prefix: string, id: number, name: string, opts: { nullCrc?: boolean } = {}): Promise<FileEntry[][]> {
  const ranks = [0, 1].map((r) => Array.from({ length: r + 1 }, (_, k) => {
    const content = Buffer.alloc(1000 + 517 * (r + k) + id, `${name}/${r}/${k}`);
    return realFile(prefix, `${name}/rank${r}.${k}.dat`, content, opts.nullCrc ? null : crc32(content));
  }));
  await writeRankMap(prefix, id, { ranks });
  return ranks;
}

async function makeIndex(prefix: string, specs: Spec[], current: string | null): Promise<void> {
  mkdirSync(join(prefix, '.scr'), { recursive: true });
  for (const s of specs) mkdirSync(pfsDatasetDir(prefix, s.id), { recursive: true });
  await updateIndex(prefix, (idx) => {
    for (const s of specs) idx.datasets[String(s.id)] = entry(s);
    idx.current = current;
  });
  // As a flush leaves them: the summary beside each flushed dataset.
  for (const s of specs) if (entry(s).flushed) await writeSummary(prefix, entry(s));
}

/** A prefix holding every kind of dataset the command distinguishes. */
const STANDARD: Spec[] = [
  { id: 1, name: 'ckpt.1', bytes: 5000 },
  { id: 2, name: 'out.2', ckpt: false, out: true, bytes: 512 },
  { id: 3, name: 'ckpt.3', bytes: 1.5 * GiB, files: 3 },
  { id: 4, name: 'ckpt.4', flushed: false, bytes: 10 * 1024 * 1024 },
  { id: 5, name: 'ckpt.5', failed: true, out: true, bytes: 2048 },
];

describe('scr index', function () {
  this.timeout(60_000);
  let dir: string;
  let prefix: string;
  const run = (args: string[], env: Record<string, string> = {}) => scr(['index', '--prefix', prefix, ...args], { cwd: dir, env: cleanEnv(env) });

  beforeEach(async () => {
    dir = tempDir('index');
    prefix = join(dir, 'run1');
    await makeIndex(prefix, STANDARD, 'ckpt.3');
    for (const s of STANDARD) if (s.flushed !== false) await flushedFiles(prefix, s.id, s.name);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('listing', () => {
    it('prints a table, oldest first, with flags, states, the current marker, sizes and times', () => {
      const r = run([]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^ID\s+NAME\s+FLAGS\s+COMPLETE\s+FLUSHED\s+FAILED\s+CURRENT\s+SIZE\s+FILES\s+CREATED$/);
      assert.equal(lines.length, 7);
      const iso = (id: number) => new Date(T0 + id * 60_000).toISOString().replace(/\./g, '\\.');
      assert.match(lines[1]!, new RegExp(`^1\\s+ckpt\\.1\\s+C\\s+yes\\s+yes\\s+no\\s+4\\.9 KiB\\s+2\\s+${iso(1)}$`));
      assert.match(lines[2]!, new RegExp(`^2\\s+out\\.2\\s+O\\s+yes\\s+yes\\s+no\\s+512 B\\s+2\\s+${iso(2)}$`));
      assert.match(lines[3]!, new RegExp(`^3\\s+ckpt\\.3\\s+C\\s+yes\\s+yes\\s+no\\s+\\*\\s+1\\.5 GiB\\s+3\\s+${iso(3)}$`));
      assert.match(lines[4]!, new RegExp(`^4\\s+ckpt\\.4\\s+C\\s+no\\s+no\\s+no\\s+10\\.0 MiB\\s+2\\s+${iso(4)}$`));
      assert.match(lines[5]!, new RegExp(`^5\\s+ckpt\\.5\\s+CO\\s+yes\\s+yes\\s+yes\\s+2\\.0 KiB\\s+2\\s+${iso(5)}$`));
      assert.equal(r.stdout.split('*').length - 1, 1, 'exactly one current marker');
      assert.equal(lines[6], 'ckpt.5 (id 5) failed: no reason recorded; `scr index --unfail ckpt.5` clears the mark once every CRC matches');
    });

    it('--json prints exactly {"datasets": [{id, name, checkpoint, output, complete, flushed, failed, current, bytes, files, created}]}', () => {
      const r = run(['--json']);
      assert.equal(r.code, 0, r.stderr);
      const row = (s: Spec) => {
        const e = entry(s);
        return { id: e.id, name: e.name, checkpoint: e.flags.checkpoint, output: e.flags.output, complete: e.complete, flushed: e.flushed,
          failed: e.failed, current: e.name === 'ckpt.3', bytes: e.bytes, files: e.files, created: new Date(e.created).toISOString() };
      };
      const j = JSON.parse(r.stdout) as unknown;
      assert.deepEqual(j, { datasets: STANDARD.map(row) });
      // Key order as documented, too.
      assert.deepEqual(Object.keys((j as { datasets: object[] }).datasets[0]!),
        ['id', 'name', 'checkpoint', 'output', 'complete', 'flushed', 'failed', 'current', 'bytes', 'files', 'created']);
    });

    it('finds the prefix from SCR_PREFIX, else the current directory, and a broken configuration does not stop it', () => {
      writeFileSync(join(prefix, '.scrconf'), 'SCR_CACHE_SIZ=3\n');
      let r = scr(['index', '--json'], { cwd: dir, env: cleanEnv({ SCR_PREFIX: 'run1' }) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { datasets: unknown[] }).datasets.length, 5);
      r = scr(['index', '--json'], { cwd: prefix, env: cleanEnv() });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { datasets: unknown[] }).datasets.length, 5);
      r = scr(['index', '--json'], { cwd: dir, env: cleanEnv() });
      assert.deepEqual(JSON.parse(r.stdout), { datasets: [] }, 'the cwd has no index');
    });

    it('without an index says so and exits 0', () => {
      const empty = join(dir, 'empty');
      mkdirSync(empty);
      const r = scr(['index', '--prefix', empty], { cwd: dir, env: cleanEnv() });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `no datasets in ${join(empty, '.scr', 'index.scr')}\n`);
      assert.equal(existsSync(join(empty, '.scr')), false, 'listing creates nothing');
    });
  });

  describe('--current', () => {
    it('sets the marker to a complete, flushed, good checkpoint', async () => {
      const r = run(['--current', 'ckpt.1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /ckpt\.1/);
      assert.equal((await readIndex(prefix)).current, 'ckpt.1');
      assert.match(run([]).stdout, /^1\s+ckpt\.1\s+C\s+yes\s+yes\s+no\s+\*/m);
    });

    for (const [name, why] of [['out.2', /not a checkpoint/], ['ckpt.4', /not complete.*not flushed/], ['ckpt.5', /marked failed/]] as const) {
      it(`refuses ${name} (exit 1, saying why) and leaves the index alone`, async () => {
        const r = run(['--current', name]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, new RegExp(`"${name.replace('.', '\\.')}"`));
        assert.match(r.stderr, why);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
        assert.equal((await readIndex(prefix)).current, 'ckpt.3');
      });
    }

    it('refuses an unknown name, listing the known ones', async () => {
      const r = run(['--current', 'ckpt.9']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no dataset named "ckpt\.9".*known: ckpt\.1, out\.2, ckpt\.3, ckpt\.4, ckpt\.5/);
      assert.equal((await readIndex(prefix)).current, 'ckpt.3');
    });
  });

  describe('--drop', () => {
    it('removes the entry, keeps the files, and says so', async () => {
      const r = run(['--drop', 'ckpt.1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /dropped "ckpt\.1" \(id 1\).*files stay/);
      const idx = await readIndex(prefix);
      assert.deepEqual(Object.values(idx.datasets).map((e) => e.name).sort(), ['ckpt.3', 'ckpt.4', 'ckpt.5', 'out.2']);
      assert.equal(idx.current, 'ckpt.3');
      assert.ok(existsSync(join(prefix, 'ckpt.1', 'rank0.0.dat')));
      assert.ok(existsSync(join(pfsDatasetDir(prefix, 1), 'rankmap.scr')));
      assert.doesNotMatch(r.stdout, /current/);
    });

    it('clears the current marker when it named the dropped dataset', async () => {
      const r = run(['--drop', 'ckpt.3']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /was the current dataset/);
      const idx = await readIndex(prefix);
      assert.equal(idx.current, null);
      assert.equal(Object.values(idx.datasets).some((e) => e.name === 'ckpt.3'), false);
    });

    it('an unknown name exits 1 naming it and the known names; nothing changes', async () => {
      const before = readFileSync(join(prefix, '.scr', 'index.scr'));
      const r = run(['--drop', 'nope']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no dataset named "nope".*known: ckpt\.1, out\.2, ckpt\.3, ckpt\.4, ckpt\.5/);
      assert.deepEqual(readFileSync(join(prefix, '.scr', 'index.scr')), before);
    });
  });

  describe('--verify', () => {
    const failedNames = async () => Object.values((await readIndex(prefix)).datasets).filter((e) => e.failed).map((e) => e.name).sort();

    it('all files intact: a summary per flushed dataset, exit 0, nothing marked', async () => {
      const r = run(['--verify']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const n of ['ckpt.1', 'out.2', 'ckpt.3', 'ckpt.5']) assert.match(r.stdout, new RegExp(`^"${n.replace('.', '\\.')}" \\(id \\d\\): ok: 3 files of 2 ranks match$`, 'm'));
      assert.doesNotMatch(r.stdout, /ckpt\.4/, 'not flushed: not verified');
      assert.deepEqual(await failedNames(), ['ckpt.5']);
    });

    it('one flipped byte: exit 1, the line names the file and rank, and the index marks the dataset failed', async () => {
      const f = join(prefix, 'ckpt.3', 'rank1.1.dat');
      const b = readFileSync(f);
      b[700] ^= 0x01;
      writeFileSync(f, b);
      const r = run(['--verify']);
      assert.equal(r.code, 1);
      const problems = r.stdout.split('\n').filter((l) => / rank \d+: /.test(l));
      assert.equal(problems.length, 1, r.stdout);
      assert.match(problems[0]!, new RegExp(`^"ckpt\\.3" \\(id 3\\): rank 1: ${f.replace(/\./g, '\\.')}: CRC differs: recorded 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$`));
      assert.match(r.stdout, /"ckpt\.3" \(id 3\): 1 of 3 files damaged; marked failed in the index: restarts will skip it/);
      assert.match(r.stdout, /"ckpt\.1" \(id 1\): ok/);
      assert.deepEqual(await failedNames(), ['ckpt.3', 'ckpt.5']);
      assert.equal((await readIndex(prefix)).current, null, 'a failed dataset is no longer current');
      assert.equal(run(['--current', 'ckpt.3']).code, 1, 'and cannot be made current');
    });

    it('a missing file and a size mismatch are each named with their rank', async () => {
      const gone = join(prefix, 'ckpt.1', 'rank0.0.dat');
      const longer = join(prefix, 'out.2', 'rank1.0.dat');
      unlinkSync(gone);
      appendFileSync(longer, 'x');
      const r = run(['--verify']);
      assert.equal(r.code, 1);
      assert.match(r.stdout, new RegExp(`^"ckpt\\.1" \\(id 1\\): rank 0: ${gone.replace(/\./g, '\\.')}: missing$`, 'm'));
      assert.match(r.stdout, new RegExp(`^"out\\.2" \\(id 2\\): rank 1: ${longer.replace(/\./g, '\\.')}: size differs: recorded (\\d+) bytes, found \\d+$`, 'm'));
      assert.deepEqual(await failedNames(), ['ckpt.1', 'ckpt.5', 'out.2']);
      assert.equal((await readIndex(prefix)).current, 'ckpt.3');
    });

    it('--verify NAME checks only that dataset', async () => {
      unlinkSync(join(prefix, 'ckpt.1', 'rank0.0.dat'));
      const r = run(['--verify', 'ckpt.3']);
      assert.equal(r.code, 0, r.stdout);
      assert.match(r.stdout, /"ckpt\.3" \(id 3\): ok/);
      assert.doesNotMatch(r.stdout, /ckpt\.1/);
      assert.equal(run(['--verify', 'ckpt.1']).code, 1);
    });

    it('files without a recorded CRC are checked for size only, and say so', async () => {
      await flushedFiles(prefix, 1, 'ckpt.1', { nullCrc: true });
      const f = join(prefix, 'ckpt.1', 'rank1.0.dat');
      const b = readFileSync(f);
      b[0] ^= 0xff;
      writeFileSync(f, b);
      let r = run(['--verify', 'ckpt.1']);
      assert.equal(r.code, 0, r.stdout);
      assert.match(r.stdout, /"ckpt\.1" \(id 1\): ok: 3 files of 2 ranks match; 3 files had no recorded CRC and were checked for size only/);
      appendFileSync(f, 'more');
      r = run(['--verify', 'ckpt.1']);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /rank 1: .*rank1\.0\.dat: size differs/);
    });

    it('a flushed dataset without a rank map is a problem too', async () => {
      rmSync(join(pfsDatasetDir(prefix, 1), 'rankmap.scr'));
      const r = run(['--verify']);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /"ckpt\.1" \(id 1\): no rank map/);
      assert.match(r.stdout, /"ckpt\.1" \(id 1\): cannot be verified; marked failed/);
      assert.deepEqual(await failedNames(), ['ckpt.1', 'ckpt.5']);
    });

    it('an unknown or unflushed name exits 1 and marks nothing', async () => {
      let r = run(['--verify', 'ckpt.9']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no dataset named "ckpt\.9"/);
      r = run(['--verify', 'ckpt.4']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /"ckpt\.4" \(id 4\) is not flushed/);
      assert.deepEqual(await failedNames(), ['ckpt.5']);
    });
  });

  it('a corrupted index is set aside and rebuilt from the datasets\' summaries, with a warning naming what happened', async () => {
    const f = join(prefix, '.scr', 'index.scr');
    const b = readFileSync(f);
    b[b.length - 2] ^= 0xff;
    writeFileSync(f, b);
    const r = run(['--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^scr: warning: the index .*index\.scr was damaged \(.*CRC.*; kept as index\.scr\.damaged\.\*\); it was rebuilt from the summaries of 4 dataset\(s\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    // The flushed datasets come back, with their failed mark; the unflushed one had no summary.
    const names = (JSON.parse(r.stdout) as { datasets: Array<{ name: string; failed: boolean; current: boolean }> }).datasets.map((d) => [d.name, d.failed, d.current]);
    assert.deepEqual(names, [['ckpt.1', false, false], ['out.2', false, false], ['ckpt.3', false, true], ['ckpt.5', true, false]]);
    assert.ok(readdirSync(join(prefix, '.scr')).some((n) => n.startsWith('index.scr.damaged.')), 'the damaged index is kept');
    // Rebuilt once: the next command reads it without a word.
    const again = run([]);
    assert.equal(again.code, 0);
    assert.equal(again.stderr, '');
  });

  it('the actions exclude each other (exit 2), and --json goes with the listing only', async () => {
    const before = readFileSync(join(prefix, '.scr', 'index.scr'));
    for (const args of [['--current', 'ckpt.1', '--drop', 'ckpt.3'], ['--drop', 'ckpt.1', '--verify'], ['--verify', 'ckpt.1', '--current', 'ckpt.1']]) {
      const r = run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /choose one of --current, --drop, --verify, --build and --unfail/);
    }
    const r = run(['--drop', 'ckpt.1', '--json']);
    assert.equal(r.code, 2);
    assert.deepEqual(readFileSync(join(prefix, '.scr', 'index.scr')), before, 'nothing changed');
  });

  it('--help shows examples and exit codes', () => {
    const r = scr(['index', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:\n {2}\$ scr index/);
    assert.match(r.stdout, /--verify \[name\]/);
    assert.match(r.stdout, /Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 /);
  });
});
