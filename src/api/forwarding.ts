import { z } from 'zod';
import type { ForwardingRecord, ForwardTargetRecord } from '../store/forwarding-store.js';
import type { ApiDeps, ForwardingPort } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';

/** Bounds of the no-answer time, as provisioning's `noAnswer.seconds` (docs/provisioning.md). */
const MIN_SECONDS = 5;
const MAX_SECONDS = 180;

const RULES = ['always', 'busy', 'noAnswer', 'notReachable'] as const;
type Rule = (typeof RULES)[number];

const target = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('extension'), number: z.string() }),
    z.object({ kind: z.literal('external'), number: z.string() }),
    z.object({ kind: z.literal('voicemail') }),
  ])
  .nullable();
const ruleView = z.object({ enabled: z.boolean(), target });
const forwardingView = z.object({
  dnd: z.boolean(),
  always: ruleView,
  busy: ruleView,
  noAnswer: ruleView.extend({ seconds: z.number().int() }),
  notReachable: ruleView,
});

/** `to`: a number as dialled on the phone (an extension, an outside number), `voicemail`, or null to clear. */
const ruleChange = z.strictObject({
  enabled: z.boolean().optional(),
  to: z
    .string()
    .regex(/^(\+?[0-9*#]{1,32}|voicemail)$/, 'must be a number as dialled, or voicemail')
    .nullable()
    .optional(),
});
const forwardingChange = z
  .strictObject({
    dnd: z.boolean().optional(),
    always: ruleChange.optional(),
    busy: ruleChange.optional(),
    noAnswer: ruleChange
      .extend({
        seconds: z
          .number()
          .int('must be whole seconds')
          .min(MIN_SECONDS, `at least ${MIN_SECONDS}`)
          .max(MAX_SECONDS, `at most ${MAX_SECONDS}`)
          .optional(),
      })
      .optional(),
    notReachable: ruleChange.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'name at least one of dnd, always, busy, noAnswer, notReachable');

/**
 * My call forwarding and do not disturb: the same settings the feature codes and the phones' DND/forward keys
 * change (features/forwarding), so a change here reaches the desk phones' keys and the next call at once. A rule
 * switched off keeps its target, as with the codes. Targets go through the same checks as a forward dialled on
 * the phone: a workplace of my tenant (not myself), or an outside number my tenant has a trunk for; `voicemail`
 * needs my own mailbox.
 */
export function forwardingRoutes(routes: RouteTable, deps: ApiDeps): void {
  const port = (): ForwardingPort => {
    if (!deps.forwarding)
      throw new ApiError('NOT_IMPLEMENTED', 'call forwarding is not available in this build');
    return deps.forwarding;
  };
  routes.add({
    method: 'GET',
    url: '/api/v1/me/forwarding',
    tag: 'forwarding',
    summary: 'My call forwarding rules and do not disturb',
    access: 'user',
    ok: { status: 200, description: 'the settings in force', schema: forwardingView },
    errors: [501],
    handler: async ({ who }) => port().settings(who.tenantId, who.workplace),
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/me/forwarding',
    tag: 'forwarding',
    summary:
      'Change my forwarding and do not disturb: only the rules named change; `to` sets a rule’s target, ' +
      '`enabled` switches it',
    access: 'user',
    body: forwardingChange,
    ok: { status: 200, description: 'the settings now in force', schema: forwardingView },
    errors: [422, 501],
    handler: async ({ who, body }) => {
      const p = port();
      const current = await p.settings(who.tenantId, who.workplace);
      // Every target is checked before anything changes: a refused one leaves all settings as they were.
      const targets = new Map<Rule, ForwardTargetRecord | null>();
      for (const rule of RULES) {
        const to = body[rule]?.to;
        if (to === undefined) continue;
        targets.set(rule, to === null ? null : await resolve(deps, p, who, rule, to));
      }
      for (const rule of RULES) {
        const next = targets.has(rule) ? targets.get(rule)! : current[rule].target;
        if (body[rule]?.enabled === true && next === null)
          throw new ApiError('VALIDATION_FAILED', `${rule}.to: a rule needs a target to be on`, `${rule}.to`);
      }
      const out = await p.update(who.tenantId, who.workplace, (s: ForwardingRecord) => {
        if (body.dnd !== undefined) s.dnd = body.dnd;
        for (const rule of RULES) {
          const change = body[rule];
          if (!change) continue;
          if (targets.has(rule)) s[rule].target = targets.get(rule)!;
          if (change.enabled !== undefined) s[rule].enabled = change.enabled;
          if (s[rule].target === null) s[rule].enabled = false;
        }
        if (body.noAnswer?.seconds !== undefined) s.noAnswer.seconds = body.noAnswer.seconds;
      });
      deps.log.info(
        { event: 'api.forwarding.changed', tenant: who.tenantId, user: who.workplace, dnd: out.dnd },
        'forwarding changed',
      );
      return out;
    },
  });
}

async function resolve(
  deps: ApiDeps,
  p: ForwardingPort,
  who: { tenantId: string; workplace: string },
  rule: Rule,
  to: string,
): Promise<ForwardTargetRecord> {
  if (to === 'voicemail') {
    const w = (await deps.directory.plan(who.tenantId)).workplace(who.workplace);
    if (!w?.packages.includes('voicemail'))
      throw new ApiError('VALIDATION_FAILED', `${rule}.to: this workplace has no mailbox`, `${rule}.to`);
    return { kind: 'voicemail' };
  }
  const r = await p.resolveTarget(who.tenantId, who.workplace, to);
  if ('status' in r) throw new ApiError('VALIDATION_FAILED', `${rule}.to: ${r.reason}`, `${rule}.to`);
  return r;
}
