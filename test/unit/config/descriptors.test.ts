// Descriptor lines (STORE=, CKPT=, GROUPS=): their keys and defaults, validation, families taken
// whole from the first source that has them, CKPT lines only with SCR_COPY_TYPE=FILE, and the
// choice of descriptor per dataset (descriptorFor).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { applyConfigString } from '../../../src/config/config-string.js';
import { Layer } from '../../../src/config/layers.js';
import type { CkptDescriptor } from '../../../src/config/resolve.js';
import { assertConfigError, re, useSandbox } from './helpers.js';

const FILE = { SCR_COPY_TYPE: 'FILE', SCR_CACHE_BASE: '/dev/shm' };

describe('config descriptors: STORE lines', () => {
  const sb = useSandbox();

  it('take their defaults: GROUP=NODE, COUNT from SCR_CACHE_SIZE, ENABLED=1, MKDIR=1', () => {
    const s = sb();
    s.writeSystem('SCR_CACHE_SIZE=5\n# stores\nSTORE=/ssd\nSTORE=/nvme COUNT=3 GROUP=WORLD ENABLED=0 MKDIR=no\n');
    const cfg = s.load({ SCR_CACHE_BASE: '/dev/shm' });
    const ssd = cfg.stores.find((x) => x.path === '/ssd')!;
    assert.deepEqual({ ...ssd, source: undefined }, { path: '/ssd', group: 'NODE', count: 5, enabled: true, mkdir: true, source: undefined });
    assert.deepEqual(ssd.source, { kind: 'system file', file: s.system, line: 3 });
    const nvme = cfg.stores.find((x) => x.path === '/nvme')!;
    assert.deepEqual({ ...nvme, source: undefined }, { path: '/nvme', group: 'WORLD', count: 3, enabled: false, mkdir: false, source: undefined });
    assert.equal(nvme.source.line, 4);
  });

  it('COUNT falls back to SCR_CACHE_SIZE from whichever source sets it', () => {
    const s = sb();
    s.writeSystem('STORE=/ssd\n');
    assert.equal(s.load({ SCR_CACHE_SIZE: '7', SCR_CACHE_BASE: '/dev/shm' }).stores.find((x) => x.path === '/ssd')!.count, 7);
    assert.equal(s.load({ SCR_CACHE_BASE: '/dev/shm' }).stores.find((x) => x.path === '/ssd')!.count, 2);
  });

  it('the cache base is always a store, implied when no STORE line names it', () => {
    const s = sb();
    const cfg = s.load({ SCR_CACHE_BASE: '/cache/base', SCR_CACHE_SIZE: '3' });
    assert.deepEqual(cfg.stores, [{ path: '/cache/base', group: 'NODE', count: 3, enabled: true, mkdir: true, source: { kind: 'implied' } }]);
    s.writeSystem('STORE=/ssd COUNT=1\n');
    const cfg2 = s.load({ SCR_CACHE_BASE: '/cache/base' });
    assert.deepEqual(cfg2.stores.map((x) => [x.path, x.source.kind]), [['/ssd', 'system file'], ['/cache/base', 'implied']]);
  });

  it('a STORE line naming the cache base replaces the implied store', () => {
    const s = sb();
    s.writeSystem('STORE=/cache/base/ COUNT=4 GROUP=WORLD\n');
    const cfg = s.load({ SCR_CACHE_BASE: '/cache/base' });
    assert.equal(cfg.stores.length, 1);
    assert.deepEqual([cfg.stores[0]!.path, cfg.stores[0]!.count, cfg.stores[0]!.group, cfg.stores[0]!.source.kind], ['/cache/base', 4, 'WORLD', 'system file']);
  });

  it('a relative store path is resolved against cwd', () => {
    const s = sb();
    s.writeSystem('STORE=local/cache\n');
    const cfg = s.load({ SCR_CACHE_BASE: '/dev/shm' });
    assert.ok(cfg.stores.some((x) => x.path === join(s.prefix, 'local/cache')));
  });

  it('a duplicate STORE is an error at the second line', () => {
    const s = sb();
    s.writeSystem('STORE=/ssd\nSTORE=/ssd/ COUNT=2\n');
    assertConfigError(() => s.load({ SCR_CACHE_BASE: '/dev/shm' }), re(`${s.system}:2: STORE=/ssd/ is listed twice`));
  });

  it('bad values on STORE lines name the store, the key and the line', () => {
    const s = sb();
    s.writeSystem('STORE=/ssd COUNT=0\nSTORE=/nvme ENABLED=maybe\n');
    assertConfigError(() => s.load({ SCR_CACHE_BASE: '/dev/shm' }),
      re(`${s.system}:1: STORE=/ssd: COUNT must be at least 1, got 0`), re(`${s.system}:2: STORE=/nvme: ENABLED must be 0 or 1`));
  });

  it('GROUP must be NODE, WORLD or a group from GROUPS lines', () => {
    const s = sb();
    s.writeSystem('STORE=/ssd GROUP=POWER\n');
    assertConfigError(() => s.load({ SCR_CACHE_BASE: '/dev/shm' }), re(`${s.system}:1: STORE=/ssd: GROUP=POWER is not NODE, WORLD or a group from GROUPS= lines`));
    s.writeSystem('STORE=/ssd GROUP=POWER\nGROUPS=host1 POWER=psu1 SWITCH=0\nGROUPS=host2 POWER=psu1\nGROUPS=host1 RACK=r1\n');
    const cfg = s.load({ SCR_CACHE_BASE: '/dev/shm' });
    assert.equal(cfg.stores[0]!.group, 'POWER');
    assert.deepEqual(Object.fromEntries(cfg.groups), { host1: { POWER: 'psu1', SWITCH: '0', RACK: 'r1' }, host2: { POWER: 'psu1' } });
  });
});

