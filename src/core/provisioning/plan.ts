import type {
  DeviceRecord,
  Store,
  TenantRecord,
  TrunkDidRecord,
  TrunkRecord,
  WorkplaceRecord,
} from '../../store/types.js';
import { planForwarding } from './forwarding.js';
import { planExecutives } from './executives-plan.js';
import { planGroups } from './groups-plan.js';
import { ProvisioningError } from './parse.js';
import { planPickup } from './pickup.js';
import { planPark } from './park.js';
import { planTollFraud } from './toll-fraud.js';
import { planVoicemail } from './voicemail.js';
import { planWebLogins } from './web-logins-plan.js';
import type { FieldChange, ProvisionedTrunk, ProvisioningChange, ProvisioningDoc } from './types.js';

/** A change together with the write that makes it; writes run in plan order. */
interface PlannedChange {
  change: ProvisioningChange;
  write(store: Store): Promise<void>;
}

/** What applying `doc` would change, without writing anything (the dry run). */
export async function planProvisioning(store: Store, doc: ProvisioningDoc): Promise<ProvisioningChange[]> {
  return (await plan(store, doc)).map((p) => p.change);
}

/**
 * Brings the store in line with `doc` in one transaction and returns what changed. Either every change lands
 * or none does. Re-applying the same file returns [].
 */
export async function applyProvisioning(store: Store, doc: ProvisioningDoc): Promise<ProvisioningChange[]> {
  return store.transaction(async (tx) => {
    // Planned inside the transaction so the diff and the writes see the same state.
    const planned = await plan(tx, doc);
    for (const p of planned) await p.write(tx);
    return planned.map((p) => p.change);
  });
}

