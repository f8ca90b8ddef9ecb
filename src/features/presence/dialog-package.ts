/**
 * The RFC 4235 dialog event package as a descriptor for the subscription service: who may watch which workplace
 * (or, RFC 4662, a workplace's BLF list at `<ext>-blf`), and the dialog-info / RLMI multipart documents a NOTIFY
 * carries. Subscription plumbing (dialogs, expiry, the NOTIFY chain, persistence) is core/subscriptions'.
 */
import { randomHex } from '../../util/random-id.js';
import type { Logger } from '../../util/log.js';
import { DIALOG_INFO_CONTENT_TYPE, dialogInfoXml } from '../../sip/event/dialog-info.js';
import { RLMI_CONTENT_TYPE, multipartRelated, rlmiXml } from '../../sip/event/rlmi.js';
import { BodyTemplate } from '../../sip/message/spliced-body.js';
import type {
  EventPackage,
  NotifyBody,
  NotifyInfo,
  Subscription,
} from '../../core/subscriptions/event-package.js';
import { RESTORE_MARGIN } from '../../core/subscriptions/subscription-records.js';
import type { TenantRecord, WorkplaceRecord } from '../../store/types.js';
import { blfDialogInfo } from './blf-dialog-info.js';
import { presenceOf, type DialogView, type PresenceBook } from './presence-state.js';
import { accepts, listUri, supportsEventlist, targetOf } from './subscribe-request.js';

/** What one dialog-package subscription watches. */
export interface BlfResource {
  /** `dialog`: one workplace; `list`: the BLF list of `extension` (RFC 4662). */
  readonly kind: 'dialog' | 'list';
  readonly extension: string;
  /** The watched workplaces: [extension] for `dialog`, the BLF list for `list`. */
  members: readonly string[];
  names: ReadonlyMap<string, string>;
  /** Lists: the next dialog-info version per member (RFC 4662 5.2: each part has its own). */
  readonly resourceVersions: Map<string, number>;
}

/** A change to some members (a partial list update), and the documents built for this event so far. */
export interface BlfChange {
  changes: ReadonlyMap<string, DialogView[]>;
  /**
   * Extension → its document with VERSION_SENTINEL, encoded once: watchers of one workplace share it but for the
   * version. A change belongs to one event, and an event to one tenant: the extension names the workplace.
   */
  docs: Map<string, BodyTemplate>;
}

export type BlfSubscription = Subscription<BlfResource>;

type Plan = { workplace(extension: string): WorkplaceRecord | undefined };

/** Tenants and their workplaces (the core Directory fits). */
export interface BlfDirectory {
  tenantById(id: string): Promise<TenantRecord | undefined>;
  plan(tenantId: string): Promise<Plan>;
}

/**
 * The SIP identifiers of the leg a pickup INVITE with Replaces must name for a call ringing at `workplace`
 * (implemented by the call engine; we are a B2BUA, so these are the callee-side leg's, not the caller's).
 */
export interface LegLookup {
  pickupLegOf(
    tenantId: string,
    callId: string,
    workplace: string,
  ): { callId: string; localTag: string; remoteTag: string } | undefined;
}

const VERSION_SENTINEL = 0xffffffff;
const SENTINEL_ATTR = `version="${VERSION_SENTINEL}"`;

