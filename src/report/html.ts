// `scr report --html`: one self-contained page (no script, nothing fetched) with the summary's
// tables (src/report/facts.ts) and the plots of src/report/charts.ts rendered to inline SVG.
import { bandwidthSpec, costSpec, timelineSpec } from './charts.js';
import type { IntervalAdvice } from './advice.js';
import { adviceTable, failuresTable, levelsTable, overview, restartsTable, runsTable, type Table } from './facts.js';
import type { Summary } from './summary.js';
import { renderSvg } from './svg.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function tableHtml(t: Table): string {
  if (!t.rows.length) return '';
  return `<h2>${esc(t.title)}</h2>\n<table><thead><tr>${t.header.map((h) => `<th>${esc(h.toLowerCase())}</th>`).join('')}</tr></thead>\n<tbody>` +
    t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n') + '</tbody></table>\n';
}

function adviceHtml(t: Table): string {
  return `<h2>${esc(t.title)}</h2>\n<table class="advice"><tbody>${t.rows.map(([k, v]) => `<tr><th>${esc(k!)}</th><td>${esc(v!)}</td></tr>`).join('\n')}</tbody></table>\n`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}
th{font-weight:600}figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}`;

export async function reportHtml(s: Summary, prefix: string, advice: IntervalAdvice): Promise<string> {
  const figures: Array<[string, string]> = [
    ['timeline', await renderSvg(timelineSpec(s))],
    ['cost', await renderSvg(costSpec(s))],
    ['bandwidth', await renderSvg(bandwidthSpec(s))],
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>scr report: ${esc(prefix)}</title>
<style>${STYLE}</style></head>
<body>
<h1>scr report</h1>
<p>Event log of <code>${esc(prefix)}</code>. What each number means: docs/report.md of scr.</p>
<table class="overview"><tbody>${overview(s).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}</tbody></table>
${tableHtml(levelsTable(s))}${figures.map(([id, svg]) => `<figure id="${id}">${svg}</figure>`).join('\n')}
${tableHtml(runsTable(s))}${tableHtml(failuresTable(s))}${tableHtml(restartsTable(s))}${adviceHtml(adviceTable(advice))}</body></html>
`;
}
