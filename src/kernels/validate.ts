// Argument checks shared by the kernel wrappers; messages name the function and the argument.

export function checkView(v: unknown, fn: string, name: string): asserts v is ArrayBufferView {
  if (!ArrayBuffer.isView(v)) {
    throw new TypeError(`${fn}: ${name} must be a Buffer, TypedArray or DataView (got ${describe(v)})`);
  }
}

export function checkSameLength(dst: ArrayBufferView, src: ArrayBufferView, fn: string): void {
  if (dst.byteLength !== src.byteLength) {
    throw new TypeError(`${fn}: src must have the same byte length as dst (${src.byteLength} != ${dst.byteLength})`);
  }
}

export function checkCoefficient(c: unknown, fn: string): asserts c is number {
  if (typeof c !== 'number') throw new TypeError(`${fn}: c must be a number (an integer 0..255), got ${describe(c)}`);
  if (!Number.isInteger(c) || c < 0 || c > 255) throw new RangeError(`${fn}: c must be an integer 0..255 (got ${c})`);
}

export function checkPath(p: unknown, fn: string, name: string): asserts p is string {
  if (typeof p !== 'string' || p.length === 0) throw new TypeError(`${fn}: ${name} must be a non-empty string (got ${describe(p)})`);
  if (p.includes('\0')) throw new TypeError(`${fn}: ${name} must not contain NUL characters`);
}

export function checkBufSize(n: unknown, fn: string, max: number): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new RangeError(`${fn}: bufSize must be an integer 1..${max} (got ${String(n)})`);
  }
}

export function checkBoolean(b: unknown, fn: string, name: string): asserts b is boolean {
  if (typeof b !== 'boolean') throw new TypeError(`${fn}: ${name} must be a boolean (got ${describe(b)})`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v === 'string' ? `string '${v}'` : `${typeof v} ${String(v)}`;
}
