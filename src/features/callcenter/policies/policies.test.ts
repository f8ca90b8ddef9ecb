import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentView } from '../agent-state.js';
import { isEligible } from '../agent-state.js';
import { simulate } from '../testing/simulator.js';
import type { OfferRecord } from '../testing/simulator.js';
import type { PolicyName } from './index.js';
import { POLICY_NAMES, getPolicy, isPolicyName, policies } from './index.js';

const ABC = [{ extension: 'A' }, { extension: 'B' }, { extension: 'C' }];
const EXTS = ['A', 'B', 'C'];

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

const ctx = (over: { lastOffered?: string; served?: Map<string, number>; callId?: string } = {}) => ({
  callId: over.callId ?? 'c1',
  lastOffered: over.lastOffered,
  served: over.served ?? new Map<string, number>(),
});

// Independent restatement of each policy's definition, checked against every offer of a simulation.
function expectedRing(policy: PolicyName, r: OfferRecord): string[] {
  const elig = r.eligible;
  if (elig.length === 0) return [];
  switch (policy) {
    case 'linear':
      return [elig[0]!];
    case 'simultaneous':
      return [...elig];
    case 'circular': {
      const start = r.lastOffered === undefined ? 0 : EXTS.indexOf(r.lastOffered) + 1;
      for (let i = 0; i < EXTS.length; i++) {
        const e = EXTS[(start + i) % EXTS.length]!;
        if (elig.includes(e)) return [e];
      }
      return [];
    }
    case 'longest-idle': {
      const idle = (e: string) => r.views.find((v) => v.extension === e)!.idleSince;
      const min = Math.min(...elig.map(idle));
      return [elig.find((e) => idle(e) === min)!];
    }
    case 'weighted': {
      const ratio = (e: string) => (r.served.get(e) ?? 0) / r.views.find((v) => v.extension === e)!.weight;
      const min = Math.min(...elig.map(ratio));
      return [elig.find((e) => ratio(e) === min)!];
    }
  }
}

function assertFollowsDefinition(policy: PolicyName, offers: readonly OfferRecord[]): void {
  assert.ok(offers.length >= 30);
  for (const r of offers) {
    assert.deepEqual(r.rung, expectedRing(policy, r), `${policy} at t=${r.at} for ${r.callId}`);
    for (const e of r.rung)
      assert.ok(
        isEligible(
          r.views.find((v) => v.extension === e)!,
          r.callId,
        ),
      );
  }
}

// Light load: every agent is free again before the next call (talk 20 s + wrap 10 s < 60 s apart).
const light = { agents: ABC, calls: 30, interArrival: 60_000, talk: () => 20_000, wrapUp: 10_000 };
// Heavy load: calls every 25 s, talk times differ per agent and call, so agents are often busy.
const TALK: Record<string, number> = { A: 50_000, B: 20_000, C: 35_000 };
const heavy = {
  agents: ABC,
  calls: 30,
  interArrival: 25_000,
  talk: (i: number, ext: string) => TALK[ext]! + (i % 4) * 5_000,
  wrapUp: 5_000,
};

describe('registry', () => {
  it('has one policy per name and rejects unknown names', () => {
    assert.deepEqual(Object.keys(policies).sort(), [...POLICY_NAMES].sort());
    for (const n of POLICY_NAMES) assert.equal(getPolicy(n), policies[n]);
    assert.equal(isPolicyName('round-robin'), false);
    assert.throws(() => getPolicy('round-robin'), /unknown distribution policy/);
  });
});

describe('eligibility (only Available, logged in, not on a call, not declined)', () => {
  const table: [string, Partial<AgentView>, boolean][] = [
    ['available', {}, true],
    ['unavailable', { status: 'unavailable' }, false],
    ['wrap-up', { status: 'wrap-up' }, false],
    ['signed-in', { status: 'signed-in' }, false],
    ['signed-out', { status: 'signed-out' }, false],
    ['logged out of group', { loggedIn: false }, false],
    ['on a call', { onCall: true }, false],
    ['declined this call', { declined: new Set(['c1']) }, false],
    ['declined another call', { declined: new Set(['c0']) }, true],
  ];
  for (const [name, over, want] of table) {
    it(name, () => {
      assert.equal(isEligible(agent('A', 0, over), 'c1'), want);
      for (const n of POLICY_NAMES) {
        assert.deepEqual(policies[n]([agent('A', 0, over)], ctx()), want ? ['A'] : [], n);
      }
    });
  }
});

