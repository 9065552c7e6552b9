// config() strings (SPEC §2/§3): set (KEY=VALUE), unset (KEY=), query (KEY) answered against the
// resolved configuration, the two-level descriptor forms (CKPT=0 TYPE=RS, CKPT=0 TYPE=,
// CKPT=0 TYPE, CKPT=0, CKPT=), their errors, and app.conf written by layerToText and read back.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { answerQuery, applyConfigString, layerToText } from '../../../src/config/config-string.js';
import { ScrConfigError } from '../../../src/config/errors.js';
import { Layer } from '../../../src/config/layers.js';
import { APP_CONF, loadConfig } from '../../../src/config/resolve.js';
import { PARAMS } from '../../../src/config/schema.js';
import { assertConfigError, re, type Sandbox, useSandbox } from './helpers.js';

const FILE = { SCR_COPY_TYPE: 'FILE', SCR_CACHE_BASE: '/dev/shm' };

/** A snapshot of a layer for comparing before and after a failed call. */
function snapshot(layer: Layer): unknown {
  return {
    params: [...layer.params].map(([k, s]) => [k, s.raw]),
    descriptors: layer.descriptors.map((d) => [d.head, d.name, [...d.keys].map(([k, s]) => [k, s.raw])]),
  };
}

describe('config() strings: parameters', () => {
  const sb = useSandbox();
  let layer: Layer;
  beforeEach(() => { layer = new Layer('config()'); });
  const ask = (s: Sandbox, text: string, env: Record<string, string> = {}) => {
    const q = applyConfigString(layer, text, {});
    assert.ok(q, `${text} is a query`);
    return answerQuery(s.load(env, { appLayer: layer }), q);
  };

  it('KEY=VALUE sets the parameter in the layer and returns null', () => {
    assert.equal(applyConfigString(layer, 'SCR_FLUSH=5', {}), null);
    assert.equal(layer.params.get('SCR_FLUSH')?.raw, '5');
    assert.equal(layer.params.get('SCR_FLUSH')?.source.kind, 'config()');
    const cfg = sb().load({}, { appLayer: layer });
    assert.equal(cfg.int('SCR_FLUSH'), 5);
    assert.equal(cfg.sourceOf('SCR_FLUSH').kind, 'config()');
  });

  it('keys are case-insensitive and stored under the canonical name; blanks around = are fine', () => {
    applyConfigString(layer, ' scr_flush = 5 ', {});
    assert.deepEqual([...layer.params.keys()], ['SCR_FLUSH']);
    assert.equal(layer.params.get('SCR_FLUSH')?.raw, '5');
  });

  it('a later set replaces an earlier one', () => {
    applyConfigString(layer, 'SCR_FLUSH=5', {});
    applyConfigString(layer, 'SCR_FLUSH=6', {});
    assert.equal(sb().load({}, { appLayer: layer }).int('SCR_FLUSH'), 6);
  });

  it('KEY= unsets it: the next source applies again', () => {
    const s = sb();
    s.writeSystem('SCR_FLUSH=4\n');
    applyConfigString(layer, 'SCR_FLUSH=5', {});
    assert.equal(applyConfigString(layer, 'SCR_FLUSH=', {}), null);
    assert.equal(layer.params.has('SCR_FLUSH'), false);
    const cfg = s.load({}, { appLayer: layer });
    assert.equal(cfg.int('SCR_FLUSH'), 4);
    assert.equal(cfg.sourceOf('SCR_FLUSH').kind, 'system file');
    assert.equal(applyConfigString(layer, 'SCR_DEBUG=', {}), null, 'unsetting an unset key is fine');
  });

  it('KEY queries: the effective value as text, from whichever source wins', () => {
    const s = sb();
    assert.deepEqual(applyConfigString(layer, 'SCR_FLUSH', {}), { kind: 'param', name: 'SCR_FLUSH' });
    assert.deepEqual(applyConfigString(layer, 'scr_flush', {}), { kind: 'param', name: 'SCR_FLUSH' });
    assert.equal(layer.params.size, 0, 'a query changes nothing');
    assert.equal(ask(s, 'SCR_FLUSH'), '10');
    applyConfigString(layer, 'SCR_FLUSH=5', {});
    assert.equal(ask(s, 'SCR_FLUSH'), '5');
    assert.equal(ask(s, 'SCR_FLUSH', { SCR_FLUSH: '2' }), '2', 'the environment wins over config()');
    assert.equal(ask(s, 'SCR_JOB_NAME'), null, 'an unset parameter is null');
    assert.equal(ask(s, 'SCR_CRC_ON_COPY'), '1', 'booleans as 1/0');
    applyConfigString(layer, 'SCR_FLUSH_ASYNC=yes', {});
    assert.equal(ask(s, 'SCR_FLUSH_ASYNC'), '1');
    applyConfigString(layer, 'SCR_COPY_TYPE=partner', {});
    assert.equal(ask(s, 'SCR_COPY_TYPE'), 'PARTNER', 'enums in canonical spelling');
    applyConfigString(layer, 'SCR_MPI_BUF_SIZE=64KB', {});
    assert.equal(ask(s, 'SCR_MPI_BUF_SIZE'), '65536');
  });

  it('the locating parameters may be queried, though not set', () => {
    const s = sb();
    assert.deepEqual(applyConfigString(layer, 'SCR_PREFIX', {}), { kind: 'param', name: 'SCR_PREFIX' });
    assert.equal(ask(s, 'SCR_PREFIX'), s.prefix);
    assert.equal(ask(s, 'SCR_SYSTEM_CONF'), s.system);
  });

  it('$VAR in a config() string is expanded from the given environment', () => {
    applyConfigString(layer, 'SCR_JOB_NAME=${NAME}-$N', { NAME: 'sim', N: '3' });
    assert.equal(layer.params.get('SCR_JOB_NAME')?.raw, 'sim-3');
    assertConfigError(() => applyConfigString(layer, 'SCR_JOB_NAME=$NOPE', {}), /\$NOPE is not set/);
  });

  it('a quoted value may hold blanks and #', () => {
    applyConfigString(layer, 'SCR_JOB_NAME="a b # c"', {});
    assert.equal(sb().load({}, { appLayer: layer }).str('SCR_JOB_NAME'), 'a b # c');
  });

  it('errors: unknown key with a close match, bad value, out of range, locating parameters, several pairs', () => {
    const cases: [string, RegExp][] = [
      ['SCR_CACHE_SZE=3', /^config\(\): unknown parameter SCR_CACHE_SZE \(did you mean SCR_CACHE_SIZE\?\)$/],
      ['SCR_CACHE_SZE', /unknown parameter SCR_CACHE_SZE \(did you mean SCR_CACHE_SIZE\?\)/],
      ['SCR_FLUSH=often', /^config\(\): SCR_FLUSH must be a whole number, got "often"$/],
      ['SCR_DEBUG=9', /SCR_DEBUG must be at most 5, got 9/],
      ['SCR_COPY_TYPE=RAID', /SCR_COPY_TYPE must be one of SINGLE, PARTNER, XOR, RS, FILE/],
      ['SCR_MPI_BUF_SIZE=1KB', /SCR_MPI_BUF_SIZE must be at least 4096/],
      ['SCR_CACHE_BYPASS=maybe', /SCR_CACHE_BYPASS must be 0 or 1/],
      ['SCR_EXCLUDE_NODES=node[3-', /SCR_EXCLUDE_NODES/],
      ['SCR_PREFIX=/x', /SCR_PREFIX cannot be set with config\(\)/],
      ['SCR_PREFIX=', /SCR_PREFIX cannot be set with config\(\)/],
      ['SCR_CONF_FILE=/x', /SCR_CONF_FILE cannot be set with config\(\)/],
      ['SCR_SYSTEM_CONF=/x', /SCR_SYSTEM_CONF cannot be set with config\(\)/],
      ['SCR_FLUSH=1 SCR_DEBUG=2', /SCR_FLUSH takes a single value/],
      ['', /give exactly one setting per call/],
      ['# only a comment', /give exactly one setting per call/],
      ['SCR_FLUSH=1\nSCR_DEBUG=2', /give exactly one setting per call/],
      ['=3', /expected a KEY=VALUE pair/],
      ['SCR_JOB_NAME="open', /unterminated quoted value/],
    ];
    for (const [text, pattern] of cases) {
      const before = snapshot(layer);
      const err = assertConfigError(() => applyConfigString(layer, text, {}), pattern);
      assert.deepEqual(err.problems[0]!.source, { kind: 'config()' }, text);
      assert.deepEqual(snapshot(layer), before, `a failed call leaves the layer unchanged: ${text}`);
    }
  });

  it('a non-string is a TypeError', () => {
    assert.throws(() => applyConfigString(layer, 42 as unknown as string, {}), TypeError);
  });

  it('every parameter of the schema can be queried', () => {
    const s = sb();
    for (const p of PARAMS) {
      const q = applyConfigString(layer, p.name, {});
      assert.deepEqual(q, { kind: 'param', name: p.name });
      assert.doesNotThrow(() => answerQuery(s.load({}, { appLayer: layer }), q!), p.name);
    }
  });
});

