import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallEvent, Party } from '../../core/events/types.js';
import { aggregate, applyCallEvent, emptyPresenceBook, presenceOf } from './presence-state.js';
import type { DialogView, PresenceBook, PresenceStatus } from './presence-state.js';

const A: Party = { workplace: '201', number: '201', name: 'Anna' };
const B: Party = { workplace: '202', number: '202', name: 'Ben' };
const C: Party = { workplace: '203', number: '203', name: 'Cleo' };
const EXT: Party = { number: '+4930123456', name: 'Extern' };

let at = 1000;
type Body<T> = T extends CallEvent ? Omit<T, 'tenantId' | 'at'> : never;
const ev = (tenantId: string, e: Body<CallEvent>): CallEvent => ({ ...e, tenantId, at: at++ }) as CallEvent;
const offered = (callId: string, caller: Party, callee: Party, t = 't1') =>
  ev(t, { type: 'call.offered', callId, caller, callee });
const ringing = (callId: string, caller: Party, callee: Party, device?: string, t = 't1') =>
  ev(t, { type: 'call.ringing', callId, caller, callee, ...(device ? { device } : {}) });
const answered = (callId: string, caller: Party, callee: Party, device?: string, t = 't1') =>
  ev(t, { type: 'call.answered', callId, caller, callee, ...(device ? { device } : {}) });
const ended = (callId: string, caller: Party, callee: Party, t = 't1') =>
  ev(t, { type: 'call.ended', callId, caller, callee, reason: 'completed' });

/** Runs events; returns the final book and, per step, `tenant/workplace=status[phases]` of what changed. */
function run(events: CallEvent[], book: PresenceBook = emptyPresenceBook) {
  const steps: string[][] = [];
  for (const e of events) {
    const r = applyCallEvent(book, e);
    book = r.state;
    steps.push(
      r.changed.map(
        (c) =>
          `${c.tenantId}/${c.workplace}=${c.status}[${c.dialogs.map((d) => `${d.id}:${d.phase}`).join(',')}]`,
      ),
    );
  }
  return { book, steps };
}

describe('aggregate', () => {
  const d = (direction: DialogView['direction'], phase: DialogView['phase']): DialogView => ({
    id: `x:${direction}:${phase}`,
    callId: 'x',
    direction,
    phase,
    local: A,
    remote: B,
    held: false,
    since: 0,
  });
  const cases: Array<[DialogView[], PresenceStatus]> = [
    [[], 'idle'],
    [[d('recipient', 'terminated')], 'idle'],
    [[d('initiator', 'terminated')], 'idle'],
    [[d('recipient', 'early')], 'ringing'],
    [[d('recipient', 'trying')], 'ringing'],
    [[d('initiator', 'trying')], 'busy'],
    [[d('initiator', 'early')], 'busy'],
    [[d('recipient', 'confirmed')], 'busy'],
    [[d('recipient', 'early'), d('recipient', 'confirmed')], 'busy'],
    [[d('recipient', 'confirmed'), d('recipient', 'early')], 'busy'],
    [[d('recipient', 'early'), d('initiator', 'terminated')], 'ringing'],
  ];
  for (const [dialogs, want] of cases)
    it(`${dialogs.map((x) => x.id).join(' + ') || 'none'} -> ${want}`, () =>
      assert.equal(aggregate(dialogs), want));
});

