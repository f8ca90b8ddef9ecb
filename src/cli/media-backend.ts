import type { Clock } from '../util/clock.js';
import {
  NgClient,
  RtpengineGateway,
  RtpengineMediaEngine,
  type MediaEngine,
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

/**
 * The engine the B2BUA anchors calls' legs in (docs/media.md): the in-process relay, or with
 * `--media rtpengine:HOST:PORT` rtpengine in front of it, carrying plain two-party calls past this process.
 */
export async function createCallMedia(
  o: Pick<ServeOptions, 'media' | 'mediaTimeoutSeconds'>,
  relay: MediaEngine,
  clock: Clock,
  log: MediaLog,
): Promise<MediaEngine> {
  if (o.media.kind === 'relay') return relay;
  const ng = new NgClient({ host: o.media.host, port: o.media.port });
  try {
    await ng.ping();
  } catch (e) {
    await ng.close();
    throw new Error(`--media rtpengine:${ng.target}: no answer to ping (${(e as Error).message})`);
  }
  return new RtpengineMediaEngine({
    relay,
    ng,
    clock,
    inactivityTimeoutMs: o.mediaTimeoutSeconds * 1000,
    ownsClient: true,
    log,
  });
}
