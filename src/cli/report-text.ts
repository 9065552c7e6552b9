// scr report's terminal summary: the rows of src/report/facts.ts as aligned text.
import { failuresTable, levelsTable, overview, restartsTable, runsTable } from '../report/facts.js';
import type { Summary } from '../report/summary.js';
import { table } from './output.js';

export function reportText(s: Summary, log: string): string {
  const head = overview(s);
  const width = Math.max(...head.map(([k]) => k.length));
  let out = `event log ${log}\n${head.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}  ${v}`).join('\n')}\n`;
  for (const t of [levelsTable(s), runsTable(s), failuresTable(s), restartsTable(s)]) {
    if (t.rows.length) out += `\n${t.title}\n${table(t.rows, t.header)}`;
  }
  return out;
}
