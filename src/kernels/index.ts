// The native kernels (scr_kernels.node) with argument checks, plus GF(2^8) scalar helpers.
//   xor / xorAsync             dst ^= src
//   gfMulAdd / gfMulAddAsync   dst ^= c·src in GF(2^8), polynomial 0x11D
//   copyFileCrc / crcFile      buffered copy / read of a file with zlib's CRC-32 of its bytes
//   preadCrc / pwriteCrc       positional read / write of one piece, its CRC-32 fused in
// Buffers are taken as byte views: any Buffer, TypedArray or DataView, whatever its offset.
// The async forms run on the libuv thread pool and hold the buffers until they settle; do not
// modify or transfer the buffers before the promise settles.
import { kernelsAddon } from '../native/kernels-addon.js';
import { checkBoolean, checkBufSize, checkCoefficient, checkPath, checkSameLength, checkView } from './validate.js';

export { gfDiv, gfInv, gfMatrixInvert, gfMatrixMul, gfMul, gfPow, type GfMatrix } from './gf256.js';

/** bufSize used by the file kernels unless told otherwise. */
export const DEFAULT_BUF_SIZE = 1 << 20;
/** Largest bufSize accepted (the native side enforces the same). */
export const MAX_BUF_SIZE = 1 << 30;

export interface FileCrc {
  /** Bytes read (and, for copyFileCrc, written). */
  bytes: number;
  /** zlib's CRC-32 of those bytes, as an unsigned 32-bit integer (same as zlib.crc32). */
  crc: number;
}

export interface CopyFileCrcOptions {
  /** Size of the copy buffer in bytes (default 1 MiB). */
  bufSize?: number;
  /** fsync the destination before resolving (default false). */
  fsync?: boolean;
}

function bytes(v: ArrayBufferView): Uint8Array {
  // The addon takes any view as bytes; the cast only satisfies its declared type.
  return v as Uint8Array;
}

/** dst ^= src, in place. Both must have the same byte length. */
export function xor(dst: ArrayBufferView, src: ArrayBufferView): void {
  checkView(dst, 'xor', 'dst');
  checkView(src, 'xor', 'src');
  checkSameLength(dst, src, 'xor');
  kernelsAddon().xor(bytes(dst), bytes(src));
}

/** dst ^= src, computed off the JavaScript thread. */
export async function xorAsync(dst: ArrayBufferView, src: ArrayBufferView): Promise<void> {
  checkView(dst, 'xorAsync', 'dst');
  checkView(src, 'xorAsync', 'src');
  checkSameLength(dst, src, 'xorAsync');
  return kernelsAddon().xorAsync(bytes(dst), bytes(src));
}

/** dst ^= c·src over GF(2^8) (polynomial 0x11D), c an integer 0..255. */
export function gfMulAdd(dst: ArrayBufferView, c: number, src: ArrayBufferView): void {
  checkView(dst, 'gfMulAdd', 'dst');
  checkCoefficient(c, 'gfMulAdd');
  checkView(src, 'gfMulAdd', 'src');
  checkSameLength(dst, src, 'gfMulAdd');
  kernelsAddon().gfMulAdd(bytes(dst), c, bytes(src));
}

/** dst ^= c·src over GF(2^8), computed off the JavaScript thread. */
export async function gfMulAddAsync(dst: ArrayBufferView, c: number, src: ArrayBufferView): Promise<void> {
  checkView(dst, 'gfMulAddAsync', 'dst');
  checkCoefficient(c, 'gfMulAddAsync');
  checkView(src, 'gfMulAddAsync', 'src');
  checkSameLength(dst, src, 'gfMulAddAsync');
  return kernelsAddon().gfMulAddAsync(bytes(dst), c, bytes(src));
}

/**
 * Copies file src to dst (created with mode 0600, or truncated) through one buffer, computing the
 * CRC-32 of the bytes on the way. Rejects with a fs-style Error (code, errno, syscall, path) naming
 * the file that failed; a failed copy may leave a partial dst. dst must not be src itself (EINVAL).
 */
export async function copyFileCrc(src: string, dst: string, options: CopyFileCrcOptions = {}): Promise<FileCrc> {
  checkPath(src, 'copyFileCrc', 'src');
  checkPath(dst, 'copyFileCrc', 'dst');
  const { bufSize = DEFAULT_BUF_SIZE, fsync = false } = options;
  checkBufSize(bufSize, 'copyFileCrc', MAX_BUF_SIZE);
  checkBoolean(fsync, 'copyFileCrc', 'fsync');
  return kernelsAddon().copyFileCrc(src, dst, bufSize, fsync);
}

