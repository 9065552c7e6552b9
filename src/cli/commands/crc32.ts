// scr crc32: the CRC-32 (zlib's, as scr records in its file maps) and size of files, computed with
// the native kernel; or check one file against an expected CRC (as SCR's scr_crc32).
import { stat } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { crcFile } from '../../kernels/index.js';
import { UserError } from '../errors.js';
import { toJson } from '../output.js';
import type { CommandSpec } from '../spec.js';

interface Result { file: string; crc?: number; bytes?: number; problem?: string }

const hex8 = (c: number) => (c >>> 0).toString(16).padStart(8, '0');

/** What went wrong reading a file, in words. */
function describeError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (e as Error).message;
}

async function crcOf(file: string): Promise<Result> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) return { file, problem: 'is a directory' };
    const { crc, bytes } = await crcFile(file);
    return { file, crc, bytes };
  } catch (e) {
    if (typeof (e as { code?: unknown }).code !== 'string') throw e;
    return { file, problem: describeError(e) };
  }
}

/** "0x1A2b", "1a2b3c4d" → the number; a UserError (exit 2) for anything else. */
function parseHex(s: string): number {
  const m = /^(?:0x)?([0-9a-f]{1,8})$/i.exec(s.trim());
  if (!m) throw new UserError(`--check: ${JSON.stringify(s)} is not a CRC-32 in hexadecimal (up to 8 digits, e.g. 0a1b2c3d)`, { exitCode: 2 });
  return parseInt(m[1]!, 16) >>> 0;
}

export const crc32Command: CommandSpec = {
  name: 'crc32',
  summary: 'print the CRC-32 and size of files, or check a file against a CRC',
  description: 'The CRC is zlib\'s CRC-32, the one scr records for every file it caches and flushes (`scr print` shows\n' +
    'them in file maps and rank maps), computed with the native kernel. Each line is\n' +
    '`<crc32, 8 hex digits>  <bytes>  <file>`. A file that cannot be read is named on stderr, and the others\n' +
    'are still printed.',
  examples: [
    ['scr crc32 ckpt.40/rank0.dat ckpt.40/rank1.dat', 'one line each: CRC, size in bytes, file'],
    ['scr crc32 --json ckpt.40/*.dat', '{"files": [{"file", "crc32", "bytes"}]}'],
    ['scr crc32 --check 0a1b2c3d ckpt.40/rank0.dat', 'exit 0 if the file\'s CRC-32 is 0a1b2c3d, else 1'],
  ],
  exitCodes: [
    [0, 'every file was read; --check: the CRC matches'],
    [1, 'a file is missing or unreadable (named), or --check: the CRC differs (both values are printed)'],
    [2, 'usage: no file, a malformed --check value, or --check with more than one file'],
  ],
  configure(cmd) {
    cmd.argument('<files...>', 'files to read')
      .option('--check <hex>', 'compare the one file\'s CRC-32 with this one (hexadecimal)')
      .option('--json', 'print JSON');
  },
  async run(args, opts, io) {
    const expected = opts.check === undefined ? undefined : parseHex(String(opts.check));
    if (expected !== undefined && args.length !== 1) throw new UserError(`--check takes exactly one file, not ${args.length}`, { exitCode: 2 });

    // Four reads at a time; lines come out in the order the files were given, as soon as they can.
    const results: Array<Result | undefined> = new Array(args.length);
    let printed = 0;
    let next = 0;
    let failed = 0;
    // A progress bar over the files' bytes, on a terminal and for several large files only; lines
    // are then printed after it.
    let bar: cliProgress.SingleBar | undefined;
    if (io.isTTY && !opts.json && expected === undefined && args.length > 1) {
      const sizes = await Promise.all(args.map((f) => stat(f).then((s) => (s.isFile() ? s.size : 0), () => 0)));
      const total = sizes.reduce((a, b) => a + b, 0);
      if (total >= 256 * 1024 * 1024) {
        bar = new cliProgress.SingleBar({ stream: process.stdout, format: 'reading [{bar}] {percentage}% | {eta_formatted} left', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(total, 0);
      }
    }
    const emit = (r: Result) => {
      if (r.problem !== undefined) {
        failed++;
        io.err(`scr crc32: ${r.file}: ${r.problem}\n`);
      } else if (!opts.json && expected === undefined) {
        io.out(`${hex8(r.crc!)}  ${r.bytes!}  ${r.file}\n`);
      }
    };
    const flush = () => {
      if (bar) return;
      while (printed < results.length && results[printed]) emit(results[printed++]!);
    };
    const worker = async () => {
      for (let i = next++; i < args.length; i = next++) {
        results[i] = await crcOf(args[i]!);
        bar?.increment(results[i]!.bytes ?? 0);
        flush();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(4, args.length) }, worker));
    } finally {
      bar?.stop();
    }
    bar = undefined;
    flush();

    const done = results as Result[];
    const ok = done.filter((r) => r.problem === undefined);
    if (expected !== undefined) {
      const r = done[0]!;
      const match = r.problem === undefined ? r.crc === expected : false;
      if (opts.json) {
        io.out(toJson({ files: ok.map((f) => ({ file: f.file, crc32: hex8(f.crc!), bytes: f.bytes })), check: { expected: hex8(expected), match } }) + '\n');
      } else if (r.problem === undefined) {
        io.out(match ? `${r.file}: CRC-32 ${hex8(r.crc!)} matches\n` : `${r.file}: CRC-32 is ${hex8(r.crc!)}, not the expected ${hex8(expected)}\n`);
      }
      return match ? 0 : 1;
    }
    if (opts.json) io.out(toJson({ files: ok.map((f) => ({ file: f.file, crc32: hex8(f.crc!), bytes: f.bytes })) }) + '\n');
    return failed ? 1 : 0;
  },
};
