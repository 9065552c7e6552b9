// Shared output helpers: aligned tables and JSON that can hold bigints and byte arrays.

export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths = all.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** JSON.stringify that writes bigints as numbers-in-strings and byte arrays as {bytes, hex}. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, k: string, v: unknown) {
    // Buffers have toJSON, which runs before this; look at the original value instead.
    const orig = k === '' ? v : this[k];
    if (orig instanceof Uint8Array) v = orig;
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return { bytes: v.length, hex: Buffer.from(v.buffer, v.byteOffset, Math.min(v.length, 64)).toString('hex') + (v.length > 64 ? '…' : '') };
    if (v instanceof Map) return Object.fromEntries(v);
    if (v instanceof Set) return [...v];
    return v;
  }, indent);
}
