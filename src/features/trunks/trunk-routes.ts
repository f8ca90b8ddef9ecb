import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ExternalRoutes, InboundRoute, TrunkTarget } from '../../core/calls/external-routes.js';
import type { Endpoint, TransportProtocol } from '../../sip/transport/types.js';
import type { DirectoryStore, TrunkDidRecord, TrunkRecord, TrunkStore } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import { formatOutboundNumber, toE164 } from './number-format.js';
import type { NumberFormat } from './number-format.js';

export interface TrunkRoutesOptions {
  /** Trunks and DIDs, and the workplaces' external numbers (WorkplaceRecord.externalNumber). */
  store: { trunks: TrunkStore; directory: Pick<DirectoryStore, 'workplaces'> };
  clock: Clock;
  /** How long trunks, DIDs and external numbers are cached; provisioning in this process calls invalidate(). */
  ttlMs?: number;
  /** Host name → IP address (default: node:dns lookup). IP literals are never looked up. */
  resolve?: (host: string) => Promise<string>;
}

interface Snapshot {
  at: number;
  trunks: TrunkRecord[];
  byTenant: Map<string, TrunkRecord[]>;
  dids: Map<string, TrunkDidRecord>;
}

/**
 * The SIP trunks of every tenant, as the call engine's ExternalRoutes.
 *
 * Outbound: a tenant's calls to outside numbers take its first trunk; the number is formatted for the carrier
 * and the call presents the workplace's external number (or the trunk's default caller id).
 *
 * Inbound: a request is from a trunk when its source address is a trunk peer's address. Only the address counts,
 * not the port: carriers often send from other ports than the one they receive on. Unknown addresses get
 * undefined (the request must then authenticate like any device). Tenant isolation: one carrier address may
 * serve several tenants; they are told apart by who owns the dialled number (a DID belongs to exactly one
 * tenant), and a DID is only ever returned for a trunk of its own tenant.
 */
export class TrunkRoutes implements ExternalRoutes {
  readonly #o: TrunkRoutesOptions;
  readonly #ttlMs: number;
  readonly #resolve: (host: string) => Promise<string>;
  #snapshot: Promise<Snapshot> | undefined;
  readonly #externals = new Map<string, { at: number; value: Promise<Map<string, string>> }>();
  /** Host name → address; looked up once (until invalidate()), failures are retried on the next call. */
  readonly #addresses = new Map<string, Promise<string | undefined>>();

  constructor(o: TrunkRoutesOptions) {
    this.#o = o;
    this.#ttlMs = o.ttlMs ?? 5_000;
    this.#resolve = o.resolve ?? (async (host) => (await lookup(host)).address);
  }

  /** Drops every cached trunk, DID, external number and resolved host name. */
  invalidate(): void {
    this.#snapshot = undefined;
    this.#externals.clear();
    this.#addresses.clear();
  }

