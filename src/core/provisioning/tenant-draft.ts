import { randomInt } from 'node:crypto';
import type { ForwardingRecord, ForwardTargetRecord } from '../../store/forwarding-store.js';
import type { Store } from '../../store/types.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { pinProblem } from './password-policy.js';
import type { ProvisioningDoc } from './types.js';

/**
 * One tenant read back from the store in the provisioning file's shape, to be edited (by the admin API) and run
 * through exactly the validation and planner a file goes through. The store keeps no plain-text device or web
 * password, so the draft carries a placeholder for each; `toDoc` puts the stored hashes back for every secret
 * still holding its placeholder, so an edit that leaves a password alone keeps it.
 */
export interface TenantDraft {
  /** The tenant as a provisioning file would spell it (one entry of `tenants:`). Edit freely, then call toDoc. */
  tenant: DraftTenant;
  /** Validates and converts; throws ProvisioningError (paths relative to the tenant, e.g. `workplaces[2].name`). */
  toDoc(): ProvisioningDoc;
  /** The placeholder that stands for "keep the stored password". */
  readonly keep: string;
}

export interface DraftDevice {
  username: string;
  password: string;
  kind: string;
}

export interface DraftWorkplace {
  extension: string;
  name: string;
  email?: string;
  language: string;
  packages: string[];
  devices: DraftDevice[];
  externalNumber?: string;
  blf: string[];
  webPassword?: string;
  role: string;
  [key: string]: unknown;
}

