/**
 * Sanity checks on a parsed message before it reaches the transaction layer (RFC 3261 sections 8.2, 16.3, 8.1.3.3).
 * parser.ts only frames the message; these checks parse the headers every element needs and answer 400/416 for
 * requests, or say "drop" for responses. Application checks (Require -> 420, Content-Type -> 415, Max-Forwards 0
 * -> 483 at a proxy, To scheme at a registrar) belong to the layers that own those decisions.
 */
import type { Headers } from './headers.js';
import { parseCSeq } from './cseq.js';
import { contactsValid, isNameAddr } from './name-addr.js';
import { parseMaxForwards } from './scalar-headers.js';
import type { SipRequest, SipResponse, Via } from './types.js';
import { isSipUri } from './types.js';
import { parseVias } from './via.js';

export type RequestValidation =
  { ok: true } | { ok: false; status: number; reason: string; extraHeaders?: [string, string][] };

export type ResponseValidation = { ok: true } | { ok: false; reason: string };

/** Headers that are not lists and so must appear at most once (RFC 3261 7.3.1, 20: "single-valued"). */
const SINGLE_VALUED = [
  'Call-ID',
  'From',
  'To',
  'CSeq',
  'Max-Forwards',
  'Content-Length',
  'Content-Type',
] as const;

/** RFC 3261 8.1.1: every request carries these (Max-Forwards too, but RFC 2543 peers omit it, RFC 4475 inv2543). */
const REQUIRED = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;

/** Request-URI schemes we serve; others get 416 (RFC 3261 8.2.2.1). */
const SUPPORTED_SCHEMES = new Set(['sip', 'sips', 'tel']);

function bad(reason: string): RequestValidation {
  return { ok: false, status: 400, reason };
}

/**
 * Checks shared by requests and responses; returns the reason text of the first failure. The parsed Vias go to
 * `vias` (all of them) and `topLine` (those of the first Via line) when asked for, so no caller parses them again.
 */
function checkCommon(h: Headers, method?: string, vias?: Via[], topLine?: Via[]): string | undefined {
  // RFC 3261 7.3.1: a header that is not a comma-separated list appears at most once (RFC 4475 multi01).
  for (const name of SINGLE_VALUED) if (h.count(name) > 1) return `Multiple ${name} Headers`;
  // RFC 3261 20.42, 25.1: every Via value must parse (RFC 4475 badinv01: empty params).
  const lines = h.getAll('Via');
  for (let k = 0; k < lines.length; k++) {
    const parsed = parseVias(lines[k]!);
    if (!parsed) return 'Malformed Via';
    if (vias) for (const v of parsed) vias.push(v);
    if (k === 0 && topLine) for (const v of parsed) topLine.push(v);
  }
  // RFC 3261 20.20, 20.39: From and To are one name-addr/addr-spec each (RFC 4475 quotbal, baddn, badaspec).
  const from = h.get('From');
  if (from !== undefined && !isNameAddr(from)) return 'Malformed From';
  const to = h.get('To');
  if (to !== undefined && !isNameAddr(to)) return 'Malformed To';
  // RFC 3261 20.8: Call-ID = word ["@" word]: at least not empty nor holding LWS.
  const callId = h.get('Call-ID');
  if (callId !== undefined && (callId.length === 0 || /[ \t]/.test(callId))) return 'Malformed Call-ID';
  // RFC 3261 20.16, 8.1.1.5: CSeq number is 32-bit unsigned (RFC 4475 scalar02, scalarlg).
  const cseqText = h.get('CSeq');
  if (cseqText !== undefined) {
    const cseq = parseCSeq(cseqText);
    if (!cseq) return 'Malformed CSeq';
    // RFC 3261 8.2 (and 16.3 for proxies): the CSeq method must match the Request-Line (RFC 4475 mismatch01/02).
    if (method !== undefined && cseq.method !== method) return 'CSeq Method Does Not Match Request Method';
  }
  // RFC 3261 20.10, 10.2.1: Contact values must parse; "*" stands alone (RFC 4475 badinv01, regbadct).
  if (!contactsValid(h)) return 'Malformed Contact';
  return undefined;
}

