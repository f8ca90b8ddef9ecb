import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentView } from './agent-state.js';
import type { GroupState, Offer, WaitingCall } from './dispatcher.js';
import { planDispatch } from './dispatcher.js';
import { POLICY_NAMES } from './policies/index.js';

function agent(extension: string, position: number, over: Partial<AgentView> = {}): AgentView {
  return {
    extension,
    status: 'available',
    loggedIn: true,
    onCall: false,
    idleSince: 0,
    weight: 1,
    position,
    declined: new Set(),
    ...over,
  };
}

function group(policy: string, exts: string[], over: Partial<GroupState> = {}): GroupState {
  return { policy, priority: 0, agents: exts.map((e, i) => agent(e, i)), served: new Map(), ...over };
}

const call = (callId: string, groupId: string, enqueuedAt: number): WaitingCall => ({
  callId,
  groupId,
  enqueuedAt,
});

function plan(waiting: WaitingCall[], groups: Record<string, GroupState>, busy: string[] = []): Offer[] {
  return planDispatch({ waiting, groups: new Map(Object.entries(groups)), busy: new Set(busy) });
}

const pairs = (offers: Offer[]) => offers.map((o) => `${o.callId}->${o.agents.join('+')}`);

function assertNoDoubleOffers(offers: Offer[], busy: ReadonlySet<string> = new Set()): void {
  const agents = offers.flatMap((o) => o.agents);
  assert.equal(new Set(agents).size, agents.length, `agent offered two calls: ${pairs(offers)}`);
  const calls = offers.map((o) => o.callId);
  assert.equal(new Set(calls).size, calls.length, `call offered twice: ${pairs(offers)}`);
  for (const a of agents) assert.ok(!busy.has(a), `busy agent ${a} offered a call`);
}

