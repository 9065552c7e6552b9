// scr report's terminal summary: the rows of src/report/facts.ts as aligned text.
import type { IntervalAdvice } from '../report/advice.js';
import { adviceTable, failuresTable, levelsTable, overview, restartsTable, runsTable } from '../report/facts.js';
import type { Summary } from '../report/summary.js';
import { table } from './output.js';

export function reportText(s: Summary, log: string, advice: IntervalAdvice): string {
  const head = overview(s);
  const width = Math.max(...head.map(([k]) => k.length));
  let out = `event log ${log}\n${head.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}  ${v}`).join('\n')}\n`;
  for (const t of [levelsTable(s), runsTable(s), failuresTable(s), restartsTable(s)]) {
    if (t.rows.length) out += `\n${t.title}\n${table(t.rows, t.header)}`;
  }
  const a = adviceTable(advice);
  const w = Math.max(...a.rows.map(([k]) => k!.length));
  out += `\n${a.title}\n${a.rows.map(([k, v]) => `  ${`${k}:`.padEnd(w + 1)}  ${v}`).join('\n')}\n`;
  return out;
}