describe('config descriptors: GROUPS lines', () => {
  const sb = useSandbox();

  it('group names are upper-cased; NODE, WORLD and odd names are refused', () => {
    const s = sb();
    s.writeSystem('GROUPS=h1 power=p1\n');
    assert.deepEqual(Object.fromEntries(s.load().groups), { h1: { POWER: 'p1' } });
    s.writeSystem('GROUPS=h1 NODE=x\nGROUPS=h2 WORLD=y\nGROUPS=h3 _X=1\n');
    const err = assertConfigError(() => s.load(), /:1: GROUPS=h1: "NODE" cannot name a group/, /:2: GROUPS=h2: "WORLD" cannot name a group/, /:3: GROUPS=h3: "_X" cannot name a group/);
    assert.equal(err.problems.length, 3);
  });

  it('SCR_GROUP must name a known group too, and the error names SCR_GROUP and where it was set', () => {
    const s = sb();
    assertConfigError(() => s.load({ SCR_GROUP: 'RACK' }), /SCR_GROUP=RACK is not NODE, WORLD or a group from GROUPS= lines/, /the environment/);
    s.writeSystem('GROUPS=h1 RACK=r1\n');
    assert.equal(s.load({ SCR_GROUP: 'RACK' }).ckpts[0]!.group, 'RACK');
  });
});

