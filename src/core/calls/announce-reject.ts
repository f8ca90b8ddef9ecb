import type { AudioSource, MediaEngine } from '../../media/index.js';
import { canPlayCodec } from '../../media/index.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import { answerOffer } from './leg-media.js';
import { sdpBody } from './sip-helpers.js';

/**
 * Refuses an INVITE audibly: the caller gets 183 Session Progress with our SDP answer and hears `source` as early
 * media (RFC 3960 section 3: the UAS plays it, the phone renders it instead of its own tone), then the final
 * `status`. Without an offer, or with one we cannot play to, it is the plain status at once. A CANCEL during the
 * announcement ends it (the UA core answers 487).
 */
export async function rejectWithAnnouncement(
  media: MediaEngine,
  incoming: IncomingInvite,
  x: { status: number; reason: string; source: AudioSource; label: string },
): Promise<void> {
  const offer = incoming.request.body.toString('utf8');
  if (offer === '') {
    incoming.reject(x.status, { reason: x.reason });
    return;
  }
  let ep;
  try {
    ep = await media.allocate(`${x.label}:announce`);
  } catch {
    incoming.reject(x.status, { reason: x.reason });
    return;
  }
  const ans = answerOffer(offer, ep);
  if (!ans || !canPlayCodec(ep.codec)) {
    ep.close();
    incoming.reject(x.status, { reason: x.reason });
    return;
  }
  incoming.progress(183, sdpBody(ans.sdp));
  const player = media.play(ep, x.source);
  await new Promise<void>((resolve) => {
    player.onEnded(resolve);
    incoming.onCancel(() => {
      player.stop();
      resolve();
    });
  });
  ep.close();
  incoming.reject(x.status, { reason: x.reason });
}
