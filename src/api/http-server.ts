import Fastify, { type FastifyInstance } from 'fastify';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import { secureContextOptions, serverTlsOptions, type TlsCredentials } from '../util/tls-policy.js';
import { ApiError, sendError, toApiError } from './errors.js';
import { registerWebApp, type WebApp } from './web-app.js';
import { formatMetrics, METRICS_CONTENT_TYPE, type Metric } from './metrics.js';

/**
 * The HTTP side. For now: liveness and the resource counts that end-to-end tests assert return to baseline
 * after each test (the way the Asterisk test suite checks for leaked channels).
 */
export interface HealthSource {
  /** True when each part is up. */
  health(): Promise<{ sip: boolean; store: boolean }>;
  /** Live resources: transactions, dialogs, timers, sockets, registrations ... */
  counts(): Record<string, number>;
  /** Counters and gauges for `/metrics` (Prometheus text format); none: no such route. */
  metrics?(): Metric[];
}

export async function startHttpServer(opts: {
  host: string;
  port: number;
  health: HealthSource;
  /** Serve HTTPS with this certificate (TLS 1.2+, strong ciphers: util/tls-policy). */
  tls?: TlsCredentials;
  /** How long one request (headers and body) may take to arrive; default 30 s. */
  requestTimeoutMs?: number;
  /** The `/api/v1` routes and event stream (api.ts), when the server offers them. */
  api?: { register(app: FastifyInstance): void; close(): void };
  /** The browser apps' built files (web-app.ts); default dist/web, `false`: none. */
  webRoot?: string | false;
}): Promise<{
  app: FastifyInstance;
  port: number;
  close(): Promise<void>;
  /** Presents a new certificate to new HTTPS connections (no-op for plain HTTP). */
  setTlsCredentials(creds: TlsCredentials): void;
}> {
  // requestTimeout: a client that trickles its headers or body (slowloris) gets 408 and loses the connection
  // instead of holding it open; Fastify's default is no limit at all.
  // Node checks that timeout only every connectionsCheckingInterval (30 s by default), and takes both only when
  // the server is created: so the server is made here, a tenth of the timeout as the interval.
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const timeouts = {
    requestTimeout,
    connectionsCheckingInterval: Math.max(100, Math.floor(requestTimeout / 10)),
  };
  const tls = opts.tls;
  const app = Fastify({
    logger: false,
    bodyLimit: 1_048_576,
    requestTimeout,
    serverFactory: (handler) =>
      tls
        ? createHttpsServer({ ...serverTlsOptions(tls), ...timeouts }, handler)
        : createHttpServer(timeouts, handler),
  }) as unknown as FastifyInstance;

  app.get('/healthz', async (_req, reply) => {
    const h = await opts.health.health();
    const ok = h.sip && h.store;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', ...h });
  });

  app.get('/debug/counts', async () => opts.health.counts());
  // The handlers come before any route: `await registerWebApp` boots the plugin queue, and a route built before
  // setErrorHandler would keep Fastify's default error body instead of the API's (docs/api.md, "Errors").
  const site: { web?: WebApp | undefined } = {};
  app.setNotFoundHandler((req, reply) => {
    if (site.web?.fallback(req, reply)) return reply;
    // The path only: a query string may hold things that do not belong in an answer or a log.
    return sendError(reply, new ApiError('NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`));
  });
  app.setErrorHandler((err: Error, req, reply) => {
    const e = toApiError(err);
    if (e.status >= 500 && e.code !== 'NOT_IMPLEMENTED' && e.code !== 'UPSTREAM_FAILED')
      req.log.error({ event: 'http.error', err: String(err) }, 'request failed');
    return sendError(reply, e);
  });
  const metrics = opts.health.metrics?.bind(opts.health);
  if (metrics)
    app.get('/metrics', async (_req, reply) =>
      reply.type(METRICS_CONTENT_TYPE).send(formatMetrics(metrics())),
    );
  opts.api?.register(app);
  site.web = opts.webRoot === false ? undefined : await registerWebApp(app, opts.webRoot);

  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const setTlsCredentials = (creds: TlsCredentials): void => {
    if (opts.tls) (app.server as unknown as TlsServer).setSecureContext(secureContextOptions(creds));
  };
  return {
    app,
    port,
    close: async () => {
      // Open event streams would hold app.close() until their clients leave.
      opts.api?.close();
      await app.close();
    },
    setTlsCredentials,
  };
}
