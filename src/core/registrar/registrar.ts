import {
  createResponse,
  formatParams,
  formatUri,
  isSipUri,
  parseContacts,
  parseDeltaSeconds,
  parseCSeq,
  type NameAddr,
  type Params,
  type SipRequest,
  type SipResponse,
} from '../../sip/message/index.js';
import type { Flow } from '../../sip/transport/types.js';
import type { RegistrationRecord } from '../../store/types.js';
import type { BindingChange, LocationService } from './location-service.js';
import { outboundHeaders } from './outbound.js';
import { ownString } from '../../util/own-string.js';

/**
 * The registrar (RFC 3261 section 10.3), steps 5-8: it runs after the request was authenticated and authorised
 * for the address of record (tenant, username). Turns the Contact list into binding changes and answers with
 * every current binding.
 */
export interface RegistrarOptions {
  location: LocationService;
  minExpires: number;
  maxExpires: number;
  defaultExpires?: number;
  /** Bindings per AOR; past it the bindings closest to expiry make room. */
  maxContacts?: number;
  now: () => number;
}

export interface RegisterContext {
  tenantId: string;
  username: string;
  request: SipRequest;
  flow: Flow;
  toTag: string;
}

/** Contact parameters the registrar owns; everything else (+sip.instance, reg-id, ...) is kept with the binding. */
const OWN_PARAMS = new Set(['expires', 'q']);

export class Registrar {
  readonly #o: Required<RegistrarOptions>;

  constructor(opts: RegistrarOptions) {
    this.#o = { defaultExpires: 3600, maxContacts: 10, ...opts };
  }

  async handle(ctx: RegisterContext): Promise<SipResponse> {
    const req = ctx.request;
    const reply = (status: number, reason?: string, headers: Array<[string, string]> = []) =>
      createResponse(req, status, reason, { toTag: ctx.toTag, headers });

    const contacts = parseContacts(req.headers);
    if (contacts === undefined) return reply(400, 'Bad Contact');
    const expiresHeader = req.headers.get('Expires');
    // A malformed or overlarge Expires is treated as absent (RFC 3261 10.3 step 7 leaves the default to us).
    const headerExpires = expiresHeader === undefined ? undefined : parseDeltaSeconds(expiresHeader);
    const cseq = parseCSeq(req.headers.get('CSeq') ?? '')!;
    const callId = req.headers.get('Call-ID') ?? '';
    const now = this.#o.now();

    // RFC 3261 10.3 step 6: "*" is only allowed with Expires: 0 and as the only Contact.
    if (contacts === '*') {
      if (headerExpires !== 0) return reply(400, 'Wildcard Contact Needs Expires 0');
      const result = await this.#o.location.update(ctx.tenantId, ctx.username, (current) => {
        if (current.some((b) => b.callId === callId && b.cseq >= cseq.seq))
          return { result: 'stale' as const };
        return { change: { upserts: [], removes: [], removeAll: true }, result: 'ok' as const };
      });
      if (result === 'stale') return reply(500, 'Out Of Order Request', [['Retry-After', '1']]);
      return reply(200, 'OK', [['Date', httpDate(now)]]);
    }

    // Step 7: expiry per contact, and the 423 for too-brief intervals.
    const wanted: Array<{ na: NameAddr; uri: string; expires: number }> = [];
    for (const na of contacts) {
      if (!isSipUri(na.uri)) return reply(400, 'Contact Must Be A SIP URI');
      const p = na.params.get('expires');
      let expires = p === undefined || p === null ? headerExpires : parseDeltaSeconds(p);
      if (expires === undefined) expires = headerExpires ?? this.#o.defaultExpires;
      if (expires > 0 && expires < this.#o.minExpires)
        return reply(423, 'Interval Too Brief', [['Min-Expires', String(this.#o.minExpires)]]);
      wanted.push({ na, uri: formatUri(na.uri), expires: Math.min(expires, this.#o.maxExpires) });
    }

    const outcome = await this.#o.location.update(ctx.tenantId, ctx.username, (current) => {
      const change: BindingChange = { upserts: [], removes: [] };
      for (const w of wanted) {
        const existing = current.find((b) => b.contact === w.uri);
        // Step 7: same Call-ID with a CSeq not higher than the binding's: the update is aborted.
        if (existing && existing.callId === callId && existing.cseq >= cseq.seq)
          return { result: 'stale' as const };
        if (w.expires === 0) {
          if (existing) change.removes.push(w.uri);
          continue;
        }
        change.upserts.push(this.#record(ctx, w, callId, cseq.seq, now));
      }
      // Past the cap, the bindings that would expire first give way.
      const kept = current.filter(
        (b) => !change.removes.includes(b.contact) && !wanted.some((w) => w.uri === b.contact),
      );
      const overflow = kept.length + change.upserts.length - this.#o.maxContacts;
      if (overflow > 0) {
        kept.sort((a, b) => a.expiresAt - b.expiresAt);
        for (const b of kept.slice(0, overflow)) change.removes.push(b.contact);
      }
      return { change, result: 'ok' as const };
    });
    if (outcome === 'stale') return reply(500, 'Out Of Order Request', [['Retry-After', '1']]);

    // Step 8: 200 OK listing every current binding with its remaining time.
    const headers: Array<[string, string]> = [];
    for (const b of this.#o.location.lookup(ctx.tenantId, ctx.username)) {
      const left = Math.max(0, Math.round((b.expiresAt - now) / 1000));
      headers.push(['Contact', `<${b.contact}>${b.contactParams};expires=${left}`]);
    }
    headers.push(['Date', httpDate(now)]);
    const bound = wanted.filter((w) => w.expires > 0).map((w) => w.na);
    headers.push(...outboundHeaders(req, ctx.flow, bound));
    return reply(200, 'OK', headers);
  }

  #record(
    ctx: RegisterContext,
    w: { na: NameAddr; uri: string; expires: number },
    callId: string,
    cseq: number,
    now: number,
  ): RegistrationRecord {
    const keep: Params = new Map();
    for (const [k, v] of w.na.params) if (!OWN_PARAMS.has(k)) keep.set(k, v);
    const q = w.na.params.get('q');
    const qv = q === undefined || q === null ? null : Number(q);
    return {
      tenantId: ctx.tenantId,
      username: ctx.username,
      contact: w.uri,
      contactParams: formatParams(keep),
      q: qv !== null && Number.isFinite(qv) && qv >= 0 && qv <= 1 ? qv : null,
      // The binding lives as long as the registration: own copies, not views holding the REGISTER's text.
      callId: ownString(callId),
      cseq,
      expiresAt: now + w.expires * 1000,
      flowProtocol: ctx.flow.protocol,
      flowAddress: ctx.flow.remote.address,
      flowPort: ctx.flow.remote.port,
      flowLocalAddress: ctx.flow.local.address,
      flowLocalPort: ctx.flow.local.port,
      flowConnectionId: ctx.flow.connectionId ?? null,
      userAgent: ownOrNull(ctx.request.headers.get('User-Agent')?.slice(0, 200)),
      updatedAt: now,
    };
  }
}

/** The Date header's value (RFC 3261 20.17): the same string for a whole second, not a Date and a format each time. */
let dateSecond = -1;
let dateText = '';
function httpDate(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

function ownOrNull(s: string | undefined): string | null {
  return s === undefined ? null : ownString(s);
}
