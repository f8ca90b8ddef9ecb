import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../util/clock.js';
import { AuthThrottle } from './auth-throttle.js';

test('bans a (source, tenant, user) after the threshold and lifts the ban after banMs', () => {
  const clock = new FakeClock();
  const t = new AuthThrottle({ clock, userThreshold: 3, sourceThreshold: 100, banMs: 10_000 });
  assert.equal(t.recordFailure('127.0.0.2', 'acme', '100'), undefined);
  assert.equal(t.recordFailure('127.0.0.2', 'acme', '100'), undefined);
  assert.equal(t.recordFailure('127.0.0.2', 'acme', '100'), 'user');
  assert.equal(t.isUserBanned('127.0.0.2', 'acme', '100'), true);
  // Other users, other tenants and other sources are untouched.
  assert.equal(t.isUserBanned('127.0.0.2', 'acme', '101'), false);
  assert.equal(t.isUserBanned('127.0.0.2', 'other', '100'), false);
  assert.equal(t.isUserBanned('127.0.0.1', 'acme', '100'), false);
  assert.equal(t.isSourceBanned('127.0.0.2'), false);
  clock.advance(10_001);
  assert.equal(t.isUserBanned('127.0.0.2', 'acme', '100'), false);
});

test('failures across many users ban the whole source', () => {
  const clock = new FakeClock();
  const t = new AuthThrottle({ clock, userThreshold: 100, sourceThreshold: 5 });
  for (let i = 0; i < 4; i++) assert.equal(t.recordFailure('127.0.0.3', 'acme', `u${i}`), undefined);
  assert.equal(t.recordFailure('127.0.0.3', 'acme', 'u9'), 'source');
  assert.equal(t.isSourceBanned('127.0.0.3'), true);
  assert.equal(t.isSourceBanned('127.0.0.4'), false);
});

test('challenges that are answered by successes never ban; an unanswered flood does', () => {
  const clock = new FakeClock();
  const t = new AuthThrottle({ clock, challengeThreshold: 10 });
  for (let i = 0; i < 50; i++) {
    assert.equal(t.recordChallenge('127.0.0.1'), undefined);
    t.recordSuccess('127.0.0.1', 'acme', '100');
  }
  assert.equal(t.isSourceBanned('127.0.0.1'), false);
  let scope;
  for (let i = 0; i < 10; i++) scope = t.recordChallenge('127.0.0.5');
  assert.equal(scope, 'source');
  assert.equal(t.isSourceBanned('127.0.0.5'), true);
});

test('the window restarts: slow failures never ban', () => {
  const clock = new FakeClock();
  const t = new AuthThrottle({ clock, userThreshold: 3, windowMs: 1000 });
  for (let i = 0; i < 10; i++) {
    assert.equal(t.recordFailure('127.0.0.2', 'acme', '100'), undefined);
    clock.advance(600);
  }
});

test('tables stay bounded under address rotation', () => {
  const clock = new FakeClock();
  const t = new AuthThrottle({ clock, maxEntries: 100 });
  for (let i = 0; i < 5000; i++) t.recordFailure(`127.1.${i >> 8}.${i & 255}`, 'acme', '100');
  assert.ok(t.size() <= 200, `size ${t.size()}`);
  assert.equal(clock.pendingTimers(), 0);
});
