import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { startHttpServer } from '../api/http-server.js';
import { Directory } from '../core/directory/directory.js';
import { applyProvisioning, formatChanges, parseProvisioning } from '../core/provisioning/index.js';
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
    const provision = async (file: string): Promise<string> => {
      const doc = parseProvisioning(await readFile(file, 'utf8'), basename(file));
      const changes = await applyProvisioning(store, doc);
      directory.invalidate();
      return formatChanges(changes);
    };
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
    const sip = new SipStack({
      listen,
      clock,
      tu: service,
      admit: (remote) => !throttle.isSourceBanned(remote.address),
      ...(o.sipTimers ? { timers: o.sipTimers } : {}),
      log: (level, msg, fields) => sipLog[level]({ event: 'sip.transport', ...fields }, msg),
      onListenerError: (err) =>
        log.error({ event: 'sip.tu.error', err: String(err) }, 'transaction user threw'),
    });
    await sip.start();
    stopAll.push(() => sip.stop());

    // The clock's timer count at rest: location sweep only. Leak checks compare against it.
    const counts = (): Record<string, number> => {
      const t = sip.transport.counts();
      const x = sip.transactions.counts();
      return {
        serverTransactions: x.server,
        clientTransactions: x.client,
        dialogs: 0,
        requestsInFlight: service.inFlight(),
        timers: clock.pendingTimers(),
        udpSockets: t.udpSockets,
        tcpConnections: t.tcpConnections,
        wsConnections: t.wsConnections,
        pendingConnects: t.pendingConnects,
        registrations: location.size(),
        throttleEntries: throttle.size(),
      };
    };

    const httpServer = await startHttpServer({
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
