// The metadata container: a small fixed header, then a msgpack body, then nothing else.
// Every file scr keeps under `<prefix>/.scr/` and in the node-local control directory uses it.
// Layout (docs/formats.md, "Metadata file container"), all integers little-endian:
//   0      4  magic "SCRM"
//   4      2  format version (uint16)
//   6      1  kind length K (uint8, 1..32)
//   7      K  kind (ASCII: letters, digits, '.', '_', '-')
//   7+K    4  body length N (uint32)
//   11+K   4  CRC32 of the body (uint32, zlib.crc32)
//   15+K   N  body: msgpackr pack(value), default options
import { crc32 } from 'node:zlib';
import { pack, unpack } from 'msgpackr';
import { version as scrVersion } from '../version.js';
import { MetaError } from './errors.js';

export const META_MAGIC = Buffer.from('SCRM', 'ascii');
/** The container version this code writes, and the newest it reads. */
export const META_FORMAT_VERSION = 1;
export const META_KIND_MAX = 32;
/** Largest body the uint32 length field can describe: 4 GiB - 1. */
export const META_BODY_MAX = 0xffff_ffff;
const KIND_RE = /^[A-Za-z0-9._-]{1,32}$/;
/** Fixed header bytes besides the kind: magic 4 + version 2 + kind length 1 + body length 4 + CRC 4. */
const FIXED = 15;

/** A decoded metadata file. */
export interface MetaRecord<T = unknown> {
  kind: string;
  version: number;
  value: T;
}

export interface DecodeOptions {
  /** Reject the file unless it holds this kind of record. */
  expectKind?: string;
  /** The file the bytes came from, for error messages. */
  path?: string;
}

/** Bytes of header before the body, for a record of this kind. */
export function metaHeaderSize(kind: string): number {
  return FIXED + Buffer.byteLength(kind, 'ascii');
}

/** Encodes `value` as a metadata container of the given kind. */
export function encodeMeta(kind: string, value: unknown): Buffer {
  return frameMeta(kind, pack(value));
}

/** Wraps an already packed msgpack body in the container header. */
export function frameMeta(kind: string, body: Uint8Array): Buffer {
  if (!KIND_RE.test(kind)) {
    throw new RangeError(`metadata kind ${JSON.stringify(kind)} is invalid: use 1 to ${META_KIND_MAX} ASCII letters, digits, '.', '_' or '-'`);
  }
  if (body.length > META_BODY_MAX) {
    throw new MetaError('ERR_META_TOO_LARGE',
      `metadata record '${kind}' is ${body.length} bytes after encoding, over the format's limit of ${META_BODY_MAX} bytes (4 GiB - 1); store bulk data in data files, not in metadata`);
  }
  const k = kind.length;
  const head = Buffer.alloc(FIXED + k);
  META_MAGIC.copy(head, 0);
  head.writeUInt16LE(META_FORMAT_VERSION, 4);
  head.writeUInt8(k, 6);
  head.write(kind, 7, 'ascii');
  head.writeUInt32LE(body.length, 7 + k);
  head.writeUInt32LE(crc32(body), 11 + k);
  return Buffer.concat([head, body]);
}

/** Decodes a metadata container, checking magic, length, version, CRC and (optionally) kind.
 * Throws a {@link MetaError} whose code says what is wrong. */
export function decodeMeta<T = unknown>(buf: Uint8Array, opts: DecodeOptions = {}): MetaRecord<T> {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const where = opts.path ?? 'metadata buffer';
  const fail = (code: ConstructorParameters<typeof MetaError>[0], msg: string, cause?: unknown): never => {
    throw new MetaError(code, `${where}: ${msg}`, opts.path, cause === undefined ? undefined : { cause });
  };
  const torn = (need: number) => fail('ERR_META_TRUNCATED',
    `truncated metadata file: it has ${b.length} bytes but needs ${need}; it may have been cut off by a crash or a full disk while being written. Move it aside and rebuild or restore it (for the index: scr index --build)`);

  if (b.length < META_MAGIC.length) {
    if (META_MAGIC.subarray(0, b.length).equals(b)) torn(FIXED + 1);
    fail('ERR_META_FOREIGN', notOurs(b));
  }
  if (!b.subarray(0, 4).equals(META_MAGIC)) fail('ERR_META_FOREIGN', notOurs(b));
  if (b.length < 7) torn(FIXED + 1);
  const version = b.readUInt16LE(4);
  if (version > META_FORMAT_VERSION) {
    fail('ERR_META_VERSION', `written in scr metadata format version ${version}, but this scr (${scrVersion}) reads versions up to ${META_FORMAT_VERSION}; upgrade scr to read it`);
  }
  if (version < 1) fail('ERR_META_VERSION', `claims scr metadata format version ${version}, which no scr writes; the file is corrupted. Move it aside and rebuild or restore it`);
  const k = b.readUInt8(6);
  if (k < 1 || k > META_KIND_MAX) fail('ERR_META_HEADER', `corrupted header: kind length ${k} is outside 1..${META_KIND_MAX}. Move the file aside and rebuild or restore it`);
  if (b.length < FIXED + k) torn(FIXED + k);
  const kind = b.toString('latin1', 7, 7 + k);
  if (!KIND_RE.test(kind)) fail('ERR_META_HEADER', `corrupted header: kind ${JSON.stringify(kind)} has characters no scr writes. Move the file aside and rebuild or restore it`);
  const n = b.readUInt32LE(7 + k);
  const want = b.readUInt32LE(11 + k);
  const total = FIXED + k + n;
  if (b.length < total) torn(total);
  if (b.length > total) fail('ERR_META_TRAILING', `${b.length - total} unexpected bytes after the ${total}-byte record; something other than scr appended to or overwrote it. Move it aside and rebuild or restore it`);
  const body = b.subarray(FIXED + k, total);
  const got = crc32(body);
  if (got !== want) fail('ERR_META_CRC', `corrupted: CRC32 of the body is ${hex8(got)} but the header says ${hex8(want)}. Move it aside and rebuild or restore it`);
  if (opts.expectKind !== undefined && kind !== opts.expectKind) {
    fail('ERR_META_KIND', `holds a '${kind}' record, but a '${opts.expectKind}' record was expected here; check that the path names the right file`);
  }
  let value: T;
  try {
    value = unpack(body) as T;
  } catch (err) {
    return fail('ERR_META_BODY', `the body passed its CRC check but is not valid msgpack (${(err as Error).message ?? String(err)}); this is a bug in the program that wrote it`, err);
  }
  return { kind, version, value };
}

function notOurs(b: Buffer): string {
  const first = [...b.subarray(0, 4)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  return `not an scr metadata file (it starts with ${first ? `bytes ${first}` : 'nothing'}, not "SCRM"); check the path, and move the file aside if another program wrote it`;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
