// "Did you mean …?" for misspelt keys.

/** Edit distance with transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate, if it is close enough to be a likely typo; compares case-insensitively
 * and also tries the name with and without the SCR_ prefix. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toUpperCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const forms = [c, c.replace(/^SCR_/, '')];
    const dist = Math.min(...forms.map((f) => editDistance(w, f)), editDistance(w.replace(/^SCR_/, ''), c.replace(/^SCR_/, '')));
    if (dist < bestD) { bestD = dist; best = c; }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(w.replace(/^SCR_/, '').length / 3));
  return bestD <= limit ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c ? ` (did you mean ${c}?)` : '';
}
