import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { startTestPbx, type TestPbx } from '../test-pbx.js';

describe('RequestAuthenticator (RFC 3261 section 22)', () => {
  let pbx: TestPbx | undefined;
  afterEach(async () => {
    await pbx?.close();
    pbx = undefined;
  });

  it('accepts the right password after a challenge and rejects a wrong one with 403', async () => {
    pbx = await startTestPbx();
    assert.equal((await pbx.sendAuthenticated({ method: 'MESSAGE' })).status, 501);
    assert.equal(
      (await pbx.sendAuthenticated({ method: 'MESSAGE', password: 'Wrong-Pa55word-x' })).status,
      403,
    );
  });

  it('gives an unknown user and a wrong password the same answer; only the log tells them apart', async () => {
    pbx = await startTestPbx();
    const wrong = await pbx.sendAuthenticated({ method: 'REGISTER', password: 'Wrong-Pa55word-x' });
    const unknown = await pbx.sendAuthenticated({
      method: 'REGISTER',
      user: '999',
      password: 'Wrong-Pa55word-x',
    });
    const shape = (r: typeof wrong) => ({
      status: r.status,
      reason: r.reason,
      headers: [...r.headers.entries()].map(([n]) => n.toLowerCase()).sort(),
    });
    assert.deepEqual(shape(unknown), shape(wrong));
    const reasons = pbx.logs.filter((l) => l['event'] === 'auth.failure').map((l) => l['reason']);
    assert.deepEqual(reasons, ['bad-credentials', 'unknown-user']);
    assert.ok(!JSON.stringify(pbx.logs).includes('Wrong-Pa55word-x'), 'a password reached the log');
  });

  it('lets a device act only as its own address of record (identity mismatch is a 403 like any other)', async () => {
    pbx = await startTestPbx();
    // Device 100's credentials in a REGISTER for 101's address of record.
    const res = await pbx.sendAuthenticated({ method: 'REGISTER', user: '101', username: '100' });
    assert.equal(res.status, 403);
    assert.equal(pbx.logs.find((l) => l['event'] === 'auth.failure')?.['reason'], 'identity-mismatch');
  });

  it('stops answering a (source, user) after repeated failures, also for the right password', async () => {
    pbx = await startTestPbx({ userThreshold: 3 });
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await pbx.sendAuthenticated({ method: 'MESSAGE', password: `Wrong-Pa55word-${i}` })).status,
        403,
      );
    assert.ok(pbx.logs.some((l) => l['event'] === 'auth.ban'));
    // Banned: no answer at all, so the request times out locally (Timer F).
    const pending = pbx.sendAuthenticated({ method: 'MESSAGE' });
    await pbx.net.advance(40_000, 1_000);
    assert.equal((await pending).status, 408);
  });
});
