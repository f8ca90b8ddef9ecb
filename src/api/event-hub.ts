import type { EventBus, Unsubscribe } from '../core/events/event-bus.js';
import type { DomainEvent, Party } from '../core/events/types.js';
import type { Principal } from './session-service.js';

/** One connected event-stream client as the hub sees it. */
export interface StreamClient {
  readonly who: Principal;
  /** Monitored colleagues (my BLF list): their presence changes reach me. */
  blf: ReadonlySet<string>;
  /** Call-center groups I am an agent of: their queue events reach me (admins get every group's). */
  groups: ReadonlySet<string>;
  /** The agents of those groups: their status and logins reach me (the wallboard); admins get every agent's. */
  colleagues?: ReadonlySet<string>;
  /** Sends one serialized message; false when the client was cut off (it is detached then). */
  send(message: string): boolean;
}

interface Logged {
  seq: number;
  event: DomainEvent;
  /** The wire form, made on first use. */
  message: string | undefined;
}

interface TenantStream {
  seq: number;
  /** The last events (all of the tenant's, whoever they concern), oldest first, for reconnects. */
  log: Logged[];
  clients: Set<StreamClient>;
}

/**
 * Fans the domain events out to the event-stream clients. Each tenant has one sequence: every event of the
 * tenant gets the next number, so a client sees increasing numbers with gaps (events that did not concern it)
 * and can resume after its last one while the tenant's recent events are still kept. An event is serialized
 * once and the same string goes to every client it concerns; another tenant's clients are never looked at.
 */
export class EventHub {
  readonly #replay: number;
  readonly #tenants = new Map<string, TenantStream>();
  #off: Unsubscribe | undefined;

  constructor(o: { replay?: number } = {}) {
    this.#replay = o.replay ?? 1000;
  }

  start(bus: EventBus): void {
    this.#off = bus.onAny((e) => this.#publish(e));
  }

  stop(): void {
    this.#off?.();
    this.#off = undefined;
  }

  /** The tenant's current sequence number (0 before its first event). */
  seq(tenantId: string): number {
    return this.#tenants.get(tenantId)?.seq ?? 0;
  }

  attach(c: StreamClient): () => void {
    const t = this.#tenant(c.who.tenantId);
    t.clients.add(c);
    return () => {
      t.clients.delete(c);
    };
  }

  clients(tenantId?: string): StreamClient[] {
    if (tenantId !== undefined) return [...(this.#tenants.get(tenantId)?.clients ?? [])];
    return [...this.#tenants.values()].flatMap((t) => [...t.clients]);
  }

  /**
   * The messages after `since` that concern `c`, or undefined when some of them are no longer kept (or `since`
   * is from the future, e.g. before a restart): the client gets a fresh snapshot instead.
   */
  missed(c: StreamClient, since: number): string[] | undefined {
    const t = this.#tenants.get(c.who.tenantId);
    const now = t?.seq ?? 0;
    if (since > now) return undefined;
    if (since === now) return [];
    const oldest = t?.log[0]?.seq;
    if (oldest === undefined || oldest > since + 1) return undefined;
    return t!.log.filter((l) => l.seq > since && concerns(c, l.event)).map(messageOf);
  }

  #tenant(id: string): TenantStream {
    let t = this.#tenants.get(id);
    if (!t) {
      t = { seq: 0, log: [], clients: new Set() };
      this.#tenants.set(id, t);
    }
    return t;
  }

  #publish(e: DomainEvent): void {
    const t = this.#tenant(e.tenantId);
    const seq = ++t.seq;
    // Serialised when a client first needs it: most events of a busy PBX (every call's) concern no one connected.
    const logged: Logged = { seq, event: e, message: undefined };
    t.log.push(logged);
    if (t.log.length > this.#replay) t.log.splice(0, t.log.length - this.#replay);
    if (t.clients.size === 0) return;
    for (const c of [...t.clients]) if (concerns(c, e)) c.send(messageOf(logged));
  }
}

function messageOf(l: Logged): string {
  return (l.message ??= serialize(l.seq, l.event));
}

/** `{ seq, type, at, data }`: the event's fields without its tenant (the stream is the tenant's). */
export function serialize(seq: number, e: DomainEvent): string {
  const { type, at, tenantId: _t, ...data } = e;
  return JSON.stringify({ seq, type, at: new Date(at).toISOString(), data });
}

/** Does this event concern this client? Calls it is in, its colleagues' lamps, its agent state, its queues. */
export function concerns(c: StreamClient, e: DomainEvent): boolean {
  const me = c.who.workplace;
  switch (e.type) {
    case 'presence.changed':
      return e.workplace === me || c.blf.has(e.workplace);
    case 'callcenter.agent.status':
    case 'callcenter.agent.login':
      return e.agent === me || c.who.role === 'admin' || (c.colleagues?.has(e.agent) ?? false);
    case 'callcenter.caller.queued':
    case 'callcenter.caller.abandoned':
    case 'callcenter.caller.overflowed':
      return c.who.role === 'admin' || c.groups.has(e.group);
    case 'callcenter.caller.connected':
      return c.who.role === 'admin' || c.groups.has(e.group) || e.agent === me;
    default: {
      const parties: Array<Party | undefined> = [
        'caller' in e ? e.caller : undefined,
        'callee' in e ? e.callee : undefined,
        'by' in e ? e.by : undefined,
        'from' in e ? e.from : undefined,
        'to' in e ? e.to : undefined,
        'party' in e ? e.party : undefined,
        'for' in e ? e.for : undefined,
        'parker' in e ? e.parker : undefined,
        'parked' in e ? e.parked : undefined,
      ];
      return parties.some((p) => p?.workplace === me);
    }
  }
}
