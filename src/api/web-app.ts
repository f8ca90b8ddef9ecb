import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The browser apps (web/, built by `npm run build` into dist/web) served by the PBX's own HTTP listener, so
 * there is no second server to run. Two levels up from this module is the package root both when it runs from
 * src/api (tsx) and from dist/api (built).
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

/** Paths that belong to the API and the health checks: never answered with the app's index.html. */
const NOT_THE_APP = /^\/(api|healthz|debug)(\/|$|\?)/;

// The page may talk to its own origin (API, event stream) and to SIP over WebSocket on another port of the PBX
// (RFC 7118); microphone audio comes from getUserMedia and plays from a MediaStream (blob/mediastream sources).
const CSP = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "media-src 'self' blob: mediastream: data:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export interface WebApp {
  /** For the not-found handler: answers a page request with index.html; false when the request is not one. */
  fallback(req: FastifyRequest, reply: FastifyReply): boolean;
}

/**
 * Serves the built files at `/` (fingerprinted assets cached for a year, index.html never) and returns the SPA
 * fallback: a GET for an unknown path outside /api, /healthz and /debug that accepts HTML gets index.html, so
 * a reload on /history shows the history. Without a build (no index.html) nothing is served.
 */
export async function registerWebApp(
  app: FastifyInstance,
  root = DEFAULT_WEB_ROOT,
): Promise<WebApp | undefined> {
  if (!existsSync(join(root, 'index.html'))) return undefined;
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: true,
    // Our own cache headers below (the default max-age=0 would have every asset revalidated).
    cacheControl: false,
    index: ['index.html'],
    setHeaders: (res, path) => {
      if (/[\\/]assets[\\/]/.test(path))
        res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      else res.setHeader('cache-control', 'no-cache');
      if (path.endsWith('.html')) {
        res.setHeader('content-security-policy', CSP);
        res.setHeader('x-content-type-options', 'nosniff');
      }
    },
  });
  return {
    fallback(req, reply) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const path = req.url.split('?')[0] ?? '/';
      if (NOT_THE_APP.test(path) || path.startsWith('/assets/')) return false;
      if (!(req.headers.accept ?? '').includes('text/html')) return false;
      void reply
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .sendFile('index.html');
      return true;
    },
  };
}
