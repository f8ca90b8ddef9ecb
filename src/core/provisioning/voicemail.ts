import { z } from 'zod';
import type { MailboxRecord } from '../../store/voicemail-store.js';
import type { Store } from '../../store/types.js';
import { pinProblem } from './password-policy.js';
import { hashProvisionedPin } from './pin.js';
import type { RawIssue } from './raw-issue.js';
import type { FieldChange, ProvisionedTenant, ProvisionedVoicemail, ProvisioningChange } from './types.js';

/**
 * Provisioning of voicemail: a workplace with the `voicemail` package has a `voicemail:` mapping (its mailbox).
 * Kept apart from the other keys so the feature's rules are in one place: the schema, the cross-entry rules
 * (package and key go together, the PIN is strong, e-mail needs an address, unsolicited NOTIFYs name the
 * workplace's own devices) and the plan step.
 */

export const voicemailSchema = z.strictObject({
  // Strength is checked in checkVoicemail, which knows the extension. YAML reads 583914 as a number: say so.
  pin: z.string({
    error: (iss) =>
      typeof iss.input === 'number'
        ? `must be a quoted string, e.g. "${iss.input}" (YAML reads ${iss.input} as a number)`
        : undefined,
  }),
  maxMessageSeconds: z
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(10, 'at least 10')
    .max(600, 'at most 600')
    .default(120),
  maxMessages: z
    .number({ error: 'must be a whole number 1 to 500' })
    .int('must be a whole number 1 to 500')
    .min(1, 'at least 1')
    .max(500, 'at most 500')
    .default(50),
  email: z.boolean({ error: 'must be true or false' }).default(false),
  unsolicitedNotify: z.array(z.string()).max(20, 'at most 20 devices').default([]),
});

export const VOICEMAIL_KEYS = Object.keys(voicemailSchema.shape);

export function provisionedVoicemail(
  v: z.output<typeof voicemailSchema>,
  tenantId: string,
  extension: string,
): ProvisionedVoicemail {
  return {
    pinHash: hashProvisionedPin(v.pin, tenantId, extension),
    maxMessageSeconds: v.maxMessageSeconds,
    maxMessages: v.maxMessages,
    email: v.email,
    unsolicitedNotify: [...v.unsolicitedNotify],
  };
}

/** The rules across keys of one workplace (the raw YAML data, defensively: the structure may be wrong). */
export function checkVoicemail(w: unknown, wPath: Array<string | number>, issues: RawIssue[]): void {
  const packages = field(w, 'packages');
  const booked = Array.isArray(packages) && packages.includes('voicemail');
  const vm = field(w, 'voicemail');
  if (vm === undefined || vm === null) {
    if (booked)
      issues.push({
        path: [...wPath, 'packages'],
        message: 'the voicemail package needs a "voicemail:" mapping with at least a pin',
      });
    return;
  }
  const vPath = [...wPath, 'voicemail'];
  if (!booked) {
    issues.push({
      path: vPath,
      message: 'voicemail settings need the "voicemail" package on this workplace',
    });
  }
  const ext = field(w, 'extension');
  const pin = field(vm, 'pin');
  if (typeof pin === 'string') {
    const problem = pinProblem(pin, { extension: typeof ext === 'string' ? ext : '' });
    if (problem) issues.push({ path: [...vPath, 'pin'], message: problem });
  }
  if (field(vm, 'email') === true && typeof field(w, 'email') !== 'string') {
    issues.push({ path: [...vPath, 'email'], message: 'e-mail notification needs the workplace\'s "email"' });
  }
  const devices = field(w, 'devices');
  const own = new Set(
    (Array.isArray(devices) ? devices : [])
      .map((d) => field(d, 'username'))
      .filter((u) => typeof u === 'string'),
  );
  const list = field(vm, 'unsolicitedNotify');
  if (Array.isArray(list))
    list.forEach((u, i) => {
      if (typeof u === 'string' && !own.has(u))
        issues.push({
          path: [...vPath, 'unsolicitedNotify', i],
          message: `no device "${u}" on this workplace`,
        });
    });
}

/**
 * The plan step: one change per mailbox created, changed or removed. The PIN the owner set by phone stays
 * until the file names a different PIN than it did last time.
 */
export async function planVoicemail(
  store: Store,
  t: ProvisionedTenant,
  exists: boolean,
): Promise<Array<{ change: ProvisioningChange; write(s: Store): Promise<void> }>> {
  const have = new Map((exists ? await store.voicemail.mailboxes(t.id) : []).map((m) => [m.extension, m]));
  const out: Array<{ change: ProvisioningChange; write(s: Store): Promise<void> }> = [];
  const change = (action: ProvisioningChange['action'], key: string, fields: FieldChange[] = []) => ({
    action,
    entity: 'voicemail' as const,
    tenantId: t.id,
    key,
    fields,
  });
  for (const w of t.workplaces) {
    const v = w.voicemail;
    if (!v) continue;
    const old = have.get(w.extension);
    const pinChanged = old !== undefined && old.provisionedPinHash !== v.pinHash;
    const want: MailboxRecord = {
      tenantId: t.id,
      extension: w.extension,
      pinHash: old && !pinChanged ? old.pinHash : v.pinHash,
      provisionedPinHash: v.pinHash,
      maxMessageS: v.maxMessageSeconds,
      maxMessages: v.maxMessages,
      emailNotify: v.email,
      unsolicited: v.unsolicitedNotify,
      greeting: old?.greeting ?? 'default',
    };
    const fields: FieldChange[] = [];
    if (old) {
      const view = (m: MailboxRecord) => ({
        maxMessageSeconds: m.maxMessageS,
        maxMessages: m.maxMessages,
        email: m.emailNotify,
        unsolicitedNotify: m.unsolicited,
      });
      const a = view(old);
      const b = view(want);
      for (const k of Object.keys(a) as Array<keyof typeof a>)
        if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) fields.push({ field: k, from: a[k], to: b[k] });
      if (pinChanged) fields.push({ field: 'pin', secret: true });
    }
    if (!old || fields.length > 0)
      out.push({
        change: change(old ? 'update' : 'create', w.extension, fields),
        write: (s) => s.voicemail.upsertMailbox(want),
      });
  }
  for (const [ext] of have) {
    // A removed workplace takes its mailbox along (the store cascades); only a dropped package is a change here.
    const w = t.workplaces.find((x) => x.extension === ext);
    if (w && !w.voicemail)
      out.push({ change: change('delete', ext), write: (s) => s.voicemail.removeMailbox(t.id, ext) });
  }
  return out;
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}
