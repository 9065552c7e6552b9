// SCR_CHECKPOINT_SECONDS takes a whole number ≥ 0 as before, or `auto` (any case); a bad value
// still gets the whole-number message, now naming `auto` too. SCR_MTBF is a number of seconds
// ≥ 1, unset by default.
import assert from 'node:assert/strict';
import { assertConfigError, useSandbox } from './helpers.js';

describe('config: SCR_CHECKPOINT_SECONDS=auto and SCR_MTBF', () => {
  const sb = useSandbox();

  it('SCR_CHECKPOINT_SECONDS keeps integers and accepts auto', () => {
    assert.equal(sb().load().get('SCR_CHECKPOINT_SECONDS'), 0);
    assert.equal(sb().load({ SCR_CHECKPOINT_SECONDS: '600' }).get('SCR_CHECKPOINT_SECONDS'), 600);
    assert.equal(sb().load({ SCR_CHECKPOINT_SECONDS: 'auto' }).get('SCR_CHECKPOINT_SECONDS'), 'auto');
    assert.equal(sb().load({ SCR_CHECKPOINT_SECONDS: ' AUTO ' }).get('SCR_CHECKPOINT_SECONDS'), 'auto');
    sb().writeUser('SCR_CHECKPOINT_SECONDS=Auto\n');
    assert.equal(sb().load().get('SCR_CHECKPOINT_SECONDS'), 'auto');
  });

  it('SCR_CHECKPOINT_SECONDS: bad values are refused as before', () => {
    assertConfigError(() => sb().load({ SCR_CHECKPOINT_SECONDS: 'often' }), /SCR_CHECKPOINT_SECONDS must be a whole number, got "often"; also accepted: auto/);
    assertConfigError(() => sb().load({ SCR_CHECKPOINT_SECONDS: '1.5' }), /must be a whole number, got "1.5"/);
    assertConfigError(() => sb().load({ SCR_CHECKPOINT_SECONDS: '-1' }), /SCR_CHECKPOINT_SECONDS must be at least 0, got -1/);
  });

  it('SCR_MTBF is unset by default, a number of seconds when set', () => {
    assert.equal(sb().load().get('SCR_MTBF'), null);
    assert.equal(sb().load({ SCR_MTBF: '43200.5' }).get('SCR_MTBF'), 43200.5);
    assertConfigError(() => sb().load({ SCR_MTBF: 'a day' }), /SCR_MTBF must be a number, got "a day"/);
    assertConfigError(() => sb().load({ SCR_MTBF: '0' }), /SCR_MTBF must be at least 1, got 0/);
    assertConfigError(() => sb().load({ SCR_MTBF: 'auto' }), /SCR_MTBF must be a number, got "auto"/);
  });
});
