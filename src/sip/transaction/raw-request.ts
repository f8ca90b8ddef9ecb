import { parseMessage } from '../message/parser.js';
import type { SipRequest } from '../message/types.js';
import type { RawRequest } from './types.js';

/**
 * A raw request as a request object, for a sender or an observer that needs one (the stack's message filter or
 * call trace asked to see it; a test stack without a raw path). Undefined when the bytes are no request — which
 * a dialog's template never produces; the caller treats it as a transport error.
 */
export function parseRawRequest(raw: RawRequest): SipRequest | undefined {
  const parsed = parseMessage(raw.bytes);
  return parsed.ok && parsed.message.type === 'request' ? parsed.message : undefined;
}
