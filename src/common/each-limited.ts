// Bounded concurrency over a list: `fn` on every item, at most `width` at once. Every item runs
// even after one failed, and the first error is thrown only once all have settled, so a caller's
// clean-up never races work still in flight.
export async function eachLimited<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  let first: { error: unknown } | null = null;
  const worker = async () => {
    while (next < items.length) {
      const x = items[next++]!;
      try { await fn(x); } catch (e) { first ??= { error: e }; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  if (first) throw (first as { error: unknown }).error;
}