describe('config() strings: descriptors', () => {
  const sb = useSandbox();
  let layer: Layer;
  beforeEach(() => { layer = new Layer('config()'); });

  it('CKPT=0 KEY=VALUE ... sets keys of one descriptor; later calls add and replace keys', () => {
    assert.equal(applyConfigString(layer, 'CKPT=0 TYPE=RS SET_SIZE=4', {}), null);
    applyConfigString(layer, 'CKPT=0 SET_FAILURES=1 SET_SIZE=6', {});
    applyConfigString(layer, 'CKPT=1 INTERVAL=4 OUTPUT=1', {});
    assert.deepEqual(snapshot(layer), {
      params: [],
      descriptors: [['CKPT', '0', [['TYPE', 'RS'], ['SET_SIZE', '6'], ['SET_FAILURES', '1']]], ['CKPT', '1', [['INTERVAL', '4'], ['OUTPUT', '1']]]],
    });
    const cfg = sb().load(FILE, { appLayer: layer });
    assert.deepEqual(cfg.ckpts.map((c) => [c.index, c.interval, c.type, c.setSize, c.setFailures, c.output]),
      [[0, 1, 'RS', 6, 1, false], [1, 4, 'XOR', 8, 2, true]]);
  });

  it('CKPT=0 KEY= unsets one key (its default applies again)', () => {
    applyConfigString(layer, 'CKPT=0 TYPE=RS SET_SIZE=4', {});
    assert.equal(applyConfigString(layer, 'CKPT=0 TYPE=', {}), null);
    assert.deepEqual(snapshot(layer), { params: [], descriptors: [['CKPT', '0', [['SET_SIZE', '4']]]] });
    assert.equal(sb().load(FILE, { appLayer: layer }).ckpts[0]!.type, 'XOR');
    // Unsetting a key of a line that does not exist creates no line.
    assert.equal(applyConfigString(layer, 'CKPT=5 TYPE=', {}), null);
    assert.deepEqual(layer.descriptors.map((d) => d.name), ['0']);
  });

  it('CKPT=0 KEY queries one key; CKPT=0 queries the line', () => {
    const s = sb();
    applyConfigString(layer, 'CKPT=0 TYPE=RS SET_SIZE=4 COUNT=3', {});
    applyConfigString(layer, 'CKPT=1 INTERVAL=2 STORE=/dev/shm', {});
    const q = applyConfigString(layer, 'CKPT=0 TYPE', {});
    assert.deepEqual(q, { kind: 'descriptor', head: 'CKPT', name: '0', key: 'TYPE' });
    const cfg = s.load(FILE, { appLayer: layer });
    assert.equal(answerQuery(cfg, q!), 'RS');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'ckpt=0 set_size', {})!), '4');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'CKPT=0 OUTPUT', {})!), '0');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'CKPT=1 COUNT', {})!), null, 'COUNT unset on CKPT=1');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'CKPT=7 TYPE', {})!), null, 'no such descriptor');
    const line = applyConfigString(layer, 'CKPT=0', {});
    assert.deepEqual(line, { kind: 'descriptor', head: 'CKPT', name: '0' });
    assert.equal(answerQuery(cfg, line!),
      'CKPT=0 INTERVAL=1 GROUP=NODE STORE=/dev/shm TYPE=RS SET_SIZE=4 SET_FAILURES=2 COUNT=3 OUTPUT=0 BYPASS=0 ENABLED=1');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'CKPT=1', {})!),
      'CKPT=1 INTERVAL=2 GROUP=NODE STORE=/dev/shm TYPE=XOR SET_SIZE=8 SET_FAILURES=2 OUTPUT=0 BYPASS=0 ENABLED=1');
    assert.equal(layer.descriptors.length, 2, 'queries change nothing');
  });

  it('queries of STORE and GROUPS lines', () => {
    applyConfigString(layer, 'STORE=/ssd COUNT=3 GROUP=RACK', {});
    applyConfigString(layer, 'GROUPS=n1 RACK=r1', {});
    const cfg = sb().load({ SCR_CACHE_BASE: '/dev/shm' }, { appLayer: layer });
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'STORE=/ssd COUNT', {})!), '3');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'STORE=/ssd', {})!), 'STORE=/ssd GROUP=RACK COUNT=3 ENABLED=1 MKDIR=1');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'STORE=/dev/shm COUNT', {})!), '2', 'the implied cache-base store');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'GROUPS=n1 RACK', {})!), 'r1');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'GROUPS=n1', {})!), 'GROUPS=n1 RACK=r1');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'GROUPS=n2', {})!), null);
  });

  it('without SCR_COPY_TYPE=FILE, CKPT=0 answers with the implied descriptor', () => {
    const cfg = sb().load({ SCR_COPY_TYPE: 'PARTNER', SCR_CACHE_BASE: '/c' }, { appLayer: layer });
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'CKPT=0 TYPE', {})!), 'PARTNER');
    assert.equal(answerQuery(cfg, applyConfigString(layer, 'CKPT=0 STORE', {})!), '/c');
  });

  it('CKPT= drops every CKPT line (and only those)', () => {
    applyConfigString(layer, 'CKPT=0 TYPE=RS', {});
    applyConfigString(layer, 'STORE=/ssd COUNT=1', {});
    applyConfigString(layer, 'CKPT=1 INTERVAL=4', {});
    applyConfigString(layer, 'SCR_FLUSH=3', {});
    assert.equal(applyConfigString(layer, 'CKPT=', {}), null);
    assert.deepEqual(snapshot(layer), { params: [['SCR_FLUSH', '3']], descriptors: [['STORE', '/ssd', [['COUNT', '1']]]] });
    // With its CKPT lines gone, the system file's apply again.
    const s = sb();
    s.writeSystem('CKPT=0 INTERVAL=1 TYPE=PARTNER\n');
    assert.deepEqual(s.load(FILE, { appLayer: layer }).ckpts.map((c) => [c.type, c.source.kind]), [['PARTNER', 'system file']]);
  });

  it('errors: unknown keys, bad values, malformed forms; a failed call changes nothing', () => {
    applyConfigString(layer, 'CKPT=0 TYPE=RS', {});
    const cases: [string, RegExp][] = [
      ['CKPT=0 TPYE=XOR', /CKPT lines have no key TPYE \(did you mean TYPE\?\)/],
      ['CKPT=0 TYPE=XOR SETSIZE=4', /CKPT lines have no key SETSIZE \(did you mean SET_SIZE\?\)/],
      ['CKPT=3 TPYE=XOR', /CKPT lines have no key TPYE/],
      ['CKPT=0 TPYE', /CKPT lines have no key TPYE \(did you mean TYPE\?\)/],
      ['CKPT=0 TYPE=RAID', /CKPT=0: TYPE must be one of SINGLE, PARTNER, XOR, RS/],
      ['CKPT=0 SET_SIZE=4 INTERVAL=0', /CKPT=0: INTERVAL must be at least 1/],
      ['CKPT=0 TYPE=XOR SET_SIZE', /either set keys \(SET_SIZE=value\) or query one key alone/],
      ['CKPT=0 TYPE SET_SIZE', /either set keys/],
      ['CKPT="" TYPE=RS', /CKPT= \(drop all CKPT lines\) takes no other keys/],
      ['CKPT', /CKPT needs a value/],
      ['CKPT=x TYPE=XOR', /CKPT=x: the index must be a whole number/],
      ['CKPT=-1 TYPE=XOR', /CKPT=-1: the index must be at least 0/],
      ['STORE=/ssd COUNT=0', /STORE=\/ssd: COUNT must be at least 1/],
      ['STORE=/ssd CONT=1', /STORE lines have no key CONT \(did you mean COUNT\?\)/],
      ['GROUPS=n1 NODE=1', /cannot name a group/],
    ];
    for (const [text, pattern] of cases) {
      const before = snapshot(layer);
      const err = assertConfigError(() => applyConfigString(layer, text, {}), pattern);
      assert.deepEqual(err.problems[0]!.source, { kind: 'config()' }, text);
      assert.deepEqual(snapshot(layer), before, `a failed call leaves the layer unchanged: ${text}`);
    }
  });
});

