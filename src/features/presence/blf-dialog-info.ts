/**
 * Maps a workplace's presence dialogs to an RFC 4235 document for a BLF watcher. The SIP identifiers a phone needs
 * for pickup by INVITE with Replaces belong to the call engine's legs, not to presence: pass `legOf` to add them.
 */
import type { DialogInfoDialog, DialogInfoDocument, DialogParticipant } from '../../sip/event/dialog-info.js';
import type { Party } from '../../core/events/types.js';
import type { DialogView } from './presence-state.js';

export interface LegIds {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export interface BlfDocumentInput {
  /** The tenant's SIP domain. */
  domain: string;
  /** The monitored workplace's extension. */
  workplace: string;
  version: number;
  state: 'full' | 'partial';
  dialogs: DialogView[];
  /** Event-clock time in ms, for `<duration>`; omitted when absent. */
  now?: number;
  /** The SIP dialog a pickup INVITE with Replaces must name for this dialog, when there is one. */
  legOf?: (d: DialogView) => LegIds | undefined;
  /** Leave out who the monitored workplace is talking to (privacy). */
  hideRemote?: boolean;
}

function uri(p: Party, domain: string): string {
  return `sip:${p.number}@${domain}`;
}

function participant(p: Party, domain: string, held = false): DialogParticipant {
  const identity = uri(p, domain);
  return {
    identity,
    ...(p.name !== undefined ? { displayName: p.name } : {}),
    ...(held ? { target: identity, targetParams: { '+sip.rendering': 'no' } } : {}),
  };
}

export function blfDialogInfo(input: BlfDocumentInput): DialogInfoDocument {
  const dialogs = input.dialogs.map((d): DialogInfoDialog => {
    const leg = input.legOf?.(d);
    return {
      id: d.id,
      ...(leg ? { callId: leg.callId, localTag: leg.localTag, remoteTag: leg.remoteTag } : {}),
      direction: d.direction,
      state: d.phase,
      ...(input.now !== undefined ? { duration: Math.max(0, (input.now - d.since) / 1000) } : {}),
      local: participant(d.local, input.domain, d.held),
      ...(input.hideRemote ? {} : { remote: participant(d.remote, input.domain) }),
    };
  });
  return {
    entity: `sip:${input.workplace}@${input.domain}`,
    version: input.version,
    state: input.state,
    dialogs,
  };
}