describe('config descriptors: CKPT lines', () => {
  const sb = useSandbox();

  it('are ignored with a warning naming the file unless SCR_COPY_TYPE=FILE', () => {
    const s = sb();
    s.writeSystem('CKPT=0 INTERVAL=1 TYPE=RS SET_SIZE=4\n');
    const cfg = s.load({ SCR_COPY_TYPE: 'PARTNER', SCR_SET_SIZE: '6', SCR_CACHE_BASE: '/cache' });
    assert.equal(cfg.warnings.length, 1);
    assert.match(cfg.warnings[0]!, re(s.system));
    assert.match(cfg.warnings[0]!, /SCR_COPY_TYPE=PARTNER/);
    assert.match(cfg.warnings[0]!, /SCR_COPY_TYPE=FILE/);
    assert.deepEqual(cfg.ckpts, [{
      index: 0, interval: 1, group: 'NODE', store: '/cache', type: 'PARTNER', setSize: 6, setFailures: 2, count: null,
      output: false, bypass: false, enabled: true, source: { kind: 'implied' },
    }]);
  });

  it('the warning for CKPT lines set through config() names config(), not "undefined"', () => {
    const s = sb();
    const layer = new Layer('config()');
    applyConfigString(layer, 'CKPT=0 TYPE=RS', {});
    const cfg = s.load({}, { appLayer: layer });
    assert.equal(cfg.warnings.length, 1);
    assert.doesNotMatch(cfg.warnings[0]!, /undefined/);
    assert.match(cfg.warnings[0]!, /config\(\)/);
  });

  it('without CKPT lines, one descriptor is implied from the global parameters', () => {
    const cfg = sb().load({ SCR_COPY_TYPE: 'rs', SCR_SET_SIZE: '4', SCR_SET_FAILURES: '1', SCR_CACHE_BYPASS: '1', SCR_GROUP: 'WORLD', SCR_CACHE_BASE: '/c' });
    assert.deepEqual(cfg.ckpts, [{
      index: 0, interval: 1, group: 'WORLD', store: '/c', type: 'RS', setSize: 4, setFailures: 1, count: null,
      output: false, bypass: true, enabled: true, source: { kind: 'implied' },
    }]);
    assert.deepEqual(cfg.warnings, []);
  });

  it('SCR_COPY_TYPE=FILE without CKPT lines is an error naming where FILE was set', () => {
    const s = sb();
    assertConfigError(() => s.load(FILE), /^the environment: SCR_COPY_TYPE=FILE but no CKPT= lines are configured/m);
    s.writeSystem('SCR_COPY_TYPE=file\n');
    assertConfigError(() => s.load(), re(`${s.system}:1: SCR_COPY_TYPE=FILE but no CKPT= lines`));
  });

  it('with FILE: keys, defaults and fallbacks to the global parameters', () => {
    const s = sb();
    s.writeSystem([
      'STORE=/ssd COUNT=4',
      'CKPT=0',
      'CKPT=1 INTERVAL=4 STORE=/ssd TYPE=RS SET_SIZE=16 SET_FAILURES=3 COUNT=1 OUTPUT=1 GROUP=WORLD BYPASS=1',
      'CKPT=2 INTERVAL=8 TYPE=single ENABLED=0',
    ].join('\n'));
    const cfg = s.load({ ...FILE, SCR_SET_SIZE: '6', SCR_SET_FAILURES: '1', SCR_GROUP: 'WORLD', SCR_CACHE_BYPASS: '0' });
    const strip = (c: CkptDescriptor) => ({ ...c, source: c.source.line });
    assert.deepEqual(cfg.ckpts.map(strip), [
      { index: 0, interval: 1, group: 'WORLD', store: '/dev/shm', type: 'XOR', setSize: 6, setFailures: 1, count: null, output: false, bypass: false, enabled: true, source: 2 },
      { index: 1, interval: 4, group: 'WORLD', store: '/ssd', type: 'RS', setSize: 16, setFailures: 3, count: 1, output: true, bypass: true, enabled: true, source: 3 },
      { index: 2, interval: 8, group: 'WORLD', store: '/dev/shm', type: 'SINGLE', setSize: 6, setFailures: 1, count: null, output: false, bypass: false, enabled: false, source: 4 },
    ]);
    assert.deepEqual(cfg.warnings, []);
  });

  it('per-descriptor SET_SIZE, SET_FAILURES and COUNT apply to that descriptor only', () => {
    const s = sb();
    s.writeSystem('CKPT=0 INTERVAL=1 SET_SIZE=4 COUNT=2\nCKPT=1 INTERVAL=2 SET_SIZE=12 SET_FAILURES=4 TYPE=RS\n');
    const cfg = s.load(FILE);
    assert.deepEqual(cfg.ckpts.map((c) => [c.setSize, c.setFailures, c.count]), [[4, 2, 2], [12, 4, null]]);
    assert.equal(cfg.descriptorFor(1).setSize, 4);
    assert.equal(cfg.descriptorFor(2).setSize, 12);
    assert.equal(cfg.descriptorFor(2).setFailures, 4);
  });

  it('are sorted by index whatever the order of the lines', () => {
    const s = sb();
    s.writeSystem('CKPT=2 INTERVAL=8\nCKPT=0 INTERVAL=1\nCKPT=1 INTERVAL=4\n');
    assert.deepEqual(s.load(FILE).ckpts.map((c) => [c.index, c.interval]), [[0, 1], [1, 4], [2, 8]]);
  });

  it('no enabled descriptor with INTERVAL=1 is an error', () => {
    const s = sb();
    s.writeSystem('CKPT=0 INTERVAL=2\nCKPT=1 INTERVAL=4\n');
    assertConfigError(() => s.load(FILE), re(`${s.system}:1: no enabled CKPT descriptor has INTERVAL=1`));
    s.writeSystem('CKPT=0 INTERVAL=1 ENABLED=0\nCKPT=1 INTERVAL=4\n');
    assertConfigError(() => s.load(FILE), /no enabled CKPT descriptor has INTERVAL=1/);
  });

  it('two enabled OUTPUT=1 descriptors are an error at the second; a disabled one does not count', () => {
    const s = sb();
    s.writeSystem('CKPT=0 INTERVAL=1 OUTPUT=1\nCKPT=1 INTERVAL=4 OUTPUT=1\n');
    assertConfigError(() => s.load(FILE), re(`${s.system}:2: more than one enabled CKPT descriptor has OUTPUT=1`));
    s.writeSystem('CKPT=0 INTERVAL=1 OUTPUT=1\nCKPT=1 INTERVAL=4 OUTPUT=1 ENABLED=0\n');
    assert.equal(s.load(FILE).descriptorFor(3, { output: true }).index, 0);
  });

  it('the STORE of a CKPT line must be a STORE line or the cache base', () => {
    const s = sb();
    s.writeSystem('CKPT=0 INTERVAL=1 STORE=/nowhere\n');
    assertConfigError(() => s.load(FILE), re(`${s.system}:1: CKPT=0: STORE=/nowhere is not a STORE= line nor SCR_CACHE_BASE`));
    s.writeSystem('STORE=/nowhere\nCKPT=0 INTERVAL=1 STORE=/nowhere\n');
    assert.equal(s.load(FILE).ckpts[0]!.store, '/nowhere');
    s.writeSystem('CKPT=0 INTERVAL=1 STORE=/dev/shm\n');
    assert.equal(s.load(FILE).ckpts[0]!.store, '/dev/shm');
  });

  it('the GROUP of a CKPT line must be known', () => {
    const s = sb();
    s.writeSystem('CKPT=0 INTERVAL=1 GROUP=SWITCH\n');
    assertConfigError(() => s.load(FILE), re(`${s.system}:1: CKPT=0: GROUP=SWITCH is not NODE, WORLD or a group from GROUPS= lines`));
    s.writeSystem('CKPT=0 INTERVAL=1 GROUP=SWITCH\nGROUPS=n1 SWITCH=s1\n');
    assert.equal(s.load(FILE).ckpts[0]!.group, 'SWITCH');
  });

  it('bad indexes, duplicate indexes and bad values are errors with the line', () => {
    const s = sb();
    s.writeSystem('CKPT=0 INTERVAL=1\nCKPT=x\nCKPT=-1\nCKPT=0 INTERVAL=2\nCKPT=3 INTERVAL=0 TYPE=FILE SET_FAILURES=200\n');
    const err = assertConfigError(() => s.load(FILE),
      /:2: CKPT=x: the index must be a whole number/, /:3: CKPT=-1: the index must be at least 0/, /:4: CKPT=0 is defined twice/,
      /:5: CKPT=3: INTERVAL must be at least 1/, /:5: CKPT=3: TYPE must be one of SINGLE, PARTNER, XOR, RS, got "FILE"/,
      /:5: CKPT=3: SET_FAILURES must be at most 127/);
    assert.equal(err.problems.length, 6, err.message);
  });
});

