import type { Directory } from '../core/directory/directory.js';
import type { LocationService } from '../core/registrar/location-service.js';
import { AuthThrottle } from '../core/security/auth-throttle.js';
import { RequestAuthenticator } from '../core/security/request-authenticator.js';
import { SecurityEvents } from '../core/security/security-events.js';
import { SourceGuard } from '../core/security/source-guard.js';
import { DigestAuthenticator } from '../sip/auth/digest.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { ServeOptions } from './options.js';

/** The SIP side's defences, built together because they share the throttle and the security events. */
export interface SipSecurity {
  throttle: AuthThrottle;
  events: SecurityEvents;
  /** Per-source limits, checked before a datagram is parsed (docs/security.md). */
  guard: SourceGuard;
  auth: RequestAuthenticator;
  /** Trunk peers are never rate limited: the set changes with provisioning. */
  setTrunkPeers(addresses: Iterable<string>): void;
}

export function buildSipSecurity(
  o: Pick<
    ServeOptions,
    'authFailThreshold' | 'authBanSeconds' | 'sipRate' | 'floodThreshold' | 'digestAlgorithms'
  >,
  x: { clock: Clock; log: Logger; directory: Directory; location: LocationService },
): SipSecurity {
  const { clock, log, directory, location } = x;
  const throttle = new AuthThrottle({
    clock,
    userThreshold: o.authFailThreshold,
    banMs: o.authBanSeconds * 1000,
  });
  const events = new SecurityEvents(log.child({ layer: 'security' }));
  let trunkPeers = new Set<string>();
  // A source with a registered flow keeps being served while unauthenticated traffic from it is limited.
  const registered = (address: string, port: number): boolean => location.isRegisteredFlow(address, port);
  const guard = new SourceGuard({
    clock,
    throttle,
    events,
    ratePerSecond: o.sipRate,
    floodThreshold: o.floodThreshold,
    banMs: o.authBanSeconds * 1000,
    trusted: (address) => trunkPeers.has(address),
    registered,
  });
  const auth = new RequestAuthenticator({
    digest: new DigestAuthenticator({ clock, algorithms: o.digestAlgorithms }),
    directory,
    throttle,
    log,
    events,
    registeredFlow: registered,
  });
  return {
    throttle,
    events,
    guard,
    auth,
    setTrunkPeers: (addresses) => void (trunkPeers = new Set(addresses)),
  };
}