describe('circular', () => {
  const three = [agent('A', 0), agent('B', 1), agent('C', 2)];
  const table: [string, AgentView[], string | undefined, string[]][] = [
    ['no last offered: head of list', three, undefined, ['A']],
    ['next after last', three, 'A', ['B']],
    ['wraps around', three, 'C', ['A']],
    ['skips busy agent', [agent('A', 0), agent('B', 1, { onCall: true }), agent('C', 2)], 'A', ['C']],
    ['last offered only as last resort', [agent('A', 0, { onCall: true }), agent('B', 1)], 'B', ['B']],
    ['unknown last offered: head of list', three, 'Z', ['A']],
    ['list order is position, not array order', [agent('C', 2), agent('A', 0), agent('B', 1)], 'B', ['C']],
    ['nobody eligible', [agent('A', 0, { status: 'wrap-up' })], 'A', []],
  ];
  for (const [name, agents, last, want] of table) {
    it(name, () => assert.deepEqual(policies.circular(agents, ctx({ lastOffered: last })), want));
  }
  it('3 agents, 30 calls, light load: rotates A,B,C,A,...', () => {
    const r = simulate({ ...light, policy: policies.circular });
    assert.deepEqual(
      r.answeredBy,
      Array.from({ length: 30 }, (_, i) => EXTS[i % 3]),
    );
    assert.deepEqual(r.counts, { A: 10, B: 10, C: 10 });
  });
  it('3 agents, 30 calls, heavy load: each offer is the next free agent after the last', () => {
    assertFollowsDefinition('circular', simulate({ ...heavy, policy: policies.circular }).offers);
  });
});

describe('linear', () => {
  const table: [string, AgentView[], string[]][] = [
    ['first in list', [agent('A', 0), agent('B', 1), agent('C', 2)], ['A']],
    ['by position, not array order', [agent('C', 2), agent('B', 1), agent('A', 0)], ['A']],
    ['skips ineligible', [agent('A', 0, { status: 'signed-in' }), agent('B', 1), agent('C', 2)], ['B']],
    ['equal positions: by extension', [agent('B', 0), agent('A', 0)], ['A']],
  ];
  for (const [name, agents, want] of table) {
    it(name, () => assert.deepEqual(policies.linear(agents, ctx()), want));
  }
  it('3 agents, 30 calls, light load: always A', () => {
    const r = simulate({ ...light, policy: policies.linear });
    assert.deepEqual(r.counts, { A: 30, B: 0, C: 0 });
  });
  it('3 agents, 30 calls, heavy load: A whenever A is free, else the first free', () => {
    const r = simulate({ ...heavy, policy: policies.linear });
    assertFollowsDefinition('linear', r.offers);
    for (const o of r.offers) if (o.eligible.includes('A')) assert.deepEqual(o.rung, ['A']);
    // A talks longest, so calls overflow to B, and to C only when A and B are both busy.
    assert.ok(r.counts.B! > 0 && r.counts.C! < r.counts.B!, JSON.stringify(r.counts));
  });
});

describe('simultaneous', () => {
  it('rings every eligible agent in list order', () => {
    const agents = [agent('C', 2), agent('A', 0), agent('B', 1, { status: 'unavailable' }), agent('D', 3)];
    assert.deepEqual(policies.simultaneous(agents, ctx()), ['A', 'C', 'D']);
  });
  it('3 agents, 30 calls, light load: every call rings all three', () => {
    const r = simulate({
      ...light,
      policy: policies.simultaneous,
      answer: (rung, i) => rung[i % rung.length]!,
    });
    assert.equal(r.offers.length, 30);
    for (const o of r.offers) assert.deepEqual(o.rung, EXTS);
    assert.deepEqual(r.counts, { A: 10, B: 10, C: 10 });
  });
  it('3 agents, 30 calls, heavy load: every call rings exactly the free agents', () => {
    const r = simulate({
      ...heavy,
      policy: policies.simultaneous,
      answer: (rung, i) => rung[i % rung.length]!,
    });
    assertFollowsDefinition('simultaneous', r.offers);
    assert.ok(r.offers.some((o) => o.rung.length < 3));
  });
});

describe('longest-idle', () => {
  const table: [string, AgentView[], string[]][] = [
    [
      'smallest idleSince',
      [
        agent('A', 0, { idleSince: 300 }),
        agent('B', 1, { idleSince: 100 }),
        agent('C', 2, { idleSince: 200 }),
      ],
      ['B'],
    ],
    [
      'tie: list position',
      [
        agent('A', 0, { idleSince: 300 }),
        agent('C', 2, { idleSince: 100 }),
        agent('B', 1, { idleSince: 100 }),
      ],
      ['B'],
    ],
    [
      'idle longest but in wrap-up is skipped',
      [agent('A', 0, { idleSince: 1, status: 'wrap-up' }), agent('B', 1, { idleSince: 5 })],
      ['B'],
    ],
  ];
  for (const [name, agents, want] of table) {
    it(name, () => assert.deepEqual(policies['longest-idle'](agents, ctx()), want));
  }
  it('3 agents, 30 calls, light load: the one idle longest, i.e. rotation A,B,C', () => {
    const r = simulate({ ...light, policy: policies['longest-idle'] });
    assert.deepEqual(
      r.answeredBy,
      Array.from({ length: 30 }, (_, i) => EXTS[i % 3]),
    );
  });
  it('3 agents, 30 calls, heavy load: always the free agent idle longest', () => {
    const r = simulate({ ...heavy, policy: policies['longest-idle'] });
    assertFollowsDefinition('longest-idle', r.offers);
    // Choices really depend on idle time: some offer had several free agents with different idleSince.
    assert.ok(
      r.offers.some(
        (o) =>
          new Set(o.views.filter((v) => o.eligible.includes(v.extension)).map((v) => v.idleSince)).size > 1,
      ),
    );
  });
});