describe('config descriptors: families', () => {
  const sb = useSandbox();

  it('user CKPT lines replace the system file\'s whole family', () => {
    const s = sb();
    s.writeSystem('CKPT=0 INTERVAL=1 TYPE=XOR\nCKPT=1 INTERVAL=4 TYPE=RS\nCKPT=2 INTERVAL=8 TYPE=PARTNER OUTPUT=1\n');
    const u = s.writeUser('CKPT=0 INTERVAL=1 TYPE=SINGLE\n');
    const cfg = s.load(FILE);
    assert.deepEqual(cfg.ckpts.map((c) => [c.index, c.type, c.source.file]), [[0, 'SINGLE', u]]);
    assert.equal(cfg.descriptorFor(8).index, 0);
  });

  it('each family comes from its own first source: STORE from the system file, CKPT from the user file', () => {
    const s = sb();
    s.writeSystem('STORE=/ssd COUNT=3\nCKPT=0 INTERVAL=1 STORE=/ssd\nGROUPS=n1 RACK=a\n');
    s.writeUser('CKPT=0 INTERVAL=1 STORE=/ssd TYPE=RS\nCKPT=1 INTERVAL=2 GROUP=RACK\n');
    const cfg = s.load(FILE);
    assert.deepEqual(cfg.stores.map((x) => [x.path, x.count, x.source.kind]), [['/ssd', 3, 'system file'], ['/dev/shm', 2, 'implied']]);
    assert.deepEqual(cfg.ckpts.map((c) => [c.index, c.type, c.group, c.source.kind]), [[0, 'RS', 'NODE', 'user file'], [1, 'XOR', 'RACK', 'user file']]);
    assert.deepEqual(Object.fromEntries(cfg.groups), { n1: { RACK: 'a' } });
  });

  it('config() descriptor lines replace the system file\'s and lose to the user file\'s', () => {
    const s = sb();
    s.writeSystem('STORE=/sys\nCKPT=0 INTERVAL=1 TYPE=XOR\n');
    const layer = new Layer('config()');
    applyConfigString(layer, 'CKPT=0 INTERVAL=1 TYPE=PARTNER', {});
    applyConfigString(layer, 'STORE=/app COUNT=5', {});
    let cfg = s.load(FILE, { appLayer: layer });
    assert.deepEqual(cfg.ckpts.map((c) => [c.type, c.source.kind]), [['PARTNER', 'config()']]);
    assert.deepEqual(cfg.stores.map((x) => x.path), ['/app', '/dev/shm']);
    s.writeUser('CKPT=0 INTERVAL=1 TYPE=SINGLE\n');
    cfg = s.load(FILE, { appLayer: layer });
    assert.deepEqual(cfg.ckpts.map((c) => [c.type, c.source.kind]), [['SINGLE', 'user file']]);
    assert.deepEqual(cfg.stores.map((x) => x.path), ['/app', '/dev/shm']);
  });

  it('the example descriptor lines of SPEC §3 load', () => {
    const s = sb();
    s.writeSystem([
      'STORE=/dev/shm GROUP=NODE COUNT=2',
      'STORE=/ssd GROUP=NODE COUNT=1',
      'CKPT=0 INTERVAL=1 GROUP=NODE STORE=/dev/shm TYPE=XOR SET_SIZE=8',
      'CKPT=1 INTERVAL=4 STORE=/ssd TYPE=RS SET_SIZE=8 SET_FAILURES=2 OUTPUT=1',
      'GROUPS=host1 POWER=psu1 SWITCH=0',
    ].join('\n'));
    const cfg = s.load(FILE);
    assert.equal(cfg.ckpts.length, 2);
    assert.equal(cfg.stores.length, 2);
    assert.equal(cfg.descriptorFor(4).type, 'RS');
    assert.equal(cfg.descriptorFor(5).type, 'XOR');
  });
});

