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
import { defaultForwarding, type ForwardingRecord } from '../../store/forwarding-store.js';
import type { TenantRecord } from '../../store/types.js';
import { forwardingPlan, isActive } from './forwarding-plan.js';

const tenant = { id: 't1', domain: 'acme.example', name: 'Acme' } as TenantRecord;
const callee: Party = { workplace: '100', number: '100', name: 'Anna' };
const req: TerminatingRequest = {
  tenant,
  caller: { workplace: '300', number: '300' },
  callee,
  origin: 'internal',
  diversions: [],
};

const device = (label: string): Target => ({
  label,
  device: label,
  flow: {
    protocol: 'udp',
    local: { address: '127.0.0.1', port: 5060 },
    remote: { address: '127.0.0.1', port: 6000 },
  },
  requestUri: `sip:${label}@127.0.0.1:6000`,
});

/** A context whose plans are plain records, so the steps say which branch the forwarding plan took. */
function context(o: { devices?: Record<string, Target[]>; externalAllowed?: boolean; e164?: string } = {}) {
  const calls: { planFor: Array<{ extension: string; d: Diversion }>; external: string[] } = {
    planFor: [],
    external: [],
  };
  const ring = (r: TerminatingRequest, label: string): RingPlan => ({
    first: (): RingStep => ({
      kind: 'ring',
      phase: { ring: [{ party: r.callee, targets: [device(label)] }] },
    }),
    next: () => undefined,
  });
  const ctx: TerminatingContext = {
    devicesOf: (_t, ext) => Promise.resolve(o.devices?.[ext] ?? [device(`${ext}-phone`)]),
    externalTarget: (_t, _from, number) => {
      calls.external.push(number);
      return Promise.resolve(
        o.externalAllowed === false
          ? undefined
          : { ...device('trunk'), label: 'trunk', ...(o.e164 ? { e164: o.e164 } : {}) },
      );
    },
    planFor: (r, extension, d) => {
      calls.planFor.push({ extension, d });
      const plan = ring({ ...r, callee: { workplace: extension, number: extension } }, `${extension}-phone`);
      return Promise.resolve({
        first: plan.first,
        next: (f) => (f === 'no-answer' ? { kind: 'reject', status: 480, reason: 'Chain End' } : undefined),
      });
    },
    ringDevices: (r) => ring(r, `${r.callee.number}-phone`),
  };
  return { ctx, calls };
}

const headers = (_domain: string, ds: Diversion[], target: Party): Array<[string, string]> => [
  ['Diversion', `${ds.map((d) => `${d.from.number};${d.reason}`).join(',')}>${target.number}`],
];

function settings(f: (s: ForwardingRecord) => void): ForwardingRecord {
  const s = defaultForwarding();
  f(s);
  return s;
}