describe('weighted', () => {
  const w = (a: number, b: number, c: number) => [
    agent('A', 0, { weight: a }),
    agent('B', 1, { weight: b }),
    agent('C', 2, { weight: c }),
  ];
  const served = (a: number, b: number, c: number) =>
    new Map([
      ['A', a],
      ['B', b],
      ['C', c],
    ]);
  const table: [string, AgentView[], Map<string, number>, string[]][] = [
    ['nobody served: first in list', w(1, 1, 2), served(0, 0, 0), ['A']],
    ['lowest served/weight', w(1, 1, 2), served(1, 1, 1), ['C']],
    ['ratio tie: list position', w(1, 1, 2), served(1, 1, 2), ['A']],
    ['missing served counts as 0', w(1, 1, 1), new Map([['A', 1]]), ['B']],
    ['weight 0 never picked', w(0, 1, 1), served(0, 5, 5), ['B']],
    ['exact ratios (no float error)', w(3, 7, 1), served(3, 7, 1), ['A']],
  ];
  for (const [name, agents, s, want] of table) {
    it(name, () => assert.deepEqual(policies.weighted(agents, ctx({ served: s })), want));
  }
  const weights = [
    { extension: 'A', weight: 1 },
    { extension: 'B', weight: 1 },
    { extension: 'C', weight: 2 },
  ];
  it('3 agents weights 1,1,2, 30 calls, light load: shares 25/25/50 (A,B,C,C repeating)', () => {
    const r = simulate({ ...light, agents: weights, policy: policies.weighted });
    assert.deepEqual(r.answeredBy.slice(0, 8), ['A', 'B', 'C', 'C', 'A', 'B', 'C', 'C']);
    assert.deepEqual(r.counts, { A: 8, B: 8, C: 14 }); // 7 full cycles of 4, then A, B
  });
  it('3 agents weights 1,1,2, 30 calls, heavy load: shares stay near 25/25/50', () => {
    const r = simulate({
      ...heavy,
      agents: weights,
      policy: policies.weighted,
      talk: (i: number) => 20_000 + (i % 3) * 5_000,
    });
    assertFollowsDefinition('weighted', r.offers);
    assert.ok(Math.abs(r.counts.A! - 7.5) <= 2, JSON.stringify(r.counts));
    assert.ok(Math.abs(r.counts.B! - 7.5) <= 2, JSON.stringify(r.counts));
    assert.ok(Math.abs(r.counts.C! - 15) <= 3, JSON.stringify(r.counts));
  });
});

describe('declined calls are never re-offered to the decliner', () => {
  for (const name of POLICY_NAMES) {
    it(`${name}: 30 calls, every third declined on first offer`, () => {
      const r = simulate({
        ...heavy,
        agents: [
          { extension: 'A', weight: 1 },
          { extension: 'B', weight: 1 },
          { extension: 'C', weight: 2 },
        ],
        policy: policies[name],
        answer: (rung, i, attempt) => (i % 3 === 0 && attempt === 0 ? null : rung[0]!),
      });
      const declinedBy = new Map<string, Set<string>>();
      for (const o of r.offers) {
        const prev = declinedBy.get(o.callId) ?? new Set<string>();
        for (const e of o.rung) assert.ok(!prev.has(e), `${o.callId} re-offered to ${e}`);
        if (o.answeredBy === null) for (const e of o.rung) prev.add(e);
        declinedBy.set(o.callId, prev);
      }
      const declinedCalls = r.offers.filter((o) => o.answeredBy === null).length;
      assert.equal(declinedCalls, 10);
      // Calls declined by a single agent were then answered by somebody else.
      for (let i = 0; i < 30; i += 3) {
        const first = r.offers.find((o) => o.callIndex === i)!;
        const who = r.answeredBy[i];
        if (who !== null) assert.ok(!first.rung.includes(who!));
        else assert.equal(name, 'simultaneous');
      }
    });
  }
});