describe('config descriptors: descriptorFor', () => {
  const sb = useSandbox();
  const THREE = 'CKPT=0 INTERVAL=1 TYPE=XOR\nCKPT=1 INTERVAL=4 TYPE=PARTNER\nCKPT=2 INTERVAL=8 TYPE=RS\n';

  it('checkpoints 1..16 get the enabled descriptor with the largest INTERVAL dividing the id', () => {
    const s = sb();
    s.writeSystem(THREE);
    const cfg = s.load(FILE);
    const got = Array.from({ length: 16 }, (_, i) => cfg.descriptorFor(i + 1).interval);
    assert.deepEqual(got, [1, 1, 1, 4, 1, 1, 1, 8, 1, 1, 1, 4, 1, 1, 1, 8]);
    assert.equal(cfg.descriptorFor(8, { checkpoint: true }).type, 'RS');
  });

  it('the order of the lines does not matter', () => {
    const s = sb();
    s.writeSystem('CKPT=5 INTERVAL=8\nCKPT=3 INTERVAL=1\nCKPT=4 INTERVAL=4\n');
    const cfg = s.load(FILE);
    assert.deepEqual([1, 4, 8, 12, 16].map((id) => cfg.descriptorFor(id).index), [3, 4, 5, 4, 5]);
  });

  it('a disabled descriptor is never chosen', () => {
    const s = sb();
    s.writeSystem(THREE.replace('INTERVAL=8 TYPE=RS', 'INTERVAL=8 TYPE=RS ENABLED=0'));
    const cfg = s.load(FILE);
    assert.deepEqual(Array.from({ length: 16 }, (_, i) => cfg.descriptorFor(i + 1).interval), [1, 1, 1, 4, 1, 1, 1, 4, 1, 1, 1, 4, 1, 1, 1, 4]);
  });

  it('output datasets use the OUTPUT=1 descriptor, whatever their id', () => {
    const s = sb();
    s.writeSystem(THREE.replace('INTERVAL=4 TYPE=PARTNER', 'INTERVAL=4 TYPE=PARTNER OUTPUT=1'));
    const cfg = s.load(FILE);
    for (let id = 1; id <= 16; id++) {
      assert.equal(cfg.descriptorFor(id, { output: true }).index, 1, `output ${id}`);
      assert.equal(cfg.descriptorFor(id, { output: true, checkpoint: true }).index, 1, `output+checkpoint ${id}`);
    }
    assert.equal(cfg.descriptorFor(8).index, 2, 'checkpoints still by interval');
  });

  it('without an OUTPUT=1 descriptor: output uses the INTERVAL=1 one, output+checkpoint the interval rule', () => {
    const s = sb();
    s.writeSystem(THREE);
    const cfg = s.load(FILE);
    for (let id = 1; id <= 16; id++) assert.equal(cfg.descriptorFor(id, { output: true }).interval, 1, `output ${id}`);
    assert.equal(cfg.descriptorFor(8, { output: true, checkpoint: true }).interval, 8);
    assert.equal(cfg.descriptorFor(4, { output: true, checkpoint: true }).interval, 4);
    assert.equal(cfg.descriptorFor(3, { output: true, checkpoint: true }).interval, 1);
  });

  it('without CKPT lines every dataset uses the implied descriptor', () => {
    const cfg = sb().load({ SCR_COPY_TYPE: 'PARTNER' });
    for (const id of [1, 2, 4, 8, 16]) {
      for (const o of [{}, { output: true }, { output: true, checkpoint: true }]) {
        const d = cfg.descriptorFor(id, o);
        assert.equal(d.type, 'PARTNER');
        assert.equal(d.source.kind, 'implied');
      }
    }
  });
});
