import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHttpServer } from './http-server.js';

describe('api: the browser app is served at / with an SPA fallback that leaves /api and /healthz alone', () => {
  const root = mkdtempSync(join(tmpdir(), 'zentrale-web-'));
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  const get = (path: string, accept = 'text/html,*/*') =>
    server.app.inject({ method: 'GET', url: path, headers: { accept } });

  before(async () => {
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      webRoot: root,
      health: { health: async () => ({ sip: true, store: true }), counts: () => ({}) },
    });
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers / with index.html, a CSP and no caching', async () => {
    const r = await get('/');
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /<title>app<\/title>/);
    assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(r.headers['cache-control'], 'no-cache');
  });

  it('answers an app path (a reload on /history) with index.html', async () => {
    const r = await get('/history');
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /<title>app<\/title>/);
    assert.match(String(r.headers['content-type']), /text\/html/);
  });

  it('serves fingerprinted assets cached for a year; a missing asset is a 404, not the page', async () => {
    const r = await get('/assets/index-abc.js', '*/*');
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['cache-control']), /immutable/);
    const missing = await get('/assets/gone-123.js');
    assert.equal(missing.statusCode, 404);
    assert.doesNotMatch(missing.body, /<title>/);
  });

  it('never shadows the API, /healthz or /debug', async () => {
    const api = await get('/api/v1/no-such-route');
    assert.equal(api.statusCode, 404);
    assert.equal((JSON.parse(api.body) as { error: string }).error, 'NOT_FOUND');
    const bare = await get('/api');
    assert.equal(bare.statusCode, 404);
    assert.doesNotMatch(bare.body, /<title>/);
    const health = await get('/healthz');
    assert.equal(health.statusCode, 200);
    assert.equal((JSON.parse(health.body) as { status: string }).status, 'ok');
    const post = await server.app.inject({
      method: 'POST',
      url: '/history',
      headers: { accept: 'text/html' },
    });
    assert.equal(post.statusCode, 404);
    assert.doesNotMatch(post.body, /<title>/);
  });

  it('answers a non-HTML request for an unknown path with the JSON 404', async () => {
    const r = await get('/history', 'application/json');
    assert.equal(r.statusCode, 404);
    assert.equal((JSON.parse(r.body) as { error: string }).error, 'NOT_FOUND');
  });
});
