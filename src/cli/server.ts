import { Api } from '../api/api.js';
import { startHttpServer } from '../api/http-server.js';
import { callCenterPort } from '../api/ports.js';
import type { CallControl } from '../core/calls/call-control-types.js';
import { CallEngine } from '../core/calls/call-engine.js';
import { Directory } from '../core/directory/directory.js';
import { EventBus } from '../core/events/event-bus.js';
import { CallHistoryRecorder } from '../core/history/index.js';
import { createMediaEngine, type MediaEngine } from '../media/index.js';
import { UserAgentCore } from '../sip/ua/index.js';
import { TrunkRegistrations } from '../features/trunks/trunk-registrations.js';
import { TrunkRoutes } from '../features/trunks/trunk-routes.js';
import { PickupService } from '../features/pickup/pickup-service.js';
import { BlfNotifier } from '../features/presence/blf-notifier.js';
import { AcdSubscriptions } from '../features/callcenter/acd-subscriptions.js';
import { SubscriptionService } from '../core/subscriptions/subscription-service.js';
import { CallCenterService } from '../features/callcenter/callcenter-service.js';
import { Provisioner } from '../core/provisioning/index.js';
import { LocationService } from '../core/registrar/location-service.js';
import { Registrar } from '../core/registrar/registrar.js';
import { AuthThrottle } from '../core/security/auth-throttle.js';
import { RequestAuthenticator } from '../core/security/request-authenticator.js';
import { PbxSipService } from '../core/sip-service.js';
import { DigestAuthenticator } from '../sip/auth/digest.js';
import { SipStack } from '../sip/stack.js';
import type { TimerConfig } from '../sip/transaction/timer-config.js';
import { parseListenSpecs } from '../sip/transport/transport-layer.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { SystemClock, type Clock } from '../util/clock.js';
import { createLogger, type Logger } from '../util/log.js';
import { parseHostPort, type ServeOptions } from './options.js';

/**
 * The composition root: builds every service, wires the dependencies, and hands back one handle to stop it all.
 * Nothing else in the code base constructs services; there are no module-level singletons.
 */