export function dialogPackage(o: {
  directory: BlfDirectory;
  legs: LegLookup;
  book: () => PresenceBook;
  /** Workplaces in do not disturb (the composition root passes forwarding's answer). */
  dnd?: (tenantId: string, workplace: string) => boolean;
  /** Whether a number that is no workplace is a park location of the tenant (watched like one, park-lamps.ts). */
  parkLocation?: (tenantId: string, number: string) => Promise<boolean>;
  log: Logger;
  started(sub: BlfSubscription): void;
  ended(sub: BlfSubscription): void;
}): EventPackage<BlfResource, BlfChange> {
  return {
    event: 'dialog',
    contentTypes: [DIALOG_INFO_CONTENT_TYPE, 'multipart/related', RLMI_CONTENT_TYPE],
    async admit({ tenant, device, request }) {
      const target = targetOf(request, tenant.domain);
      if (target.kind === 'foreign') {
        // Authorisation: the same answer whatever exists there, so nothing is learnt.
        o.log.info(
          { event: 'blf.subscribe.refused', tenant: tenant.id, device: device.username, status: 403 },
          'BLF SUBSCRIBE to another tenant',
        );
        return { ok: false, status: 403 };
      }
      if (target.kind === 'unknown') return { ok: false, status: 404 };
      const plan = await o.directory.plan(tenant.id);
      const owner = plan.workplace(target.extension);
      if (!owner && target.kind === 'dialog' && (await o.parkLocation?.(tenant.id, target.extension))) {
        if (!accepts(request, DIALOG_INFO_CONTENT_TYPE))
          return { ok: false, status: 406, headers: [['Accept', DIALOG_INFO_CONTENT_TYPE]] };
        return { ok: true, resource: parkResource(target.extension, 0) };
      }
      if (!owner) return { ok: false, status: 404 };
      if (target.kind === 'list') {
        // RFC 4662 section 4: a list URI without eventlist support → 421 naming the extension.
        if (!supportsEventlist(request))
          return { ok: false, status: 421, headers: [['Require', 'eventlist']] };
        if (!accepts(request, 'multipart/related') || !accepts(request, RLMI_CONTENT_TYPE))
          return {
            ok: false,
            status: 406,
            headers: [['Accept', `multipart/related, ${RLMI_CONTENT_TYPE}, ${DIALOG_INFO_CONTENT_TYPE}`]],
          };
      } else if (!accepts(request, DIALOG_INFO_CONTENT_TYPE)) {
        return { ok: false, status: 406, headers: [['Accept', DIALOG_INFO_CONTENT_TYPE]] };
      }
      const members = target.kind === 'list' ? membersOf(plan, owner) : [target.extension];
      return {
        ok: true,
        resource: {
          kind: target.kind,
          extension: target.extension,
          members,
          names: namesOf(plan, members),
          resourceVersions: new Map(members.map((m) => [m, 0])),
        },
        ...(target.kind === 'list' ? { headers: [['Require', 'eventlist']] } : {}),
      };
    },
    started: (sub) => o.started(sub),
    ended: (sub) => o.ended(sub),
    body: (sub, n) => body(o, sub, n),
    // A workplace's dialog-info is always its full state; a list's RLMI updates are partial (RFC 4662 5.2).
    fullState: (sub) => sub.resource.kind !== 'list',
    persistence: {
      kinds: ['dialog', 'list'],
      save: (r) => ({
        kind: r.kind,
        resource: r.extension,
        versions: Object.fromEntries(r.resourceVersions),
      }),
      async restore({ tenantId, stored }) {
        if (stored.kind !== 'dialog' && stored.kind !== 'list') return undefined;
        const plan = await o.directory.plan(tenantId);
        const owner = plan.workplace(stored.resource);
        if (!owner && stored.kind === 'dialog' && (await o.parkLocation?.(tenantId, stored.resource)))
          return {
            resource: parkResource(stored.resource, stored.versions[stored.resource] ?? RESTORE_MARGIN),
            gone: false,
          };
        const members = !owner ? [] : stored.kind === 'list' ? membersOf(plan, owner) : [stored.resource];
        return {
          resource: {
            kind: stored.kind,
            extension: stored.resource,
            members,
            names: namesOf(plan, members),
            resourceVersions: new Map(members.map((m) => [m, stored.versions[m] ?? RESTORE_MARGIN])),
          },
          // The watched workplace was removed while we were down: `noresource`.
          gone: !owner,
        };
      },
    },
  };
}

/** A park location watched as one resource (its document: park-lamps.ts). */
function parkResource(location: string, version: number): BlfResource {
  return {
    kind: 'dialog',
    extension: location,
    members: [location],
    names: new Map([[location, `Park ${location}`]]),
    resourceVersions: new Map([[location, version]]),
  };
}

/** The members of a BLF list that still exist. */
export function membersOf(plan: Plan, owner: WorkplaceRecord): string[] {
  return (owner.blf ?? []).filter((m) => plan.workplace(m));
}

export function namesOf(plan: Plan, members: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of members) {
    const w = plan.workplace(m);
    if (w) out.set(m, w.name);
  }
  return out;
}

/**
 * A workplace in do not disturb without a call shows busy: RFC 4235 has no DND state, so it is one confirmed
 * dialog (id `dnd`) without call identifiers (no call-id or tags: a BLF key cannot pick it up), which desk phones
 * light as busy.
 */
function dndDialog(workplace: string, now: number): DialogView {
  const self = { workplace, number: workplace };
  return {
    id: 'dnd',
    callId: 'dnd',
    direction: 'recipient',
    phase: 'confirmed',
    local: self,
    remote: self,
    held: false,
    since: now,
  };
}

