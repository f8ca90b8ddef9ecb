import type { MediaEngine, MediaGateway } from '../media/index.js';
import type { SipStack } from '../sip/stack.js';
import type { Clock } from '../util/clock.js';

type Counted = { count(): number };

/** Everything that holds live resources, as the composition root built it. */
export interface CountedParts {
  clock: Clock;
  sip: SipStack;
  ua: { counts(): { dialogs: number; pendingInvites: number } };
  media: MediaEngine;
  gateway: MediaGateway;
  service: { inFlight(): number };
  location: { size(): number; writeScheduled(): boolean };
  throttle: { size(): number };
  guard: { size(): number };
  calls: Counted;
  callCenter: Counted;
  executives: Counted;
  park: Counted;
  blf: Counted;
  featureKeys: Counted;
  mwi: Counted;
  voicemail: { pendingEmails(): number };
  api: { streams(): number };
}

/**
 * Live resources by name, for /debug/counts and the end-to-end tests' leak checks: at rest every figure returns
 * to its baseline (timers: the location sweep only).
 */
export function liveCounts(p: CountedParts): Record<string, number> {
  const t = p.sip.transport.counts();
  const x = p.sip.transactions.counts();
  const u = p.ua.counts();
  const m = p.media.counts();
  return {
    serverTransactions: x.server,
    clientTransactions: x.client,
    dialogs: u.dialogs,
    pendingInvites: u.pendingInvites,
    calls: p.calls.count(),
    queueCalls: p.callCenter.count(),
    executiveCalls: p.executives.count(),
    parkedCalls: p.park.count(),
    mediaEndpoints: m.endpoints,
    mediaBridges: m.bridges,
    mediaPlayers: m.players,
    mediaPorts: m.boundPorts,
    webrtcLegs: p.gateway.counts().legs,
    requestsInFlight: p.service.inFlight(),
    // The registrations' write-behind timer comes and goes within 200 ms: not a resource left behind.
    timers: p.clock.pendingTimers() - (p.location.writeScheduled() ? 1 : 0),
    udpSockets: t.udpSockets,
    tcpConnections: t.tcpConnections,
    wsConnections: t.wsConnections,
    ...p.sip.transport.secureCounts(),
    pendingConnects: t.pendingConnects,
    registrations: p.location.size(),
    throttleEntries: p.throttle.size(),
    floodGuardEntries: p.guard.size(),
    blfSubscriptions: p.blf.count(),
    acdSubscriptions: p.featureKeys.count(),
    mwiSubscriptions: p.mwi.count(),
    voicemailEmails: p.voicemail.pendingEmails(),
    apiStreams: p.api.streams(),
  };
}
