// Mapping of JS values to MPI datatypes for reductions.
export type ReduceOp = 'SUM' | 'PROD' | 'MIN' | 'MAX' | 'LAND' | 'LOR' | 'LXOR' | 'BAND' | 'BOR' | 'BXOR';
export const REDUCE_OPS: readonly ReduceOp[] = ['SUM', 'PROD', 'MIN', 'MAX', 'LAND', 'LOR', 'LXOR', 'BAND', 'BOR', 'BXOR'];

export type NumericArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** Values the reductions accept; the result has the same type. */
export type Reducible = number | bigint | boolean | NumericArray;

type Code = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f32' | 'f64';

function codeOf(a: NumericArray): Code {
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  if (a instanceof Int16Array) return 'i16';
  if (a instanceof Uint16Array) return 'u16';
  if (a instanceof Int8Array) return 'i8';
  if (a instanceof BigInt64Array) return 'i64';
  if (a instanceof BigUint64Array) return 'u64';
  return 'u8'; // Uint8Array, Uint8ClampedArray, Buffer
}

const BITWISE = new Set<ReduceOp>(['BAND', 'BOR', 'BXOR']);
const LOGICAL = new Set<ReduceOp>(['LAND', 'LOR', 'LXOR']);

/** A reduction's operands in the shape the native call wants, and how to turn the result back. */
export interface Prepared {
  send: NumericArray;
  recv: NumericArray;
  code: Code;
  back: (recv: NumericArray) => Reducible;
}

export function prepareReduction(value: Reducible, op: ReduceOp, call: string): Prepared {
  if (!REDUCE_OPS.includes(op)) {
    throw new TypeError(`${call}: op must be one of ${REDUCE_OPS.join(', ')}, not ${JSON.stringify(op)}`);
  }
  if (typeof value === 'boolean') {
    if (BITWISE.has(op) || op === 'SUM' || op === 'PROD') {
      throw new TypeError(`${call}: op ${op} does not apply to booleans; use LAND, LOR, LXOR, MIN or MAX`);
    }
    const send = Int32Array.of(value ? 1 : 0);
    return { send, recv: new Int32Array(1), code: 'i32', back: (r) => (r as Int32Array)[0] !== 0 };
  }
  if (typeof value === 'bigint') {
    if (BigInt.asIntN(64, value) !== value) throw new RangeError(`${call}: bigint value ${value} does not fit in 64 signed bits`);
    return { send: BigInt64Array.of(value), recv: new BigInt64Array(1), code: 'i64', back: (r) => (r as BigInt64Array)[0]! };
  }
  if (typeof value === 'number') {
    if (BITWISE.has(op) || LOGICAL.has(op)) {
      if (!Number.isSafeInteger(value)) throw new TypeError(`${call}: op ${op} needs an integer value, got ${value}`);
      return { send: BigInt64Array.of(BigInt(value)), recv: new BigInt64Array(1), code: 'i64', back: (r) => Number((r as BigInt64Array)[0]) };
    }
    return { send: Float64Array.of(value), recv: new Float64Array(1), code: 'f64', back: (r) => (r as Float64Array)[0]! };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const code = codeOf(value);
    if ((code === 'f32' || code === 'f64') && (BITWISE.has(op) || LOGICAL.has(op))) {
      throw new TypeError(`${call}: op ${op} needs integers, but the value is a ${value.constructor.name}`);
    }
    // A Buffer's constructor is deprecated for allocation; build its result with Buffer.alloc.
    const recv = Buffer.isBuffer(value) ? Buffer.alloc(value.length) : new (value.constructor as new (n: number) => NumericArray)(value.length);
    return { send: value, recv, code, back: (r) => r };
  }
  throw new TypeError(`${call}: value must be a number, bigint, boolean or numeric TypedArray`);
}
