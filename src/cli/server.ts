import { Api } from '../api/api.js';
import { startHttpServer } from '../api/http-server.js';
import { callCenterPort, executivePort, voicemailPort } from '../api/ports.js';
import { securityMetrics } from './security-metrics.js';
import { CallEngine } from '../core/calls/call-engine.js';
import { Directory } from '../core/directory/directory.js';
import { EventBus } from '../core/events/event-bus.js';
import { CallTrace } from '../core/trace/call-trace.js';
import { CallHistoryRecorder } from '../core/history/index.js';
import { createMediaEngine, type MediaEngine, type MediaLog } from '../media/index.js';
import { createCallMedia, createGateway } from './media-backend.js';
import { drainCalls } from './drain.js';
import { liveCounts } from './live-counts.js';
import { wireFeatures } from './features.js';
import type { CallCenterService } from '../features/callcenter/callcenter-service.js';
import type { ExecutiveService } from '../features/executive/executive-service.js';
import type { VoicemailService } from '../features/voicemail/voicemail-service.js';
import { buildSipSecurity } from './sip-security.js';
import { UserAgentCore } from '../sip/ua/index.js';
import { TrunkRegistrations } from '../features/trunks/trunk-registrations.js';
import { TrunkRoutes } from '../features/trunks/trunk-routes.js';
import { Provisioner } from '../core/provisioning/index.js';
import { LocationService } from '../core/registrar/location-service.js';
import { Registrar } from '../core/registrar/registrar.js';
import { TollFraudGuard } from '../core/security/toll-fraud.js';
import { PbxSipService } from '../core/sip-service.js';
import { SessionDevices } from '../core/directory/session-devices.js';
import { SipStack } from '../sip/stack.js';
import { WebRtcLegs } from '../core/webrtc/webrtc-legs.js';
import type { TimerConfig } from '../sip/transaction/timer-config.js';
import { parseListenSpecs } from '../sip/transport/transport-layer.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { SystemClock, type Clock } from '../util/clock.js';
import { createLogger, type Logger } from '../util/log.js';
import { parseHttpListen, type ServeOptions } from './options.js';
import {
  loadCertificate,
  logCertificate,
  type CertificateSettings,
  type LoadedCertificate,
} from './tls-certificates.js';

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
  /** Voicemail boxes and messages. */
  readonly voicemail: VoicemailService;
  /** Executives and assistants: configuration and runtime switches per tenant. */
  readonly executives: ExecutiveService;
  readonly httpPort: number;
  /** Live resources, for /debug/counts and the leak checks of the end-to-end tests. */
  counts(): Record<string, number>;
  /** Applies a provisioning file in this process (and refreshes the directory cache). */
  provision(file: string): Promise<string>;
  /** The certificate of the tls/wss/https listeners (undefined when there is none), for the startup log and tests. */
  readonly tlsFingerprint: string | undefined;
  /** Reads the certificate again (SIGHUP) and presents it to new connections; resolves with its fingerprint. */
  reloadTls(): Promise<string | undefined>;
  /**
   * The first half of a graceful stop: new calls are refused (503 + Retry-After); resolves once no call runs any
   * more or after `timeoutMs`, whichever comes first. stop() then hangs up what is left and flushes the state.
   */
  drain(timeoutMs: number): Promise<void>;
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
  const http = parseHttpListen(o.http);
  const certSettings: CertificateSettings = {
    certFile: o.tlsCert,
    keyFile: o.tlsKey,
    dataDir: o.dataDir,
    hosts: o.tlsHosts,
  };
  const wantsTls = http.secure || listen.some((l) => l.protocol === 'tls' || l.protocol === 'wss');

  const store = await openStore(o.database, { dataDir: o.dataDir });
  const stopAll: Array<() => Promise<void> | void> = [() => store.close()];
  const stop = async () => {
    for (const f of stopAll.reverse()) await f();
  };
  try {
    // Before any listener: a tls, wss or https listener presents it from the first connection on.
    let certificate: LoadedCertificate | undefined = wantsTls
      ? await loadCertificate(certSettings)
      : undefined;
    if (certificate) logCertificate(log, certificate, 'tls.certificate');
    // Browsers of logged-in web users register as devices of their workplace for as long as the session lives.
    const sessionDevices = new SessionDevices({ clock });
    const directory = new Directory({ store: store.directory, clock, sessionDevices });
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

    const location = new LocationService({
      store: store.registrations,
      clock,
      writeDelayMs: o.registrationWriteMs,
      log,
    });
    await location.start();
    stopAll.push(() => location.stop());

    const {
      throttle,
      events: security,
      guard,
      auth,
      setTrunkPeers,
    } = buildSipSecurity(o, {
      clock,
      log,
      directory,
      location,
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
    // Recent calls with their SIP ladder per tenant, for the admin view (core/trace): fed by the stack, the
    // engine and the bus.
    const trace = new CallTrace({ clock });
    const offTrace = bus.onAny((e) => trace.onEvent(e));
    stopAll.push(() => offTrace());
    // The UA core sits between the transaction layer and the PBX service: it keeps dialogs and hands the rest on.
    // It needs the stack's transaction layer, so it registers as the stack's transaction user once built.
    const sip = new SipStack({
      listen,
      clock,
      admit: (remote, _protocol, bytes) => guard.admit(remote, bytes),
      maxTransactions: o.maxTransactions,
      ...(certificate ? { tls: certificate.creds } : {}),
      ...(o.sipTimers ? { timers: o.sipTimers } : {}),
      log: (level, msg, fields) => sipLog[level]({ event: 'sip.transport', ...fields }, msg),
      onListenerError: (err) =>
        log.error({ event: 'sip.tu.error', err: String(err) }, 'transaction user threw'),
      observe: trace.observe,
      observes: trace.observes,
    });
    // RFC 5626 section 5.3: bindings reachable only over a connection end with it (a closed browser tab).
    sip.onConnectionClosed((id) => void location.dropFlow(id));
    // Browsers' legs: their SDP passes the WebRTC media gateway, the B2BUA sees plain RTP (docs/webrtc.md).
    const gatewayLog: MediaLog = (level, msg, fields) =>
      log[level]({ event: 'webrtc.gateway', ...fields }, msg);
    const gateway = await createGateway(
      o,
      iceAddress(o.mediaAddress ?? listen[0]?.address.replace(/^\[|\]$/g, '')),
      gatewayLog,
    );
    const webrtcLegs = new WebRtcLegs({
      gateway,
      log: log.child({ layer: 'webrtc' }),
      doesIce: (to) => to.connectionId !== undefined && location.iceOnFlow(to.connectionId),
    });
    sip.setMessageFilter(webrtcLegs);
    sip.onConnectionClosed((id) => webrtcLegs.connectionClosed(id));
    const ua = new UserAgentCore({
      clock,
      transactions: sip.transactions,
      sender: sip,
      localEndpoint: (p) => sip.transport.localEndpoint(p),
      app: service,
      // No product banner unless configured: a scanner learns nothing from our answers.
      ...(o.serverHeader ? { userAgent: o.serverHeader } : {}),
      ...(o.sipTimers ? { timers: o.sipTimers } : {}),
      log: (level, msg, fields) => sipLog[level]({ event: 'sip.ua', ...fields }, msg),
    });
    sip.setTransactionUser(ua);
    await sip.start();
    stopAll.push(() => sip.stop());
    stopAll.push(() => {
      webrtcLegs.close();
      return gateway.close();
    });
    const mediaLog = log.child({ layer: 'media' });
    const relay = createMediaEngine({
      clock,
      address: o.mediaAddress ?? listen[0]?.address.replace(/^\[|\]$/g, '') ?? '127.0.0.1',
      portMin: o.rtpPortMin,
      portMax: o.rtpPortMax,
      // A leg silent this long (a phone gone without BYE) ends its call (call.ts); 0: never.
      inactivityTimeoutMs: o.mediaTimeoutSeconds * 1000,
      log: (level, msg, fields) => mediaLog[level]({ event: 'media', ...fields }, msg),
      // The relay's packet path in worker threads only when asked for (docs/media.md); a test clock keeps it here.
      workers: o.clock ? 0 : (o.mediaWorkers ?? 0),
    });
    // With --media rtpengine every leg is anchored in rtpengine, the relay behind it (docs/media.md).
    const media = await createCallMedia(o, relay, clock, (level, msg, fields) =>
      mediaLog[level]({ event: 'media', ...fields }, msg),
    );
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
    const loadTrunkPeers = async (): Promise<void> => setTrunkPeers(await trunks.peerAddresses());
    await loadTrunkPeers();
    provisioner.onProvisioned(async () => {
      trunks.invalidate();
      await trunkRegs.reload();
      await loadTrunkPeers();
    });
    // Toll-fraud limits per tenant on outbound external calls (docs/security.md).
    const tollFraud = new TollFraudGuard({ store: store.tollFraud, clock, events: security });
    provisioner.onProvisioned(() => tollFraud.invalidate());
    const calls = new CallEngine({
      external: trunks,
      externalPolicy: tollFraud,
      ua,
      media,
      directory,
      location,
      bus,
      clock,
      log,
      ringTimeoutMs: o.ringTimeoutSeconds * 1000,
      trace,
      mediaTimeoutMs: o.mediaTimeoutSeconds * 1000,
      sessionTimer: { expires: o.sessionExpiresSeconds, minSe: o.sessionMinSeSeconds },
    });
    service.setInviteHandler(calls);
    const uaRef = ua;
    const { callCenter, featureKeys, voicemail, mwi, park, executives, blf, forwarding } = await wireFeatures(
      {
        o,
        store,
        directory,
        location,
        bus,
        clock,
        log,
        ua,
        service,
        calls,
        trunks,
        throttle,
        media,
        provisioner,
        stopAll,
        beforeBlf: () =>
          stopAll.push(async () => {
            // Hang up live calls, but never let a dead phone hold up the shutdown.
            await Promise.race([calls.closeAll(), new Promise((r) => setTimeout(r, 2000).unref())]);
            uaRef.close();
          }),
      },
    );

    const counts = (): Record<string, number> =>
      liveCounts({
        clock,
        sip,
        ua: uaRef,
        media,
        gateway,
        service,
        location,
        throttle,
        guard,
        calls,
        callCenter,
        executives,
        park,
        blf,
        featureKeys,
        mwi,
        voicemail,
        api,
      });

    // The HTTP API and event stream; calls are controlled through the engine's third-party call control.
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
      calls: calls.control,
      executives: executivePort(executives),
      forwarding,
      voicemail: voicemailPort(voicemail.mailboxes),
      trace,
      webrtc: {
        listeners: () =>
          sip.transport
            .listening()
            .filter(
              (l): l is typeof l & { protocol: 'ws' | 'wss' } => l.protocol === 'ws' || l.protocol === 'wss',
            ),
        issue: (x) => sessionDevices.issue(x),
        revoke: (id) => sessionDevices.revoke(id),
      },
    });
    provisioner.onProvisioned(() => api.provisioned());
    const httpServer = await startHttpServer({
      api,
      host: http.host,
      port: http.port,
      ...(http.secure && certificate ? { tls: certificate.creds } : {}),
      health: {
        health: async () => ({ sip: sip.transport.listening().length > 0, store: await storeAlive(store) }),
        counts,
        metrics: () => securityMetrics(security.counters(), sip.transport.stats(), counts()),
      },
    });
    stopAll.push(() => httpServer.close());

    log.info(
      {
        event: 'server.started',
        sip: sip.transport.listening(),
        http: `${http.secure ? 'https' : 'http'}://${http.host}:${httpServer.port}`,
        store: store.dialect,
        ...(certificate ? { tlsFingerprint: certificate.fingerprint } : {}),
      },
      'zentrale is up',
    );
    const reloadTls = async (): Promise<string | undefined> => {
      if (!certificate) return undefined;
      const next = await loadCertificate(certSettings);
      sip.transport.setTlsCredentials(next.creds);
      httpServer.setTlsCredentials(next.creds);
      certificate = next;
      logCertificate(log, next, 'tls.reloaded');
      return next.fingerprint;
    };
    const drain = (timeoutMs: number): Promise<void> =>
      drainCalls(
        {
          refuseNewCalls: (s) => service.refuseNewCalls(s),
          running: () => calls.count() + callCenter.count(),
          drainQueues: (m) => callCenter.drainQueues(m),
          log,
        },
        timeoutMs,
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
      voicemail,
      executives,
      httpPort: httpServer.port,
      counts,
      provision,
      get tlsFingerprint() {
        return certificate?.fingerprint;
      },
      reloadTls,
      drain,
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

/**
 * The address browsers reach the gateway on (its ICE host candidate): the media address, or loopback when the
 * relay binds every interface (set --media-address to the public one in a deployment).
 */
function iceAddress(mediaAddress: string | undefined): string {
  if (!mediaAddress || mediaAddress === '0.0.0.0' || mediaAddress === '::') return '127.0.0.1';
  return mediaAddress;
}

async function storeAlive(store: Store): Promise<boolean> {
  try {
    await store.directory.tenant('-health-');
    return true;
  } catch {
    return false;
  }
}