  /** The addresses of every trunk peer (resolved), for the flood guard that must never limit a carrier. */
  async peerAddresses(): Promise<string[]> {
    const out: string[] = [];
    for (const t of (await this.#load()).trunks) {
      const a = await this.#address(t.peerHost);
      if (a !== undefined) out.push(normaliseAddress(a));
    }
    return out;
  }

  /** The tenant's outside-line prefix (its first trunk's outboundPrefix), for the dial plan; undefined: no trunk. */
  async externalPrefix(tenantId: string): Promise<string | undefined> {
    return (await this.#load()).byTenant.get(tenantId)?.[0]?.outboundPrefix;
  }

  /**
   * `number` is the external number as the dial plan hands it over: the outside-line prefix already stripped,
   * a leading '+' kept (resolveDialString's `external` route).
   */
  async outbound(
    tenantId: string,
    callerExtension: string,
    number: string,
  ): Promise<TrunkTarget | undefined> {
    const trunk = (await this.#load()).byTenant.get(tenantId)?.[0];
    if (!trunk) return undefined;
    const formatted = formatOutboundNumber({
      dialled: number,
      prefix: '',
      format: trunk.numberFormat as NumberFormat,
      countryCode: trunk.countryCode,
    });
    if (formatted === undefined) return undefined;
    const e164 = formatOutboundNumber({
      dialled: number,
      prefix: '',
      format: 'e164',
      countryCode: trunk.countryCode,
    });
    const address = await this.#address(trunk.peerHost);
    if (address === undefined) return undefined;

    const externals = await this.#externalNumbers(tenantId);
    // Without any number of our own, the registration username is what the carrier knows us by.
    const callerId =
      externals.get(callerExtension) ?? trunk.defaultCallerId ?? trunk.regUsername ?? 'anonymous';
    const host = uriHost(trunk.peerHost);
    const transport = trunk.transport === 'tcp' ? ';transport=tcp' : '';
    const identity = `<sip:${callerId}@${host}>`;
    return {
      trunkId: trunk.id,
      flow: {
        protocol: trunk.transport as TransportProtocol,
        remote: { address, port: trunk.peerPort },
        // The transport layer picks the socket.
        local: { address: '', port: 0 },
      },
      requestUri: `sip:${formatted}@${host}:${trunk.peerPort}${transport}`,
      from: identity,
      to: `<sip:${formatted}@${host}>`,
      ...(e164 ? { e164 } : {}),
      headers: [['P-Asserted-Identity', identity]],
      ...(trunk.regUsername && trunk.regPassword
        ? { credentials: { username: trunk.regUsername, password: trunk.regPassword } }
        : {}),
      ...destinationOf(trunk.countryCode),
    };
  }

  /**
   * `dialled` (the Request-URI user) is matched as E.164 in the trunk's country against the DIDs of the trunk's
   * tenant. `callerNumber` is the From user in E.164 when it is a number, else as sent (e.g. "anonymous").
   */
  async inbound(source: Endpoint, dialled: string, fromUser: string): Promise<InboundRoute | undefined> {
    const snap = await this.#load();
    const from = normaliseAddress(source.address);
    const candidates: TrunkRecord[] = [];
    for (const t of snap.trunks) {
      const a = await this.#address(t.peerHost);
      if (a !== undefined && normaliseAddress(a) === from) candidates.push(t);
    }
    if (candidates.length === 0) return undefined;
    // The trunk whose port matches too goes first; otherwise store order (tenant, id).
    candidates.sort((a, b) => Number(b.peerPort === source.port) - Number(a.peerPort === source.port));

    const didFor = (t: TrunkRecord): TrunkDidRecord | undefined => {
      const e164 = toE164(dialled, t.countryCode);
      const did = e164 === undefined ? undefined : snap.dids.get(e164);
      return did && did.tenantId === t.tenantId ? did : undefined;
    };
    // First the trunk the number is configured on, then any trunk of the number's tenant at this address.
    const hit =
      candidates.find((t) => didFor(t)?.trunkId === t.id) ?? candidates.find((t) => didFor(t) !== undefined);
    if (hit) {
      const did = didFor(hit)!;
      return {
        kind: 'workplace',
        tenantId: hit.tenantId,
        trunkId: hit.id,
        extension: did.extension,
        callerNumber: toE164(fromUser, hit.countryCode) ?? fromUser,
      };
    }
    const first = candidates[0]!;
    return { kind: 'unknown-number', tenantId: first.tenantId, trunkId: first.id };
  }

  #load(): Promise<Snapshot> {
    const now = this.#o.clock.now();
    const cached = this.#snapshot;
    if (cached) {
      return cached.then((s) => (now - s.at < this.#ttlMs ? s : this.#reload(now)));
    }
    return this.#reload(now);
  }

  #reload(now: number): Promise<Snapshot> {
    const p = (async (): Promise<Snapshot> => {
      const [trunks, dids] = await Promise.all([
        this.#o.store.trunks.listAll(),
        this.#o.store.trunks.allDids(),
      ]);
      const byTenant = new Map<string, TrunkRecord[]>();
      for (const t of trunks) {
        const list = byTenant.get(t.tenantId) ?? [];
        list.push(t);
        byTenant.set(t.tenantId, list);
      }
      return { at: now, trunks, byTenant, dids: new Map(dids.map((d) => [d.number, d])) };
    })();
    this.#snapshot = p;
    // A failed load is not cached.
    p.catch(() => {
      if (this.#snapshot === p) this.#snapshot = undefined;
    });
    return p;
  }

  #externalNumbers(tenantId: string): Promise<Map<string, string>> {
    const now = this.#o.clock.now();
    const hit = this.#externals.get(tenantId);
    if (hit && now - hit.at < this.#ttlMs) return hit.value;
    const value = this.#o.store.directory.workplaces(tenantId).then((ws) => {
      const m = new Map<string, string>();
      for (const w of ws) if (w.externalNumber) m.set(w.extension, w.externalNumber);
      return m;
    });
    this.#externals.set(tenantId, { at: now, value });
    value.catch(() => this.#externals.delete(tenantId));
    return value;
  }

  #address(host: string): Promise<string | undefined> {
    if (isIP(host) !== 0) return Promise.resolve(host);
    const hit = this.#addresses.get(host);
    if (hit) return hit;
    const p = this.#resolve(host).then(
      (a) => a,
      () => {
        this.#addresses.delete(host);
        return undefined;
      },
    );
    this.#addresses.set(host, p);
    return p;
  }
}

/** IPv6 literals in brackets, for URIs. */
function uriHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** IPv4-mapped IPv6 (`::ffff:192.0.2.1`, from a dual-stack socket) as plain IPv4; IPv6 lower-case. */
function normaliseAddress(a: string): string {
  const s = a.toLowerCase();
  const m = /^::ffff:([0-9.]+)$/.exec(s);
  return m ? m[1]! : s;
}

/** The trunk's home country, for the toll-fraud limits (the dialled number's E.164 form is `e164`). */
function destinationOf(countryCode: string | null): { countryCode?: string } {
  return countryCode ? { countryCode } : {};
}