/** Reads file path to its end and returns its size and CRC-32. */
export async function crcFile(path: string, options: { bufSize?: number } = {}): Promise<FileCrc> {
  checkPath(path, 'crcFile', 'path');
  const { bufSize = DEFAULT_BUF_SIZE } = options;
  checkBufSize(bufSize, 'crcFile', MAX_BUF_SIZE);
  return kernelsAddon().crcFile(path, bufSize);
}

export interface PieceOptions {
  /** Compute the CRC-32 of the bytes moved (default false: `crc` is then 0). */
  crc?: boolean;
  /** The file's path, for error messages only. */
  path?: string;
}

function checkPiece(fd: number, buf: ArrayBufferView, position: number, fn: string): void {
  if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`${fn}: fd must be a non-negative integer, got ${String(fd)}`);
  checkView(buf, fn, 'buf');
  if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`${fn}: position must be a non-negative integer, got ${String(position)}`);
}

/** Reads buf.byteLength bytes at `position` of open file `fd` into buf (fewer only at its end:
 * `bytes` says how many), computing the CRC-32 of each block right after reading it, on the
 * libuv thread pool. Rejects with a fs-style Error (code, errno, syscall, path). */
export async function preadCrc(fd: number, buf: ArrayBufferView, position: number, options: PieceOptions = {}): Promise<FileCrc> {
  checkPiece(fd, buf, position, 'preadCrc');
  return kernelsAddon().preadCrc(fd, bytes(buf), position, options.crc ?? false, options.path || '?');
}

/** Writes all of buf at `position` of open file `fd`, computing the CRC-32 of each block just
 * before writing it, on the libuv thread pool. Rejects with a fs-style Error (ENOSPC, …). */
export async function pwriteCrc(fd: number, buf: ArrayBufferView, position: number, options: PieceOptions = {}): Promise<FileCrc> {
  checkPiece(fd, buf, position, 'pwriteCrc');
  return kernelsAddon().pwriteCrc(fd, bytes(buf), position, options.crc ?? false, options.path || '?');
}

/** dst holds coefs.length slices of src's length; slice p ^= coefs[p]·src over GF(2^8), in one
 * pass over src (blocks of it stay in cache for every slice), off the JavaScript thread. */
export async function gfMulAddMultiAsync(dst: ArrayBufferView, coefs: Uint8Array, src: ArrayBufferView): Promise<void> {
  checkView(dst, 'gfMulAddMultiAsync', 'dst');
  checkView(coefs, 'gfMulAddMultiAsync', 'coefs');
  checkView(src, 'gfMulAddMultiAsync', 'src');
  return kernelsAddon().gfMulAddMultiAsync(bytes(dst), bytes(coefs), bytes(src));
}

/** A read-only map of a whole file, as a Buffer (writing to it crashes the process). Call
 * unmapFile() when done, so the mapping goes at once rather than at garbage collection. */
export function mapFile(path: string): Buffer {
  if (typeof path !== 'string' || path === '') throw new TypeError('mapFile: path must be a non-empty string');
  return kernelsAddon().mapFile(path);
}

/** Creates (0600) or truncates `path` to `size` bytes, reserves its blocks, and maps it writable
 * and shared: what is written to the Buffer is the file's content. A store without room for the
 * file is an error here (code 'ENOSPC', the file removed), never a SIGBUS on a later write through
 * the map. Release it with unmapFile(). */
export function mapFileWrite(path: string, size: number): Buffer {
  if (typeof path !== 'string' || path === '') throw new TypeError('mapFileWrite: path must be a non-empty string');
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`mapFileWrite: size must be a non-negative integer, got ${size}`);
  return kernelsAddon().mapFileWrite(path, size);
}

/** Lets go of the resident pages of a view of a mapped file (the data stays in the file). */
export function dropPages(view: Uint8Array): void {
  kernelsAddon().dropPages(view);
}

/** Releases a Buffer from mapFile() or mapFileWrite(); the Buffer (and views of it) must not be used afterwards. */
export function unmapFile(buf: Buffer): void {
  kernelsAddon().unmapFile(buf);
}

// ---- Instruction-set selection: for tests and benchmarks only. ----

export type KernelIsa = 'scalar' | 'ssse3' | 'avx2';

/** @internal The kernel code paths this CPU can run, lowest first (always starts with 'scalar'). */
export function supportedIsas(): KernelIsa[] {
  return kernelsAddon()._isas();
}

/** @internal The code path used by kernel calls started from now on ('auto' = the best supported). */
export function setKernelIsa(isa: KernelIsa | 'auto'): KernelIsa {
  return kernelsAddon()._setIsa(isa);
}

/** @internal The code path currently in use. */
export function activeKernelIsa(): KernelIsa {
  return kernelsAddon()._activeIsa();
}
