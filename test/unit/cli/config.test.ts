import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PARAMS } from '../../../src/config/schema.js';
import { cleanEnv, scr, tempDir } from '../../harness/cli.js';

interface ConfigJson {
  prefix: string;
  parameters: Array<{ name: string; value: string | null; source: string; file?: string; line?: number }>;
  stores: Array<{ path: string; count: number }>;
  descriptors: Array<{ index: number; type: string; setSize: number; interval: number }>;
  warnings: string[];
}

describe('scr config', function () {
  this.timeout(60_000);
  let dir: string;
  const env = (extra: Record<string, string> = {}) => cleanEnv({ SCR_SYSTEM_CONF: join(dir, 'system.conf'), ...extra });

  beforeEach(() => {
    dir = tempDir('config');
    writeFileSync(join(dir, 'system.conf'), '# site defaults\nSCR_FLUSH=20\nSCR_CACHE_SIZE=4\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints every parameter with its value and source', () => {
    writeFileSync(join(dir, '.scrconf'), '\nSCR_CACHE_SIZE=3\n');
    const r = scr(['config'], { cwd: dir, env: env({ SCR_HALT_SECONDS: '600' }) });
    assert.equal(r.code, 0, r.stderr);
    for (const p of PARAMS) assert.match(r.stdout, new RegExp(`^${p.name} `, 'm'), p.name);
    assert.match(r.stdout, /^SCR_HALT_SECONDS\s+600\s+the environment$/m);
    assert.match(r.stdout, new RegExp(`^SCR_CACHE_SIZE\\s+3\\s+${dir}/\\.scrconf:2$`, 'm'));
    assert.match(r.stdout, new RegExp(`^SCR_FLUSH\\s+20\\s+${dir}/system\\.conf:2$`, 'm'));
    assert.match(r.stdout, /^SCR_COPY_TYPE\s+XOR\s+default$/m);
    assert.match(r.stdout, /Redundancy descriptors:\nCKPT .*\n0\s+1\s+XOR\s+8/);
  });

  it('--json gives parameters, stores and descriptors; --prefix picks the prefix', () => {
    const prefix = join(dir, 'run1');
    mkdirSync(prefix);
    writeFileSync(join(prefix, '.scrconf'), 'SCR_COPY_TYPE=FILE\nCKPT=0 TYPE=PARTNER\nCKPT=1 INTERVAL=4 TYPE=RS SET_SIZE=4\n');
    const r = scr(['config', '--json', '--prefix', prefix], { cwd: dir, env: env() });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as ConfigJson;
    assert.equal(j.prefix, prefix);
    assert.equal(j.parameters.length, PARAMS.length);
    const cs = j.parameters.find((p) => p.name === 'SCR_CACHE_SIZE')!;
    assert.deepEqual(cs, { name: 'SCR_CACHE_SIZE', value: '4', source: 'system file', file: join(dir, 'system.conf'), line: 3 });
    assert.deepEqual(j.descriptors.map((d) => [d.index, d.type, d.interval, d.setSize]), [[0, 'PARTNER', 1, 8], [1, 'RS', 4, 4]]);
  });

  it('a misspelt key is an error naming the file, the line and the close match (exit 2)', () => {
    writeFileSync(join(dir, '.scrconf'), 'SCR_FLUSH=2\nSCR_CACHE_SIZ=3\n');
    const r = scr(['config'], { cwd: dir, env: env() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${dir}/\\.scrconf:2: unknown parameter SCR_CACHE_SIZ \\(did you mean SCR_CACHE_SIZE\\?\\)`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace for a user error');
  });

  it('a bad value in the environment is an error naming the variable', () => {
    const r = scr(['config'], { cwd: dir, env: env({ SCR_FLUSH: 'often' }) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the environment: SCR_FLUSH must be a whole number, got "often"/);
  });

  it('an unknown SCR_ environment variable is a warning, not an error', () => {
    const r = scr(['config'], { cwd: dir, env: env({ SCR_FLUSHH: '3' }) });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warning: environment variable SCR_FLUSHH is not an scr parameter \(did you mean SCR_FLUSH\?\)/);
  });
});
