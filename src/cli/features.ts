import { diversionHeaders } from '../core/calls/diversion.js';
import type { CallEngine } from '../core/calls/call-engine.js';
import { flowOf } from '../core/calls/targets.js';
import type { Directory } from '../core/directory/directory.js';
import type { EventBus } from '../core/events/event-bus.js';
import type { Provisioner } from '../core/provisioning/index.js';
import type { LocationService } from '../core/registrar/location-service.js';
import type { AuthThrottle } from '../core/security/auth-throttle.js';
import type { PbxSipService } from '../core/sip-service.js';
import { FeatureKeys } from '../core/subscriptions/feature-keys.js';
import { SubscriptionService } from '../core/subscriptions/subscription-service.js';
import { AcdSubscriptions } from '../features/callcenter/acd-subscriptions.js';
import { CallCenterService } from '../features/callcenter/callcenter-service.js';
import { ExecutiveService } from '../features/executive/executive-service.js';
import { ForwardingService } from '../features/forwarding/forwarding-service.js';
import { ParkService } from '../features/park/park-service.js';
import { PickupService } from '../features/pickup/pickup-service.js';
import { BlfNotifier } from '../features/presence/blf-notifier.js';
import type { TrunkRoutes } from '../features/trunks/trunk-routes.js';
import { MwiSubscriptions } from '../features/voicemail/mwi-subscriptions.js';
import { VoicemailService } from '../features/voicemail/voicemail-service.js';
import type { MediaEngine } from '../media/index.js';
import type { UserAgentCore } from '../sip/ua/index.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { ServeOptions } from './options.js';

/** What the features are built on: the composition root's core services. */
export interface FeatureContext {
  o: Pick<ServeOptions, 'dataDir' | 'smtp'>;
  store: Store;
  directory: Directory;
  location: LocationService;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  ua: UserAgentCore;
  service: PbxSipService;
  calls: CallEngine;
  trunks: TrunkRoutes;
  throttle: AuthThrottle;
  media: MediaEngine;
  provisioner: Provisioner;
  /** Stop steps, run in reverse order of registration. */
  stopAll: Array<() => Promise<void> | void>;
  /** Registers the stop step that must run after BLF's (hanging up live calls, closing the UA core). */
  beforeBlf(): void;
}

/**
 * The features on top of the call engine and the subscription core (docs/architecture.md): each plugs into
 * core's seams here, never into another feature; what they need of each other is passed as functions.
 */