async function plan(store: Store, doc: ProvisioningDoc): Promise<PlannedChange[]> {
  const out: PlannedChange[] = [];
  const inFile = new Set(doc.tenants.map((t) => t.id));
  const conflicts: ProvisioningError['issues'] = [];

  for (const [ti, t] of doc.tenants.entries()) {
    const owner = await store.directory.tenantByDomain(t.domain);
    if (owner && owner.id !== t.id && !inFile.has(owner.id)) {
      conflicts.push({
        ...t.domainAt,
        path: `tenants[${ti}].domain`,
        message: `domain "${t.domain}" belongs to tenant "${owner.id}", which this file does not change`,
      });
      continue;
    }

    const tenant: TenantRecord = { id: t.id, name: t.name, domain: t.domain };
    const current = await store.directory.tenant(t.id);
    if (!current) {
      out.push({
        change: change('create', 'tenant', t.id, t.id),
        write: (s) => s.provisioning.upsertTenant(tenant),
      });
    } else {
      const fields = diff(current, tenant, ['name', 'domain']);
      if (fields.length > 0) {
        out.push({
          change: change('update', 'tenant', t.id, t.id, fields),
          write: (s) => s.provisioning.upsertTenant(tenant),
        });
      }
    }
    const realmChanged = current !== undefined && current.domain !== t.domain;

    const haveWorkplaces = new Map(
      (current ? await store.directory.workplaces(t.id) : []).map((w) => [w.extension, w]),
    );
    const haveDevices = new Map(
      (current ? await store.directory.devices(t.id) : []).map((d) => [d.username, d]),
    );
    const wantWorkplaces = new Map<string, WorkplaceRecord>();
    const wantDevices = new Map<string, DeviceRecord>();
    for (const w of t.workplaces) {
      const { devices, blf, voicemail: _mailbox, role: _role, webPassword: _web, ...rest } = w;
      // Stored only when non-empty, like externalNumber: a workplace without BLF reads back without the key.
      wantWorkplaces.set(w.extension, { tenantId: t.id, ...rest, ...(blf.length > 0 ? { blf } : {}) });
      for (const d of devices)
        wantDevices.set(d.username, { tenantId: t.id, workplaceExtension: w.extension, ...d });
    }

    const haveTrunks = new Map((current ? await store.trunks.forTenant(t.id) : []).map((tr) => [tr.id, tr]));
    const haveDids = new Map((current ? await store.trunks.dids(t.id) : []).map((d) => [d.number, d]));
    const wantTrunks = new Map<string, TrunkRecord>();
    const wantDids = new Map<string, TrunkDidRecord>();
    for (const [tri, tr] of t.trunks.entries()) {
      wantTrunks.set(tr.id, trunkRecord(t.id, tr));
      for (const [di, d] of tr.dids.entries()) {
        wantDids.set(d.number, { number: d.number, tenantId: t.id, trunkId: tr.id, extension: d.extension });
        // A number belongs to one tenant. Another tenant in this file may give it up in the same run.
        const owner = await store.trunks.didLookup(d.number);
        if (owner && owner.tenantId !== t.id && !inFile.has(owner.tenantId)) {
          conflicts.push({
            ...d.numberAt,
            path: `tenants[${ti}].trunks[${tri}].dids[${di}].number`,
            message: `DID "${d.number}" belongs to tenant "${owner.tenantId}", which this file does not change`,
          });
        }
      }
    }

    // Order matters for the foreign keys: devices go before their workplace may, and a device moved off a
    // removed workplace is re-homed before that workplace (and its cascade) goes. DIDs hang off a trunk and a
    // workplace: removed ones go first, new ones after their trunk and workplace exist, and a DID moved off a
    // removed trunk or workplace is re-homed before that goes.
    for (const [number] of haveDids) {
      if (!wantDids.has(number)) {
        out.push({
          change: change('delete', 'did', t.id, number),
          // Scoped to this tenant: if another tenant in the file took the number over, that write stands.
          write: (s) => s.provisioning.removeDid(t.id, number),
        });
      }
    }
    for (const [username] of haveDevices) {
      if (!wantDevices.has(username)) {
        out.push({
          change: change('delete', 'device', t.id, username),
          write: (s) => s.provisioning.removeDevice(t.id, username),
        });
      }
    }
    for (const [ext, want] of wantWorkplaces) {
      const have = haveWorkplaces.get(ext);
      const fields = have
        ? diff(have, want, ['name', 'email', 'language', 'packages', 'externalNumber', 'blf'])
        : [];
      if (!have || fields.length > 0) {
        out.push({
          change: change(have ? 'update' : 'create', 'workplace', t.id, ext, fields),
          write: (s) => s.provisioning.upsertWorkplace(want),
        });
      }
    }
    for (const [username, want] of wantDevices) {
      const have = haveDevices.get(username);
      const fields: FieldChange[] = (have ? diff(have, want, ['workplaceExtension', 'kind']) : []).map((f) =>
        f.field === 'workplaceExtension' ? { ...f, field: 'workplace' } : f,
      );
      if (have && (have.ha1Md5 !== want.ha1Md5 || have.ha1Sha256 !== want.ha1Sha256)) {
        // HA1 depends on the realm: a new domain re-hashes every password even if none changed.
        fields.push({ field: realmChanged ? 'realm' : 'password', secret: true });
      }
      if (!have || fields.length > 0) {
        out.push({
          change: change(have ? 'update' : 'create', 'device', t.id, username, fields),
          write: (s) => s.provisioning.upsertDevice(want),
        });
      }
    }
    for (const [id, want] of wantTrunks) {
      const have = haveTrunks.get(id);
      const fields: FieldChange[] = have ? diff(trunkView(have), trunkView(want), TRUNK_FIELDS) : [];
      // The carrier's password is stored as given (it is sent), but never printed: only that it changed.
      if (have && have.regPassword !== want.regPassword) fields.push({ field: 'password', secret: true });
      if (!have || fields.length > 0) {
        out.push({
          change: change(have ? 'update' : 'create', 'trunk', t.id, id, fields),
          write: (s) => s.provisioning.upsertTrunk(want),
        });
      }
    }
    for (const [number, want] of wantDids) {
      const have = haveDids.get(number);
      const fields = have
        ? diff(have, want, ['trunkId', 'extension']).map((f) =>
            f.field === 'trunkId' ? { ...f, field: 'trunk' } : f,
          )
        : [];
      if (!have || fields.length > 0) {
        out.push({
          change: change(have ? 'update' : 'create', 'did', t.id, number, fields),
          write: (s) => s.provisioning.upsertDid(want),
        });
      }
    }
    for (const [id] of haveTrunks) {
      if (!wantTrunks.has(id)) {
        out.push({
          change: change('delete', 'trunk', t.id, id),
          write: (s) => s.provisioning.removeTrunk(t.id, id),
        });
      }
    }
    for (const [ext] of haveWorkplaces) {
      if (!wantWorkplaces.has(ext)) {
        out.push({
          change: change('delete', 'workplace', t.id, ext),
          write: (s) => s.provisioning.removeWorkplace(t.id, ext),
        });
      }
    }
    // Mailboxes after their workplaces exist.
    out.push(...(await planVoicemail(store, t, current !== undefined)));
    const pickup = await planPickup(store, t, current !== undefined);
    if (pickup) out.push(pickup);
    const park = await planPark(store, t, current !== undefined);
    if (park) out.push(park);
    const tollFraud = await planTollFraud(store, t, current !== undefined);
    if (tollFraud) out.push(tollFraud);
    out.push(...(await planForwarding(store, t)));
    // Call-center groups last: their agents are workplaces created above.
    out.push(...(await planGroups(store, t.id, t.groups, current !== undefined)));
    // Executives after their workplaces exist.
    out.push(...(await planExecutives(store, t.id, t.executives, current !== undefined)));
    // Web logins hang off the workplaces (created above; a removed workplace takes its login with it).
    out.push(...(await planWebLogins(store, t.id, t.workplaces, current !== undefined)));
  }

  if (conflicts.length > 0) throw new ProvisioningError(conflicts, doc.file);
  return out;
}