/**
 * RFC 3261 8.2 / 16.3 checks for a received request. 400 for malformed or missing mandatory headers, 416 for a
 * Request-URI scheme we do not serve. `topLine`, when given, receives the parsed Vias of the first Via line (the
 * transport stamps received/rport into the top one, RFC 3261 18.2.1) — fresh objects, the caller's to change.
 */
export function validateRequest(req: SipRequest, topLine?: Via[]): RequestValidation {
  const h = req.headers;
  // RFC 3261 8.1.1 / 16.3 item 1: mandatory headers present (RFC 4475 insuf).
  for (const name of REQUIRED) if (!h.has(name)) return bad(`Missing ${name} Header`);
  const common = checkCommon(h, req.method, undefined, topLine);
  if (common) return bad(common);
  // RFC 3261 20.22 / 16.3 item 3: Max-Forwards is an integer 0-255; anything else is malformed (RFC 4475 scalar02
  // allows treating an overlarge one as absent; we reject, which the same text also permits).
  const mf = h.get('Max-Forwards');
  if (mf !== undefined && parseMaxForwards(mf) === undefined) return bad('Invalid Max-Forwards');
  // RFC 3261 19.1.1 (table of URI components): headers are not allowed in a Request-URI (RFC 4475 escruri).
  if (isSipUri(req.uri) && req.uri.headers.size > 0) return bad('Headers Not Allowed In Request-URI');
  // RFC 3261 8.2.2.1 / 16.3 item 2: unsupported Request-URI scheme -> 416 (RFC 4475 unkscm, novelsc).
  if (!SUPPORTED_SCHEMES.has(req.uri.scheme)) {
    return { ok: false, status: 416, reason: 'Unsupported URI Scheme' };
  }
  return { ok: true };
}

export interface ResponseValidationOptions {
  /**
   * 'uac' (default; Zentrale is a B2BUA, its client transactions are UAC's): more than one Via means the response
   * was not meant for us (RFC 3261 8.1.3.3) and is dropped. 'proxy': several Vias are normal, but a response whose
   * next hop is a broadcast or multicast address is dropped rather than forwarded (RFC 4475 bcast).
   */
  role?: 'uac' | 'proxy';
}

/**
 * Whether a received response may be processed. Responses are never answered: a failure means "discard silently"
 * (RFC 4475 scalarlg, bigcode, bcast).
 */
export function validateResponse(res: SipResponse, opts?: ResponseValidationOptions): ResponseValidation {
  const h = res.headers;
  // Status-Code is 3 digits 100-699 (RFC 3261 7.2, 21); the parser enforces it, kept here for built messages.
  if (!Number.isInteger(res.status) || res.status < 100 || res.status > 699)
    return drop('Invalid Status-Code');
  // RFC 3261 8.1.1: the headers a response must carry to be matched to a transaction.
  for (const name of REQUIRED) if (!h.has(name)) return drop(`Missing ${name} Header`);
  const vias: Via[] = [];
  const common = checkCommon(h, undefined, vias);
  if (common) return drop(common);
  if ((opts?.role ?? 'uac') === 'uac') {
    // RFC 3261 8.1.3.3: more than one Via value in a response to a UAC -> discard.
    if (vias.length > 1) return drop('More Than One Via');
  } else {
    // RFC 4475 3.3.10: never forward a response to a broadcast or multicast next hop.
    const next = vias[1];
    if (next && isBroadcastOrMulticast(next.params.get('received') ?? next.host)) {
      return drop('Next Via Is A Broadcast Or Multicast Address');
    }
  }
  return { ok: true };
}

function drop(reason: string): ResponseValidation {
  return { ok: false, reason };
}

/** 255.255.255.255, IPv4 multicast 224.0.0.0/4, and IPv6 multicast ff00::/8. */
function isBroadcastOrMulticast(host: string): boolean {
  if (host === '255.255.255.255') return true;
  const first = /^(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.exec(host);
  if (first) {
    const a = Number(first[1]);
    return a >= 224 && a <= 239;
  }
  const h = host.startsWith('[') ? host.slice(1) : host;
  return h.toLowerCase().startsWith('ff') && h.includes(':');
}
