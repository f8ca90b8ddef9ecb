import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../util/clock.js';
import { AuthThrottle } from './auth-throttle.js';
import { SecurityEvents } from './security-events.js';
import { SourceGuard } from './source-guard.js';

const options = Buffer.from('OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:x>\r\n\r\n');
const register = Buffer.from(
  'REGISTER sip:x SIP/2.0\r\nTo: <sip:x>\r\nAuthorization: Digest username="a"\r\n\r\n',
);
const response = Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n');

function setup(o: { rate?: number; threshold?: number; trusted?: string[] } = {}) {
  const clock = new FakeClock();
  const throttle = new AuthThrottle({ clock, challengeThreshold: 3, sourceThreshold: 3, userThreshold: 100 });
  const events = new SecurityEvents();
  const trusted = new Set(o.trusted ?? []);
  const guard = new SourceGuard({
    clock,
    throttle,
    events,
    ratePerSecond: o.rate ?? 10,
    burst: o.rate ?? 10,
    floodThreshold: o.threshold ?? 5,
    banMs: 60_000,
    trusted: (a) => trusted.has(a),
    registered: (a, p) => a === '127.0.0.4' && p === 5062,
  });
  return { clock, throttle, events, guard };
}

const at = (address: string, port = 5060) => ({ address, port });

function admitted(guard: SourceGuard, address: string, bytes: Buffer, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (guard.admit(at(address), bytes)) ok++;
  return ok;
}

test('a source over its rate is cut to its burst, others are untouched, and the rate refills', () => {
  const { clock, guard } = setup({ threshold: 1000 });
  assert.equal(admitted(guard, '127.0.0.2', options, 50), 10);
  assert.equal(admitted(guard, '127.0.0.3', options, 10), 10);
  clock.advance(500);
  assert.equal(admitted(guard, '127.0.0.2', options, 50), 5);
});

test('enough refused messages ban the source for a while, with one flood.ban event', () => {
  const { clock, guard, events } = setup();
  admitted(guard, '127.0.0.2', options, 15);
  assert.equal(guard.isFloodBanned('127.0.0.2'), true);
  assert.equal(events.counters().floodBans, 1);
  assert.ok(events.counters().floodDropped >= 5);
  clock.advance(10_000);
  // Refilled, but still banned: an unauthenticated OPTIONS is dropped.
  assert.equal(guard.admit(at('127.0.0.2'), options), false);
  clock.advance(60_000);
  assert.equal(guard.admit(at('127.0.0.2'), options), true);
});

test('a banned or flooding address still passes responses and requests with credentials (one NAT, two devices)', () => {
  const { guard, throttle } = setup();
  admitted(guard, '127.0.0.2', options, 15);
  assert.equal(guard.isFloodBanned('127.0.0.2'), true);
  assert.equal(guard.admit(at('127.0.0.2'), register), true);
  assert.equal(guard.admit(at('127.0.0.2'), response), true);
  // Unanswered challenges: same rule.
  for (let i = 0; i < 3; i++) throttle.recordChallenge('127.0.0.4');
  assert.equal(guard.admit(at('127.0.0.4'), options), false);
  assert.equal(guard.admit(at('127.0.0.4'), register), true);
  const bareRegister = Buffer.from('REGISTER sip:x SIP/2.0\r\nTo: <sip:x>\r\n\r\n');
  assert.equal(guard.admit(at('127.0.0.4'), bareRegister), true, 'a rebooted phone still gets its challenge');
  // A phone registered from this address and port is served even without credentials.
  assert.equal(guard.admit(at('127.0.0.4', 5062), options), true);
  // The accountable traffic has its own bucket: a flood of fake credentials is limited too.
  assert.ok(admitted(guard, '127.0.0.2', register, 100) < 20);
});

test('wrong passwords across users refuse the source altogether, even connections', () => {
  const { guard, throttle } = setup();
  for (let i = 0; i < 3; i++) throttle.recordFailure('127.0.0.5', 'acme', `u${i}`);
  assert.equal(guard.admit(at('127.0.0.5')), false);
  assert.equal(guard.admit(at('127.0.0.5'), register), false);
  assert.equal(guard.admit(at('127.0.0.6')), true);
});

test('a trunk peer is never limited', () => {
  const { guard } = setup({ trusted: ['192.0.2.10'] });
  assert.equal(admitted(guard, '192.0.2.10', options, 500), 500);
  assert.equal(guard.isFloodBanned('192.0.2.10'), false);
});

test('rate 0 turns the limit off', () => {
  const { guard } = setup({ rate: 0 });
  assert.equal(admitted(guard, '127.0.0.2', options, 500), 500);
});
