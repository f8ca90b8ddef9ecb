/**
 * Building responses to requests (RFC 3261 section 8.2.6) and the standard reason phrases (section 21 and the
 * extensions we meet). Content-Length is not set here: the serializer always writes it from the body.
 */
import { Headers } from './headers.js';
import { parseNameAddr } from './name-addr.js';
import type { SipRequest, SipResponse } from './types.js';

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated', // RFC 6228
  200: 'OK',
  202: 'Accepted', // RFC 3265
  204: 'No Notification', // RFC 5839
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed', // RFC 3903
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  417: 'Unknown Resource-Priority', // RFC 4412
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small', // RFC 4028
  423: 'Interval Too Brief',
  428: 'Use Identity Header', // RFC 8224
  429: 'Provide Referrer Identity', // RFC 3892
  430: 'Flow Failed', // RFC 5626
  433: 'Anonymity Disallowed', // RFC 5079
  436: 'Bad Identity Info', // RFC 8224
  437: 'Unsupported Credential',
  438: 'Invalid Identity Header',
  439: 'First Hop Lacks Outbound Support', // RFC 5626
  440: 'Max-Breadth Exceeded', // RFC 5393
  469: 'Bad Info Package', // RFC 6086
  470: 'Consent Needed', // RFC 5360
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event', // RFC 6665
  491: 'Request Pending',
  493: 'Undecipherable',
  494: 'Security Agreement Required', // RFC 3329
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  555: 'Push Notification Service Not Supported', // RFC 8599
  580: 'Precondition Failure', // RFC 3312
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
  607: 'Unwanted', // RFC 8197
  608: 'Rejected', // RFC 8688
};

const CLASS_REASONS = [
  '',
  'Informational',
  'Success',
  'Redirection',
  'Client Error',
  'Server Error',
  'Global Failure',
];

/** The standard reason phrase of a status code; a class phrase ("Client Error") for codes without one. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? CLASS_REASONS[Math.floor(status / 100)] ?? 'Unknown';
}

export interface CreateResponseOptions {
  /** To tag to add when the request's To has none (RFC 3261 8.2.6.2); ignored for 100. */
  toTag?: string;
  /** Extra header lines appended after the copied ones, in order. */
  headers?: Array<[string, string]>;
  body?: Buffer;
  /** Content-Type of the body. */
  contentType?: string;
  /**
   * Copy Record-Route lines in order, as a UAS must for a response that establishes a dialog (RFC 3261 12.1.1):
   * 101-199 and 2xx to INVITE or SUBSCRIBE. The caller decides; default false.
   */
  copyRecordRoute?: boolean;
}

/**
 * A response to req per RFC 3261 8.2.6: the From, Call-ID and CSeq lines copied, every Via line copied in order
 * (8.2.6.2), To copied with a tag added when it had none, status > 100 and a tag is given, and Timestamp copied
 * for 100 Trying (8.2.6.1). Values are copied as received, unparsed, so nothing the UAC sent is normalized away.
 */
export function createResponse(
  req: SipRequest,
  status: number,
  reason?: string,
  opts?: CreateResponseOptions,
): SipResponse {
  const h = new Headers();
  for (const v of req.headers.getAll('Via')) h.add('Via', v);
  copyFirst(req.headers, h, 'From');
  const to = req.headers.get('To');
  if (to !== undefined) h.add('To', status > 100 && opts?.toTag ? withToTag(to, opts.toTag) : to);
  copyFirst(req.headers, h, 'Call-ID');
  copyFirst(req.headers, h, 'CSeq');
  if (status === 100) copyFirst(req.headers, h, 'Timestamp');
  if (opts?.copyRecordRoute) for (const v of req.headers.getAll('Record-Route')) h.add('Record-Route', v);
  if (opts?.headers) for (const [n, v] of opts.headers) h.add(n, v);
  if (opts?.contentType !== undefined) h.set('Content-Type', opts.contentType);
  return {
    type: 'response',
    version: 'SIP/2.0',
    status,
    reason: reason ?? reasonPhrase(status),
    headers: h,
    body: opts?.body ?? Buffer.alloc(0),
  };
}

/**
 * A stateless error response (typically 400 or 505) to a request that failed to parse, formed from whatever
 * header lines it had (ParseResult.headers). Undefined when there is no Via: without one a response has nowhere
 * to go (RFC 3261 18.2.2) and the request is dropped instead.
 */
export function createResponseFromHeaders(
  isRequestHeaders: Headers,
  status: number,
  reason?: string,
  opts?: { toTag?: string },
): SipResponse | undefined {
  const vias = isRequestHeaders.getAll('Via');
  if (vias.length === 0) return undefined;
  const h = new Headers();
  for (const v of vias) h.add('Via', v);
  copyFirst(isRequestHeaders, h, 'From');
  const to = isRequestHeaders.get('To');
  if (to !== undefined) h.add('To', status > 100 && opts?.toTag ? withToTag(to, opts.toTag) : to);
  copyFirst(isRequestHeaders, h, 'Call-ID');
  copyFirst(isRequestHeaders, h, 'CSeq');
  return {
    type: 'response',
    version: 'SIP/2.0',
    status,
    reason: reason ?? reasonPhrase(status),
    headers: h,
    body: Buffer.alloc(0),
  };
}

function copyFirst(from: Headers, to: Headers, name: string): void {
  const v = from.get(name);
  if (v !== undefined) to.add(name, v);
}

/** The To value with `;tag=` appended unless it already has a tag. An unparsable To is checked textually. */
function withToTag(to: string, tag: string): string {
  // Without the letters of "tag" anywhere there is no tag parameter: no need to parse (most requests).
  if (!/tag/i.test(to)) return `${to};tag=${tag}`;
  const na = parseNameAddr(to);
  const hasTag = na ? na.params.has('tag') : /;\s*tag\s*=/i.test(to);
  return hasTag ? to : `${to};tag=${tag}`;
}