export async function wireFeatures(x: FeatureContext) {
  const { o, store, directory, location, bus, clock, log, ua, service, calls, trunks, throttle, media } = x;
  const { provisioner, stopAll } = x;
  // Call pickup (*97, *98, *11): chooses among ringing calls from the bus; the engine does the SIP work.
  const pickup = new PickupService({
    engine: calls,
    bus,
    settings: (tenantId) => store.pickup.settings(tenantId),
    isWorkplace: async (tenantId, ext) => (await directory.plan(tenantId)).workplace(ext) !== undefined,
  });
  stopAll.push(() => pickup.stop());
  // Call forwarding and do not disturb (features/forwarding): codes, settings, the terminating service.
  const forwarding = new ForwardingService({
    store,
    directory,
    external: trunks,
    log: log.child({ feature: 'forwarding' }),
  });
  forwarding.attach(calls);
  await forwarding.preload();
  provisioner.onProvisioned(() => forwarding.reload());
  stopAll.push(() => forwarding.close());
  // Third-party call control (HTTP API): a group pickup takes the call *98 would.
  calls.control.setGroupPickup((tenantId, workplace) => pickup.groupCall(tenantId, workplace));
  // Call-center groups (features/callcenter): group numbers and agent codes plug into the engine's seams.
  const callCenter = new CallCenterService({
    store,
    directory,
    location,
    bus,
    clock,
    log,
    external: trunks,
    // Queue calls skip an agent in do not disturb.
    excluded: (tenantId, workplace) => forwarding.isDnd(tenantId, workplace),
  });
  callCenter.attach(calls);
  forwarding.onChange((tenantId) => callCenter.agentsChanged(tenantId));
  provisioner.onProvisioned(() => callCenter.reload());
  stopAll.push(() => callCenter.close());
  // One subscription service (RFC 6665); event packages register with it: ACD keys and BLF below.
  const subscriptions = new SubscriptionService({
    ua,
    tenants: directory,
    store,
    clock,
    log: log.child({ feature: 'subscriptions' }),
  });
  service.addSubscribeHandler(subscriptions);
  // Feature keys (as-feature-event): one subscription per phone; each feature with a key adds its part.
  const featureKeys = new FeatureKeys({ subscriptions, log: log.child({ feature: 'feature-keys' }) });
  // ACD keys: phones set and show the workplace status; every change is NOTIFYed.
  const acd = new AcdSubscriptions({
    keys: featureKeys,
    directory,
    agents: {
      statusOf: async (tenantId, wp) => (await callCenter.tenant(tenantId)).statusOf(wp),
      setStatus: async (tenantId, wp, status) => {
        (await callCenter.tenant(tenantId)).setStatus(wp, status);
      },
    },
    bus,
  });
  acd.start();
  forwarding.attachFeatureKeys(featureKeys);
  stopAll.push(() => acd.stop());
  // Voicemail (features/voicemail): *62 portal, *86 deposit, e-mail, and message waiting (RFC 3842) for phones.
  const voicemail: VoicemailService = new VoicemailService({
    store: store.voicemail,
    directory,
    dataDir: o.dataDir,
    clock,
    log: log.child({ feature: 'voicemail' }),
    throttle,
    countsChanged: (t, e, c) => mwi.changed(t, e, c),
    unsolicited: {
      lookup: (t, u) => location.lookup(t, u),
      flowOf,
      request: (r) => ua.request(r),
      log: log.child({ feature: 'mwi' }),
    },
    ...(o.smtp ? { smtpUrl: o.smtp } : {}),
  });
  const mwi = new MwiSubscriptions({
    subscriptions,
    counts: (t, e) => voicemail.counts(t, e),
    log: log.child({ feature: 'mwi' }),
  });
  voicemail.attach(calls);
  // Call park (features/park): *68 by REFER or dialled, *88 + location, recall by the parker's ring plan.
  const park = new ParkService({
    settings: (tenantId) => store.park.settings(tenantId),
    directory,
    publish: (e) => bus.emit(e),
    clock,
    log: log.child({ feature: 'park' }),
  });
  park.attach(calls);
  stopAll.push(() => park.stop());
  // Terminating services are asked in registration order: the own-mailbox portal (voicemail, above), then the
  // executive's filter, then forwarding and do not disturb of the workplace that rings.
  // Executives and assistants (features/executive): the filter is the first terminating service (before
  // forwarding), the codes #61-#66 plug into the feature seam.
  const executives = new ExecutiveService({ store, directory, media, diversionHeaders });
  executives.attach(calls);
  calls.addTerminatingService(executives.terminating);
  provisioner.onProvisioned(() => executives.reload());
  stopAll.push(() => executives.close());
  // Third-party call control "as" an executive: only its opted-in assistants, as with #64.
  calls.control.setCallAsPolicy(async (tenantId, workplace, executive) =>
    (await executives.tenant(tenantId)).optedIn(executive, workplace),
  );
  calls.addTerminatingService(forwarding.terminating(diversionHeaders));
  provisioner.onProvisioned(async () => {
    await voicemail.reconcile();
    await mwi.reconcile();
  });
  await voicemail.start();
  stopAll.push(() => voicemail.stop());
  x.beforeBlf();

  // BLF (RFC 6665 / 4235 / 4662): presence from the call events, NOTIFYs to the dialog-package subscriptions.
  const blf = new BlfNotifier({
    subscriptions,
    directory,
    // Dialog identifiers in the NOTIFYs are the leg a BLF key's INVITE with Replaces picks up.
    legs: calls,
    log: log.child({ feature: 'blf' }),
    publish: (e) => bus.emit(e),
    // A workplace in do not disturb shows busy on BLF keys.
    dnd: (tenantId, workplace) => forwarding.isDnd(tenantId, workplace),
    // BLF keys on park locations show whether a call waits there.
    parkLocation: (tenantId, number) => park.isLocation(tenantId, number),
  });
  forwarding.onChange((tenantId, workplace) => blf.dndChanged(tenantId, workplace));
  const offBlf = bus.onAny((e) => blf.onEvent(e));
  await subscriptions.start();
  // Removed workplaces end with noresource; changed BLF lists are followed.
  provisioner.onProvisioned(() => blf.reconcile());
  // Registered after the UA core's stop, so it runs before it: pending versions are written, dialogs stay stored.
  stopAll.push(async () => {
    offBlf();
    blf.stop();
    await subscriptions.stop();
  });

  return {
    pickup,
    forwarding,
    callCenter,
    subscriptions,
    featureKeys,
    voicemail,
    mwi,
    park,
    executives,
    blf,
  };
}
