import Fastify, { type FastifyInstance } from 'fastify';
import type { Server as TlsServer } from 'node:tls';
import { secureContextOptions, serverTlsOptions, type TlsCredentials } from '../util/tls-policy.js';

/**
 * The HTTP side. For now: liveness and the resource counts that end-to-end tests assert return to baseline
 * after each test (the way the Asterisk test suite checks for leaked channels).
 */
export interface HealthSource {
  /** True when each part is up. */
  health(): Promise<{ sip: boolean; store: boolean }>;
  /** Live resources: transactions, dialogs, timers, sockets, registrations ... */
  counts(): Record<string, number>;
}

export async function startHttpServer(opts: {
  host: string;
  port: number;
  health: HealthSource;
  /** Serve HTTPS with this certificate (TLS 1.2+, strong ciphers: util/tls-policy). */
  tls?: TlsCredentials;
}): Promise<{
  app: FastifyInstance;
  port: number;
  close(): Promise<void>;
  /** Presents a new certificate to new HTTPS connections (no-op for plain HTTP). */
  setTlsCredentials(creds: TlsCredentials): void;
}> {
  const base = { logger: false, bodyLimit: 1_048_576 };
  // With https the instance is typed for an https.Server; routes and hooks are the same either way.
  const app = (
    opts.tls ? Fastify({ ...base, https: serverTlsOptions(opts.tls) }) : Fastify(base)
  ) as FastifyInstance;

  app.get('/healthz', async (_req, reply) => {
    const h = await opts.health.health();
    const ok = h.sip && h.store;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', ...h });
  });

  app.get('/debug/counts', async () => opts.health.counts());

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'NOT_FOUND', message: `no route for ${req.method} ${req.url}` }),
  );
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    return reply.code(status).send({
      error: status === 500 ? 'INTERNAL' : 'BAD_REQUEST',
      message: status === 500 ? 'internal error' : err.message,
    });
  });

  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const setTlsCredentials = (creds: TlsCredentials): void => {
    if (opts.tls) (app.server as unknown as TlsServer).setSecureContext(secureContextOptions(creds));
  };
  return { app, port, close: () => app.close(), setTlsCredentials };
}
