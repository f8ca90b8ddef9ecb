import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallHistoryRecord } from '../store/types.js';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';

const record = (i: number, o: Partial<CallHistoryRecord> = {}): CallHistoryRecord => ({
  id: `h-${String(i).padStart(3, '0')}`,
  tenantId: 'acme',
  callId: `c-${i}`,
  direction: 'internal',
  callerNumber: '100',
  callerName: 'Anna Admin',
  callerWorkplace: '100',
  calleeNumber: '101',
  calleeName: 'Ben User',
  calleeWorkplace: '101',
  answeredByDevice: 'ben-soft',
  // Several calls share a millisecond: paging must neither repeat nor drop one.
  startedAt: 1_700_000_000_000 + Math.floor(i / 3) * 1000,
  answeredAt: 1_700_000_000_500,
  endedAt: 1_700_000_060_000,
  durationS: 60,
  outcome: 'completed',
  status: null,
  ...o,
});

describe('api: call history', () => {
  let t: TestApi;
  let ben: string;
  before(async () => {
    t = await startTestApi();
    ben = await t.login(LOGINS.ben);
    for (let i = 0; i < 10; i++)
      await t.store.callHistory.add(
        i % 4 === 0 ? record(i, { answeredAt: null, durationS: 0, outcome: 'no-answer' }) : record(i),
      );
    // Ben called Anna once; another tenant's record with Ben's extension must never show.
    await t.store.callHistory.add(
      record(20, {
        callerWorkplace: '101',
        callerNumber: '101',
        calleeWorkplace: '100',
        calleeNumber: '100',
      }),
    );
    await t.store.callHistory.add(record(21, { tenantId: 'other' }));
  });
  after(() => t.close());

  it('pages newest first through same-millisecond calls without repeating or losing one', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const r = await t.call(ben, 'GET', `/api/v1/me/history?limit=3${q}`);
      assert.equal(r.status, 200);
      const items = r.json['items'] as Array<{ id: string }>;
      seen.push(...items.map((x) => x.id));
      cursor = r.json['next'] as string | null;
      if (!cursor) break;
    }
    assert.equal(seen.length, 11);
    assert.equal(new Set(seen).size, 11);
    assert.equal(seen[0], 'h-020');
    assert.ok(!seen.includes('h-021'));
  });

  it('filters by direction and missed, seen from me', async () => {
    const out = await t.call(ben, 'GET', '/api/v1/me/history?direction=outgoing');
    assert.deepEqual(
      (out.json['items'] as Array<{ id: string; other: { workplace: string } }>).map((x) => [
        x.id,
        x.other.workplace,
      ]),
      [['h-020', '100']],
    );
    const missed = await t.call(ben, 'GET', '/api/v1/me/history?missed=true&limit=2');
    const items = missed.json['items'] as Array<{ id: string; missed: boolean; direction: string }>;
    assert.deepEqual(
      items.map((x) => x.id),
      ['h-008', 'h-004'],
    );
    assert.ok(items.every((x) => x.missed && x.direction === 'incoming'));
    const rest = await t.call(
      ben,
      'GET',
      `/api/v1/me/history?missed=true&limit=2&cursor=${String(missed.json['next'])}`,
    );
    assert.deepEqual(
      (rest.json['items'] as Array<{ id: string }>).map((x) => x.id),
      ['h-000'],
    );
    assert.equal(rest.json['next'], null);
  });
});
