import { z } from 'zod';
import {
  DEFAULT_NO_ANSWER_SECONDS,
  defaultForwarding,
  FORWARD_RULES,
  type ForwardingRecord,
  type ForwardTargetRecord,
} from '../../store/forwarding-store.js';
import type { Store } from '../../store/types.js';
import type { RawIssue } from './raw-issue.js';
import type { FieldChange, ProvisionedTenant, ProvisioningChange } from './types.js';

/**
 * Provisioning of call forwarding and do not disturb on a workplace (docs/provisioning.md, "Forwarding"):
 *
 *   forwarding: { always: "201", busy: voicemail, noAnswer: { target: "+4930123", seconds: 15 },
 *                 notReachable: "201", dnd: false }
 *
 * A rule given is on; a rule left out is off. Targets: an extension of the tenant, an E.164 number (only in a
 * tenant with a trunk: anything else it could not dial), or `voicemail`. The file's value is the workplace's
 * default: it replaces the settings in force only when the file's own value changes (feature codes change them
 * in between).
 */

export const MIN_NO_ANSWER_SECONDS = 5;
export const MAX_NO_ANSWER_SECONDS = 180;

const TARGET = /^(?:[0-9]{2,8}|\+[1-9][0-9]{2,14}|voicemail)$/;

const target = () =>
  z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `must be a quoted string, e.g. "${iss.input}" (YAML reads ${iss.input} as a number)`
          : undefined,
    })
    .regex(TARGET, 'must be an extension (2 to 8 digits), an E.164 number with "+", or voicemail');

export const forwardingSchema = z.strictObject({
  always: target().optional(),
  busy: target().optional(),
  noAnswer: z
    .union([
      target(),
      z.strictObject({
        target: target(),
        seconds: z
          .number({ error: 'must be a number of seconds' })
          .int('must be a whole number of seconds')
          .min(MIN_NO_ANSWER_SECONDS, `at least ${MIN_NO_ANSWER_SECONDS} seconds`)
          .max(MAX_NO_ANSWER_SECONDS, `at most ${MAX_NO_ANSWER_SECONDS} seconds`)
          .default(DEFAULT_NO_ANSWER_SECONDS),
      }),
    ])
    .optional(),
  notReachable: target().optional(),
  dnd: z.boolean({ error: 'must be true or false' }).default(false),
});

export type ForwardingInput = z.output<typeof forwardingSchema>;

/** The written target as a record ('201' an extension, '+49…' an outside number, 'voicemail'). */
export function targetOf(s: string): ForwardTargetRecord {
  if (s === 'voicemail') return { kind: 'voicemail' };
  return s.startsWith('+') ? { kind: 'external', number: s } : { kind: 'extension', number: s };
}

export function forwardingOf(f: ForwardingInput | undefined): ForwardingRecord {
  const out = defaultForwarding();
  if (!f) return out;
  const rule = (t: string | undefined) => (t ? { enabled: true, target: targetOf(t) } : undefined);
  out.always = rule(f.always) ?? out.always;
  out.busy = rule(f.busy) ?? out.busy;
  out.notReachable = rule(f.notReachable) ?? out.notReachable;
  if (typeof f.noAnswer === 'string') out.noAnswer = { ...out.noAnswer, ...rule(f.noAnswer)! };
  else if (f.noAnswer) out.noAnswer = { ...rule(f.noAnswer.target)!, seconds: f.noAnswer.seconds };
  out.dnd = f.dnd;
  return out;
}

/**
 * Targets against the rest of the tenant: an extension must be another workplace of it; an outside number needs
 * a trunk (without one the tenant may not dial out at all, and a forward would be a way around that).
 */
export function checkForwarding(t: unknown, ti: number, issues: RawIssue[]): void {
  const workplaces = field(t, 'workplaces');
  if (!Array.isArray(workplaces)) return;
  const extensions = new Set(
    workplaces.map((w) => field(w, 'extension')).filter((e) => typeof e === 'string'),
  );
  const trunks = field(t, 'trunks');
  const hasTrunk = Array.isArray(trunks) && trunks.length > 0;
  workplaces.forEach((w, wi) => {
    const f = field(w, 'forwarding');
    if (f === undefined || f === null) return;
    const own = field(w, 'extension');
    for (const rule of FORWARD_RULES) {
      const v = field(f, rule);
      const path: Array<string | number> = ['tenants', ti, 'workplaces', wi, 'forwarding', rule];
      const written = typeof v === 'string' ? v : field(v, 'target');
      if (typeof v !== 'string') path.push('target');
      if (typeof written !== 'string' || !TARGET.test(written)) continue; // absent, or the schema reports it
      const problem = targetProblem(written, {
        own: typeof own === 'string' ? own : '',
        isWorkplace: (e) => extensions.has(e),
        mayDialOut: hasTrunk,
      });
      if (problem) issues.push({ path, message: problem });
    }
  });
}

/** Why `written` cannot be a forward target of workplace `own`, or undefined when it can. */
export function targetProblem(
  written: string,
  x: { own: string; isWorkplace(e: string): boolean; mayDialOut: boolean },
): string | undefined {
  if (written === 'voicemail') return undefined;
  if (written.startsWith('+'))
    return x.mayDialOut
      ? undefined
      : `the tenant has no trunk, so it may not dial "${written}"; forward to an extension or voicemail`;
  if (written === x.own) return 'a workplace cannot forward to itself';
  if (!x.isWorkplace(written)) return `no workplace with extension "${written}" in this tenant`;
  return undefined;
}

/**
 * The plan step: a `forwarding` change per workplace whose provisioned settings differ from what the file
 * asked for last time (a new workplace with the defaults has nothing to store). Runs after the workplaces exist.
 */
export async function planForwarding(
  store: Store,
  t: ProvisionedTenant,
): Promise<Array<{ change: ProvisioningChange; write(s: Store): Promise<void> }>> {
  const out: Array<{ change: ProvisioningChange; write(s: Store): Promise<void> }> = [];
  for (const w of t.workplaces) {
    const want = w.forwarding;
    const have = (await store.forwarding.provisioned(t.id, w.extension)) ?? defaultForwarding();
    const fields: FieldChange[] = [];
    for (const k of [...FORWARD_RULES, 'dnd'] as const) {
      if (JSON.stringify(have[k]) !== JSON.stringify(want[k]))
        fields.push({ field: k, from: show(have[k]), to: show(want[k]) });
    }
    if (fields.length === 0) continue;
    out.push({
      change: { action: 'update', entity: 'forwarding', tenantId: t.id, key: w.extension, fields },
      write: (s) => s.forwarding.provision(t.id, w.extension, want),
    });
  }
  return out;
}

function show(v: ForwardingRecord[keyof ForwardingRecord]): unknown {
  if (typeof v === 'boolean') return v;
  if (!v.enabled || !v.target) return 'off';
  const to = v.target.kind === 'voicemail' ? 'voicemail' : v.target.number;
  return 'seconds' in v ? `${to} after ${v.seconds}s` : to;
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}