describe('config() strings: app.conf round trip', () => {
  const sb = useSandbox();

  it('layerToText written to <prefix>/.scr/app.conf loads back to the same values', () => {
    const s = sb();
    const layer = new Layer('config()');
    for (const text of [
      'SCR_FLUSH=3', 'SCR_JOB_NAME="a run # 2 with blanks"', 'SCR_FLUSH_ASYNC=yes', 'SCR_COPY_TYPE=file', 'SCR_MPI_BUF_SIZE=64KB',
      'SCR_EXCLUDE_NODES=node[3,7]', 'SCR_CHECKPOINT_OVERHEAD=2.5', 'SCR_CURRENT=ckpt.7',
      'STORE="/ssd dir" COUNT=1', 'STORE=/dev/shm COUNT=3',
      'CKPT=0 INTERVAL=1 TYPE=XOR SET_SIZE=4', 'CKPT=1 INTERVAL=4 TYPE=RS STORE="/ssd dir" OUTPUT=1 COUNT=1',
      'GROUPS=n1 RACK=r1', 'SCR_GROUP=RACK',
    ]) applyConfigString(layer, text, {});
    const text = layerToText(layer);
    assert.match(text, /^# /, 'starts with a comment saying what wrote it');
    const path = s.write(join(s.prefix, APP_CONF), text);
    assert.equal(readFileSync(path, 'utf8'), text);

    const env = { SCR_CACHE_BASE: '/dev/shm' };
    const direct = s.load(env, { appLayer: layer });
    const fromFile = s.load(env);
    assert.equal(fromFile.files.app, path);
    for (const p of PARAMS) assert.deepEqual(fromFile.get(p.name), direct.get(p.name), p.name);
    const noSource = <T extends { source: unknown }>(xs: readonly T[]) => xs.map((x) => ({ ...x, source: undefined }));
    assert.deepEqual(noSource(fromFile.stores), noSource(direct.stores));
    assert.deepEqual(noSource(fromFile.ckpts), noSource(direct.ckpts));
    assert.deepEqual(fromFile.groups, direct.groups);
    assert.equal(fromFile.str('SCR_JOB_NAME'), 'a run # 2 with blanks');
    assert.equal(fromFile.ckpts[1]!.store, '/ssd dir');
    // Read from the file, the source is config() with the file and its line.
    const src = fromFile.sourceOf('SCR_FLUSH');
    assert.equal(src.kind, 'config()');
    assert.equal(src.file, path);
    assert.equal(text.split('\n')[src.line! - 1], 'SCR_FLUSH=3');
    assert.equal(fromFile.ckpts[0]!.source.file, path);
  });

  it('an empty layer writes a file that loads as nothing set', () => {
    const s = sb();
    s.writeApp(layerToText(new Layer('config()')));
    const cfg = s.load();
    assert.equal(cfg.int('SCR_FLUSH'), 10);
    assert.equal(cfg.sourceOf('SCR_FLUSH').kind, 'default');
  });

  it('a value holding a double quote but no blank survives the round trip', () => {
    const s = sb();
    const layer = new Layer('config()');
    applyConfigString(layer, 'SCR_JOB_NAME=say"hi', {});
    assert.equal(layer.params.get('SCR_JOB_NAME')?.raw, 'say"hi');
    s.writeApp(layerToText(layer));
    assert.equal(s.load().str('SCR_JOB_NAME'), 'say"hi');
  });

  it('a broken app.conf is reported with its file and line', () => {
    const s = sb();
    const a = s.writeApp('# Written by scr\nSCR_FLUSH=x\n');
    const err = assertConfigError(() => s.load());
    assert.ok(err instanceof ScrConfigError);
    assert.match(err.message, re(`${a}:2: SCR_FLUSH must be a whole number`));
    assert.equal(loadConfig({ env: s.env(), cwd: s.prefix, appLayer: new Layer('config()') }).int('SCR_FLUSH'), 10,
      'an appLayer replaces the file');
  });
});