function trunkRecord(tenantId: string, tr: ProvisionedTrunk): TrunkRecord {
  return {
    tenantId,
    id: tr.id,
    peerHost: tr.peerHost,
    peerPort: tr.peerPort,
    transport: tr.transport,
    regUsername: tr.register?.username ?? null,
    regPassword: tr.register?.password ?? null,
    regExpires: tr.register?.expires ?? null,
    outboundPrefix: tr.outboundPrefix,
    numberFormat: tr.numberFormat,
    countryCode: tr.countryCode,
    defaultCallerId: tr.defaultCallerId,
  };
}

/** A trunk as the file spells it, for the plan's diff; the password is left out on purpose. */
function trunkView(t: TrunkRecord) {
  return {
    peer: `${t.peerHost.includes(':') ? `[${t.peerHost}]` : t.peerHost}:${t.peerPort}`,
    transport: t.transport,
    registerUsername: t.regUsername,
    registerExpires: t.regExpires,
    outboundPrefix: t.outboundPrefix,
    numberFormat: t.numberFormat,
    countryCode: t.countryCode,
    defaultCallerId: t.defaultCallerId,
  };
}

const TRUNK_FIELDS: Array<keyof ReturnType<typeof trunkView>> = [
  'peer',
  'transport',
  'registerUsername',
  'registerExpires',
  'outboundPrefix',
  'numberFormat',
  'countryCode',
  'defaultCallerId',
];

function change(
  action: ProvisioningChange['action'],
  entity: ProvisioningChange['entity'],
  tenantId: string,
  key: string,
  fields: FieldChange[] = [],
): ProvisioningChange {
  return { action, entity, tenantId, key, fields };
}

function diff<T extends object>(have: T, want: T, keys: Array<keyof T & string>): FieldChange[] {
  const out: FieldChange[] = [];
  for (const k of keys) {
    // Absent and null mean the same (the store reads an unset external number back as absent).
    if (JSON.stringify(have[k] ?? null) !== JSON.stringify(want[k] ?? null))
      out.push({ field: k, from: have[k], to: want[k] });
  }
  return out;
}

const SIGN = { create: '+', update: '~', delete: '-' } as const;

/**
 * One line per change: `+ tenant acme`, `~ workplace acme/100 name: "A" -> "B"`, `- device acme/103`,
 * `~ device acme/100 password changed`. Secrets are never printed, only that they changed.
 */
export function formatChanges(changes: ProvisioningChange[]): string {
  if (changes.length === 0) return 'no changes';
  return changes
    .map((c) => {
      const name = c.entity === 'tenant' ? c.key : `${c.tenantId}/${c.key}`;
      const fields = c.fields
        .map((f) =>
          f.secret
            ? f.field === 'realm'
              ? 'password re-hashed for the new domain'
              : `${f.field} changed`
            : `${f.field}: ${JSON.stringify(f.from ?? null)} -> ${JSON.stringify(f.to ?? null)}`,
        )
        .join(', ');
      return `${SIGN[c.action]} ${c.entity} ${name}${fields ? ` ${fields}` : ''}`;
    })
    .join('\n');
}
