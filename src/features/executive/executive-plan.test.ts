import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  RingPlan,
  RingStep,
  TerminatingContext,
  TerminatingRequest,
} from '../../core/calls/ring-plan.js';
import type { Target } from '../../core/calls/targets.js';
import type { Diversion, Party } from '../../core/events/types.js';
import {
  callForDisplay,
  executivePlan,
  SPLASH_ALERT_INFO,
  SPLASH_MS,
  type ExecutiveView,
} from './executive-plan.js';

const tenant = { id: 'acme', name: 'Acme', domain: 'acme.example' };
const exec: Party = { workplace: '300', number: '300', name: 'Karin Heiden' };
const anna: Party = { workplace: '301', number: '301', name: 'Anna Berg' };
const ben: Party = { workplace: '302', number: '302', name: 'Ben Ott' };
const outside: Party = { number: '+4930999' };
const colleague: Party = { workplace: '310', number: '310', name: 'Cem Aydin' };

function target(label: string): Target {
  return { label, device: label, flow: {} as Target['flow'], requestUri: `sip:${label}@10.0.0.1` };
}

function view(over: Partial<ExecutiveView> = {}): ExecutiveView {
  return {
    executive: exec,
    filtering: 'all',
    filterOn: true,
    alerting: 'simultaneous',
    nextAssistantMs: 10_000,
    rolloverMs: 30_000,
    screening: false,
    allAssistants: new Set(['301', '302']),
    assistants: [
      { party: anna, language: 'de' },
      { party: ben, language: 'en' },
    ],
    ...over,
  };
}

function request(over: Partial<TerminatingRequest> = {}): TerminatingRequest {
  return { tenant, caller: colleague, callee: exec, origin: 'internal', diversions: [], ...over };
}

/** A context where every workplace has one device named after it, except those in `none`. */
function context(none: string[] = []) {
  const asked: Array<{ kind: string; req: TerminatingRequest; ext?: string; d?: Diversion }> = [];
  const ctx: TerminatingContext = {
    devicesOf: (_t, ext) => Promise.resolve(none.includes(ext) ? [] : [target(`dev-${ext}`)]),
    externalTarget: (_t, from, number) => Promise.resolve({ ...target(`trunk-${from}-${number}`) }),
    planFor: (req, ext, d) => {
      asked.push({ kind: 'planFor', req, ext, d });
      return Promise.resolve(fixed({ kind: 'reject', status: 599, reason: `plan for ${ext}` }));
    },
    ringDevices: (req) => {
      asked.push({ kind: 'ringDevices', req });
      return fixed({
        kind: 'ring',
        phase: { ring: [{ party: req.callee, targets: [target(`own-${req.callee.number}`)] }] },
      });
    },
  };
  return { ctx, asked };
}

function fixed(step: RingStep): RingPlan {
  return { first: () => step, next: () => undefined };
}

const headers = (domain: string, ds: Diversion[], to: Party): Array<[string, string]> => [
  ['Diversion', `<sip:${ds.at(-1)!.from.number}@${domain}>;reason=${ds.at(-1)!.reason}`],
  ['History-Info', `to ${to.number}`],
];

async function firstPhase(plan: RingPlan | undefined) {
  assert.ok(plan, 'the filter takes the call');
  const s = await plan.first();
  assert.equal(s.kind, 'ring');
  return s.kind === 'ring' ? s.phase : assert.fail();
}