describe('applyCallEvent', () => {
  const cases: Array<[string, CallEvent[], string[][]]> = [
    [
      'external call to a workplace with two devices: one ringing report, answered, ended',
      [
        offered('c1', EXT, B),
        ringing('c1', EXT, B, 'b-desk'),
        ringing('c1', EXT, B, 'b-soft'),
        answered('c1', EXT, { ...B, device: 'b-soft' }, 'b-soft'),
        ended('c1', EXT, B),
      ],
      [
        [],
        ['t1/202=ringing[c1:in:early]'],
        [],
        ['t1/202=busy[c1:in:confirmed]'],
        ['t1/202=idle[c1:in:terminated]'],
      ],
    ],
    [
      'a workplace calls another: both change at every step',
      [offered('c1', A, B), ringing('c1', A, B, 'b1'), answered('c1', A, B, 'b1'), ended('c1', A, B)],
      [
        ['t1/201=busy[c1:out:trying]'],
        ['t1/201=busy[c1:out:early]', 't1/202=ringing[c1:in:early]'],
        ['t1/201=busy[c1:out:confirmed]', 't1/202=busy[c1:in:confirmed]'],
        ['t1/201=idle[c1:out:terminated]', 't1/202=idle[c1:in:terminated]'],
      ],
    ],
    [
      'cancelled while ringing',
      [offered('c1', A, B), ringing('c1', A, B), ended('c1', A, B)],
      [
        ['t1/201=busy[c1:out:trying]'],
        ['t1/201=busy[c1:out:early]', 't1/202=ringing[c1:in:early]'],
        ['t1/201=idle[c1:out:terminated]', 't1/202=idle[c1:in:terminated]'],
      ],
    ],
    [
      'second call while busy (call waiting): busy wins over ringing, then ringing remains',
      [
        ringing('c1', EXT, B),
        answered('c1', EXT, B, 'b1'),
        ringing('c2', A, B),
        ended('c1', EXT, B),
        answered('c2', A, B, 'b2'),
      ],
      [
        ['t1/202=ringing[c1:in:early]'],
        ['t1/202=busy[c1:in:confirmed]'],
        ['t1/201=busy[c2:out:early]', 't1/202=busy[c1:in:confirmed,c2:in:early]'],
        ['t1/202=ringing[c2:in:early,c1:in:terminated]'],
        ['t1/201=busy[c2:out:confirmed]', 't1/202=busy[c2:in:confirmed]'],
      ],
    ],
    [
      'group ringing two workplaces, one answers: the other stops ringing (reported once)',
      [ringing('c1', EXT, B), ringing('c1', EXT, C), answered('c1', EXT, C, 'c-desk'), ended('c1', EXT, C)],
      [
        ['t1/202=ringing[c1:in:early]'],
        ['t1/203=ringing[c1:in:early]'],
        ['t1/202=idle[c1:in:terminated]', 't1/203=busy[c1:in:confirmed]'],
        ['t1/203=idle[c1:in:terminated]'],
      ],
    ],
    [
      'blind transfer by the callee: transferor idle, target busy, caller sees the new remote',
      [
        ringing('c1', A, B),
        answered('c1', A, B, 'b1'),
        ev('t1', {
          type: 'call.transferred',
          callId: 'c1',
          by: { ...B, device: 'b1' },
          to: C,
          kind: 'blind',
        }),
        ended('c1', A, C),
      ],
      [
        ['t1/201=busy[c1:out:early]', 't1/202=ringing[c1:in:early]'],
        ['t1/201=busy[c1:out:confirmed]', 't1/202=busy[c1:in:confirmed]'],
        ['t1/201=busy[c1:out:confirmed]', 't1/202=idle[c1:in:terminated]', 't1/203=busy[c1:in:confirmed]'],
        ['t1/201=idle[c1:out:terminated]', 't1/203=idle[c1:in:terminated]'],
      ],
    ],
    [
      'attended transfer by the caller: target takes the initiator side, consultation call ends',
      [
        answered('c1', A, EXT),
        answered('c2', A, B, 'b1'),
        ev('t1', { type: 'call.transferred', callId: 'c1', by: A, to: B, kind: 'attended' }),
        ended('c2', A, B),
        ended('c1', B, EXT),
      ],
      [
        ['t1/201=busy[c1:out:confirmed]'],
        ['t1/201=busy[c1:out:confirmed,c2:out:confirmed]', 't1/202=busy[c2:in:confirmed]'],
        ['t1/201=busy[c2:out:confirmed,c1:out:terminated]', 't1/202=busy[c2:in:confirmed,c1:out:confirmed]'],
        ['t1/201=idle[c2:out:terminated]', 't1/202=busy[c1:out:confirmed,c2:in:terminated]'],
        ['t1/202=idle[c1:out:terminated]'],
      ],
    ],
    [
      'hold and resume change the dialog, not the status',
      [
        answered('c1', A, B),
        ev('t1', { type: 'call.held', callId: 'c1', by: A }),
        ev('t1', { type: 'call.held', callId: 'c1', by: A }),
        ev('t1', { type: 'call.resumed', callId: 'c1', by: A }),
      ],
      [
        ['t1/201=busy[c1:out:confirmed]', 't1/202=busy[c1:in:confirmed]'],
        ['t1/201=busy[c1:out:confirmed]'],
        [],
        ['t1/201=busy[c1:out:confirmed]'],
      ],
    ],
    [
      'same extension in two tenants: only the event tenant changes',
      [
        ringing('c1', EXT, B, undefined, 't1'),
        ringing('c9', EXT, B, undefined, 't2'),
        ended('c1', EXT, B, 't1'),
      ],
      [['t1/202=ringing[c1:in:early]'], ['t2/202=ringing[c9:in:early]'], ['t1/202=idle[c1:in:terminated]']],
    ],
    [
      'a call id of another tenant does not end this tenant’s call',
      [answered('c1', A, B, undefined, 't1'), ended('c1', A, B, 't2')],
      [['t1/201=busy[c1:out:confirmed]', 't1/202=busy[c1:in:confirmed]'], []],
    ],
    [
      'external to external (trunk to trunk) is not tracked',
      [offered('c1', EXT, { number: '0800' }), ended('c1', EXT, { number: '0800' })],
      [[], []],
    ],
    [
      'ended for an unknown call is a no-op; a repeated end is not reported twice',
      [ended('zz', A, B), ringing('c1', A, B), ended('c1', A, B), ended('c1', A, B)],
      [
        [],
        ['t1/201=busy[c1:out:early]', 't1/202=ringing[c1:in:early]'],
        ['t1/201=idle[c1:out:terminated]', 't1/202=idle[c1:in:terminated]'],
        [],
      ],
    ],
    [
      'a workplace calling itself (one device to another) has two dialogs',
      [ringing('c1', { ...A, device: 'a1' }, A), answered('c1', { ...A, device: 'a1' }, A, 'a2')],
      [['t1/201=busy[c1:out:early,c1:in:early]'], ['t1/201=busy[c1:out:confirmed,c1:in:confirmed]']],
    ],
  ];
  for (const [name, events, want] of cases)
    it(name, () => {
      const { book, steps } = run(events);
      assert.deepEqual(steps, want);
      // Idle workplaces are not kept.
      for (const e of book.entries.values()) assert.ok(e.dialogs.size > 0);
    });

  it('reports local and remote parties, the answering device and the start time', () => {
    at = 5000;
    const { book } = run([
      offered('c1', { ...A, device: 'a1' }, B),
      ringing('c1', A, B),
      answered('c1', A, B, 'b2'),
    ]);
    const a = presenceOf(book, 't1', '201');
    const b = presenceOf(book, 't1', '202');
    assert.equal(a.status, 'busy');
    assert.deepEqual(a.dialogs[0], {
      id: 'c1:out',
      callId: 'c1',
      direction: 'initiator',
      phase: 'confirmed',
      local: { workplace: '201', number: '201', name: 'Anna', device: 'a1' },
      remote: { workplace: '202', number: '202', name: 'Ben', device: 'b2' },
      held: false,
      since: 5000,
    });
    assert.deepEqual(b.dialogs[0]?.local, { workplace: '202', number: '202', name: 'Ben', device: 'b2' });
    assert.equal(b.dialogs[0]?.since, 5001);
    assert.deepEqual(presenceOf(book, 't2', '201'), { status: 'idle', dialogs: [] });
  });

  it('does not modify the input book', () => {
    const first = applyCallEvent(emptyPresenceBook, ringing('c1', A, B)).state;
    const snapshot = JSON.stringify([...first.entries].map(([k, e]) => [k, [...e.dialogs]]));
    applyCallEvent(first, answered('c1', A, B));
    applyCallEvent(first, ended('c1', A, B));
    assert.equal(JSON.stringify([...first.entries].map(([k, e]) => [k, [...e.dialogs]])), snapshot);
    assert.equal(emptyPresenceBook.entries.size, 0);
  });

  it('a late ringing after answer does not downgrade the dialog', () => {
    const { steps, book } = run([answered('c1', A, B, 'b1'), ringing('c1', A, B, 'b2')]);
    assert.deepEqual(steps[1], []);
    assert.equal(presenceOf(book, 't1', '202').dialogs[0]?.local.device, 'b1');
  });
});

describe('a call ringing several workplaces (ring plans)', () => {
  it('each rung workplace rings; ring-ended turns one lamp off; the answer removes the others', () => {
    const { steps, book } = run([
      ringing('c9', EXT, A),
      ringing('c9', EXT, B),
      ev('t1', { type: 'call.ring-ended', callId: 'c9', party: A, reason: 'no-answer' }),
      ringing('c9', EXT, C),
      answered('c9', EXT, C, 'c-desk'),
    ]);
    assert.deepEqual(steps[2], ['t1/201=idle[c9:in:terminated]']);
    assert.deepEqual(steps[4], ['t1/202=idle[c9:in:terminated]', 't1/203=busy[c9:in:confirmed]']);
    assert.equal(presenceOf(book, 't1', '201').status, 'idle');
  });
});
