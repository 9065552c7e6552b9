// Open MPI's shared-memory transport (vader) keeps one file per rank in /dev/shm and removes it at
// MPI_Finalize. A rank killed by SIGKILL — which the kill, fault and wrapper tests do on purpose —
// never removes its file, so a test run would leave megabytes of RAM disk behind. After a run, the
// segment files made since it started that no live process has mapped are garbage (whoever made
// them is gone); they are removed. A file some process still maps (a job of another session) stays.
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Removes orphaned vader segment files modified at or after `sinceMs`; returns how many. */
export function removeOrphanSegments(sinceMs, dir = '/dev/shm') {
  let names;
  try { names = readdirSync(dir).filter((n) => n.startsWith('vader_segment.')); } catch { return 0; }
  const fresh = names.map((n) => join(dir, n)).filter((p) => {
    try { return statSync(p).mtimeMs >= sinceMs; } catch { return false; }
  });
  if (!fresh.length) return 0;
  const mapped = new Set();
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let maps;
    try { maps = readFileSync(`/proc/${pid}/maps`, 'utf8'); } catch { continue; } // gone, or not ours to read
    for (const p of fresh) if (maps.includes(p)) mapped.add(p);
  }
  let removed = 0;
  for (const p of fresh) {
    if (mapped.has(p)) continue;
    try { unlinkSync(p); removed++; } catch { /* removed meanwhile */ }
  }
  return removed;
}
