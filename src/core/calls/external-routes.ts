import type { Endpoint, Flow } from '../../sip/transport/types.js';

/**
 * The seam between the call engine and SIP trunks (features/trunks implements it; the composition root passes
 * it in), so core never imports a feature. Every lookup is scoped to a tenant.
 */
export interface TrunkTarget {
  trunkId: string;
  /** Where the INVITE goes: the carrier's host:port over its transport. */
  flow: Flow;
  requestUri: string;
  /**
   * The dialled number in E.164 form (`+` and country code) where the trunk's country makes it one, for the
   * History-Info entry of a forward (RFC 7044 section 9.1 wants a globally routable target); a short number
   * (`110`) stays as dialled.
   */
  e164?: string;
  /** name-addr without tag, presenting the workplace's external number (or the trunk's default). */
  from: string;
  to: string;
  headers?: Array<[string, string]>;
  /** The carrier account that answers a digest challenge to the INVITE (the trunk's registration credentials). */
  credentials?: { username: string; password: string };
  /** The trunk's country code, when known (for the toll-fraud limits, with `e164`). */
  countryCode?: string;
}

/**
 * The toll-fraud check of an outbound external call (core/security/toll-fraud.ts implements it). Allowed: the
 * caller must `release()` once when the call ends (the concurrency count).
 */
export interface ExternalCallPolicy {
  admit(x: {
    tenantId: string;
    workplace: string;
    dialled: string;
    e164?: string;
    countryCode?: string;
    /** The source address of the request, for the security event. */
    source: string;
    callId: string;
  }): Promise<{ ok: true; release(): void } | { ok: false; reason: string }>;
}

export type InboundRoute =
  | { kind: 'workplace'; tenantId: string; trunkId: string; extension: string; callerNumber: string }
  | { kind: 'unknown-number'; tenantId: string; trunkId: string };

export interface ExternalRoutes {
  /** What this tenant's users dial before an outside number ('0' by default), when a trunk sets it. */
  externalPrefix?(tenantId: string): Promise<string | undefined>;
  /** The trunk an outbound call of this tenant's workplace to `number` takes, or undefined (no trunk). */
  outbound(tenantId: string, callerExtension: string, number: string): Promise<TrunkTarget | undefined>;
  /**
   * Whether an out-of-dialog request from `source` comes from one of the tenants' trunks (matched by the
   * configured peer address); if so, where the dialled number (the Request-URI user) goes. Undefined: not a trunk,
   * the request must be authenticated like any device's.
   */
  inbound(source: Endpoint, dialled: string, fromUser: string): Promise<InboundRoute | undefined>;
}
