// Message waiting (RFC 3842): the `message-summary` package as a descriptor for the subscription service
// (core/subscriptions), which owns dialogs, refresh, expiry, the NOTIFY chain and persistence. A phone subscribes
// for its own workplace's mailbox; every change of the mailbox's counts is NOTIFYed to every subscribed phone of
// that workplace. Devices a mailbox lists under `unsolicitedNotify` get the same body in an out-of-dialog NOTIFY
// (RFC 3842 section 3 allows it for devices configured so), for phones that never subscribe.

import type { EventPackage, Subscription } from '../../core/subscriptions/event-package.js';
import type { PackageHandle } from '../../core/subscriptions/subscription-service.js';
import { isSipUri } from '../../sip/message/index.js';
import type { Logger } from '../../util/log.js';
import {
  MESSAGE_SUMMARY,
  MESSAGE_SUMMARY_TYPE,
  messageSummaryBody,
  type MailboxCounts,
} from './message-summary.js';

/** What one subscription watches: its phone's workplace, and the counts last NOTIFYed. */
export interface MwiResource {
  readonly workplace: string;
  counts: MailboxCounts;
}

export interface MwiSubscriptionsOptions {
  subscriptions: { register(pkg: EventPackage<MwiResource>): PackageHandle<MwiResource, never> };
  /** The mailbox's counts, or undefined when the workplace has none (no `voicemail` package). */
  counts(tenantId: string, workplace: string): Promise<MailboxCounts | undefined>;
  log: Logger;
}

/** Stored subscriptions of this package carry this kind. */
const KIND = 'mwi';

export class MwiSubscriptions {
  readonly #o: MwiSubscriptionsOptions;
  readonly #subs: PackageHandle<MwiResource, never>;

  constructor(o: MwiSubscriptionsOptions) {
    this.#o = o;
    this.#subs = o.subscriptions.register(this.#package());
  }

  /** The mailbox's counts changed: NOTIFY every phone of the workplace that subscribed. */
  changed(tenantId: string, workplace: string, counts: MailboxCounts): void {
    for (const s of this.#subs.subscriptions()) {
      if (s.tenantId !== tenantId || s.resource.workplace !== workplace) continue;
      s.resource.counts = { ...counts };
      this.#subs.notify(s);
    }
  }

  /**
   * After provisioning: subscriptions to a mailbox that is gone (workplace or package removed) end with
   * `noresource` (RFC 6665 4.2.2); the others keep going.
   */
  async reconcile(): Promise<void> {
    for (const s of this.#subs.subscriptions()) {
      if (s.ended) continue;
      if (!(await this.#o.counts(s.tenantId, s.resource.workplace))) this.#subs.terminate(s, 'noresource');
    }
  }

  count(): number {
    return this.#subs.count();
  }

  #package(): EventPackage<MwiResource> {
    const o = this.#o;
    return {
      event: MESSAGE_SUMMARY,
      contentTypes: [MESSAGE_SUMMARY_TYPE],
      async admit({ tenant, device, request }) {
        const workplace = device.workplaceExtension;
        // Phones subscribe to their own AOR or to the mailbox number: both name the own workplace's mailbox.
        const user = isSipUri(request.uri) ? (request.uri.user ?? '') : '';
        if (user !== '' && user !== workplace && user !== device.username)
          return { ok: false, status: 403, reason: 'Not Your Mailbox' };
        const counts = await o.counts(tenant.id, workplace);
        if (!counts) return { ok: false, status: 404, reason: 'No Mailbox' };
        return { ok: true, resource: { workplace, counts } };
      },
      received: async (sub: Subscription<MwiResource>) => {
        sub.resource.counts = (await o.counts(sub.tenantId, sub.resource.workplace)) ?? sub.resource.counts;
        o.log.info(
          {
            event: 'mwi.subscribe',
            tenant: sub.tenantId,
            workplace: sub.resource.workplace,
            device: sub.watcher,
          },
          'message waiting subscribed',
        );
      },
      body: (sub) => ({
        contentType: MESSAGE_SUMMARY_TYPE,
        body: messageSummaryBody(`sip:${sub.resource.workplace}@${sub.domain}`, sub.resource.counts),
      }),
      persistence: {
        kinds: [KIND],
        save: (r) => ({ kind: KIND, resource: r.workplace, versions: {} }),
        async restore({ tenantId, stored }) {
          const workplace = stored.resource;
          const counts = await o.counts(tenantId, workplace);
          return { resource: { workplace, counts: counts ?? { newCount: 0, oldCount: 0 } }, gone: !counts };
        },
      },
    };
  }
}
