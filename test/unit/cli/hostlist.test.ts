import assert from 'node:assert/strict';
import { scr } from '../../harness/cli.js';

describe('scr hostlist', function () {
  this.timeout(60_000);

  it('expands bracketed lists, one host a line, keeping zero padding', () => {
    const r = scr(['hostlist', 'node[1-3,7],gpu[01-02]']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'node1\nnode2\nnode3\nnode7\ngpu01\ngpu02\n');
  });

  it('compresses plain names', () => {
    const r = scr(['hostlist', 'n1', 'n2', 'n3', 'n10']);
    assert.equal(r.stdout, 'n[1-3,10]\n');
    assert.equal(scr(['hostlist', '--compress', 'n[1-2],n3']).stdout, 'n[1-3]\n');
  });

  it('counts and prints JSON', () => {
    assert.equal(scr(['hostlist', '--count', 'n[1-100],login']).stdout, '101\n');
    assert.deepEqual(JSON.parse(scr(['hostlist', '--expand', '--json', 'n[1-3]']).stdout), ['n1', 'n2', 'n3']);
    assert.deepEqual(JSON.parse(scr(['hostlist', '--count', '--json', 'n[1-3]']).stdout), { count: 3 });
  });

  it('a malformed list exits 2 quoting the bad part', () => {
    const r = scr(['hostlist', 'n[5-3]']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^scr hostlist: .*"5-3".*write 3-5/m);
    const both = scr(['hostlist', '--expand', '--count', 'n1']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /choose one of --expand, --compress and --count/);
  });
});
