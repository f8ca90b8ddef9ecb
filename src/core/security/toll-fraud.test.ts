import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../util/clock.js';
import { DEFAULT_TOLL_FRAUD_LIMITS, type TollFraudLimitsRecord } from '../../store/types.js';
import { tollFraudLimitsOf } from '../provisioning/toll-fraud.js';
import { SecurityEvents } from './security-events.js';
import { TollFraudGuard } from './toll-fraud.js';

function setup(limits: Partial<TollFraudLimitsRecord>) {
  const clock = new FakeClock();
  const events = new SecurityEvents();
  const guard = new TollFraudGuard({
    store: {
      limits: async () => ({ ...DEFAULT_TOLL_FRAUD_LIMITS, ...limits }),
      replace: async () => undefined,
    },
    clock,
    events,
  });
  const call = (dialled: string, e164: string, workplace = '100') =>
    guard.admit({
      tenantId: 'acme',
      workplace,
      dialled,
      e164,
      countryCode: '49',
      source: '192.0.2.1',
      callId: 'c',
    });
  return { clock, events, guard, call };
}

test('by default national and mobile go out, international and premium are refused', async () => {
  const { call, events } = setup({});
  assert.equal((await call('030123', '+4930123')).ok, true);
  assert.equal((await call('01711234567', '+491711234567')).ok, true);
  assert.deepEqual(await call('0044201234', '+44201234'), { ok: false, reason: 'destination-international' });
  assert.deepEqual(await call('0900123', '+49900123'), { ok: false, reason: 'destination-premium' });
  assert.equal(events.counters().fraudRefused, 2);
});

test('concurrent external calls of the tenant are capped; a release frees the slot once', async () => {
  const { call, guard } = setup({ maxConcurrentExternalCalls: 1 });
  const first = await call('030123', '+4930123');
  assert.ok(first.ok);
  assert.deepEqual(await call('030124', '+4930124', '101'), { ok: false, reason: 'concurrent-limit' });
  first.release();
  first.release();
  assert.equal(guard.live(), 0);
  assert.equal((await call('030124', '+4930124', '101')).ok, true);
});

test('calls per workplace per hour are capped on a sliding hour; emergency calls pass every limit', async () => {
  const { call, clock } = setup({ maxExternalCallsPerWorkplacePerHour: 2, maxConcurrentExternalCalls: 0 });
  assert.equal((await call('112', '+112')).ok, true, 'emergency passes even a concurrency limit of 0');
  const s = setup({ maxExternalCallsPerWorkplacePerHour: 2 });
  for (let i = 0; i < 2; i++) {
    const r = await s.call('030123', '+4930123');
    assert.ok(r.ok);
    r.release();
  }
  assert.deepEqual(await s.call('030123', '+4930123'), { ok: false, reason: 'hourly-limit' });
  assert.equal((await s.call('030123', '+4930123', '101')).ok, true, 'another workplace has its own tally');
  s.clock.advance(3_600_001);
  assert.equal((await s.call('030123', '+4930123')).ok, true);
  void clock;
});

test('provisioning fills the defaults and keeps classes in a fixed order', () => {
  assert.deepEqual(tollFraudLimitsOf(undefined), {
    maxConcurrentExternalCalls: null,
    maxExternalCallsPerWorkplacePerHour: null,
    allow: ['national', 'mobile'],
  });
  assert.deepEqual(tollFraudLimitsOf({ allow: ['premium', 'national'], maxConcurrentExternalCalls: 3 }), {
    maxConcurrentExternalCalls: 3,
    maxExternalCallsPerWorkplacePerHour: null,
    allow: ['national', 'premium'],
  });
});
