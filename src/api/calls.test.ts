import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  Actor,
  CallControl,
  CallView,
  ControlError,
  ControlResult,
} from '../core/calls/call-control-types.js';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';

/** Call control that knows one call per workplace and fails on demand, recording what it was asked. */
class FakeControl implements CallControl {
  readonly asked: Array<{ op: string; actor: Actor; args: unknown[] }> = [];
  failWith: ControlError | undefined;
  readonly #calls = new Map<string, { owner: string; view: CallView }>([
    [
      'call-1',
      {
        owner: 'acme/101',
        view: {
          id: 'call-1',
          state: 'talking',
          direction: 'incoming',
          other: { number: '+4930555', name: 'Carrier' },
          device: 'ben-soft',
          since: 1_700_000_000_000,
          answeredAt: 1_700_000_001_000,
        },
      },
    ],
  ]);

  #result<T>(op: string, a: Actor, value: T, args: unknown[], callId?: string): ControlResult<T> {
    this.asked.push({ op, actor: a, args });
    if (callId !== undefined && this.#calls.get(callId)?.owner !== `${a.tenantId}/${a.workplace}`)
      return { ok: false, error: 'not-found', message: 'no such call' };
    if (this.failWith) return { ok: false, error: this.failWith, message: `failed: ${this.failWith}` };
    return { ok: true, value };
  }

  callsOf(a: Actor): CallView[] {
    return [...this.#calls.values()]
      .filter((c) => c.owner === `${a.tenantId}/${a.workplace}`)
      .map((c) => c.view);
  }
  async dial(a: Actor, o: { device: string; to: string; as?: string }) {
    return this.#result('dial', a, { callId: 'call-2' }, [o]);
  }
  async answer(a: Actor, id: string, o: { device: string }) {
    return this.#result('answer', a, undefined, [id, o], id);
  }
  async hangup(a: Actor, id: string) {
    return this.#result('hangup', a, undefined, [id], id);
  }
  async hold(a: Actor, id: string) {
    return this.#result('hold', a, undefined, [id], id);
  }
  async resume(a: Actor, id: string) {
    return this.#result('resume', a, undefined, [id], id);
  }
  async blindTransfer(a: Actor, id: string, to: string) {
    return this.#result('blindTransfer', a, undefined, [id, to], id);
  }
  async consult(a: Actor, id: string, to: string) {
    return this.#result('consult', a, { callId: 'call-3' }, [id, to], id);
  }
  async completeTransfer(a: Actor, id: string, other: string) {
    return this.#result('completeTransfer', a, undefined, [id, other], id);
  }
  async dtmf(a: Actor, id: string, digits: string) {
    return this.#result('dtmf', a, undefined, [id, digits], id);
  }
  async pickup(a: Actor, o: { device: string; callId?: string }) {
    return this.#result('pickup', a, { callId: 'call-4' }, [o]);
  }
  async pull(a: Actor, o: { device: string }) {
    return this.#result('pull', a, { callId: 'call-5' }, [o]);
  }
}

describe('api: calls over the CallControl seam', () => {
  let t: TestApi;
  let fake: FakeControl;
  let ben: string;
  let olga: string;
  before(async () => {
    fake = new FakeControl();
    t = await startTestApi({ calls: fake });
    ben = await t.login(LOGINS.ben);
    olga = await t.login(LOGINS.olga);
  });
  after(() => t.close());

  it('lists my calls with ISO times; another tenant sees none of them', async () => {
    const r = await t.call(ben, 'GET', '/api/v1/calls');
    assert.equal(r.status, 200);
    const calls = r.json as unknown as Array<Record<string, unknown>>;
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!['id'], 'call-1');
    assert.equal(calls[0]!['since'], new Date(1_700_000_000_000).toISOString());
    assert.deepEqual((await t.call(olga, 'GET', '/api/v1/calls')).json, []);
  });

  it('every action reaches call control as the logged-in workplace, with the status of its kind', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/api/v1/calls', { device: 'ben-soft', to: '100' }, 201, 'dial'],
      ['POST', '/api/v1/calls', { device: 'ben-soft', to: '+4930123', as: '100' }, 201, 'dial'],
      ['POST', '/api/v1/calls/call-1/answer', { device: 'ben-soft' }, 204, 'answer'],
      ['POST', '/api/v1/calls/call-1/hold', undefined, 204, 'hold'],
      ['POST', '/api/v1/calls/call-1/resume', undefined, 204, 'resume'],
      ['POST', '/api/v1/calls/call-1/transfer', { to: '102' }, 204, 'blindTransfer'],
      ['POST', '/api/v1/calls/call-1/consult', { to: '102' }, 201, 'consult'],
      [
        'POST',
        '/api/v1/calls/call-1/complete-transfer',
        { consultCallId: 'call-3' },
        204,
        'completeTransfer',
      ],
      ['POST', '/api/v1/calls/call-1/dtmf', { digits: '12#' }, 204, 'dtmf'],
      ['POST', '/api/v1/calls/pickup', { device: 'ben-soft', callId: 'x' }, 201, 'pickup'],
      ['POST', '/api/v1/calls/pull', { device: 'ben-soft' }, 201, 'pull'],
      ['POST', '/api/v1/calls/call-1/hangup', undefined, 204, 'hangup'],
    ];
    for (const [method, url, body, status, op] of cases) {
      const r = await t.call(ben, method as 'POST', url, body);
      assert.equal(r.status, status, `${url}: ${JSON.stringify(r.json)}`);
      const last = fake.asked.at(-1)!;
      assert.equal(last.op, op);
      assert.deepEqual(last.actor, { tenantId: 'acme', workplace: '101' });
    }
    assert.deepEqual(fake.asked.find((a) => a.op === 'dial' && (a.args[0] as { as?: string }).as)?.args, [
      { device: 'ben-soft', to: '+4930123', as: '100' },
    ]);
  });

  it("another tenant's call id answers 404 as an unknown one", async () => {
    for (const id of ['call-1', 'no-such-call']) {
      const r = await t.call(olga, 'POST', `/api/v1/calls/${id}/hold`);
      assert.equal(r.status, 404);
      assert.equal(r.json.error, 'NOT_FOUND');
    }
  });

  it('maps each control error to its HTTP status with the JSON error body', async () => {
    const table: Array<[ControlError, number, string]> = [
      ['invalid-state', 409, 'INVALID_STATE'],
      ['no-device', 409, 'NO_DEVICE'],
      ['not-allowed', 403, 'FORBIDDEN'],
      ['invalid-number', 422, 'INVALID_NUMBER'],
      ['failed', 502, 'UPSTREAM_FAILED'],
    ];
    try {
      for (const [error, status, code] of table) {
        fake.failWith = error;
        const r = await t.call(ben, 'POST', '/api/v1/calls', { device: 'ben-soft', to: '100' });
        assert.equal(r.status, status, error);
        assert.equal(r.json.error, code);
        assert.equal(r.json['message'], `failed: ${error}`);
      }
    } finally {
      fake.failWith = undefined;
    }
  });
});

describe('api: calls without call control', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(() => t.close());

  it('answers 501 NOT_IMPLEMENTED, still after authentication and validation', async () => {
    const ben = await t.login(LOGINS.ben);
    assert.equal((await t.call(undefined, 'GET', '/api/v1/calls')).status, 401);
    const r = await t.call(ben, 'GET', '/api/v1/calls');
    assert.equal(r.status, 501);
    assert.equal(r.json.error, 'NOT_IMPLEMENTED');
    assert.equal((await t.call(ben, 'POST', '/api/v1/calls', { device: 'x' })).status, 400);
  });
});