describe('forwardingPlan', () => {
  it('is inactive with the defaults, and a rule switched off with its target kept is inactive too', () => {
    assert.equal(isActive(defaultForwarding()), false);
    const s = settings((x) => (x.busy = { enabled: false, target: { kind: 'extension', number: '200' } }));
    assert.equal(isActive(s), false);
    assert.equal(isActive(settings((x) => (x.dnd = true))), true);
  });

  it('always: the extension target plan at once, with the unconditional hop from the callee', async () => {
    const { ctx, calls } = context();
    const s = settings((x) => (x.always = { enabled: true, target: { kind: 'extension', number: '200' } }));
    const plan = forwardingPlan(req, ctx, s, headers);
    const step = await plan.first();
    assert.equal(step.kind, 'ring');
    assert.equal(step.kind === 'ring' && step.phase.ring[0]!.targets[0]!.label, '200-phone');
    assert.deepEqual(calls.planFor, [{ extension: '200', d: { from: callee, reason: 'unconditional' } }]);
    // From the hop on the diverted-to plan decides.
    assert.deepEqual(await plan.next('no-answer', 408), { kind: 'reject', status: 480, reason: 'Chain End' });
  });

  it('do not disturb: 486 without a busy forward; the busy target with reason do-not-disturb with one', async () => {
    const { ctx, calls } = context();
    assert.deepEqual(
      await forwardingPlan(
        req,
        ctx,
        settings((x) => (x.dnd = true)),
        headers,
      ).first(),
      {
        kind: 'reject',
        status: 486,
        reason: 'Do Not Disturb',
      },
    );
    const s = settings((x) => {
      x.dnd = true;
      x.busy = { enabled: true, target: { kind: 'voicemail' } };
    });
    assert.deepEqual(await forwardingPlan(req, ctx, s, headers).first(), {
      kind: 'service',
      service: 'voicemail',
      number: '100',
      diversions: [{ from: callee, reason: 'do-not-disturb' }],
    });
    assert.equal(calls.planFor.length, 0);
  });

  it('always wins over do not disturb', async () => {
    const { ctx, calls } = context();
    const s = settings((x) => {
      x.dnd = true;
      x.always = { enabled: true, target: { kind: 'extension', number: '200' } };
    });
    await forwardingPlan(req, ctx, s, headers).first();
    assert.equal(calls.planFor[0]?.d.reason, 'unconditional');
  });

  it('not reachable: diverts at once when no device is registered, rings when one is', async () => {
    const s = settings(
      (x) => (x.notReachable = { enabled: true, target: { kind: 'extension', number: '201' } }),
    );
    const none = context({ devices: { '100': [] } });
    await forwardingPlan(req, none.ctx, s, headers).first();
    assert.deepEqual(none.calls.planFor, [{ extension: '201', d: { from: callee, reason: 'unavailable' } }]);
    const one = context();
    const step = await forwardingPlan(req, one.ctx, s, headers).first();
    assert.equal(step.kind === 'ring' && step.phase.ring[0]!.targets[0]!.label, '100-phone');
    assert.equal(one.calls.planFor.length, 0);
  });

  it('no answer: the phase lasts the configured seconds, then the no-answer target', async () => {
    const { ctx, calls } = context();
    const s = settings(
      (x) => (x.noAnswer = { enabled: true, target: { kind: 'extension', number: '202' }, seconds: 7 }),
    );
    const plan = forwardingPlan(req, ctx, s, headers);
    const first = await plan.first();
    assert.equal(first.kind === 'ring' && first.phase.timeoutMs, 7000);
    assert.equal(await plan.next('busy', 486), undefined, 'busy has no forward: the caller hears busy');
    const next = await plan.next('no-answer', 408);
    assert.equal(next?.kind === 'ring' && next.phase.ring[0]!.targets[0]!.label, '202-phone');
    assert.equal(calls.planFor[0]?.d.reason, 'no-answer');
  });

  it('the ring timeout stays the default when only other rules are on', async () => {
    const { ctx } = context();
    const s = settings((x) => (x.busy = { enabled: true, target: { kind: 'extension', number: '200' } }));
    const first = await forwardingPlan(req, ctx, s, headers).first();
    assert.equal(first.kind === 'ring' && first.phase.timeoutMs, undefined);
  });

  it('busy: a phase ending busy takes the busy forward (user-busy); declined and failed take none', async () => {
    const { ctx, calls } = context();
    const s = settings((x) => (x.busy = { enabled: true, target: { kind: 'extension', number: '203' } }));
    const plan = forwardingPlan(req, ctx, s, headers);
    await plan.first();
    assert.equal(await plan.next('declined', 603), undefined);
    assert.equal(await plan.next('failed', 500), undefined);
    await plan.next('busy', 486);
    assert.deepEqual(calls.planFor, [{ extension: '203', d: { from: callee, reason: 'user-busy' } }]);
  });

  it('a phase that found nothing to ring takes not-reachable, else no-answer', async () => {
    const a = context();
    const both = settings((x) => {
      x.notReachable = { enabled: true, target: { kind: 'extension', number: '201' } };
      x.noAnswer = { enabled: true, target: { kind: 'extension', number: '202' }, seconds: 20 };
    });
    const p1 = forwardingPlan(req, a.ctx, both, headers);
    await p1.first();
    await p1.next('unavailable', 480);
    assert.equal(a.calls.planFor[0]?.extension, '201');
    const b = context();
    const onlyNoAnswer = settings(
      (x) => (x.noAnswer = { enabled: true, target: { kind: 'extension', number: '202' }, seconds: 20 }),
    );
    const p2 = forwardingPlan(req, b.ctx, onlyNoAnswer, headers);
    await p2.first();
    await p2.next('unavailable', 480);
    assert.deepEqual(b.calls.planFor, [{ extension: '202', d: { from: callee, reason: 'no-answer' } }]);
  });

  it('an outside number rings through the trunk with the diversion headers and the hops as context', async () => {
    const { ctx, calls } = context();
    const earlier: Diversion = { from: { workplace: '50', number: '50' }, reason: 'no-answer' };
    const s = settings(
      (x) => (x.always = { enabled: true, target: { kind: 'external', number: '+4930555' } }),
    );
    const step = await forwardingPlan({ ...req, diversions: [earlier] }, ctx, s, headers).first();
    assert.deepEqual(calls.external, ['+4930555']);
    assert.equal(step.kind, 'ring');
    if (step.kind !== 'ring') return;
    const t = step.phase.ring[0]!;
    assert.deepEqual(t.party, { number: '+4930555' });
    assert.equal(t.targets[0]!.label, 'trunk');
    assert.deepEqual(t.headers, [['Diversion', '50;no-answer,100;unconditional>+4930555']]);
    assert.deepEqual(step.phase.context?.diversions, [earlier, { from: callee, reason: 'unconditional' }]);
  });

  it('History-Info lists an outside target in the E.164 form the trunk gives it', async () => {
    const { ctx } = context({ e164: '+4930555' });
    const s = settings((x) => (x.always = { enabled: true, target: { kind: 'external', number: '030555' } }));
    const step = await forwardingPlan(req, ctx, s, headers).first();
    assert.equal(step.kind, 'ring');
    if (step.kind !== 'ring') return;
    const t = step.phase.ring[0]!;
    // The party (what the events and the caller see) stays as entered; the header carries E.164.
    assert.deepEqual(t.party, { number: '030555' });
    assert.deepEqual(t.headers, [['Diversion', '100;unconditional>+4930555']]);
  });

  it('an outside number the tenant may not dial is refused (403), never rung', async () => {
    const { ctx } = context({ externalAllowed: false });
    const s = settings(
      (x) => (x.always = { enabled: true, target: { kind: 'external', number: '+4930555' } }),
    );
    assert.deepEqual(await forwardingPlan(req, ctx, s, headers).first(), {
      kind: 'reject',
      status: 403,
      reason: 'Forward Target Not Allowed',
    });
  });
});