export interface DraftTenant {
  id: string;
  name: string;
  domain: string;
  workplaces: DraftWorkplace[];
  trunks: Array<Record<string, unknown>>;
  pickupGroups: Array<{ name: string; members: string[] }>;
  pickupOrder: string;
  groups: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/**
 * Characters no username or extension contains, so the placeholder passes the password rules (two classes,
 * never containing the username or extension) whatever the workplace is called.
 */
const KEEP_CHARS = '!#$%&*+=?@^|~';

export async function loadTenantDraft(store: Store, tenantId: string): Promise<TenantDraft | undefined> {
  const t = await store.directory.tenant(tenantId);
  if (!t) return undefined;
  const keep = `Ä${Array.from({ length: 24 }, () => KEEP_CHARS[randomInt(KEEP_CHARS.length)]).join('')}`;
  const [workplaces, devices, logins, trunks, dids, pickup, groups, mailboxes, executives, limits] =
    await Promise.all([
      store.directory.workplaces(tenantId),
      store.directory.devices(tenantId),
      store.webAccess.logins(tenantId),
      store.trunks.forTenant(tenantId),
      store.trunks.dids(tenantId),
      store.pickup.settings(tenantId),
      store.callCenter.groups(tenantId),
      store.voicemail.mailboxes(tenantId),
      store.executives.executives(tenantId),
      store.tollFraud.limits(tenantId),
    ]);
  const park = await store.park.stored(tenantId);
  const forwarding = new Map(
    await Promise.all(
      workplaces.map(
        async (w) => [w.extension, await store.forwarding.provisioned(tenantId, w.extension)] as const,
      ),
    ),
  );
  const mailbox = new Map(mailboxes.map((m) => [m.extension, m]));
  // The stored PIN is a hash: the draft carries a strong placeholder PIN that stands for "keep it" (one that
  // passes the PIN rules for every extension of the tenant, so the draft validates as it is).
  let keepPin = '';
  for (let i = 0; i < 100 && (keepPin === '' || workplaces.some((w) => pinProblem(keepPin, w))); i++)
    keepPin = `${randomInt(100_000, 1_000_000)}${randomInt(100_000, 1_000_000)}`;
  const ha1 = new Map(devices.map((d) => [d.username, { ha1Md5: d.ha1Md5, ha1Sha256: d.ha1Sha256 }]));
  const webHash = new Map(logins.map((l) => [l.extension, l]));
  const tenant: DraftTenant = {
    id: t.id,
    name: t.name,
    domain: t.domain,
    workplaces: workplaces.map((w) => {
      const login = webHash.get(w.extension);
      return {
        extension: w.extension,
        name: w.name,
        ...(w.email ? { email: w.email } : {}),
        language: w.language,
        packages: [...w.packages],
        devices: devices
          .filter((d) => d.workplaceExtension === w.extension)
          .map((d) => ({ username: d.username, password: keep, kind: d.kind })),
        ...(w.externalNumber ? { externalNumber: w.externalNumber } : {}),
        blf: [...(w.blf ?? [])],
        ...(login?.passwordHash ? { webPassword: keep } : {}),
        role: login?.role ?? 'user',
        ...voicemailDraft(mailbox.get(w.extension), keepPin),
        ...forwardingDraft(forwarding.get(w.extension)),
      };
    }),
    executives: executives.map((e) => ({
      executive: e.extension,
      assistants: e.assistants.map((a) => ({
        extension: a.extension,
        ...(a.divertTo ? { divertTo: a.divertTo } : {}),
      })),
      filtering: e.filtering,
      alerting: e.alerting,
      nextAssistantSeconds: e.nextAssistantS,
      rolloverSeconds: e.rolloverS,
      screening: e.screening,
      optInOut: e.optInOut,
      pushRecallSeconds: e.pushRecallS,
    })),
    trunks: trunks.map((tr) => ({
      id: tr.id,
      peer: `${tr.peerHost.includes(':') ? `[${tr.peerHost}]` : tr.peerHost}:${tr.peerPort}`,
      transport: tr.transport,
      ...(tr.regUsername !== null && tr.regPassword !== null
        ? {
            register: {
              username: tr.regUsername,
              password: tr.regPassword,
              ...(tr.regExpires !== null ? { expires: tr.regExpires } : {}),
            },
          }
        : {}),
      outboundPrefix: tr.outboundPrefix,
      numberFormat: tr.numberFormat,
      ...(tr.countryCode !== null ? { countryCode: tr.countryCode } : {}),
      dids: dids
        .filter((d) => d.trunkId === tr.id)
        .map((d) => ({ number: d.number, extension: d.extension })),
      ...(tr.defaultCallerId !== null ? { defaultCallerId: tr.defaultCallerId } : {}),
    })),
    pickupGroups: pickup.groups.map((g) => ({ name: g.name, members: [...g.members] })),
    pickupOrder: pickup.order,
    ...(park ? { park: { locations: `${park.first}-${park.last}`, recallSeconds: park.recallSeconds } } : {}),
    // The limits as stored, so an edit through the API keeps them.
    tollFraud: {
      ...(limits.maxConcurrentExternalCalls !== null
        ? { maxConcurrentExternalCalls: limits.maxConcurrentExternalCalls }
        : {}),
      ...(limits.maxExternalCallsPerWorkplacePerHour !== null
        ? { maxExternalCallsPerWorkplacePerHour: limits.maxExternalCallsPerWorkplacePerHour }
        : {}),
      allow: [...limits.allow],
    },
    groups: groups.map((g) => ({
      extension: g.extension,
      name: g.name,
      policy: g.policy,
      agents: g.agents.map((a) => ({ extension: a.extension, weight: a.weight })),
      allowAgentLogin: g.allowAgentLogin,
      ringTimeout: g.ringTimeoutS,
      wrapUp: g.wrapUpS,
      maxQueue: g.maxQueue,
      maxWait: g.maxWaitS,
      overflow: g.overflow,
      music: g.music,
      comfortEvery: g.comfortEveryS,
      priority: g.priority,
      missesBeforeUnavailable: g.missesBeforeUnavailable,
    })),
  };
  return {
    tenant,
    keep,
    toDoc() {
      let doc: ProvisioningDoc;
      try {
        // JSON is YAML: the same parser, schema and cross-checks as a file.
        doc = parseProvisioning(JSON.stringify({ tenants: [tenant] }), 'api');
      } catch (err) {
        if (!(err instanceof ProvisioningError)) throw err;
        throw new ProvisioningError(
          err.issues.map((i) => ({ ...i, path: i.path.replace(/^tenants\[0\]\.?/, '') })),
          'api',
        );
      }
      const pt = doc.tenants[0]!;
      for (const [wi, w] of pt.workplaces.entries()) {
        const raw = tenant.workplaces[wi]!;
        const box = mailbox.get(w.extension);
        if (w.voicemail && box && (raw.voicemail as { pin?: string } | undefined)?.pin === keepPin)
          w.voicemail.pinHash = box.provisionedPinHash;
        if (raw.webPassword === keep) {
          const hash = webHash.get(w.extension)?.passwordHash;
          w.webPassword = hash ? { hash } : null;
        }
        for (const [di, d] of w.devices.entries()) {
          const kept = raw.devices[di]?.password === keep ? ha1.get(d.username) : undefined;
          if (kept) Object.assign(d, kept);
        }
      }
      return doc;
    },
  };
}

function voicemailDraft(
  m: { maxMessageS: number; maxMessages: number; emailNotify: boolean; unsolicited: string[] } | undefined,
  keepPin: string,
): { voicemail?: Record<string, unknown> } {
  if (!m) return {};
  return {
    voicemail: {
      pin: keepPin,
      maxMessageSeconds: m.maxMessageS,
      maxMessages: m.maxMessages,
      email: m.emailNotify,
      unsolicitedNotify: [...m.unsolicited],
    },
  };
}

/** The file's spelling of the forwarding a file last set (the settings in force may differ: codes change them). */
function forwardingDraft(f: ForwardingRecord | undefined): { forwarding?: Record<string, unknown> } {
  if (!f) return {};
  const spell = (t: ForwardTargetRecord | null): string | undefined =>
    t === null ? undefined : t.kind === 'voicemail' ? 'voicemail' : t.number;
  const on = (r: { enabled: boolean; target: ForwardTargetRecord | null }) =>
    r.enabled ? spell(r.target) : undefined;
  const out: Record<string, unknown> = { dnd: f.dnd };
  for (const rule of ['always', 'busy', 'notReachable'] as const) {
    const t = on(f[rule]);
    if (t !== undefined) out[rule] = t;
  }
  const na = on(f.noAnswer);
  if (na !== undefined) out.noAnswer = { target: na, seconds: f.noAnswer.seconds };
  return { forwarding: out };
}
