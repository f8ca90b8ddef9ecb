import type {
  RingFailure,
  RingPlan,
  RingStep,
  TerminatingContext,
  TerminatingRequest,
} from '../../core/calls/ring-plan.js';
import type { Diversion, DiversionReason, Party } from '../../core/events/types.js';
import type {
  ForwardingRecord,
  ForwardRuleRecord,
  ForwardTargetRecord,
} from '../../store/forwarding-store.js';

/** Diversion and History-Info header fields for a hop to `target` (core's diversion.ts). */
export type DiversionHeaders = (
  domain: string,
  diversions: Diversion[],
  target: Party,
) => Array<[string, string]>;

/** The divert service a forward to voicemail hands the caller to (its `number`: the workplace's extension). */
export const VOICEMAIL_SERVICE = 'voicemail';

/** Whether anything in `s` shapes a call: otherwise the default plan rings the devices. */
export function isActive(s: ForwardingRecord): boolean {
  return s.dnd || s.always.enabled || s.busy.enabled || s.noAnswer.enabled || s.notReachable.enabled;
}

/**
 * The RingPlan of a call to a workplace with forwarding rules or do not disturb (docs/feature-codes.md,
 * "Forwarding"). Pure apart from the context it is given: the same settings and request give the same steps.
 *
 * - always (CFA) diverts at once; do not disturb refuses with 486 or, when a busy forward exists, diverts there
 *   (reason do-not-disturb); not reachable (CFNR) diverts at once when no device is registered.
 * - Otherwise the devices ring; the phase lasts `noAnswer.seconds` when that forward is on. A phase that ends
 *   busy takes the busy forward (CFB), one that ends unanswered the no-answer forward (CFNA), one that found no
 *   device the not-reachable forward, else the no-answer forward.
 * - A forward to an extension is that workplace's whole plan (its own forwards apply; core ends loops and long
 *   chains); to an outside number a ring phase through the tenant's trunk, where the tenant may dial it; to
 *   voicemail the divert service step. From the hop on, the plan follows the diverted-to plan.
 */
export function forwardingPlan(
  req: TerminatingRequest,
  ctx: TerminatingContext,
  s: ForwardingRecord,
  headers: DiversionHeaders,
): RingPlan {
  let delegate: RingPlan | undefined;
  let own: RingPlan | undefined;
  const workplace = req.callee.workplace ?? req.callee.number;

  const divert = async (rule: ForwardRuleRecord, reason: DiversionReason): Promise<RingStep> => {
    const target = rule.target as ForwardTargetRecord;
    const d: Diversion = { from: req.callee, reason };
    const hops = [...req.diversions, d];
    switch (target.kind) {
      case 'voicemail':
        return { kind: 'service', service: VOICEMAIL_SERVICE, number: workplace, diversions: hops };
      case 'extension':
        delegate = await ctx.planFor(req, target.number, d);
        return delegate.first();
      case 'external': {
        const t = await ctx.externalTarget(req.tenant.id, workplace, target.number, req);
        if (!t) return { kind: 'reject', status: 403, reason: 'Forward Target Not Allowed' };
        const party: Party = { number: target.number };
        // History-Info names the target as the carrier is asked to route it: E.164 where the trunk knows how.
        const listed: Party = t.e164 ? { number: t.e164 } : party;
        return {
          kind: 'ring',
          phase: {
            ring: [{ party, targets: [t], headers: headers(req.tenant.domain, hops, listed) }],
            context: { diversions: hops },
          },
        };
      }
    }
  };

  const on = (r: ForwardRuleRecord): boolean => r.enabled && r.target !== null;

  return {
    async first(): Promise<RingStep> {
      if (on(s.always)) return divert(s.always, 'unconditional');
      if (s.dnd) {
        if (on(s.busy)) return divert(s.busy, 'do-not-disturb');
        return { kind: 'reject', status: 486, reason: 'Do Not Disturb' };
      }
      const devices = await ctx.devicesOf(req.tenant.id, workplace);
      if (devices.length === 0 && on(s.notReachable)) return divert(s.notReachable, 'unavailable');
      own = ctx.ringDevices(req);
      const step = await own.first();
      if (step.kind === 'ring' && on(s.noAnswer))
        return { kind: 'ring', phase: { ...step.phase, timeoutMs: s.noAnswer.seconds * 1000 } };
      return step;
    },

    async next(failure: RingFailure, status: number): Promise<RingStep | undefined> {
      if (delegate) return delegate.next(failure, status);
      const rule = ruleFor(s, failure);
      if (rule) return divert(rule.rule, rule.reason);
      return own?.next(failure, status);
    },
  };
}

/** Which forward a failed phase takes, with the RFC 5806 reason of the hop. */
function ruleFor(
  s: ForwardingRecord,
  failure: RingFailure,
): { rule: ForwardRuleRecord; reason: DiversionReason } | undefined {
  const on = (r: ForwardRuleRecord): boolean => r.enabled && r.target !== null;
  switch (failure) {
    case 'busy':
      return on(s.busy) ? { rule: s.busy, reason: 'user-busy' } : undefined;
    case 'no-answer':
      return on(s.noAnswer) ? { rule: s.noAnswer, reason: 'no-answer' } : undefined;
    case 'unavailable':
      // Nothing to ring: the not-reachable forward, and without one the no-answer forward (nobody can answer).
      if (on(s.notReachable)) return { rule: s.notReachable, reason: 'unavailable' };
      return on(s.noAnswer) ? { rule: s.noAnswer, reason: 'no-answer' } : undefined;
    default:
      return undefined;
  }
}
