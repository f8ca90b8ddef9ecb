import Fastify, { type FastifyInstance } from 'fastify';

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
}): Promise<{ app: FastifyInstance; port: number; close(): Promise<void> }> {
  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });

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
  return { app, port, close: () => app.close() };
}
