import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { isSipUri, type SipRequest } from '../../sip/message/index.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import { SDP } from '../../sip/ua/test-helpers.js';
import { Net } from '../../sip/ua/test-net.js';
import type { TenantRecord } from '../../store/types.js';
import { silentLogger } from '../../util/log.js';
import { TenantPlan, type Directory } from '../directory/directory.js';
import { EventBus } from '../events/event-bus.js';
import type { DomainEvent } from '../events/types.js';
import { CallEngine } from './call-engine.js';
import type { RingPlan, TerminatingContext, TerminatingRequest, TerminatingService } from './ring-plan.js';
import type { DivertCall } from './service-handlers.js';
import { FakeMedia } from './test-media.js';
import { testDevice, testLocation, testWorkplace } from './test-directory.js';

/**
 * Ring plans over the in-memory network: terminating services shape a call to a workplace (phases, diversions,
 * loops, a divert service). Tenant acme: 100 (d100), 201 (d201a, d201b), 202 (d202), 203 (d203).
 */
const ACME: TenantRecord = { id: 'acme', name: 'Acme', domain: 'acme.example' };
const DEVICES = ['d100:100', 'd201a:201', 'd201b:201', 'd202:202', 'd203:203'].map((s) => {
  const [u, e] = s.split(':') as [string, string];
  return testDevice('acme', u, e);
});

/** A service answering every plan() with `f` (undefined: leave the call to the default). */
function service(
  name: string,
  f: (
    req: TerminatingRequest,
    ctx: TerminatingContext,
  ) => Promise<RingPlan | undefined> | RingPlan | undefined,
): TerminatingService {
  return { name, plan: async (req, ctx) => f(req, ctx) };
}

