import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { SDP } from '../../sip/ua/test-helpers.js';
import type { Actor } from './call-control-types.js';
import type { RingPlan, TerminatingService } from './ring-plan.js';
import { rejectPlan } from './terminating.js';
import { settle, testEngine, type TestEngine } from './test-engine.js';

/**
 * Click-to-dial applies the callee's ring plan, as a call dialled on a phone does: a terminating service
 * (forwarding, do not disturb, an executive's filter) shapes where the call rings, phase after phase.
 */
const W100: Actor = { tenantId: 'acme', workplace: '100' };
const P201 = { workplace: '201', number: '201', name: 'W201' };

describe('click-to-dial runs the callee’s ring plan', () => {
  let t: TestEngine;
  /** What the service answers for calls to 202 (undefined: no plan, ring 202's devices). */
  let planFor202: ((ctx: Parameters<TerminatingService['plan']>[1]) => Promise<RingPlan>) | undefined;
  const asked: string[] = [];
  beforeEach(() => {
    t = testEngine();
    planFor202 = undefined;
    asked.length = 0;
    t.engine.addTerminatingService({
      name: 'test',
      plan: async (req, ctx) => {
        asked.push(`${req.caller.number}->${req.callee.workplace} ${req.origin}`);
        return req.callee.workplace === '202' && planFor202 ? planFor202(ctx) : undefined;
      },
    });
  });
  const accept = (device: string) =>
    t.rings.get(device)!.accept({ body: SDP, contentType: 'application/sdp' });
  /** Dials 202 from d100 and lets the desk phone answer; resolves with the desk's dialog. */
  async function dial202() {
    const dialling = t.engine.control.dial(W100, { device: 'd100', to: '202' });
    await t.net.drain();
    const desk = accept('d100');
    await t.net.drain();
    assert.ok((await dialling).ok);
    return desk;
  }

  it('a forward: the plan’s target rings instead of the callee; its answer connects the call', async () => {
    planFor202 = async (ctx) => ({
      first: async () => ({
        kind: 'ring',
        phase: { ring: [{ party: P201, targets: await ctx.devicesOf('acme', '201') }] },
      }),
      next: () => undefined,
    });
    const desk = await dial202();
    assert.deepEqual(asked, ['100->202 internal']);
    assert.equal(t.rings.has('d202'), false, 'the callee itself does not ring');
    assert.ok(t.rings.has('d201a') && t.rings.has('d201b'), "the forward target's devices ring");
    accept('d201a');
    await t.net.drain();
    const answered = t.events.find((e) => e.type === 'call.answered');
    assert.ok(answered && answered.type === 'call.answered');
    assert.equal(answered.callee.workplace, '201');
    assert.equal(t.engine.control.callsOf(W100)[0]?.state, 'talking');
    assert.equal(t.media.bridges, 1);
    void (await desk).bye();
    await t.net.drain();
    assert.deepEqual(await settle(t), { calls: 0, endpoints: [], timers: 0 });
  });

  it('do not disturb: the plan refuses, the desk phone gets BYE and the call ends busy', async () => {
    planFor202 = async () => rejectPlan(486, 'Do Not Disturb');
    const desk = await dial202();
    await t.net.drain();
    assert.equal(t.rings.has('d202'), false);
    assert.equal((await desk).state, 'terminated');
    const end = t.events.at(-1);
    assert.ok(end?.type === 'call.ended' && end.reason === 'busy', JSON.stringify(end));
    assert.deepEqual(await settle(t), { calls: 0, endpoints: [], timers: 0 });
  });

  it('forward on busy: the callee refuses, the next phase rings the target; ring-ended in between', async () => {
    planFor202 = async (ctx) => ({
      first: async () => ({
        kind: 'ring',
        phase: {
          ring: [{ party: { workplace: '202', number: '202' }, targets: await ctx.devicesOf('acme', '202') }],
        },
      }),
      next: async (failure) =>
        failure === 'busy'
          ? { kind: 'ring', phase: { ring: [{ party: P201, targets: await ctx.devicesOf('acme', '201') }] } }
          : undefined,
    });
    const desk = await dial202();
    assert.ok(t.rings.has('d202'));
    assert.equal(t.rings.has('d201a'), false);
    t.rings.get('d202')!.reject(486);
    await t.net.drain();
    const ended = t.events.find((e) => e.type === 'call.ring-ended');
    assert.ok(ended && ended.type === 'call.ring-ended' && ended.party.workplace === '202');
    assert.ok(t.rings.has('d201a'), 'the busy forward target rings next');
    accept('d201b');
    await t.net.drain();
    assert.equal(t.engine.control.callsOf(W100)[0]?.other.workplace, '201');
    void (await desk).bye();
    await t.net.drain();
    assert.deepEqual(await settle(t), { calls: 0, endpoints: [], timers: 0 });
  });

  it('a plan step that hands the call to a service ends the click-to-dial call as unavailable', async () => {
    planFor202 = async () => ({
      first: () => ({ kind: 'service', service: 'voicemail', number: '202' }),
      next: () => undefined,
    });
    const desk = await dial202();
    await t.net.drain();
    assert.equal((await desk).state, 'terminated');
    const end = t.events.at(-1);
    assert.ok(end?.type === 'call.ended' && end.reason === 'unavailable', JSON.stringify(end));
    assert.deepEqual(await settle(t), { calls: 0, endpoints: [], timers: 0 });
  });
});
