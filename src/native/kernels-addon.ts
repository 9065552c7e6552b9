// Loads scr_kernels.node (no MPI inside, so commands may load it).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { kernelsModulePath, nativeBuildCommand } from './paths.js';

const require = createRequire(import.meta.url);

/** What scr_kernels.node exports (native/kernels/addon.cc). */
export interface KernelsAddon {
  xor(dst: Uint8Array, src: Uint8Array): void;
  xorAsync(dst: Uint8Array, src: Uint8Array): Promise<void>;
  gfMulAdd(dst: Uint8Array, c: number, src: Uint8Array): void;
  gfMulAddAsync(dst: Uint8Array, c: number, src: Uint8Array): Promise<void>;
  gfMulAddMultiAsync(dst: Uint8Array, coefs: Uint8Array, src: Uint8Array): Promise<void>;
  copyFileCrc(src: string, dst: string, bufSize: number, fsync: boolean): Promise<{ bytes: number; crc: number }>;
  crcFile(path: string, bufSize: number): Promise<{ bytes: number; crc: number }>;
  preadCrc(fd: number, buf: Uint8Array, position: number, crc: boolean, path: string): Promise<{ bytes: number; crc: number }>;
  pwriteCrc(fd: number, buf: Uint8Array, position: number, crc: boolean, path: string): Promise<{ bytes: number; crc: number }>;
  mapFile(path: string): Buffer;
  unmapFile(buf: Buffer): void;
  mapFileWrite(path: string, size: number): Buffer;
  dropPages(view: Uint8Array): void;
  /** Instruction-set selection, for tests and benchmarks (native/kernels/isa.cc). */
  _setIsa(isa: 'scalar' | 'ssse3' | 'avx2' | 'auto'): 'scalar' | 'ssse3' | 'avx2';
  _isas(): Array<'scalar' | 'ssse3' | 'avx2'>;
  _activeIsa(): 'scalar' | 'ssse3' | 'avx2';
}

let cached: KernelsAddon | undefined;

export function kernelsAddon(): KernelsAddon {
  if (cached) return cached;
  const path = kernelsModulePath();
  if (!existsSync(path)) {
    throw new Error(`scr's native kernels are not built (${path} is missing): run '${nativeBuildCommand()}' (docs/building.md)`);
  }
  cached = require(path) as KernelsAddon;
  return cached;
}
