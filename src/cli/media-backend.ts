import {
  NgClient,
  RtpengineGateway,
  WeriftGateway,
  type MediaGateway,
  type MediaLog,
} from '../media/index.js';
import type { ServeOptions } from './options.js';

/**
 * The WebRTC gateway behind the media seam (docs/media.md): werift in this process, or rtpengine over its ng
 * protocol with `--media rtpengine:HOST:PORT`. An unreachable rtpengine stops the start with a clear error
 * rather than failing every browser call later.
 */
export async function createGateway(
  o: Pick<ServeOptions, 'media'>,
  iceAddress: string,
  log: MediaLog,
): Promise<MediaGateway> {
  if (o.media.kind === 'relay') return new WeriftGateway({ address: iceAddress, log });
  const ng = new NgClient({ host: o.media.host, port: o.media.port });
  try {
    await ng.ping();
  } catch (e) {
    await ng.close();
    throw new Error(`--media rtpengine:${ng.target}: no answer to ping (${(e as Error).message})`);
  }
  log('info', 'media backend: rtpengine', { rtpengine: ng.target });
  return new RtpengineGateway({ ng, ownsClient: true, log });
}
