import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../core/events/event-bus.js';
import type { DomainEvent } from '../core/events/types.js';
import { EventHub, type StreamClient } from './event-hub.js';

const client = (tenantId: string, workplace: string, o: Partial<StreamClient> = {}) => {
  const got: string[] = [];
  const c: StreamClient = {
    who: { tenantId, workplace, role: 'user', domain: 'x', tokenHash: 'h', expiresAt: 0 },
    blf: new Set(),
    groups: new Set(),
    send: (m) => {
      got.push(m);
      return true;
    },
    ...o,
  };
  return { c, got };
};

const held = (tenantId: string, callId: string, by: string): DomainEvent => ({
  type: 'call.held',
  tenantId,
  callId,
  at: 0,
  by: { workplace: by, number: by },
});

describe('api: event hub', () => {
  it('numbers each tenant’s events on its own and sends a client only what concerns it', () => {
    const bus = new EventBus();
    const hub = new EventHub({ replay: 3 });
    hub.start(bus);
    const a = client('t1', '100');
    const b = client('t2', '100');
    hub.attach(a.c);
    hub.attach(b.c);
    bus.emit(held('t1', 'c1', '100'));
    bus.emit(held('t1', 'c2', '101'));
    bus.emit(held('t2', 'c3', '100'));
    assert.deepEqual(
      a.got
        .map((m) => JSON.parse(m) as { seq: number; data: { callId: string } })
        .map((m) => [m.seq, m.data.callId]),
      [[1, 'c1']],
    );
    assert.deepEqual(
      b.got.map((m) => (JSON.parse(m) as { seq: number }).seq),
      [1],
    );
    assert.equal(hub.seq('t1'), 2);
    hub.stop();
  });

  it('replays what a client missed while the window reaches back, else asks for a snapshot', () => {
    const bus = new EventBus();
    const hub = new EventHub({ replay: 3 });
    hub.start(bus);
    const a = client('t1', '100');
    for (let i = 1; i <= 5; i++) bus.emit(held('t1', `c${i}`, i === 3 ? '101' : '100'));
    // Kept: seq 3, 4, 5.
    assert.deepEqual(
      hub.missed(a.c, 2)!.map((m) => (JSON.parse(m) as { seq: number }).seq),
      [4, 5],
    );
    assert.deepEqual(hub.missed(a.c, 5), []);
    assert.equal(hub.missed(a.c, 1), undefined, 'seq 2 is no longer kept');
    assert.equal(hub.missed(a.c, 6), undefined, 'a seq from the future (a restart)');
    hub.stop();
  });

  it('lamps reach the monitoring workplaces, queue events the group’s agents and admins', () => {
    const bus = new EventBus();
    const hub = new EventHub();
    hub.start(bus);
    const watcher = client('t1', '100', { blf: new Set(['101']) });
    const agent = client('t1', '102', { groups: new Set(['600']) });
    const admin = client('t1', '103');
    (admin.c.who as { role: string }).role = 'admin';
    for (const x of [watcher, agent, admin]) hub.attach(x.c);
    bus.emit({
      type: 'presence.changed',
      tenantId: 't1',
      at: 0,
      workplace: '101',
      status: 'busy',
      previous: 'idle',
    });
    bus.emit({
      type: 'callcenter.caller.queued',
      tenantId: 't1',
      at: 0,
      group: '600',
      callId: 'q',
      caller: { number: '1' },
      position: 1,
    });
    bus.emit({
      type: 'callcenter.agent.status',
      tenantId: 't1',
      at: 0,
      agent: '102',
      status: 'available',
      previous: 'signed-out',
      cause: 'agent',
    });
    const types = (x: { got: string[] }) => x.got.map((m) => (JSON.parse(m) as { type: string }).type);
    assert.deepEqual(types(watcher), ['presence.changed']);
    assert.deepEqual(types(agent), ['callcenter.caller.queued', 'callcenter.agent.status']);
    // Admins supervise every group: agents' status changes reach them too (the wallboard).
    assert.deepEqual(types(admin), ['callcenter.caller.queued', 'callcenter.agent.status']);
    hub.stop();
  });
});
