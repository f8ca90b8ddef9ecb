// The do-not-disturb and forwarding part of the BroadSoft as-feature-event package (ECMA-323 CSTA elements, as
// Yealink, Poly and Gigaset phones send them and as OpenSIPS' presence_dfks and FreeSWITCH serve them):
//
//   phone → server (SUBSCRIBE body):  <SetDoNotDisturb><device/><doNotDisturbOn>true</…></SetDoNotDisturb>
//                                     <SetForwarding><device/><forwardingType>forwardImmediate</…>
//                                       <activateForward>true</…><forwardDN>201</…><ringCount>4</…></SetForwarding>
//   server → phone (NOTIFY body):     <DoNotDisturbEvent><device/><doNotDisturbOn>…</…></DoNotDisturbEvent>
//                                     <ForwardingEvent><device/><forwardingType>…</…><forwardStatus>…</…>
//                                       <forwardTo>…</…><ringCount>…</…></ForwardingEvent>
//
// forwardImmediate is our "always", forwardBusy "busy", forwardNoAns "noAnswer"; the package has no type for
// "not reachable" (it is set by feature code or provisioning only). This file is the pure codec.

import { xmlText } from '../../sip/event/xml.js';
import type { ForwardingRecord, ForwardTargetRecord } from '../../store/forwarding-store.js';

const CSTA_NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';

/** One ring in the phones' ringCount: the European cadence of one second on and four off. */
export const SECONDS_PER_RING = 5;

export const CSTA_FORWARDING_TYPES = {
  forwardImmediate: 'always',
  forwardBusy: 'busy',
  forwardNoAns: 'noAnswer',
} as const;
export type CstaForwardingType = keyof typeof CSTA_FORWARDING_TYPES;

export type FeatureKeyRequest =
  | { kind: 'dnd'; on: boolean }
  | {
      kind: 'forwarding';
      rule: (typeof CSTA_FORWARDING_TYPES)[CstaForwardingType];
      on: boolean;
      /** The number the phone sent (forwardDN), as dialled; absent or empty: keep the stored target. */
      number?: string;
      /** forwardNoAns only. */
      ringCount?: number;
    };

/**
 * The set requests in a SUBSCRIBE body that are this part's (a phone may send one per key). Tolerant of
 * namespace prefixes and whitespace; it reads leaf elements, not a general XML document (the runtime has no XML
 * parser dependency). Unknown types and malformed values are skipped.
 */
export function parseFeatureKeyRequests(body: string): FeatureKeyRequest[] {
  const out: FeatureKeyRequest[] = [];
  for (const el of elements(body, 'SetDoNotDisturb')) {
    const on = bool(leaf(el, 'doNotDisturbOn'));
    if (on !== undefined) out.push({ kind: 'dnd', on });
  }
  for (const el of elements(body, 'SetForwarding')) {
    const type = leaf(el, 'forwardingType');
    const on = bool(leaf(el, 'activateForward'));
    if (!type || !(type in CSTA_FORWARDING_TYPES) || on === undefined) continue;
    const number = leaf(el, 'forwardDN');
    const rings = leaf(el, 'ringCount');
    out.push({
      kind: 'forwarding',
      rule: CSTA_FORWARDING_TYPES[type as CstaForwardingType],
      on,
      ...(number ? { number } : {}),
      ...(rings && /^\d{1,2}$/.test(rings) ? { ringCount: Number(rings) } : {}),
    });
  }
  return out;
}

/** The NOTIFY documents of `s` for workplace `device`: do not disturb, then always, busy, no answer. */
export function featureKeyDocuments(s: ForwardingRecord, device: string): string[] {
  const dev = `<device>${xmlText(device)}</device>\r\n`;
  const doc = (el: string, inner: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\r\n<${el} xmlns="${CSTA_NS}">\r\n${dev}${inner}</${el}>\r\n`;
  const fwd = (type: CstaForwardingType) => {
    const rule = s[CSTA_FORWARDING_TYPES[type]];
    const on = rule.enabled && rule.target !== null;
    const rings =
      type === 'forwardNoAns'
        ? `<ringCount>${Math.max(1, Math.round(s.noAnswer.seconds / SECONDS_PER_RING))}</ringCount>\r\n`
        : '';
    return doc(
      'ForwardingEvent',
      `<forwardingType>${type}</forwardingType>\r\n` +
        `<forwardStatus>${on}</forwardStatus>\r\n` +
        `<forwardTo>${xmlText(shown(rule.target))}</forwardTo>\r\n${rings}`,
    );
  };
  return [
    doc('DoNotDisturbEvent', `<doNotDisturbOn>${s.dnd}</doNotDisturbOn>\r\n`),
    fwd('forwardImmediate'),
    fwd('forwardBusy'),
    fwd('forwardNoAns'),
  ];
}

/** How a target shows on the phone: the number, or "voicemail". */
function shown(t: ForwardTargetRecord | null): string {
  if (!t) return '';
  return t.kind === 'voicemail' ? 'voicemail' : t.number;
}

function elements(body: string, name: string): string[] {
  const re = new RegExp(`<(?:\\w+:)?${name}[\\s>][\\s\\S]*?</(?:\\w+:)?${name}\\s*>`, 'g');
  return body.match(re) ?? [];
}

function leaf(body: string, name: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${name}\\s*>\\s*([^<]*?)\\s*</(?:\\w+:)?${name}\\s*>`).exec(body);
  return m?.[1];
}

function bool(v: string | undefined): boolean | undefined {
  return v === 'true' ? true : v === 'false' ? false : undefined;
}
