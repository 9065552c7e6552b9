// scr report --html in a real browser (Debian's chromium through puppeteer-core): the page loads
// offline without an error and shows its three plots, each with one mark per run, checkpoint,
// flush or failure of the hand-written log (test/harness/report-log.ts) and its axis titles.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { cleanEnv, scr } from '../harness/cli.js';
import { REPORT_LOG } from '../harness/report-log.js';

const CHROMIUM = '/usr/bin/chromium';

describe('scr report --html in chromium', function () {
  this.timeout(120_000);
  let dir: string;
  let browser: Browser | undefined;

  before(function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
      this.skip();
    }
  });
  beforeEach(() => { dir = mkdtempSync('/tmp/scr-report-html-'); });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads without errors and shows the timeline, the cost over time and the bandwidth per level with their marks and axis titles', async () => {
    mkdirSync(join(dir, 'p', '.scr'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'p', '.scr', 'log'), REPORT_LOG);
    const r = scr(['report', '--prefix', join(dir, 'p'), '--html', 'report.html'], { env: cleanEnv(), cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^wrote .*report\.html$/m);

    browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    // Offline: any request other than the file itself fails the test.
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.url().startsWith('file:')) void req.continue();
      else { problems.push(`request: ${req.url()}`); void req.abort(); }
    });
    await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });

    const figures = await page.evaluate(() => [...document.querySelectorAll('figure')].map((f) => {
      const svg = f.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      const style = svg ? getComputedStyle(svg) : null;
      // Each named layer is the group <name>_marks; its marks are its paths.
      const marks: Record<string, number> = {};
      for (const g of f.querySelectorAll('g.role-mark')) {
        const name = [...g.classList].find((c) => c.endsWith('_marks'));
        if (name) marks[name.replace(/_marks$/, '')] = g.querySelectorAll('path').length;
      }
      return { id: f.id, width: box?.width ?? 0, height: box?.height ?? 0, visible: style?.visibility === 'visible' && style.display !== 'none', marks,
        axes: [...f.querySelectorAll('g.role-axis-title text')].map((t) => t.textContent ?? ''),
        title: f.querySelector('g.role-title-text text')?.textContent ?? '' };
    }));
    assert.deepEqual(problems, []);
    assert.deepEqual(figures.map((f) => f.id), ['timeline', 'cost', 'bandwidth']);
    for (const f of figures) assert.ok(f.visible && f.width > 100 && f.height > 50, `${f.id}: ${f.width}x${f.height}, visible ${f.visible}`);
    const [timeline, cost, bandwidth] = figures as [typeof figures[0], typeof figures[0], typeof figures[0]];
    // 4 runs, 5 cache checkpoints, 2 flushes, 2 failed runs.
    assert.deepEqual(timeline.marks, { runs: 4, checkpoints: 5, flushes: 2, failures: 2 });
    assert.deepEqual(timeline.axes, ['time (UTC)']);
    assert.equal(timeline.title, 'Timeline of runs, checkpoints, flushes and failures');
    // One point per cache checkpoint.
    assert.deepEqual(cost.marks, { cost: 5 });
    assert.deepEqual(cost.axes.sort(), ['blocking seconds', 'time (UTC)']);
    // A bar per level, a point per checkpoint and flush.
    assert.deepEqual(bandwidth.marks, { bandwidth: 2, transfers: 7 });
    assert.deepEqual(bandwidth.axes.sort(), ['bandwidth (MiB/s)', 'level']);
    // The lane and level labels are drawn.
    const labels = await page.evaluate(() => [...document.querySelectorAll('g.role-axis-label text')].map((t) => t.textContent));
    for (const l of ['runs', 'checkpoints (cache)', 'flushes (file system)', 'failures', 'cache', 'file system']) assert.ok(labels.includes(l), `axis label ${l}`);
    // The summary's tables are on the page too.
    const text = await page.evaluate(() => document.body.innerText);
    assert.match(text, /time spent checkpointing\s+3\.95 s of 39\.00 s run time: 10\.1 %/);
    assert.match(text, /ckpt\.2\s+rebuilt in cache/);
    // And the advice (test/unit/report-advice.test.ts works these numbers out): MTBF 19.5 s observed.
    assert.match(text, /How often to checkpoint/);
    assert.match(text, /mean time between failures\s+19\.50 s \(observed across the runs\)/);
    assert.match(text, /Daly's interval\s+5\.07 s/);
  });
});
