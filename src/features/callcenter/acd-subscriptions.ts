// The ACD keys of Yealink and Poly desk phones: subscriptions to the BroadSoft `as-feature-event` package
// (RFC 6665 SUBSCRIBE/NOTIFY, bodies in as-feature-event.ts). A phone subscribes for its own workplace; a
// SetAgentState in a SUBSCRIBE body (initial or in-dialog) sets the workplace status, and every status change —
// by this key, by a feature code, by the wrap-up timer or (later) the browser — is NOTIFYed to every subscribed
// phone of that workplace, so the key lamps everywhere show the same status at once.
//
// Subscriptions live in memory: after a restart phones re-subscribe (they refresh well within the 3600 s we grant).

import { createResponse, type SipRequest, type SipResponse } from '../../sip/message/index.js';
import { MIN_EXPIRES, durationOf, type Duration } from '../../sip/event/subscription-duration.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { AcceptSubscribeOptions, SubscriptionDialog } from '../../sip/ua/incoming-subscribe.js';
import type { Directory } from '../../core/directory/directory.js';
import type { EventBus, Unsubscribe } from '../../core/events/event-bus.js';
import { newTag, type SubscribeHandler } from '../../core/sip-service.js';
import type { DeviceRecord, TenantRecord } from '../../store/types.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { AgentStatus } from './agent-state.js';
import {
  AS_FEATURE_EVENT,
  AS_FEATURE_EVENT_CONTENT_TYPE,
  agentStateEventBody,
  parseSetAgentState,
} from './as-feature-event.js';

/** What the subscriptions need of the call-center runtime, per tenant. */
export interface AgentStatusControl {
  statusOf(tenantId: string, workplace: string): Promise<AgentStatus | undefined>;
  setStatus(tenantId: string, workplace: string, status: AgentStatus): Promise<void>;
}

export interface AcdSubscriptionsOptions {
  ua: { acceptSubscribe(tx: ServerTransaction, o: AcceptSubscribeOptions): SubscriptionDialog };
  directory: Directory;
  agents: AgentStatusControl;
  bus: EventBus;
  clock: Clock;
  log: Logger;
}

interface Sub {
  tenantId: string;
  workplace: string;
  dialog: SubscriptionDialog;
  expiresAt: number;
  timer: TimerHandle | undefined;
  /** NOTIFYs of one subscription go one at a time, in order (RFC 6665 4.2.2: the newest state wins). */
  chain: Promise<void>;
  ended: boolean;
}

export class AcdSubscriptions implements SubscribeHandler {
  readonly events = [AS_FEATURE_EVENT] as const;
  readonly #o: AcdSubscriptionsOptions;
  readonly #subs = new Set<Sub>();
  #off: Unsubscribe | undefined;

  constructor(o: AcdSubscriptionsOptions) {
    this.#o = o;
  }