describe('planDispatch', () => {
  it('multi-group agent gets the longest-waiting call across groups', () => {
    const groups = { sales: group('linear', ['A']), support: group('linear', ['A']) };
    assert.deepEqual(pairs(plan([call('s1', 'sales', 200), call('h1', 'support', 100)], groups)), ['h1->A']);
    assert.deepEqual(pairs(plan([call('s1', 'sales', 100), call('h1', 'support', 200)], groups)), ['s1->A']);
  });

  it('equal wait: higher group priority first, then groupId, then callId', () => {
    const g = (priority: number) => group('linear', ['A'], { priority });
    assert.deepEqual(pairs(plan([call('x', 'a', 5), call('y', 'b', 5)], { a: g(1), b: g(2) })), ['y->A']);
    assert.deepEqual(pairs(plan([call('x', 'b', 5), call('y', 'a', 5)], { a: g(1), b: g(1) })), ['y->A']);
    assert.deepEqual(pairs(plan([call('y', 'a', 5), call('x', 'a', 5)], { a: g(0) })), ['x->A']);
    // Wait time beats priority.
    assert.deepEqual(pairs(plan([call('x', 'a', 4), call('y', 'b', 5)], { a: g(1), b: g(9) })), ['x->A']);
  });

  it('several calls and agents: best call first, each agent at most one call', () => {
    const groups = {
      g1: group('linear', ['A', 'B']),
      g2: group('linear', ['B', 'C']),
    };
    const offers = plan(
      [call('c3', 'g1', 30), call('c1', 'g2', 10), call('c2', 'g1', 20), call('c4', 'g2', 40)],
      groups,
    );
    assert.deepEqual(pairs(offers), ['c1->B', 'c2->A', 'c4->C']);
    assertNoDoubleOffers(offers);
  });

  it('busy agents are not offered anything', () => {
    const offers = plan([call('c1', 'g', 1), call('c2', 'g', 2)], { g: group('linear', ['A', 'B', 'C']) }, [
      'A',
    ]);
    assert.deepEqual(pairs(offers), ['c1->B', 'c2->C']);
  });

  it('a call listed twice is offered once', () => {
    const offers = plan([call('c1', 'g', 1), call('c1', 'g', 1)], { g: group('linear', ['A', 'B']) });
    assert.deepEqual(pairs(offers), ['c1->A']);
  });

  it('simultaneous rings several agents for one call; the next call gets none of them', () => {
    const groups = { g: group('simultaneous', ['A', 'B']), h: group('linear', ['B', 'C']) };
    const offers = plan([call('c1', 'g', 1), call('c2', 'g', 2), call('c3', 'h', 3)], groups);
    assert.deepEqual(pairs(offers), ['c1->A+B', 'c3->C']);
    assertNoDoubleOffers(offers);
  });

  it('circular advances within one plan and keeps the rotation when the last agent is busy', () => {
    const g = group('circular', ['A', 'B', 'C', 'D'], { lastOffered: 'B' });
    assert.deepEqual(pairs(plan([call('c1', 'g', 1), call('c2', 'g', 2)], { g })), ['c1->C', 'c2->D']);
    // B (last offered) is busy: the next is still C, not the head of the list.
    assert.deepEqual(pairs(plan([call('c1', 'g', 1)], { g }, ['B'])), ['c1->C']);
  });

  it('a declined call is not offered to the decliner again', () => {
    const g: GroupState = {
      ...group('linear', []),
      agents: [agent('A', 0, { declined: new Set(['c1']) }), agent('B', 1)],
    };
    assert.deepEqual(pairs(plan([call('c1', 'g', 1), call('c2', 'g', 2)], { g })), ['c1->B', 'c2->A']);
    const onlyA: GroupState = { ...g, agents: [g.agents[0]!] };
    assert.deepEqual(pairs(plan([call('c1', 'g', 1)], { g: onlyA })), []);
  });

  it('per-group login and status come from the group view', () => {
    const g1: GroupState = { ...group('linear', []), agents: [agent('A', 0, { loggedIn: false })] };
    const g2: GroupState = { ...group('linear', []), agents: [agent('A', 0)] };
    assert.deepEqual(pairs(plan([call('c1', 'g1', 1), call('c2', 'g2', 2)], { g1, g2 })), ['c2->A']);
  });

  it('unknown group: call keeps waiting; unknown policy: throws', () => {
    assert.deepEqual(plan([call('c1', 'nope', 1)], { g: group('linear', ['A']) }), []);
    assert.throws(
      () => plan([call('c1', 'g', 1)], { g: group('fifo', ['A']) }),
      /unknown distribution policy/,
    );
  });

  it('is pure: inputs are not mutated and the same input gives the same plan', () => {
    const groups = new Map([['g', group('circular', ['A', 'B'], { lastOffered: 'A' })]]);
    const waiting = [call('c2', 'g', 2), call('c1', 'g', 1)];
    const input = { waiting, groups, busy: new Set<string>() };
    const first = planDispatch(input);
    assert.deepEqual(planDispatch(input), first);
    assert.deepEqual(
      waiting.map((w) => w.callId),
      ['c2', 'c1'],
    );
    assert.equal(groups.get('g')!.lastOffered, 'A');
    assert.equal(input.busy.size, 0);
  });

  it('invariants over 30 seeded random tenants (all policies, overlapping groups)', () => {
    let seed = 42; // deterministic LCG (Math.random is forbidden and not reproducible)
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const exts = ['A', 'B', 'C', 'D', 'E'];
    const statuses = ['available', 'available', 'available', 'wrap-up', 'signed-in'] as const;
    for (let round = 0; round < 30; round++) {
      const groups = new Map<string, GroupState>();
      for (const gid of ['g1', 'g2', 'g3']) {
        const members = exts.filter(() => rnd(2) === 0);
        groups.set(gid, {
          policy: POLICY_NAMES[rnd(POLICY_NAMES.length)]!,
          priority: rnd(3),
          served: new Map(members.map((e) => [e, rnd(5)])),
          lastOffered: members[rnd(members.length + 1)],
          agents: members.map((e, i) =>
            agent(e, i, { status: statuses[rnd(statuses.length)]!, idleSince: rnd(100), weight: 1 + rnd(3) }),
          ),
        });
      }
      const waiting = Array.from({ length: 1 + rnd(6) }, (_, i) => call(`c${i}`, `g${1 + rnd(3)}`, rnd(20)));
      const busy = new Set(exts.filter(() => rnd(4) === 0));
      const offers = planDispatch({ waiting, groups, busy });
      assertNoDoubleOffers(offers, busy);
      for (const o of offers) {
        const g = groups.get(o.groupId)!;
        assert.equal(waiting.find((w) => w.callId === o.callId)!.groupId, o.groupId);
        if (g.policy !== 'simultaneous') assert.equal(o.agents.length, 1);
        for (const e of o.agents) {
          const v = g.agents.find((a) => a.extension === e)!;
          assert.equal(v.status, 'available');
        }
      }
      // Greedy best-first: a call left unoffered had no eligible free agent at its turn, so no
      // later (worse) call of the same group got an agent while an earlier one of it waits.
      const offered = new Set(offers.map((o) => o.callId));
      for (const w of waiting) {
        if (offered.has(w.callId)) continue;
        for (const o of offers) {
          if (o.groupId !== w.groupId) continue;
          const ow = waiting.find((x) => x.callId === o.callId)!;
          assert.ok(
            ow.enqueuedAt <= w.enqueuedAt,
            `round ${round}: ${o.callId} offered before older ${w.callId}`,
          );
        }
      }
    }
  });
});
