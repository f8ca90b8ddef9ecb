/**
 * RFC 4235 dialog event package bodies (`application/dialog-info+xml`), as NOTIFYed to BLF keys. Pure string
 * building: the caller owns the version counter (one per subscription, see VersionCounter) and decides full versus
 * partial state. For BLF pickup by INVITE with Replaces (RFC 3891), `callId`/`localTag`/`remoteTag` must be those of
 * the leg the phone's INVITE will name: phones copy them from an `early` dialog here.
 */
import { checkVersion, xmlAttrs, xmlText } from './xml.js';

export { VersionCounter } from './version-counter.js';

export const DIALOG_INFO_NS = 'urn:ietf:params:xml:ns:dialog-info';
export const DIALOG_INFO_CONTENT_TYPE = 'application/dialog-info+xml';

export type DialogDirection = 'initiator' | 'recipient';
export type DialogState = 'trying' | 'proceeding' | 'early' | 'confirmed' | 'terminated';
/** RFC 4235 section 4.1.2: why a dialog went to `terminated`. */
export type DialogStateEvent =
  'cancelled' | 'rejected' | 'replaced' | 'local-bye' | 'remote-bye' | 'error' | 'timeout';

export interface DialogParticipant {
  /** The participant's URI, e.g. `sip:201@tenant.example`. */
  identity: string;
  displayName?: string;
  /** The contact / target URI (`<target uri=...>`), when known. */
  target?: string;
  /** Target parameters, e.g. `{ '+sip.rendering': 'no' }` for a party on hold (RFC 4235 section 4.1.6.2). */
  targetParams?: Record<string, string>;
}

export interface DialogInfoDialog {
  /** Unique among the dialogs of this entity; stable over the dialog's lifetime. */
  id: string;
  callId?: string;
  localTag?: string;
  remoteTag?: string;
  direction: DialogDirection;
  state: DialogState;
  /** Only meaningful with state `terminated` (event) or a SIP response (code). */
  stateEvent?: DialogStateEvent;
  stateCode?: number;
  /** Seconds since the dialog was created. */
  duration?: number;
  local?: DialogParticipant;
  remote?: DialogParticipant;
}

export interface DialogInfoDocument {
  /** The monitored resource, `sip:ext@domain`. */
  entity: string;
  version: number;
  state: 'full' | 'partial';
  dialogs: DialogInfoDialog[];
}

const DIRECTIONS = new Set<string>(['initiator', 'recipient']);
const STATES = new Set<string>(['trying', 'proceeding', 'early', 'confirmed', 'terminated']);

function participant(tag: 'local' | 'remote', p: DialogParticipant | undefined, indent: string): string[] {
  if (!p) return [];
  const out = [`${indent}<${tag}>`];
  out.push(`${indent}  <identity${xmlAttrs([['display', p.displayName]])}>${xmlText(p.identity)}</identity>`);
  if (p.target !== undefined) {
    const params = Object.entries(p.targetParams ?? {});
    if (params.length === 0) out.push(`${indent}  <target${xmlAttrs([['uri', p.target]])}/>`);
    else {
      out.push(`${indent}  <target${xmlAttrs([['uri', p.target]])}>`);
      for (const [k, v] of params)
        out.push(
          `${indent}    <param${xmlAttrs([
            ['pname', k],
            ['pvalue', v],
          ])}/>`,
        );
      out.push(`${indent}  </target>`);
    }
  }
  out.push(`${indent}</${tag}>`);
  return out;
}

/** The dialog-info document for `doc`. Throws RangeError on an invalid version, state, direction or empty id. */
export function dialogInfoXml(doc: DialogInfoDocument): string {
  checkVersion(doc.version);
  if (doc.state !== 'full' && doc.state !== 'partial')
    throw new RangeError(`invalid document state ${doc.state}`);
  const seen = new Set<string>();
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<dialog-info${xmlAttrs([
      ['xmlns', DIALOG_INFO_NS],
      ['version', doc.version],
      ['state', doc.state],
      ['entity', doc.entity],
    ])}>`,
  ];
  for (const d of doc.dialogs) {
    if (!d.id) throw new RangeError('dialog id must not be empty');
    if (seen.has(d.id)) throw new RangeError(`duplicate dialog id ${d.id}`);
    seen.add(d.id);
    if (!DIRECTIONS.has(d.direction)) throw new RangeError(`invalid direction ${d.direction}`);
    if (!STATES.has(d.state)) throw new RangeError(`invalid dialog state ${d.state}`);
    out.push(
      `  <dialog${xmlAttrs([
        ['id', d.id],
        ['call-id', d.callId],
        ['local-tag', d.localTag],
        ['remote-tag', d.remoteTag],
        ['direction', d.direction],
      ])}>`,
    );
    out.push(
      `    <state${xmlAttrs([
        ['event', d.stateEvent],
        ['code', d.stateCode],
      ])}>${d.state}</state>`,
    );
    if (d.duration !== undefined) out.push(`    <duration>${Math.max(0, Math.floor(d.duration))}</duration>`);
    out.push(...participant('local', d.local, '    '), ...participant('remote', d.remote, '    '));
    out.push('  </dialog>');
  }
  out.push('</dialog-info>');
  return out.join('\r\n') + '\r\n';
}
