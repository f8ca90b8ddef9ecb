import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { CallRinging } from '../core/events/types.js';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';

interface Msg {
  type: string;
  seq: number;
  data: Record<string, unknown>;
}

/** A stream client that collects every message. */
async function connect(t: TestApi, token: string, since?: number) {
  const ws = new WebSocket(
    `ws://127.0.0.1:${t.port}/api/v1/events${since !== undefined ? `?since=${since}` : ''}`,
    ['zentrale.v1', `bearer.${token}`],
  );
  const got: Msg[] = [];
  ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as Msg));
  await once(ws, 'open');
  const next = async (n: number): Promise<Msg[]> => {
    for (let i = 0; i < 100 && got.length < n; i++) await sleep(10);
    assert.ok(got.length >= n, `expected ${n} messages, got ${JSON.stringify(got)}`);
    return got.slice(0, n);
  };
  return { ws, got, next };
}

const ringing = (tenantId: string, callId: string, callee: string): CallRinging => ({
  type: 'call.ringing',
  tenantId,
  callId,
  at: Date.now(),
  caller: { number: '+4930555' },
  callee: { workplace: callee, number: callee },
});

describe('api: the WebSocket event stream', () => {
  let t: TestApi;
  let anna: string;
  let ben: string;
  before(async () => {
    t = await startTestApi();
    [anna, ben] = await Promise.all([t.login(LOGINS.anna), t.login(LOGINS.ben)]);
  });
  after(() => t.close());

  it('refuses an upgrade without a valid token (401, JSON), also in the Authorization header form', async () => {
    for (const protocols of [['zentrale.v1'], ['zentrale.v1', 'bearer.nope-nope-nope-nope']]) {
      const ws = new WebSocket(`ws://127.0.0.1:${t.port}/api/v1/events`, protocols);
      ws.on('error', () => undefined);
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
      assert.equal(res.statusCode, 401);
      ws.terminate();
    }
    const ok = new WebSocket(`ws://127.0.0.1:${t.port}/api/v1/events`, {
      headers: { authorization: `Bearer ${ben}` },
    });
    await once(ok, 'message');
    ok.close();
  });

  it('starts with a snapshot, then the events that concern me, in order, never another tenant’s', async () => {
    const c = await connect(t, ben);
    const [snap] = await c.next(1);
    assert.equal(snap!.type, 'snapshot');
    assert.deepEqual(snap!.data['agent'], {
      status: 'available',
      groups: [{ extension: '600', loggedIn: false }],
    });
    const seq0 = snap!.seq;
    t.bus.emit(ringing('other', 'o-1', '101')); // same extension, other tenant
    t.bus.emit(ringing('acme', 'a-1', '102')); // a colleague's call: not mine
    t.bus.emit(ringing('acme', 'a-2', '101'));
    t.bus.emit({ ...ringing('acme', 'a-2', '101'), type: 'call.answered' });
    t.bus.emit({
      type: 'call.ended',
      tenantId: 'acme',
      callId: 'a-2',
      at: Date.now(),
      caller: { number: '+4930555' },
      callee: { workplace: '101', number: '101' },
      reason: 'completed',
    });
    const msgs = (await c.next(4)).slice(1);
    assert.deepEqual(
      msgs.map((m) => [m.type, (m.data as { callId?: string }).callId]),
      [
        ['call.ringing', 'a-2'],
        ['call.answered', 'a-2'],
        ['call.ended', 'a-2'],
      ],
    );
    // The tenant's sequence: acme's a-1 took a number too, the other tenant's event did not.
    assert.deepEqual(
      msgs.map((m) => m.seq),
      [seq0 + 2, seq0 + 3, seq0 + 4],
    );
    assert.ok(!JSON.stringify(c.got).includes('o-1'));
    c.ws.close();
  });

  it("a colleague's lamp reaches the workplaces monitoring it; queue events reach the group's agents", async () => {
    const a = await connect(t, anna);
    await a.next(1);
    t.bus.emit({
      type: 'presence.changed',
      tenantId: 'acme',
      at: Date.now(),
      workplace: '101',
      status: 'ringing',
      previous: 'idle',
    });
    t.bus.emit({
      type: 'presence.changed',
      tenantId: 'acme',
      at: Date.now(),
      workplace: '102',
      status: 'busy',
      previous: 'idle',
    });
    t.bus.emit({
      type: 'callcenter.caller.queued',
      tenantId: 'acme',
      at: Date.now(),
      group: '600',
      callId: 'q',
      caller: { number: '1' },
      position: 1,
    });
    const [, lamp, queued] = await a.next(3);
    assert.equal(lamp!.type, 'presence.changed');
    assert.deepEqual(lamp!.data, { workplace: '101', status: 'ringing', previous: 'idle' });
    assert.equal(queued!.type, 'callcenter.caller.queued');
    await sleep(50);
    assert.equal(a.got.length, 3, 'the lamp of 102 (not monitored) did not come');
    a.ws.close();
  });

  it('a reconnect with the last seq gets what it missed; one from before the kept window gets a snapshot', async () => {
    const c = await connect(t, ben);
    const [snap] = await c.next(1);
    c.ws.close();
    await once(c.ws, 'close');
    t.bus.emit(ringing('acme', 'missed-1', '101'));
    t.bus.emit(ringing('acme', 'not-mine', '100'));
    t.bus.emit(ringing('acme', 'missed-2', '101'));
    const r = await connect(t, ben, snap!.seq);
    const [resumed, m1, m2] = await r.next(3);
    assert.deepEqual(resumed, { type: 'resumed', seq: snap!.seq });
    assert.deepEqual(
      [m1, m2].map((m) => (m!.data as { callId: string }).callId),
      ['missed-1', 'missed-2'],
    );
    r.ws.close();
    const future = await connect(t, ben, snap!.seq + 1_000_000);
    assert.equal((await future.next(1))[0]!.type, 'snapshot');
    future.ws.close();
  });

  it('logout closes the session’s streams with 4001', async () => {
    const token = await t.login(LOGINS.ben);
    const c = await connect(t, token);
    await c.next(1);
    const closed = once(c.ws, 'close');
    assert.equal((await t.call(token, 'DELETE', '/api/v1/sessions/current')).status, 204);
    const [code] = (await closed) as [number];
    assert.equal(code, 4001);
  });
});

describe('api: a slow event-stream consumer', () => {
  it('is cut off with close code 4008 instead of buffering without bound', async () => {
    const t = await startTestApi({ streamMaxBuffered: 256 * 1024 });
    try {
      const ben = await t.login(LOGINS.ben);
      const c = await connect(t, ben);
      await c.next(1);
      const closed = once(c.ws, 'close');
      // Stop reading: the kernel buffers fill, then the server's send buffer grows.
      (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const big = 'x'.repeat(4096);
      for (let i = 0; i < 8000 && t.api.streams() > 0; i++) {
        t.bus.emit({ ...ringing('acme', `c${i}`, '101'), caller: { number: '1', name: big } });
        if (i % 100 === 0) await sleep(1);
      }
      assert.equal(t.api.streams(), 0, 'the server let go of the client');
      (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const [code] = (await closed) as [number];
      assert.ok(code === 4008 || code === 1006, `close code ${code}`);
      assert.ok(t.logs.some((l) => l.includes('api.stream.slow')));
    } finally {
      await t.close();
    }
  });
});
