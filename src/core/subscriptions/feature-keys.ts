// The BroadSoft "Device Feature Key Synchronization" event package (Event: as-feature-event, bodies
// application/x-as-feature-event+xml, ECMA-323 CSTA elements) as one package on the subscription service, shared
// by the features that have a key on the phone: the call center's ACD state, forwarding and do not disturb. A
// phone holds ONE subscription for its workplace; each feature is a part that contributes its documents and acts
// on the set requests (SetAgentState, SetDoNotDisturb, SetForwarding) meant for it. Parts are registered by the
// composition root, so features never import each other.

import type { EventPackage, NotifyBody, Subscription } from './event-package.js';
import type { PackageHandle } from './subscription-service.js';

export const AS_FEATURE_EVENT = 'as-feature-event';
export const AS_FEATURE_EVENT_CONTENT_TYPE = 'application/x-as-feature-event+xml';
/** Several documents in one NOTIFY (the full state), as BroadWorks sends them. */
const MULTIPART = 'multipart/mixed';
const BOUNDARY = 'as-feature-event-part';

/** A feature's part of the package. */
export interface FeatureKeyPart {
  readonly name: string;
  /** Whether the part has a key for `workplace`; otherwise why not (a subscription none serves gets 403). */
  serves(tenantId: string, workplace: string): Promise<true | { reason: string }>;
  /** A SUBSCRIBE body (initial or in-dialog): act on a set request that is this part's; ignore the others. */
  received(tenantId: string, workplace: string, body: string): Promise<void>;
  /** The part's current documents for the workplace, each a whole XML document. */
  documents(tenantId: string, workplace: string): Promise<string[]>;
}

/** What one subscription watches: its phone's workplace and, per serving part, the documents last sent. */
export interface FeatureKeyResource {
  readonly workplace: string;
  readonly docs: Map<string, string[]>;
}

export interface FeatureKeysOptions {
  /** Where the package is registered (the SubscriptionService). */
  subscriptions: {
    register(pkg: EventPackage<FeatureKeyResource, string[]>): PackageHandle<FeatureKeyResource, string[]>;
  };
  log: { info(o: object, msg: string): void };
}

/** Stored subscriptions of this package carry this kind; 'acd' is what the call center alone stored before. */
const KIND = 'as-feature-event';
const KINDS = [KIND, 'acd'];

export class FeatureKeys {
  readonly #o: FeatureKeysOptions;
  readonly #parts: FeatureKeyPart[] = [];
  readonly #subs: PackageHandle<FeatureKeyResource, string[]>;

  constructor(o: FeatureKeysOptions) {
    this.#o = o;
    this.#subs = o.subscriptions.register(this.#package());
  }

  addPart(p: FeatureKeyPart): void {
    if (this.#parts.some((x) => x.name === p.name)) throw new Error(`feature key part ${p.name} added twice`);
    this.#parts.push(p);
  }

  /**
   * `part`'s state of `workplace` changed (a feature code, a key on another phone, a timer): every phone
   * subscribed for that workplace gets a NOTIFY with those of the part's documents that differ from the ones it
   * has (one key changed: one document, as the phones expect); nothing when none differs.
   */
  changed(tenantId: string, workplace: string, part: string, docs: string[]): void {
    for (const s of this.#subs.subscriptions()) {
      if (s.tenantId !== tenantId || s.resource.workplace !== workplace) continue;
      const old = s.resource.docs.get(part);
      if (!old) continue;
      s.resource.docs.set(part, docs);
      const fresh = docs.filter((d) => !old.includes(d));
      if (fresh.length > 0) this.#subs.notify(s, fresh);
    }
  }

  /** Live subscriptions (for the leak checks). */
  count(): number {
    return this.#subs.count();
  }

  async #serving(tenantId: string, workplace: string): Promise<FeatureKeyPart[] | { reason: string }> {
    const serving: FeatureKeyPart[] = [];
    let refusal: { reason: string } | undefined;
    for (const p of this.#parts) {
      const r = await p.serves(tenantId, workplace);
      if (r === true) serving.push(p);
      else refusal ??= r;
    }
    return serving.length > 0 ? serving : (refusal ?? { reason: 'No Feature Keys' });
  }

  async #refresh(tenantId: string, r: FeatureKeyResource): Promise<void> {
    for (const p of this.#parts)
      if (r.docs.has(p.name)) r.docs.set(p.name, await p.documents(tenantId, r.workplace));
  }

  #package(): EventPackage<FeatureKeyResource, string[]> {
    const o = this.#o;
    return {
      event: AS_FEATURE_EVENT,
      contentTypes: [AS_FEATURE_EVENT_CONTENT_TYPE, MULTIPART],
      admit: async ({ tenant, device }) => {
        // A phone's keys are its own workplace's.
        const workplace = device.workplaceExtension;
        const serving = await this.#serving(tenant.id, workplace);
        if (!Array.isArray(serving)) return { ok: false, status: 403, reason: serving.reason };
        return { ok: true, resource: { workplace, docs: new Map(serving.map((p) => [p.name, []])) } };
      },
      received: async (sub: Subscription<FeatureKeyResource>, request) => {
        const body = request.body.toString('utf8');
        if (body.trim() !== '')
          for (const p of this.#parts)
            if (sub.resource.docs.has(p.name)) await p.received(sub.tenantId, sub.resource.workplace, body);
        await this.#refresh(sub.tenantId, sub.resource);
        o.log.info(
          {
            event: 'feature-keys.subscribe',
            tenant: sub.tenantId,
            workplace: sub.resource.workplace,
            device: sub.watcher,
            parts: [...sub.resource.docs.keys()],
          },
          'feature keys subscribed',
        );
      },
      body: (sub, n) => featureKeyBody(n.change ?? [...sub.resource.docs.values()].flat()),
      persistence: {
        kinds: KINDS,
        save: (r) => ({ kind: KIND, resource: r.workplace, versions: {} }),
        restore: async ({ tenantId, stored }) => {
          const workplace = stored.resource;
          const serving = await this.#serving(tenantId, workplace);
          const docs = new Map(Array.isArray(serving) ? serving.map((p) => [p.name, []]) : []);
          const resource: FeatureKeyResource = { workplace, docs };
          await this.#refresh(tenantId, resource);
          return { resource, gone: !Array.isArray(serving) };
        },
      },
    };
  }
}

/**
 * One document as it is; several (the full state of a phone with more than one key) as multipart/mixed (RFC
 * 2046 section 5.1.3), one part per document, as BroadWorks sends the state after a SUBSCRIBE.
 */
export function featureKeyBody(docs: string[]): NotifyBody {
  if (docs.length === 1) return { contentType: AS_FEATURE_EVENT_CONTENT_TYPE, body: docs[0]! };
  const parts = docs.map(
    (d) => `--${BOUNDARY}\r\nContent-Type: ${AS_FEATURE_EVENT_CONTENT_TYPE}\r\n\r\n${d}\r\n`,
  );
  return { contentType: `${MULTIPART};boundary=${BOUNDARY}`, body: `${parts.join('')}--${BOUNDARY}--\r\n` };
}