  start(): void {
    this.#off = this.#o.bus.on('callcenter.agent.status', (e) => {
      for (const s of this.#subs)
        if (s.tenantId === e.tenantId && s.workplace === e.agent) this.#notify(s, e.status);
    });
  }

  /** Live subscriptions (for the leak checks). */
  count(): number {
    return this.#subs.size;
  }

  stop(): void {
    this.#off?.();
    for (const s of this.#subs) this.#o.clock.clearTimeout(s.timer);
    this.#subs.clear();
  }

  async handleSubscribe(tx: ServerTransaction, tenant: TenantRecord, device: DeviceRecord): Promise<void> {
    const req = tx.request;
    const workplace = device.workplaceExtension;
    const plan = await this.#o.directory.plan(tenant.id);
    // The phone's own workplace only, and only with the package that makes it an agent.
    if (!plan.workplace(workplace)?.packages.includes('group')) {
      tx.respond(createResponse(req, 403, 'Group Package Not Booked', { toTag: newTag() }));
      return;
    }
    const d = durationOf(req);
    if (!d.ok) {
      tx.respond(refusal(req, d, newTag()));
      return;
    }
    const expires = d.seconds;
    await this.#apply(tenant.id, workplace, req.body.toString('utf8'));
    const dialog = this.#o.ua.acceptSubscribe(tx, { expires });
    const s: Sub = {
      tenantId: tenant.id,
      workplace,
      dialog,
      expiresAt: 0,
      timer: undefined,
      chain: Promise.resolve(),
      ended: false,
    };
    dialog.onRequest((inDialog) => void this.#onInDialog(s, inDialog));
    dialog.onTerminated(() => this.#drop(s, false));
    this.#o.log.info(
      { event: 'acd.subscribe', tenant: tenant.id, workplace, device: device.username, expires },
      'ACD key subscribed',
    );
    await this.#refresh(s, expires);
  }

  /** A refresh, an unsubscribe or a SetAgentState inside the subscription's dialog. */
  async #onInDialog(s: Sub, tx: ServerTransaction): Promise<void> {
    const req = tx.request;
    if (req.method !== 'SUBSCRIBE') {
      tx.respond(createResponse(req, 405, 'Method Not Allowed', { headers: [['Allow', 'SUBSCRIBE']] }));
      return;
    }
    const event = (req.headers.get('Event') ?? '').split(';')[0]!.trim().toLowerCase();
    if (event !== AS_FEATURE_EVENT) {
      tx.respond(createResponse(req, 489, 'Bad Event', { headers: [['Allow-Events', AS_FEATURE_EVENT]] }));
      return;
    }
    const d = durationOf(req);
    if (!d.ok) {
      tx.respond(refusal(req, d));
      return;
    }
    const expires = d.seconds;
    await this.#apply(s.tenantId, s.workplace, req.body.toString('utf8'));
    tx.respond(createResponse(req, 200, 'OK', { headers: [['Expires', String(expires)]] }));
    await this.#refresh(s, expires);
  }

  /** Sets the workplace status a SetAgentState body asks for (other feature bodies are not ours: ignored). */
  async #apply(tenantId: string, workplace: string, body: string): Promise<void> {
    const set = parseSetAgentState(body);
    if (set) await this.#o.agents.setStatus(tenantId, workplace, set.status);
  }

  /** After a (re)subscribe: NOTIFY the current state, and end the subscription now (`Expires: 0`) or later. */
  async #refresh(s: Sub, expires: number): Promise<void> {
    const o = this.#o;
    o.clock.clearTimeout(s.timer);
    const status = (await o.agents.statusOf(s.tenantId, s.workplace)) ?? 'signed-out';
    if (expires === 0) {
      this.#notify(s, status, 'terminated;reason=timeout');
      this.#drop(s, false);
      return;
    }
    this.#subs.add(s);
    s.expiresAt = o.clock.now() + expires * 1000;
    s.timer = o.clock.setTimeout(() => {
      s.timer = undefined;
      void o.agents.statusOf(s.tenantId, s.workplace).then((now) => {
        this.#notify(s, now ?? 'signed-out', 'terminated;reason=timeout');
        this.#drop(s, false);
      });
    }, expires * 1000);
    this.#notify(s, status);
  }

  #notify(s: Sub, status: AgentStatus, state?: string): void {
    const left = Math.max(0, Math.round((s.expiresAt - this.#o.clock.now()) / 1000));
    const subscriptionState = state ?? `active;expires=${left}`;
    const final = state !== undefined;
    s.chain = s.chain.then(async () => {
      if (s.ended && !final) return;
      const res: SipResponse = await s.dialog
        .request('NOTIFY', {
          headers: [
            ['Event', AS_FEATURE_EVENT],
            ['Subscription-State', subscriptionState],
          ],
          body: Buffer.from(agentStateEventBody(status, s.workplace)),
          contentType: AS_FEATURE_EVENT_CONTENT_TYPE,
        })
        .catch(() => ({ status: 481 }) as SipResponse);
      // RFC 6665 4.2.2: a 481 (or any failure but 408) to a NOTIFY ends the subscription.
      if (res.status === 481 || (res.status >= 300 && res.status !== 408)) this.#drop(s);
      if (final) s.dialog.release();
    });
  }

  /** Forgets the subscription; its dialog too, unless a final NOTIFY still has to go out in it (that releases it). */
  #drop(s: Sub, release = true): void {
    if (s.ended) return;
    s.ended = true;
    this.#o.clock.clearTimeout(s.timer);
    s.timer = undefined;
    this.#subs.delete(s);
    if (release) s.dialog.release();
  }
}

/** 423 with Min-Expires for a too-brief subscription, 400 for an Expires that is no number (RFC 6665 4.2.1.1). */
function refusal(req: SipRequest, d: Extract<Duration, { ok: false }>, toTag?: string): SipResponse {
  return d.status === 423
    ? createResponse(req, 423, 'Interval Too Brief', {
        ...(toTag ? { toTag } : {}),
        headers: [['Min-Expires', String(MIN_EXPIRES)]],
      })
    : createResponse(req, 400, 'Bad Expires', toTag ? { toTag } : {});
}
