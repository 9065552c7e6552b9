// The schema is the one list of parameters (SPEC §3): docs/config.md and scr.conf.example are
// generated from it and must not drift; every SPEC §3 core parameter is in it with the SPEC's
// defaults; the generated example is itself a valid configuration file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfExample, renderConfigDoc } from '../../../src/config/docs.js';
import { DESCRIPTORS, PARAM_BY_NAME, PARAMS } from '../../../src/config/schema.js';
import { parseValue } from '../../../src/config/values.js';
import { useSandbox } from './helpers.js';

// Compiled to dist/test/unit/config/: the repository root is four levels up.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
const REGEN = 'is out of date with src/config/schema.ts: run `npm run build:ts && npm run gen:docs` and commit the result';

const CORE = [
  'SCR_ENABLE', 'SCR_DEBUG', 'SCR_PREFIX', 'SCR_JOB_ID', 'SCR_JOB_NAME', 'SCR_USER_NAME', 'SCR_NODE_NAME', 'SCR_CNTL_BASE',
  'SCR_CACHE_BASE', 'SCR_CACHE_SIZE', 'SCR_CACHE_BYPASS', 'SCR_COPY_TYPE', 'SCR_GROUP', 'SCR_SET_SIZE', 'SCR_SET_FAILURES',
  'SCR_MPI_BUF_SIZE', 'SCR_FILE_BUF_SIZE', 'SCR_FLUSH', 'SCR_FLUSH_ASYNC', 'SCR_FLUSH_TYPE', 'SCR_FETCH', 'SCR_FETCH_BYPASS',
  'SCR_CURRENT', 'SCR_PREFIX_SIZE', 'SCR_HALT_SECONDS', 'SCR_HALT_EXIT', 'SCR_CHECKPOINT_INTERVAL', 'SCR_CHECKPOINT_SECONDS',
  'SCR_CHECKPOINT_OVERHEAD', 'SCR_CRC_ON_COPY', 'SCR_CRC_ON_FLUSH', 'SCR_RUNS', 'SCR_MIN_NODES', 'SCR_EXCLUDE_NODES',
  'SCR_END_TIME', 'SCR_LOG_ENABLE',
];

describe('config docs: generated files', () => {
  it('docs/config.md equals renderConfigDoc()', () => {
    assert.ok(read('docs/config.md') === renderConfigDoc(), `docs/config.md ${REGEN}`);
  });

  it('scr.conf.example equals renderConfExample()', () => {
    assert.ok(read('scr.conf.example') === renderConfExample(), `scr.conf.example ${REGEN}`);
  });

  it('every parameter appears in both, and every descriptor key in the docs', () => {
    const doc = renderConfigDoc();
    const example = renderConfExample();
    for (const p of PARAMS) {
      assert.ok(doc.includes(`\`${p.name}\``), `${p.name} missing from docs/config.md`);
      assert.ok(new RegExp(`^#${p.name}=`, 'm').test(example), `${p.name} missing from scr.conf.example`);
    }
    for (const d of DESCRIPTORS) {
      assert.ok(doc.includes(`\`${d.head}=\``), `${d.head}= missing from docs/config.md`);
      for (const k of d.keys) assert.ok(doc.includes(`\`${k.key}\``), `${d.head} key ${k.key} missing from docs/config.md`);
      assert.ok(new RegExp(`^#${d.head}=`, 'm').test(example), `${d.head}= line missing from scr.conf.example`);
    }
  });
});

