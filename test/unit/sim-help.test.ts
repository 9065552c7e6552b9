// `scr sim --help` names the working and spare nodes as a real `scr sim` run does: the help's
// ranges (n0…n(N−1) work, nN…n(N+S−1) wait) and its first example are checked against the run's
// own "run 1 … on …; spares: …" line and the SCR_NODE_NAME each rank of the run was given.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, scr } from '../harness/cli.js';

/** The value of a node-number expression of the help, such as `0`, `N`, `(N−1)`, `(N+S−1)`. */
function evalIndex(expr: string, vars: { N: number; S: number }): number {
  const terms = expr.replace(/^\(|\)$/g, '').replace(/−/g, '-').match(/[+-]?[^+-]+/g) ?? [];
  assert.ok(terms.length > 0, `empty node number in the help: "${expr}"`);
  return terms.reduce((sum, t) => {
    const sign = t.startsWith('-') ? -1 : 1;
    const name = t.replace(/^[+-]/, '').trim();
    const v = name === 'N' ? vars.N : name === 'S' ? vars.S : Number(name);
    assert.ok(Number.isInteger(v), `cannot read "${name}" in the help's node number "${expr}"`);
    return sum + sign * v;
  }, 0);
}

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `n${from + i}`);

describe('scr sim --help numbers the nodes as a run does', function () {
  this.timeout(120_000);
  let dir: string;
  let help: string;
  const env = () => cleanEnv({
    SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'), SCR_SYSTEM_CONF: '/dev/null',
  });

  before(() => {
    const r = scr(['sim', '--help']);
    assert.equal(r.code, 0, r.stderr);
    help = r.stdout.replace(/\s+/g, ' ');
  });
  beforeEach(() => {
    dir = mkdtempSync('/dev/shm/scr-simhelp-');
    mkdirSync(join(dir, 'p'));
    // Each rank says which simulated node it was placed on.
    writeFileSync(join(dir, 'app.js'), 'console.log(`rank-on ${process.env.SCR_NODE_NAME}`);\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A real run (the app does not call finalize, so there is one run); its nodes and spares. */
  function run(args: string[]): { work: string[]; spares: string[]; rankNodes: string[] } {
    const r = scr(['sim', ...args], { env: env(), cwd: dir });
    assert.equal(r.code, 1, `the app does not call finalize, so scr sim exits 1\n${r.stdout}${r.stderr}`);
    const m = /run 1 of at most \d+ on (\S+?)(?:; spares: (\S+))?\n/.exec(r.stdout);
    assert.ok(m, `no "run 1 … on …" line in:\n${r.stdout}`);
    const rankNodes = [...r.stdout.matchAll(/^rank-on (\S+)$/gm)].map((x) => x[1]!).sort();
    return { work: m[1]!.split(','), spares: m[2] ? m[2].split(',') : [], rankNodes };
  }

  for (const [N, P, S] of [[2, 1, 3], [3, 2, 1]] as const) {
    it(`the description's ranges: --nodes ${N} --ppn ${P} --spares ${S}`, () => {
      const m = /nodes n(\S+?)…n(\S+?) run the job and n(\S+?)…n(\S+?) wait as spares/.exec(help);
      assert.ok(m, `the help does not say which nodes work and which wait:\n${help}`);
      const [w0, w1, s0, s1] = m.slice(1).map((e) => evalIndex(e, { N, S }));
      const got = run(['--nodes', String(N), '--ppn', String(P), '--spares', String(S), '--', 'node', 'app.js']);
      assert.deepEqual(got.work, range(w0!, w1!), 'working nodes: the help vs the run');
      assert.deepEqual(got.spares, range(s0!, s1!), 'spare nodes: the help vs the run');
      // Every rank ran on a working node, P ranks on each.
      assert.deepEqual(got.rankNodes, range(w0!, w1!).flatMap((n) => Array<string>(P).fill(n)).sort());
    });
  }

  it('the first example: its command run as printed does what its line says', () => {
    const m = /\$ scr sim (--nodes (\d+) --ppn (\d+) --spares (\d+) -- node app\.js) (\d+) ranks on n(\d+)\.\.n(\d+), n(\d+) spare/.exec(help);
    assert.ok(m, `the help's first example is not "scr sim --nodes N --ppn P --spares 1 -- node app.js" with "K ranks on nA..nB, nC spare":\n${help}`);
    const [, args, N, P, , ranks, a, b, c] = m;
    assert.equal(Number(ranks), Number(N) * Number(P), 'the example counts its ranks wrongly');
    const got = run(args!.split(' '));
    assert.deepEqual(got.work, range(Number(a), Number(b)));
    assert.deepEqual(got.spares, [`n${c}`]);
    assert.equal(got.rankNodes.length, Number(ranks));
  });
});
