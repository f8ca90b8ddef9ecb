import { z } from 'zod';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';

const webrtcSchema = z.object({
  wsUrl: z.string().describe('SIP over WebSocket (RFC 7118): wss:// in a deployment, ws:// on loopback'),
  sipUri: z.string().describe('the address of record to register (sip:<username>@<tenant domain>)'),
  username: z.string().describe('digest user name (authorization user)'),
  password: z.string().describe('digest password; valid while this web session lives'),
  realm: z.string().describe('digest realm: the tenant domain'),
  displayName: z.string(),
  expiresAt: z.string().describe('end of the web session and of these credentials'),
  iceServers: z.array(z.object({ urls: z.string() })).describe('empty: the PBX media address is reachable'),
});

/** `GET /api/v1/me/webrtc`: per-session SIP credentials for the browser softphone. */
export function webrtcRoutes(routes: RouteTable, deps: ApiDeps): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/me/webrtc',
    tag: 'me',
    summary: 'SIP credentials for the browser softphone: WebSocket URL, SIP URI, digest user and password',
    access: 'user',
    ok: { status: 200, description: 'how to register this browser', schema: webrtcSchema },
    errors: [501],
    handler: async ({ who, req }) => {
      const port = deps.webrtc;
      if (!port) throw new ApiError('NOT_IMPLEMENTED', 'this server has no WebRTC softphone');
      const listener = port
        .listeners()
        .sort((a, b) => (a.protocol === 'wss' ? -1 : b.protocol === 'wss' ? 1 : 0))[0];
      if (!listener)
        throw new ApiError('NOT_IMPLEMENTED', 'no SIP WebSocket listener (listen on ws: or wss:)');
      const session = await deps.store.webAccess.session(who.tokenHash);
      if (!session) throw new ApiError('UNAUTHENTICATED', 'the session ended');
      const w = (await deps.directory.plan(who.tenantId)).workplace(who.workplace);
      if (!w) throw new ApiError('UNAUTHENTICATED', 'this workplace no longer exists');
      const creds = port.issue({
        tenantId: who.tenantId,
        realm: who.domain,
        workplace: who.workplace,
        sessionId: who.tokenHash,
        expiresAt: session.expiresAt,
      });
      // A listener on every interface is reached under the name the browser used for this API.
      const wildcard = listener.address === '0.0.0.0' || listener.address === '::';
      const host = wildcard ? req.hostname.replace(/:\d+$/, '') || '127.0.0.1' : listener.address;
      const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
      return {
        wsUrl: `${listener.protocol}://${hostPart}:${listener.port}`,
        sipUri: `sip:${creds.username}@${who.domain}`,
        username: creds.username,
        password: creds.password,
        realm: who.domain,
        displayName: w.name,
        expiresAt: new Date(creds.expiresAt).toISOString(),
        iceServers: [],
      } satisfies z.input<typeof webrtcSchema>;
    },
  });
}