describe('config docs: the schema', () => {
  it('has every SPEC §3 core parameter, each once', () => {
    for (const name of CORE) assert.ok(PARAM_BY_NAME.has(name), `${name} is not in the schema`);
    assert.equal(new Set(PARAMS.map((p) => p.name)).size, PARAMS.length, 'duplicate names');
    assert.equal(PARAM_BY_NAME.size, PARAMS.length);
  });

  it('has the SPEC defaults', () => {
    const want: Record<string, string> = {
      SCR_CACHE_BYPASS: '0', SCR_CACHE_SIZE: '2', SCR_COPY_TYPE: 'XOR', SCR_SET_SIZE: '8', SCR_SET_FAILURES: '2', SCR_FLUSH: '10',
      SCR_RUNS: '1', SCR_CRC_ON_COPY: '1', SCR_CRC_ON_FLUSH: '1', SCR_HALT_EXIT: '0', SCR_ENABLE: '1',
    };
    for (const [name, d] of Object.entries(want)) assert.equal(PARAM_BY_NAME.get(name)!.default, d, name);
    assert.deepEqual(PARAM_BY_NAME.get('SCR_COPY_TYPE')!.allowed, ['SINGLE', 'PARTNER', 'XOR', 'RS', 'FILE']);
  });

  it('every entry is complete and its default is a valid value of its own type', () => {
    for (const p of PARAMS) {
      assert.match(p.name, /^SCR_[A-Z0-9_]+$/, p.name);
      assert.ok(p.doc.length > 10, `${p.name}: doc`);
      assert.ok(['library', 'commands', 'both'].includes(p.readers), `${p.name}: readers`);
      if (p.type === 'enum') assert.ok(p.allowed && p.allowed.length > 0, `${p.name}: allowed`);
      if (typeof p.default === 'function') assert.ok(p.defaultDoc, `${p.name}: a computed default needs defaultDoc`);
      const d = typeof p.default === 'function' ? p.default({}, { prefix: '/p', get: (n) => (n === 'SCR_USER_NAME' ? 'alice' : null) }) : p.default;
      if (d !== null) assert.doesNotThrow(() => parseValue(d, p), `${p.name}: default ${d}`);
    }
    for (const desc of DESCRIPTORS) {
      for (const k of desc.keys) {
        if (k.fallback) assert.ok(PARAM_BY_NAME.has(k.fallback), `${desc.head} ${k.key}: fallback ${k.fallback}`);
        if (k.default !== null) assert.doesNotThrow(() => parseValue(k.default!, k), `${desc.head} ${k.key}: default ${k.default}`);
      }
    }
  });
});

describe('config docs: scr.conf.example is a valid configuration', () => {
  const sb = useSandbox();

  it('its parameter lines, uncommented, load and give the defaults', () => {
    const s = sb();
    const example = renderConfExample();
    const params = example.slice(0, example.indexOf('# Descriptors'));
    const lines = [...params.matchAll(/^#(SCR_[A-Z0-9_]+)=(\S+)$/gm)]
      .filter((m) => !PARAM_BY_NAME.get(m[1]!)!.locating);
    assert.ok(lines.length > 20, 'most parameters have a literal default');
    s.writeSystem(lines.map((m) => m[0].slice(1)).join('\n') + '\n');
    const cfg = s.load();
    const defaults = s.load({ SCR_SYSTEM_CONF: s.write('empty.conf', '') });
    for (const m of lines) {
      assert.deepEqual(cfg.get(m[1]!), defaults.get(m[1]!), m[1]);
      assert.equal(cfg.sourceOf(m[1]!).kind, 'system file', m[1]);
    }
  });

  it('its descriptor lines, uncommented, load', () => {
    const s = sb();
    const example = renderConfExample();
    const desc = example.slice(example.indexOf('# Descriptors')).split('\n').filter((l) => /^#[A-Z]/.test(l)).map((l) => l.slice(1));
    assert.ok(desc.some((l) => l.startsWith('CKPT=')));
    s.writeSystem(desc.join('\n') + '\n');
    const cfg = s.load();
    assert.equal(cfg.str('SCR_COPY_TYPE'), 'FILE');
    assert.equal(cfg.ckpts.length, 2);
    assert.equal(cfg.descriptorFor(4).type, 'RS');
    assert.equal(cfg.descriptorFor(3, { output: true }).type, 'RS');
  });
});
