// What the SIGTERM fixture (test/fixtures/term-app.ts) writes, so tests can check the bytes a
// cancel kept: each rank's file of checkpoint ckpt.<step>, a function of step and rank.
export function termBytes(step: number, rank: number): Buffer {
  const b = Buffer.alloc(200_000 + rank * 8);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE((step * 2654435761 + rank * 40503 + i) >>> 0, i);
  return b;
}