describe('ring plans (terminating services) on the in-memory network', () => {
  let net: Net;
  let media: FakeMedia;
  let events: DomainEvent[];
  let engine: CallEngine;
  let rings: Map<string, IncomingInvite>;

  beforeEach(() => {
    net = new Net();
    media = new FakeMedia();
    events = [];
    const bus = new EventBus();
    bus.onAny((e) => events.push(e));
    rings = new Map();
    const plan = new TenantPlan(
      ['100', '201', '202', '203'].map((e) => testWorkplace('acme', e)),
      DEVICES,
    );
    const directory = {
      plan: async () => plan,
      tenantById: async () => ACME,
    } as unknown as Directory;
    engine = new CallEngine({
      ua: net.b.ua,
      media,
      directory,
      location: testLocation(net),
      bus,
      clock: net.clock,
      log: silentLogger(),
      ringTimeoutMs: 20_000,
      mediaTimeoutMs: 0,
    });
    net.b.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      const d = DEVICES.find((x) => x.username === String(tx.request.headers.get('X-Device')))!;
      void engine.handleInvite(tx, ACME, d);
    };
    net.a.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      const inv = net.a.ua.incomingInvite(tx);
      inv.progress(180);
      rings.set(isSipUri(tx.request.uri) ? (tx.request.uri.user ?? '') : '', inv);
    };
  });

  async function dial(dialled: string) {
    const out = net.a.ua.invite({
      flow: net.a.flowTo(net.b),
      requestUri: `sip:${dialled}@10.0.0.2`,
      from: `<sip:d100@acme.example>`,
      to: `<sip:${dialled}@acme.example>`,
      body: SDP,
      contentType: 'application/sdp',
      headers: [['X-Device', 'd100']],
    });
    await net.drain();
    return out;
  }

  const invitesTo = (device: string) =>
    (net.sent('b', 'INVITE') as SipRequest[]).filter((r) => isSipUri(r.uri) && r.uri.user === device);

  async function settled(): Promise<void> {
    await net.advance(40_000, 1000);
    assert.equal(engine.count(), 0, 'no call left');
    assert.deepEqual([...media.open], [], 'no endpoint left');
    assert.equal(net.clock.pendingTimers(), 0);
  }

  it('without a service the dialled workplace rings as before', async () => {
    engine.addTerminatingService(service('none', () => undefined));
    const out = await dial('202');
    assert.ok(rings.get('d202'));
    rings.get('d202')!.reject(486);
    await net.drain();
    assert.equal((await out.result).response.status, 486);
    await settled();
  });

  it('no answer: the next phase rings another workplace with Diversion and History-Info; it answers', async () => {
    engine.addTerminatingService(
      service('fwd', (req, ctx) =>
        req.callee.workplace !== '201'
          ? undefined
          : {
              first: async () => ({
                kind: 'ring',
                phase: {
                  ring: [{ party: req.callee, targets: await ctx.devicesOf('acme', '201') }],
                  timeoutMs: 5_000,
                },
              }),
              next: async (failure) => {
                assert.equal(failure, 'no-answer');
                return (await ctx.planFor(req, '202', { from: req.callee, reason: 'no-answer' })).first();
              },
            },
      ),
    );
    const out = await dial('201');
    assert.equal(invitesTo('d201a').length, 1);
    assert.equal(invitesTo('d202').length, 0);
    await net.advance(5_500, 500);
    assert.equal(net.sent('b', 'CANCEL').length, 2, 'both devices of 201 stop ringing');
    const inv = invitesTo('d202')[0]!;
    assert.equal(inv.headers.get('Diversion'), '<sip:201@acme.example>;reason=no-answer;counter=1');
    assert.match(inv.headers.get('History-Info') ?? '', /<sip:202@acme.example;cause=408>;index=1.1;mp=1/);
    const ended = events.find((e) => e.type === 'call.ring-ended');
    assert.ok(ended?.type === 'call.ring-ended' && ended.party.workplace === '201');
    void rings.get('d202')!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    const answered = events.find((e) => e.type === 'call.answered');
    assert.ok(answered?.type === 'call.answered');
    assert.equal(answered.callee.workplace, '202');
    assert.deepEqual(answered.diversions, [
      { from: { workplace: '201', number: '201', name: 'WP 201' }, reason: 'no-answer' },
    ]);
    void r.dialog!.bye();
    await settled();
  });

  it('a loop A→B→A ends with one 482 to the caller and no INVITE storm', async () => {
    engine.addTerminatingService(
      service('cfa', (req, ctx) => {
        const to =
          req.callee.workplace === '201' ? '202' : req.callee.workplace === '202' ? '201' : undefined;
        if (!to) return undefined;
        return {
          first: async () =>
            (await ctx.planFor(req, to, { from: req.callee, reason: 'unconditional' })).first(),
          next: () => undefined,
        };
      }),
    );
    const out = await dial('201');
    const r = await out.result;
    assert.equal(r.response.status, 482);
    assert.equal(net.sent('b', 'INVITE').length, 0);
    const ended = events.at(-1)!;
    assert.ok(ended.type === 'call.ended');
    await settled();
  });

  it('sequential: the first party rings for its time, the second joins later; the first gets ring-ended', async () => {
    engine.addTerminatingService(
      service('seq', async (req, ctx) =>
        req.callee.workplace !== '203'
          ? undefined
          : {
              first: async () => ({
                kind: 'ring',
                phase: {
                  ring: [
                    {
                      party: { workplace: '201', number: '201' },
                      targets: await ctx.devicesOf('acme', '201'),
                      ringForMs: 3_000,
                      callerDisplay: 'D100 for 203',
                    },
                    {
                      party: { workplace: '202', number: '202' },
                      targets: await ctx.devicesOf('acme', '202'),
                      afterMs: 3_000,
                    },
                    {
                      party: req.callee,
                      targets: await ctx.devicesOf('acme', '203'),
                      ringForMs: 1_000,
                      silent: true,
                    },
                  ],
                  context: { for: req.callee },
                },
              }),
              next: () => undefined,
            },
      ),
    );
    const out = await dial('203');
    assert.match(invitesTo('d201a')[0]!.headers.get('From') ?? '', /^"D100 for 203" <sip:100@/);
    assert.equal(invitesTo('d202').length, 0);
    const ringing = events.filter((e) => e.type === 'call.ringing');
    assert.deepEqual(
      ringing.map((e) => (e.type === 'call.ringing' ? e.callee.workplace : '')),
      ['201', '201'],
      'the silent splash at 203 lights no lamp',
    );
    assert.ok(ringing.every((e) => e.type === 'call.ringing' && e.for?.workplace === '203'));
    // Third-party call control lists the call for the workplace it rings at, as a call for 203.
    const at201 = engine.control.callsOf({ tenantId: 'acme', workplace: '201' });
    assert.deepEqual(
      at201.map((c) => [c.state, c.for?.workplace]),
      [['ringing', '203']],
    );
    assert.equal(engine.control.callsOf({ tenantId: 'acme', workplace: '203' })[0]?.for, undefined);
    await net.advance(3_500, 500);
    assert.equal(invitesTo('d202').length, 1, '202 joins after 3 s');
    const stopped = events.filter((e) => e.type === 'call.ring-ended');
    assert.deepEqual(
      stopped.map((e) => (e.type === 'call.ring-ended' ? [e.party.workplace, e.reason] : [])),
      [['201', 'stopped']],
    );
    void rings.get('d202')!.accept({ body: SDP, contentType: 'application/sdp' });
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 200);
    // Answered by 202: its call, still for 203; 201 no longer sees it.
    assert.deepEqual(
      engine.control.callsOf({ tenantId: 'acme', workplace: '202' }).map((c) => [c.state, c.for?.workplace]),
      [['talking', '203']],
    );
    assert.deepEqual(engine.control.callsOf({ tenantId: 'acme', workplace: '201' }), []);
    void r.dialog!.bye();
    await settled();
  });

  it('busy, then a divert service takes the unanswered INVITE (voicemail-like)', async () => {
    const got: DivertCall[] = [];
    engine.onDivertService('mailbox', async (c) => {
      got.push(c);
      c.incoming.reject(486, { reason: 'Test Mailbox Busy' });
    });
    engine.addTerminatingService(
      service('fwd', (req, ctx) =>
        req.callee.workplace !== '202'
          ? undefined
          : {
              first: () => ctx.ringDevices(req).first(),
              next: (failure) =>
                failure === 'busy'
                  ? {
                      kind: 'service',
                      service: 'mailbox',
                      number: '202',
                      diversions: [{ from: req.callee, reason: 'user-busy' }],
                    }
                  : undefined,
            },
      ),
    );
    const out = await dial('202');
    rings.get('d202')!.reject(486);
    await net.drain();
    const r = await out.result;
    assert.equal(r.response.status, 486);
    assert.equal(r.response.reason, 'Test Mailbox Busy');
    assert.equal(got.length, 1);
    assert.equal(got[0]!.number, '202');
    assert.equal(got[0]!.diversions[0]!.reason, 'user-busy');
    const ended = events.find((e) => e.type === 'call.ended');
    assert.ok(ended?.type === 'call.ended' && ended.reason === 'diverted');
    await settled();
  });

  it('an unknown divert service answers 480', async () => {
    engine.addTerminatingService(
      service('x', (req) =>
        req.callee.workplace === '202'
          ? { first: () => ({ kind: 'service', service: 'nothing', number: '202' }), next: () => undefined }
          : undefined,
      ),
    );
    const r = await (await dial('202')).result;
    assert.equal(r.response.status, 480);
    await settled();
  });
});
