// Validation of the advice modules' inputs: a RangeError naming the function, the input and the
// bad value, so a caller passing a measured cost of NaN or a negative rate sees which one it was.

/** `v` if it is a finite number at least `min` (or above it when `strict`); else a RangeError. */
export function checkNumber(fn: string, name: string, v: number, min = 0, strict = false): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (strict ? v > min : v >= min);
  if (!ok) throw new RangeError(`${fn}: ${name} must be a finite number ${strict ? '>' : '≥'} ${min}, not ${String(v)}`);
  return v;
}