describe('executive plan', () => {
  it('simultaneous: both assistants at once, "call for" display, Diversion naming the executive, for = executive', async () => {
    const { ctx } = context();
    const p = await firstPhase(await executivePlan(request(), ctx, view(), headers));
    assert.deepEqual(
      p.ring.map((r) => [r.party.number, r.afterMs, r.ringForMs, r.callerDisplay, r.silent]),
      [
        ['301', undefined, undefined, 'Cem Aydin für Karin Heiden', undefined],
        ['302', undefined, undefined, 'Cem Aydin for Karin Heiden', undefined],
      ],
    );
    assert.deepEqual(p.ring[0]!.headers?.[0], ['Diversion', '<sip:300@acme.example>;reason=unconditional']);
    assert.deepEqual(p.ring[1]!.headers?.[1], ['History-Info', 'to 302']);
    assert.equal(p.timeoutMs, 30_000);
    assert.deepEqual(p.context?.for, exec);
    assert.deepEqual(p.context?.diversions, [{ from: exec, reason: 'unconditional' }]);
  });

  it('sequential: each assistant after the one before, rings for its turn; the last until the phase ends', async () => {
    const { ctx } = context();
    const p = await firstPhase(
      await executivePlan(request(), ctx, view({ alerting: 'sequential' }), headers),
    );
    assert.deepEqual(
      p.ring.map((r) => [r.party.number, r.afterMs, r.ringForMs]),
      [
        ['301', 0, 10_000],
        ['302', 10_000, undefined],
      ],
    );
  });

  it('screening: a silent short splash on the executive with Alert-Info', async () => {
    const { ctx } = context();
    const p = await firstPhase(await executivePlan(request(), ctx, view({ screening: true }), headers));
    const splash = p.ring.find((r) => r.party.number === '300');
    assert.ok(splash);
    assert.equal(splash.silent, true);
    assert.equal(splash.ringForMs, SPLASH_MS);
    assert.deepEqual(splash.headers, [['Alert-Info', SPLASH_ALERT_INFO]]);
    assert.equal(splash.callerDisplay, undefined, "the executive's phone shows the caller as is");
  });

  it("rollover: after the assistants' phase the executive's own phones ring, bypassing the filter", async () => {
    const { ctx, asked } = context();
    const plan = await executivePlan(request(), ctx, view(), headers);
    await firstPhase(plan);
    const step = await plan!.next('no-answer', 480);
    assert.equal(step?.kind, 'ring');
    assert.equal(step?.kind === 'ring' && step.phase.ring[0]!.targets[0]!.label, 'own-300');
    const rd = asked.find((a) => a.kind === 'ringDevices');
    assert.ok(rd?.req.bypass?.has('executive'));
    assert.equal(await plan!.next('no-answer', 480), undefined, 'then the caller gets the failure');
  });

  it('rollover 0: the caller gets the failure of the assistants', async () => {
    const { ctx } = context();
    const plan = await executivePlan(request(), ctx, view({ rolloverMs: 0 }), headers);
    assert.equal((await firstPhase(plan)).timeoutMs, undefined);
    assert.equal(await plan!.next('no-answer', 408), undefined);
  });

  it('filtering modes, off switch, bypass and the own assistants decide whether the filter takes a call', async () => {
    const { ctx } = context();
    const takes = async (v: Partial<ExecutiveView>, r: Partial<TerminatingRequest>) =>
      (await executivePlan(request(r), ctx, view(v), headers)) !== undefined;
    assert.equal(await takes({ filtering: 'internal' }, {}), true);
    assert.equal(await takes({ filtering: 'internal' }, { origin: 'external', caller: outside }), false);
    assert.equal(await takes({ filtering: 'external' }, { origin: 'external', caller: outside }), true);
    assert.equal(await takes({ filtering: 'external' }, {}), false);
    assert.equal(await takes({ filtering: 'off' }, {}), false);
    assert.equal(await takes({ filterOn: false }, {}), false);
    assert.equal(await takes({}, { bypass: new Set(['executive']) }), false);
    assert.equal(await takes({}, { caller: anna }), false, 'an assistant always reaches the executive');
    assert.equal(
      await takes({ assistants: [{ party: ben, language: 'de' }] }, { caller: anna }),
      false,
      'also one who opted out',
    );
    assert.equal(await takes({ assistants: [] }, {}), false, 'nobody opted in: the executive rings');
  });

  it('assistants without a registered device are left out; none at all: no filtering', async () => {
    const one = await firstPhase(await executivePlan(request(), context(['301']).ctx, view(), headers));
    assert.deepEqual(
      one.ring.map((r) => r.party.number),
      ['302'],
    );
    assert.equal(await executivePlan(request(), context(['301', '302']).ctx, view(), headers), undefined);
  });

  it('divert to an extension: the whole plan of that workplace, one hop from the executive', async () => {
    const { ctx, asked } = context();
    const v = view({
      assistants: [
        { party: anna, language: 'de' },
        { party: ben, language: 'de', divertTo: '305' },
      ],
    });
    const plan = await executivePlan(request(), ctx, v, headers);
    assert.deepEqual(await plan!.first(), { kind: 'reject', status: 599, reason: 'plan for 305' });
    assert.deepEqual(asked[0]?.d, { from: exec, reason: 'unconditional' });
  });

  it("divert to an external number: the trunk with the executive's identity, Diversion, then rollover", async () => {
    const { ctx } = context();
    const v = view({ assistants: [{ party: anna, language: 'de', divertTo: '+4930555' }] });
    const plan = await executivePlan(request(), ctx, v, headers);
    const p = await firstPhase(plan);
    assert.equal(p.ring[0]!.targets[0]!.label, 'trunk-300-+4930555');
    assert.equal(p.ring[0]!.headers?.[0]?.[0], 'Diversion');
    assert.equal((await plan!.next('busy', 486))?.kind, 'ring');
  });

  it('"call for" display falls back to numbers', () => {
    assert.equal(callForDisplay(outside, { number: '300' }, 'en'), '+4930999 for 300');
  });
});