export interface Server {
  readonly store: Store;
  readonly location: LocationService;
  readonly sip: SipStack;
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly media: MediaEngine;
  /** The call engine (tests read pickup identifiers from it; the BLF service asks it for them). */
  readonly calls: CallEngine;
  /** Call-center groups: queues, agents, statistics. */
  readonly callCenter: CallCenterService;
  readonly httpPort: number;
  /** Live resources, for /debug/counts and the leak checks of the end-to-end tests. */
  counts(): Record<string, number>;
  /** Applies a provisioning file in this process (and refreshes the directory cache). */
  provision(file: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions extends ServeOptions {
  clock?: Clock;
  logger?: Logger;
  sipTimers?: Partial<TimerConfig>;
}

export async function startServer(o: StartOptions): Promise<Server> {
  const clock = o.clock ?? new SystemClock();
  const log = o.logger ?? createLogger({ level: o.logLevel });
  const listen = parseListenSpecs(o.sip);
  const http = parseHostPort(o.http, '--http');

  const store = await openStore(o.database, { dataDir: o.dataDir });
  const stopAll: Array<() => Promise<void> | void> = [() => store.close()];
  const stop = async () => {
    for (const f of stopAll.reverse()) await f();
  };
  try {
    const directory = new Directory({ store: store.directory, clock });
    // Every service that caches provisioned data registers here as it is built; a run in this process tells them.
    const provisioner = new Provisioner({ store });
    provisioner.onProvisioned(() => directory.invalidate());
    const provision = (file: string): Promise<string> => provisioner.apply(file);
    if (o.provision) {
      const summary = await provision(o.provision);
      log.info(
        {
          event: 'provision.applied',
          file: o.provision,
          changes: summary.split('\n').filter(Boolean).length,
        },
        'provisioning applied',
      );
    }

    const location = new LocationService({ store: store.registrations, clock });
    await location.start();
    stopAll.push(() => location.stop());

    const throttle = new AuthThrottle({
      clock,
      userThreshold: o.authFailThreshold,
      banMs: o.authBanSeconds * 1000,
    });
    const auth = new RequestAuthenticator({
      digest: new DigestAuthenticator({ clock, algorithms: o.digestAlgorithms }),
      directory,
      throttle,
      log,
    });
    const registrar = new Registrar({
      location,
      minExpires: o.minExpires,
      maxExpires: o.maxExpires,
      now: () => clock.now(),
    });
    const service = new PbxSipService({ auth, registrar, log });
    const sipLog = log.child({ layer: 'sip' });
    const bus = new EventBus({
      onError: (err, e) =>
        log.error({ event: 'bus.listener.error', type: e.type, err: String(err) }, 'listener threw'),
    });
    const history = new CallHistoryRecorder({ bus, store: store.callHistory, log });
    stopAll.push(() => history.stop());
    // The UA core sits between the transaction layer and the PBX service: it keeps dialogs and hands the rest on.
    // It needs the stack's transaction layer, so it registers as the stack's transaction user once built.
    const sip = new SipStack({
      listen,
      clock,
      admit: (remote) => !throttle.isSourceBanned(remote.address),
      maxTransactions: o.maxTransactions,
      ...(o.sipTimers ? { timers: o.sipTimers } : {}),
      log: (level, msg, fields) => sipLog[level]({ event: 'sip.transport', ...fields }, msg),
      onListenerError: (err) =>
        log.error({ event: 'sip.tu.error', err: String(err) }, 'transaction user threw'),
    });
    const ua = new UserAgentCore({
      clock,
      transactions: sip.transactions,
      sender: sip,
      localEndpoint: (p) => sip.transport.localEndpoint(p),
      app: service,
      userAgent: 'Zentrale',
      ...(o.sipTimers ? { timers: o.sipTimers } : {}),
      log: (level, msg, fields) => sipLog[level]({ event: 'sip.ua', ...fields }, msg),
    });
    sip.setTransactionUser(ua);
    await sip.start();
    stopAll.push(() => sip.stop());
    const mediaLog = log.child({ layer: 'media' });
    const media = createMediaEngine({
      clock,
      address: o.mediaAddress ?? listen[0]?.address.replace(/^\[|\]$/g, '') ?? '127.0.0.1',
      portMin: o.rtpPortMin,
      portMax: o.rtpPortMax,
      log: (level, msg, fields) => mediaLog[level]({ event: 'media', ...fields }, msg),
    });
    stopAll.push(() => media.close());
    const trunks = new TrunkRoutes({ store, clock });
    const trunkRegs = new TrunkRegistrations({
      store: store.trunks,
      send: (r) => ua.request(r),
      clock,
      contactFor: (p) => sip.transport.localEndpoint(p),
      log: (level, msg, fields) => sipLog[level]({ event: 'trunk.register', ...fields }, msg),
    });
    await trunkRegs.start();
    stopAll.push(() => trunkRegs.stop());
    provisioner.onProvisioned(async () => {
      trunks.invalidate();
      await trunkRegs.reload();
    });
    const calls = new CallEngine({
      external: trunks,
      ua,
      media,
      directory,
      location,
      bus,
      clock,
      log,
      ringTimeoutMs: o.ringTimeoutSeconds * 1000,
    });
    service.setInviteHandler(calls);
    // Call pickup (*97, *98, *11): chooses among ringing calls from the bus; the engine does the SIP work.
    const pickup = new PickupService({
      engine: calls,
      bus,
      settings: (tenantId) => store.pickup.settings(tenantId),
      isWorkplace: async (tenantId, ext) => (await directory.plan(tenantId)).workplace(ext) !== undefined,
    });
    stopAll.push(() => pickup.stop());
    // Call-center groups (features/callcenter): group numbers and agent codes plug into the engine's seams.
    const callCenter = new CallCenterService({
      store,
      directory,
      location,
      bus,
      clock,
      log,
      external: trunks,
    });
    callCenter.attach(calls);
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
    // ACD keys (as-feature-event): phones set and show the workplace status; every change is NOTIFYed.
    const acd = new AcdSubscriptions({
      subscriptions,
      directory,
      agents: {
        statusOf: async (tenantId, wp) => (await callCenter.tenant(tenantId)).statusOf(wp),
        setStatus: async (tenantId, wp, status) => {
          (await callCenter.tenant(tenantId)).setStatus(wp, status);
        },
      },
      bus,
      log: log.child({ feature: 'acd' }),
    });
    acd.start();
    stopAll.push(() => acd.stop());
    const uaRef = ua;
    stopAll.push(async () => {
      // Hang up live calls, but never let a dead phone hold up the shutdown.
      await Promise.race([calls.closeAll(), new Promise((r) => setTimeout(r, 2000).unref())]);
      uaRef.close();
    });

    // BLF (RFC 6665 / 4235 / 4662): presence from the call events, NOTIFYs to the dialog-package subscriptions.
    const blf = new BlfNotifier({
      subscriptions,
      directory,
      // Dialog identifiers in the NOTIFYs are the leg a BLF key's INVITE with Replaces picks up.
      legs: calls,
      log: log.child({ feature: 'blf' }),
      publish: (e) => bus.emit(e),
    });
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

    // The clock's timer count at rest: location sweep only. Leak checks compare against it.
    const counts = (): Record<string, number> => {
      const t = sip.transport.counts();
      const x = sip.transactions.counts();
      const u = uaRef.counts();
      const m = media.counts();
      return {
        serverTransactions: x.server,
        clientTransactions: x.client,
        dialogs: u.dialogs,
        pendingInvites: u.pendingInvites,
        calls: calls.count(),
        queueCalls: callCenter.count(),
        mediaEndpoints: m.endpoints,
        mediaBridges: m.bridges,
        mediaPlayers: m.players,
        mediaPorts: m.boundPorts,
        requestsInFlight: service.inFlight(),
        timers: clock.pendingTimers(),
        udpSockets: t.udpSockets,
        tcpConnections: t.tcpConnections,
        wsConnections: t.wsConnections,
        pendingConnects: t.pendingConnects,
        registrations: location.size(),
        throttleEntries: throttle.size(),
        blfSubscriptions: blf.count(),
        acdSubscriptions: acd.count(),
        apiStreams: api.streams(),
      };
    };

    // The HTTP API and event stream. Call control is the engine's when it offers one (else the call routes
    // answer 501).
    const api = new Api({
      store,
      clock,
      log: log.child({ layer: 'api' }),
      bus,
      throttle,
      directory,
      registrations: location,
      presence: blf,
      callCenter: callCenterPort(callCenter, store),
      provisioner,
      calls: (calls as unknown as { control?: CallControl }).control,
    });
    provisioner.onProvisioned(() => api.provisioned());
    const httpServer = await startHttpServer({
      api,
      host: http.host,
      port: http.port,
      health: {
        health: async () => ({ sip: sip.transport.listening().length > 0, store: await storeAlive(store) }),
        counts,
      },
    });
    stopAll.push(() => httpServer.close());

    log.info(
      {
        event: 'server.started',
        sip: sip.transport.listening(),
        http: `${http.host}:${httpServer.port}`,
        store: store.dialect,
      },
      'zentrale is up',
    );
    return {
      store,
      location,
      sip,
      clock,
      bus,
      media,
      calls,
      callCenter,
      httpPort: httpServer.port,
      counts,
      provision,
      stop: async () => {
        await stop();
        log.info({ event: 'server.stopped' }, 'zentrale stopped');
        log.flush();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function storeAlive(store: Store): Promise<boolean> {
  try {
    await store.directory.tenant('-health-');
    return true;
  } catch {
    return false;
  }
}
