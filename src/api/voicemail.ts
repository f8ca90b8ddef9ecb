import { z } from 'zod';
import type { VoicemailMessageRecord } from '../store/voicemail-store.js';
import type { ApiDeps, VoicemailPort } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import type { Principal } from './session-service.js';

const folder = z.enum(['new', 'saved']);
const message = z.object({
  id: z.string(),
  folder,
  caller: z.object({ number: z.string(), name: z.string().optional() }),
  receivedAt: z.string().describe('ISO 8601'),
  durationMs: z.number().int(),
});
const mailbox = z.object({
  newCount: z.number().int(),
  oldCount: z.number().int(),
  messages: z.array(message).describe('newest first'),
});
/** Message ids are made by the PBX: base-36 time and random hex. */
const messageParams = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a message id'),
});

function messageJson(m: VoicemailMessageRecord): z.input<typeof message> {
  return {
    id: m.id,
    folder: m.folder,
    caller: { number: m.callerNumber, ...(m.callerName !== null ? { name: m.callerName } : {}) },
    receivedAt: new Date(m.receivedAt).toISOString(),
    durationMs: m.durationMs,
  };
}

/**
 * My voicemail messages (features/voicemail): list, mark heard or unheard, delete, and fetch the audio as the
 * WAV file the e-mail attaches (8 kHz 16-bit PCM). Only my own mailbox: a message id of anyone else — another
 * workplace's or another tenant's — answers 404 like a missing one. Every change updates the message-waiting
 * lamps of my phones as the voice portal does.
 */
export function voicemailRoutes(routes: RouteTable, deps: ApiDeps): void {
  const port = (): VoicemailPort => {
    if (!deps.voicemail) throw new ApiError('NOT_IMPLEMENTED', 'voicemail is not available in this build');
    return deps.voicemail;
  };
  const mine = async (who: Principal): Promise<VoicemailMessageRecord[]> => {
    const list = await port().messages(who.tenantId, who.workplace);
    if (!list) throw new ApiError('NOT_FOUND', 'this workplace has no mailbox (package voicemail)');
    return list;
  };
  const missing = (id: string) => new ApiError('NOT_FOUND', `no message ${id} in my mailbox`);

  routes.add({
    method: 'GET',
    url: '/api/v1/me/voicemail',
    tag: 'voicemail',
    summary: 'My mailbox: counts and messages, newest first',
    access: 'user',
    ok: { status: 200, description: 'my mailbox', schema: mailbox },
    errors: [404, 501],
    handler: async ({ who }) => {
      const list = await mine(who);
      const newCount = list.filter((m) => m.folder === 'new').length;
      return {
        newCount,
        oldCount: list.length - newCount,
        messages: [...list].reverse().map(messageJson),
      } satisfies z.input<typeof mailbox>;
    },
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/me/voicemail/messages/:id',
    tag: 'voicemail',
    summary: 'Mark a message heard (`saved`) or unheard (`new`)',
    access: 'user',
    params: messageParams,
    body: z.strictObject({ folder }),
    ok: { status: 200, description: 'the message', schema: message },
    errors: [404, 501],
    handler: async ({ who, params, body }) => {
      await mine(who);
      if (!(await port().setFolder(who.tenantId, who.workplace, params.id, body.folder)))
        throw missing(params.id);
      const m = (await mine(who)).find((x) => x.id === params.id);
      if (!m) throw missing(params.id);
      return messageJson(m);
    },
  });
  routes.add({
    method: 'DELETE',
    url: '/api/v1/me/voicemail/messages/:id',
    tag: 'voicemail',
    summary: 'Delete a message and its audio',
    access: 'user',
    params: messageParams,
    ok: { status: 204, description: 'deleted' },
    errors: [404, 501],
    handler: async ({ who, params }) => {
      await mine(who);
      if (!(await port().remove(who.tenantId, who.workplace, params.id))) throw missing(params.id);
      deps.log.info(
        { event: 'api.voicemail.deleted', tenant: who.tenantId, user: who.workplace, message: params.id },
        'voicemail message deleted',
      );
    },
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/me/voicemail/messages/:id/audio',
    tag: 'voicemail',
    summary: 'The message as a WAV file (8 kHz, 16-bit PCM)',
    access: 'user',
    params: messageParams,
    ok: { status: 200, description: 'the audio', mediaType: 'audio/wav' },
    errors: [404, 501],
    handler: async ({ who, params, reply }) => {
      await mine(who);
      const wav = await port().audio(who.tenantId, who.workplace, params.id);
      if (!wav) throw missing(params.id);
      reply
        .type('audio/wav')
        .header('content-disposition', `attachment; filename="voicemail-${params.id}.wav"`)
        .header('cache-control', 'private, no-store');
      return wav;
    },
  });
}
