import type { MediaEngine } from '../../media/index.js';
import type { UserAgentCore } from '../../sip/ua/index.js';
import type { SessionTimerConfig } from '../../sip/ua/session-timer.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { Directory } from '../directory/directory.js';
import type { EventBus } from '../events/event-bus.js';
import type { LocationService } from '../registrar/location-service.js';
import type { FeatureCodeRegistry } from '../routing/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { CallTraceSink } from '../trace/call-trace.js';
import type { ExternalCallPolicy, ExternalRoutes } from './external-routes.js';
import type { Leg } from './leg.js';
import type { SrtpCallees } from './srtp-callees.js';

/** What the call engine is built from (the composition root passes these). */
export interface CallEngineOptions {
  ua: UserAgentCore;
  media: MediaEngine;
  directory: Directory;
  location: LocationService;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  features?: FeatureCodeRegistry;
  /** SIP trunks (features/trunks): outbound targets and inbound DIDs. Without it external numbers get 403. */
  external?: ExternalRoutes;
  /** Toll-fraud limits on outbound external calls; without it every routable number may be called. */
  externalPolicy?: ExternalCallPolicy;
  /** How long the callee's devices ring before the caller gets 480. */
  ringTimeoutMs?: number;
  /** Where the legs of each call and the dial-plan decisions are told, for the admin's call trace. */
  trace?: CallTraceSink;
  /** No RTP from a side of an answered call for this long ends the call (0: never). */
  mediaTimeoutMs?: number;
  /** Session timers (RFC 4028) on every leg: the interval asked for and the smallest accepted (docs/sip.md). */
  sessionTimer?: SessionTimerConfig;
}

/** The options with their defaults filled in: what every call of the engine shares. */
export type EngineDeps = Required<Omit<CallEngineOptions, 'external' | 'trace' | 'externalPolicy'>> & {
  external: ExternalRoutes | undefined;
  externalPolicy: ExternalCallPolicy | undefined;
  /**
   * A blind REFER from `transferor` names feature code `route`: true when a service took the REFER (and answered
   * it), false when no service takes REFERs for that code (refer-feature.ts).
   */
  referToFeature(
    tx: ServerTransaction,
    transferor: Leg,
    route: { code: string; handler: string; argument?: string },
  ): Promise<boolean>;
  trace: CallTraceSink | undefined;
  /** The called phones that take only RTP/SAVP (srtp-callees.ts). */
  srtpCallees: SrtpCallees;
};
