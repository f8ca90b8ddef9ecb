/**
 * A subscription and its dialog as one stored record, and the way back after a restart — including the flow to
 * send the NOTIFYs on when the connection the subscription came in on did not survive (see README.md, "Restart").
 */
import { isIP } from 'node:net';
import { isSipUri, parseUri } from '../../sip/message/index.js';
import { stripBrackets } from '../../sip/transport/address.js';
import type { Flow, TransportProtocol } from '../../sip/transport/types.js';
import type { DialogSnapshot } from '../../sip/ua/index.js';
import type { BlfSubscriptionRecord } from '../../store/types.js';
import type { StoredResource } from './event-package.js';

/**
 * After a restart, versions and CSeq continue this far above the last values written: writes are behind the sends,
 * so a crash may lose the last few, and a jump is harmless (watchers only need higher numbers).
 */
export const RESTORE_MARGIN = 1000;

export function recordOf(
  s: {
    tenantId: string;
    id: string;
    watcher: string;
    expiresAt: number;
    version: number;
    dialog: { snapshot(): DialogSnapshot };
  },
  stored: StoredResource,
  now: number,
): BlfSubscriptionRecord {
  const d = s.dialog.snapshot();
  return {
    tenantId: s.tenantId,
    id: s.id,
    watcher: s.watcher,
    kind: stored.kind,
    resource: stored.resource,
    callId: d.callId,
    localTag: d.localTag,
    remoteTag: d.remoteTag,
    localUri: d.localUri,
    remoteUri: d.remoteUri,
    remoteTarget: d.remoteTarget,
    routeSet: d.routeSet,
    // The last CSeq sent; NOTIFYs still queued take more, which RESTORE_MARGIN covers on restore.
    localSeq: d.localSeq ?? null,
    remoteSeq: d.remoteSeq ?? null,
    flow: {
      protocol: d.flow.protocol,
      localAddress: d.flow.local.address,
      localPort: d.flow.local.port,
      address: d.flow.remote.address,
      port: d.flow.remote.port,
      connectionId: d.flow.connectionId ?? null,
    },
    expiresAt: s.expiresAt,
    versionFloor: s.version,
    resourceVersions: stored.versions,
    updatedAt: now,
  };
}

/** The package part of a record, counters raised by RESTORE_MARGIN. */
export function storedOf(r: BlfSubscriptionRecord): StoredResource {
  const versions: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.resourceVersions)) versions[k] = v + RESTORE_MARGIN;
  return { kind: r.kind, resource: r.resource, versions };
}

/** The dialog to rebuild: CSeq above anything sent, on the flow restoreFlow() picks. */
export function snapshotOf(r: BlfSubscriptionRecord): DialogSnapshot {
  return {
    callId: r.callId,
    localTag: r.localTag,
    remoteTag: r.remoteTag,
    localUri: r.localUri,
    remoteUri: r.remoteUri,
    remoteTarget: r.remoteTarget,
    routeSet: r.routeSet,
    localSeq: (r.localSeq ?? 0) + RESTORE_MARGIN,
    remoteSeq: r.remoteSeq ?? undefined,
    flow: restoreFlow(r),
  };
}

/**
 * Where the NOTIFYs of a restored subscription go. No connection survives a restart, so the stored connection id
 * is dropped in every case:
 * - UDP: the stored flow as it was (the phone's address and our socket; same port after the restart).
 * - TCP, TLS: a new connection to the next hop of the dialog (RFC 3261 12.2.1.1 / 8.1.2): the first Route of the route
 *   set, else the remote target (the subscriber's Contact), port 5060 (5061 over TLS) when none is given. The phone's old source
 *   port was ephemeral and nothing listens there. Only IP literals are used (the transport layer does not resolve
 *   names); otherwise the stored remote is tried, which fails unless the phone listens there.
 * - WS, WSS: the stored flow; it cannot be reached (RFC 7118 section 5: we cannot connect to a browser), so NOTIFYs fail
 *   locally until the client's next in-dialog SUBSCRIBE arrives on its new connection and the subscription follows
 *   it (SubscriptionService), or the subscription expires.
 */
export function restoreFlow(r: BlfSubscriptionRecord): Flow {
  const f = r.flow;
  const stored: Flow = {
    protocol: f.protocol as TransportProtocol,
    local: { address: f.localAddress, port: f.localPort },
    remote: { address: f.address, port: f.port },
  };
  if (f.protocol === 'udp') return stored;
  if (f.protocol === 'ws' || f.protocol === 'wss') return stored;
  // RFC 3261 section 19.1.2: the default port is 5061 over TLS.
  const hop = nextHop(r.routeSet[0] ?? r.remoteTarget, f.protocol === 'tls' ? 5061 : 5060);
  return hop ? { ...stored, remote: hop } : stored;
}

function nextHop(uriText: string, defaultPort: number): { address: string; port: number } | undefined {
  const uri = parseUri(uriText.replace(/^<|>.*$/g, ''));
  if (!uri || !isSipUri(uri)) return undefined;
  const address = stripBrackets(uri.host);
  if (isIP(address) === 0) return undefined;
  return { address, port: uri.port ?? defaultPort };
}
