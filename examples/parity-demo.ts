// Interim demo (until the checkpoint commands of issue 6): the two native pieces the checkpoint
// library is built from, on a real MPI job. Each rank holds some data; the ranks compute XOR
// parity with an MPI reduction, "lose" one rank's data, and rebuild it byte for byte from the
// parity and the survivors with the native XOR kernel, checking CRC32s.
//   mpirun -np 4 node dist/examples/parity-demo.js [MiB per rank]
import { crc32 } from 'node:zlib';
import { mpi } from '../src/index.js';
import { xorAsync } from '../src/kernels/index.js';

mpi.init();
const w = mpi.world;
const mib = Number(process.argv[2] ?? 8);
const data = Buffer.alloc(mib << 20);
for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(((i * 2654435761) ^ (w.rank * 40503)) >>> 0, i);
const crc = crc32(data);
const say = (s: string) => w.rank === 0 && console.log(s);

say(`${w.size} ranks (${mpi.flavour}, thread level ${mpi.threadLevel}), ${mib} MiB each`);
let t = mpi.wtime();
const parity = await w.allreduce(data, 'BXOR');
say(`parity over all ranks by MPI_Allreduce(BXOR): ${((mpi.wtime() - t) * 1000).toFixed(1)} ms`);

const lost = w.size - 1;
say(`rank ${lost} loses its data`);
t = mpi.wtime();
// Every survivor contributes its data; the lost rank contributes zeros. XOR of all with the
// parity leaves exactly the lost data.
const contribution = w.rank === lost ? Buffer.alloc(data.length) : data;
const others = await w.reduce(new Uint8Array(contribution.buffer, contribution.byteOffset, contribution.length), 'BXOR', lost);
if (w.rank === lost) {
  const rebuilt = Buffer.from(parity.buffer, parity.byteOffset, parity.byteLength);
  await xorAsync(rebuilt, others!);
  const ok = crc32(rebuilt) === crc && rebuilt.equals(data);
  console.log(`rank ${lost}: rebuilt ${mib} MiB in ${((mpi.wtime() - t) * 1000).toFixed(1)} ms, CRC32 ${crc32(rebuilt).toString(16)} ${ok ? 'matches' : 'DIFFERS from'} the original ${crc.toString(16)}`);
  if (!ok) process.exitCode = 1;
}
await w.barrier();
