// Redundancy sets (SPEC §5). Ranks are split by failure group; ranks with the same index within
// their group form a line across the groups; each line is cut into sets of at least SET_SIZE
// members, the remainder spread over the sets (16 → 8+8, 17 → 9+8); the members of a set form a
// ring in line order. A set too small for its scheme degrades RS → XOR → PARTNER → SINGLE.

export type Scheme = 'SINGLE' | 'PARTNER' | 'XOR' | 'RS';

/** The largest Reed–Solomon set (code.ts: coefficients 1/(p ⊕ (k+q)) need k + n − k ≤ 255). */
export const MAX_RS_SET = 255;

export interface RedSet {
  /** Index of the set in the layout. */
  id: number;
  /** World ranks in ring order: member i's right neighbour is member (i+1) % size. */
  members: number[];
  /** The failure group of each member (same order). */
  groups: string[];
  scheme: Scheme;
  /** Parity chunks per stripe: 1 for XOR, SET_FAILURES for RS, 0 otherwise. */
  k: number;
}

export interface SetLayout {
  sets: RedSet[];
  /** rank → [set id, position in the set] */
  where: Array<[number, number]>;
  warnings: string[];
}

/** Sizes for cutting a line of `len` ranks into sets of at least `setSize` (one set if shorter). */
export function cutSizes(len: number, setSize: number, maxSize = Infinity): number[] {
  if (len <= 0) return [];
  const count = Math.max(1, Math.floor(len / Math.max(1, setSize)), Math.ceil(len / maxSize));
  const base = Math.floor(len / count);
  const extra = len % count;
  return Array.from({ length: count }, (_, i) => base + (i < extra ? 1 : 0));
}

/** The lines: groups in order of their lowest rank; within a group, ranks ascending. */
export function formLines(groupOf: readonly string[]): number[][] {
  const order: string[] = [];
  const members = new Map<string, number[]>();
  groupOf.forEach((g, rank) => {
    if (!members.has(g)) { members.set(g, []); order.push(g); }
    members.get(g)!.push(rank);
  });
  const lines: number[][] = [];
  for (const g of order) {
    members.get(g)!.forEach((rank, index) => {
      (lines[index] ??= []).push(rank);
    });
  }
  return lines;
}

/** The strongest scheme a set of `size` members supports, starting from the one asked for. */
export function fitScheme(scheme: Scheme, k: number, size: number): { scheme: Scheme; k: number } {
  if (scheme === 'RS' && size > k) return { scheme, k };
  if ((scheme === 'RS' || scheme === 'XOR') && size >= 2) return { scheme: 'XOR', k: 1 };
  if (scheme !== 'SINGLE' && size >= 2) return { scheme: 'PARTNER', k: 0 };
  return { scheme: 'SINGLE', k: 0 };
}

export function formSets(groupOf: readonly string[], setSize: number, scheme: Scheme, setFailures: number): SetLayout {
  const sets: RedSet[] = [];
  const where: Array<[number, number]> = new Array(groupOf.length);
  const warnings: string[] = [];
  const distinctGroups = new Set(groupOf).size;
  if (scheme !== 'SINGLE' && distinctGroups === 1 && groupOf.length > 0) {
    warnings.push(`all ${groupOf.length} rank(s) are in one failure group (${groupOf[0]}): ${scheme} cannot protect against its loss, using SINGLE`);
  }
  for (const line of formLines(groupOf)) {
    let at = 0;
    // RS's Cauchy matrix needs distinct field elements for its rows and columns: at most 255 members.
    for (const size of cutSizes(line.length, setSize, scheme === 'RS' ? MAX_RS_SET : Infinity)) {
      const members = line.slice(at, at + size);
      at += size;
      const want = { scheme, k: scheme === 'RS' ? setFailures : scheme === 'XOR' ? 1 : 0 };
      const fit = fitScheme(want.scheme, want.k, members.length);
      if (fit.scheme !== want.scheme && distinctGroups > 1) {
        warnings.push(`set of ranks ${members.join(',')} has ${members.length} member(s): too few for ${scheme}${scheme === 'RS' ? ` with SET_FAILURES=${setFailures}` : ''}, using ${fit.scheme}`);
      }
      const id = sets.length;
      members.forEach((r, pos) => { where[r] = [id, pos]; });
      sets.push({ id, members, groups: members.map((r) => groupOf[r]!), scheme: fit.scheme, k: fit.k });
    }
  }
  return { sets, where, warnings };
}