type BodyDeps = {
  legs: LegLookup;
  book: () => PresenceBook;
  dnd?: (tenantId: string, workplace: string) => boolean;
};

/** The calls of member `m` for this NOTIFY; a workplace in DND without a live call shows the DND dialog beside them. */
function dialogsOf(o: BodyDeps, sub: BlfSubscription, n: NotifyInfo<BlfChange>, m: string): DialogView[] {
  const calls = n.change?.changes.get(m) ?? presenceOf(o.book(), sub.tenantId, m).dialogs;
  // Calls just over are still reported once (terminated): the DND dialog shows beside them.
  const live = calls.some((d) => d.phase !== 'terminated');
  return !live && o.dnd?.(sub.tenantId, m) ? [...calls, dndDialog(m, n.now)] : calls;
}

function buildDoc(
  o: BodyDeps,
  sub: BlfSubscription,
  n: NotifyInfo<BlfChange>,
  m: string,
  version: number,
): string {
  return dialogInfoXml(
    blfDialogInfo({
      domain: sub.domain,
      workplace: m,
      version,
      state: 'full',
      dialogs: dialogsOf(o, sub, n, m),
      now: n.now,
      legOf: (d) => o.legs.pickupLegOf(sub.tenantId, d.callId, m),
    }),
  );
}

/**
 * Member `m`'s document for this change, with VERSION_SENTINEL, built and encoded once: within one change (one
 * event of one tenant) every watcher of `m` gets the same document but for its version. Undefined without a change
 * (a full state for one subscription: its document is built for it alone).
 */
function sharedDoc(
  o: BodyDeps,
  sub: BlfSubscription,
  n: NotifyInfo<BlfChange>,
  m: string,
): BodyTemplate | undefined {
  const docs = n.change?.docs;
  if (!docs) return undefined;
  let template = docs.get(m);
  if (template === undefined)
    docs.set(m, (template = new BodyTemplate(buildDoc(o, sub, n, m, VERSION_SENTINEL), SENTINEL_ATTR)));
  return template;
}

/** The dialog-info document (one workplace) or the RLMI multipart (a list, RFC 4662 section 5) of one NOTIFY. */
function body(o: BodyDeps, sub: BlfSubscription, n: NotifyInfo<BlfChange>): NotifyBody {
  const r = sub.resource;
  if (r.kind === 'dialog') {
    // A NOTIFY of its own: the shared document's encoded parts and this subscription's version.
    const shared = sharedDoc(o, sub, n, r.extension);
    const body = shared ? shared.fill(`version="${n.version}"`) : buildDoc(o, sub, n, r.extension, n.version);
    return { contentType: DIALOG_INFO_CONTENT_TYPE, body };
  }
  const changes = n.change?.changes;
  // RFC 4662 section 5: full state names every resource; a partial update only those that changed.
  const members = !changes ? r.members : r.members.filter((m) => changes.has(m));
  const parts = members.map((m) => {
    const v = r.resourceVersions.get(m) ?? 0;
    r.resourceVersions.set(m, v + 1);
    const shared = sharedDoc(o, sub, n, m);
    const doc = shared ? shared.text(`version="${v}"`) : buildDoc(o, sub, n, m, v);
    return { m, cid: `${m}.${sub.id}.${v}@${sub.domain}`, body: doc };
  });
  const rootCid = `list.${sub.id}.${n.version}@${sub.domain}`;
  const rlmi = rlmiXml({
    uri: listUri(r.extension, sub.domain),
    version: n.version,
    fullState: !changes,
    resources: parts.map((p) => ({
      uri: `sip:${p.m}@${sub.domain}`,
      ...(r.names.has(p.m) ? { name: r.names.get(p.m)! } : {}),
      instances: [
        n.state === 'terminated'
          ? { id: `i${p.m}`, state: 'terminated' as const, reason: n.reason ?? 'timeout', cid: p.cid }
          : { id: `i${p.m}`, state: 'active' as const, cid: p.cid },
      ],
    })),
  });
  return multipartRelated({
    boundary: `blf-${randomHex(8)}`,
    rootCid,
    parts: [
      { cid: rootCid, contentType: RLMI_CONTENT_TYPE, body: rlmi },
      ...parts.map((p) => ({ cid: p.cid, contentType: DIALOG_INFO_CONTENT_TYPE, body: p.body })),
    ],
  });
}
