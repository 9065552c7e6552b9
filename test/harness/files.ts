// Deterministic test files: content depends on (seed, rank, file, byte), so any rank can
// recompute what another rank wrote.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function pattern(seed: number, rank: number, file: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761 + rank * 40503 + file * 9973 + 1) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** File sizes for a rank: uneven, with a zero-byte file, some larger than `piece`. */
export function sizesFor(rank: number, piece: number): number[] {
  return [piece * 2 + 17 * (rank + 1), 0, 1 + rank, piece - 1, 5 * (rank % 3)];
}

export function writeFiles(dir: string, seed: number, rank: number, sizes: number[]): Array<{ path: string; size: number }> {
  mkdirSync(dir, { recursive: true });
  return sizes.map((size, f) => {
    const path = join(dir, `r${rank}.f${f}.dat`);
    writeFileSync(path, pattern(seed, rank, f, size));
    return { path, size };
  });
}

/** Every non-empty subset of {0, …, n−1} with at most `max` members, smallest masks first. */
export function subsets(n: number, max: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) {
    const s = Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i));
    if (s.length <= max) out.push(s);
  }
  return out;
}
