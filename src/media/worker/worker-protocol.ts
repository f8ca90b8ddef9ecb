import type { MediaAddress, MediaCodec, MediaErrorCode, MediaLogLevel } from '../media-engine.js';
import type { SrtpKeyMaterial } from '../srtp/srtp-context.js';

/**
 * Messages between the main thread's WorkerMediaEngine and one media worker (docs/media.md, "Worker threads").
 * Endpoints, bridges, players, recorders and DTMF sends are named by numbers the main thread hands out; every
 * command for one worker travels over its one port, so the worker applies them in the order they were made.
 */

export interface WorkerInit {
  address: string;
  advertisedAddress?: string;
  portMin: number;
  portMax: number;
  inactivityTimeoutMs: number;
  relatchAfterMs: number;
  /** How often changed endpoint counters are pushed to the main thread (stats(), latched, sendingTo). */
  statsIntervalMs: number;
}

export type ToWorker =
  | { op: 'allocate'; ep: number; label: string }
  | { op: 'remote'; ep: number; rtp: MediaAddress; rtcp: MediaAddress | undefined }
  | { op: 'codec'; ep: number; codec: MediaCodec }
  | { op: 'srtp'; ep: number; keys: { local: SrtpKeyMaterial; remote: SrtpKeyMaterial } | undefined }
  | { op: 'inactivity'; ep: number; ms: number }
  | { op: 'listenDtmf'; ep: number }
  | { op: 'listenInactive'; ep: number }
  | { op: 'closeEndpoint'; ep: number }
  | { op: 'bridge'; bridge: number; a: number; b: number }
  | { op: 'unbridge'; bridge: number }
  /** `samples` is sent once per source and worker; later plays name the source by `source` only. */
  | { op: 'play'; ep: number; player: number; source: number; samples: Int16Array | undefined; loop: boolean }
  | { op: 'stopPlayer'; player: number }
  | { op: 'record'; ep: number; recorder: number }
  | { op: 'stopRecord'; recorder: number }
  | { op: 'sendDtmf'; ep: number; req: number; digits: string }
  | { op: 'close' };

/** Counters of one endpoint: packetsIn, packetsOut, bytesIn, lastPacketAt (-1 none), dropped, notForwarded. */
export type StatsRow = [
  ep: number,
  packetsIn: number,
  packetsOut: number,
  bytesIn: number,
  lastPacketAt: number,
  dropped: number,
  notForwarded: number,
  latched: boolean,
  sendAddress: string | undefined,
  sendPort: number,
];

export type FromWorker =
  | { t: 'ready' }
  | { t: 'allocated'; ep: number; local: { address: string; rtpPort: number; rtcpPort: number } }
  | { t: 'allocateFailed'; ep: number; code: MediaErrorCode; message: string }
  | { t: 'stats'; rows: StatsRow[] }
  | { t: 'dtmf'; ep: number; digit: string; ms: number }
  | { t: 'inactive'; ep: number }
  | { t: 'playerEnded'; player: number }
  /** One received audio packet for a recorder on the main thread (payload between off and end). */
  | { t: 'recorded'; recorder: number; packet: Uint8Array; off: number; end: number }
  | { t: 'dtmfSent'; req: number }
  | { t: 'log'; level: MediaLogLevel; msg: string; fields: Record<string, unknown> | undefined }
  | { t: 'closed' };
