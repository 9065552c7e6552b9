// A Vega-Lite spec compiled to Vega and rendered to an SVG string in Node (no browser, no canvas:
// vega's headless View with renderer 'none'), for pages that must open offline.
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
