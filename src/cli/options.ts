import { parseArgs } from 'node:util';
import { resolve } from 'node:path';

/** Settings of `zentrale serve`, each from a flag or its environment variable (flag wins), else the default. */
export interface ServeOptions {
  dataDir: string;
  database: string;
  sip: string;
  http: string;
  provision: string | undefined;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  authFailThreshold: number;
  authBanSeconds: number;
  minExpires: number;
  maxExpires: number;
  digestAlgorithms: Array<'MD5' | 'SHA-256'>;
  rtpPortMin: number;
  rtpPortMax: number;
  /** Address the RTP relay binds and advertises; default: the host of the first --sip listener. */
  mediaAddress: string | undefined;
  /** The media backend: the in-process relay and gateway, or rtpengine's ng port in front of them (docs/media.md). */
  media: { kind: 'relay' } | { kind: 'rtpengine'; host: string; port: number };
  ringTimeoutSeconds: number;
  /** Bound on live server transactions (past it: 503 + Retry-After). UDP ones live 32 s after their answer. */
  maxTransactions: number;
  /** SMTP server for voicemail e-mails (smtp://user:pass@host:port, smtps://...); undefined: no e-mail. */
  smtp: string | undefined;
  /** Certificate and key files (PEM) for tls/wss listeners and https; neither: a self-signed one (docs/tls.md). */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Names and addresses a self-signed certificate is made for. */
  tlsHosts: string[];
  /** On SIGTERM, how long running calls may go on before they are hung up. */
  drainSeconds: number;
  /** Longest a registration change waits in memory before it is written (write-behind; a crash loses at most this). */
  registrationWriteMs: number;
  /** SIP messages per second one source address may send before only accountable traffic passes; 0: off. */
  sipRate: number;
  /** Messages refused by the rate limit within 10 s that ban the source (docs/security.md). */
  floodThreshold: number;
  /** Server / User-Agent header value; undefined (the default): none, so scanners learn no version. */
  serverHeader: string | undefined;
  /** Seconds without RTP in either direction (outside hold) that end an answered call; 0: never. */
  mediaTimeoutSeconds: number;
  /** Worker threads of the media relay (docs/media.md); 0 or undefined (the default): on the main thread. */
  mediaWorkers?: number;
  /** Session-timer interval (RFC 4028) asked for and accepted at most, seconds; 0: no session timers. */
  sessionExpiresSeconds: number;
  /** The smallest session interval accepted (Min-SE); RFC 4028 section 4 requires 90 or more. */
  sessionMinSeSeconds: number;
}

export const SERVE_DEFAULTS = {
  data: './data',
  sip: 'udp:127.0.0.1:5060,tcp:127.0.0.1:5060,tls:127.0.0.1:5061,ws:127.0.0.1:5066,wss:127.0.0.1:5067',
  http: '127.0.0.1:8080',
  logLevel: 'info',
  authFailThreshold: '5',
  authBanSeconds: '300',
  minExpires: '60',
  maxExpires: '3600',
  // Challenges offered. MD5 alone by default: UAs built on older libre (baresip 1.0) fail the whole
  // authentication when any challenge names an algorithm they lack, and sipp 3.6 answers only the first one.
  // Both algorithms are always verified; "SHA-256,MD5" offers SHA-256 first as RFC 8760 section 2.4 prefers.
  digestAlgorithms: 'MD5',
  rtpPorts: '20000-29999',
  ringTimeout: '30',
  // 32 s of Timer J at 2 transactions per registration: 200k covers ~3000 registrations/s.
  maxTransactions: '200000',
  tlsHosts: 'localhost,127.0.0.1',
  drainSeconds: '30',
  registrationWriteMs: '200',
  sipRate: '200',
  floodThreshold: '1000',
  mediaTimeout: '60',
  sessionExpires: '1800',
  sessionMinSe: '90',
} as const;

/** flag name -> environment variable */
const ENV: Record<string, string> = {
  data: 'ZENTRALE_DATA',
  database: 'ZENTRALE_DATABASE',
  sip: 'ZENTRALE_SIP',
  http: 'ZENTRALE_HTTP',
  provision: 'ZENTRALE_PROVISION',
  'log-level': 'ZENTRALE_LOG_LEVEL',
  'auth-fail-threshold': 'ZENTRALE_AUTH_FAIL_THRESHOLD',
  'auth-ban-seconds': 'ZENTRALE_AUTH_BAN_SECONDS',
  'min-expires': 'ZENTRALE_MIN_EXPIRES',
  'max-expires': 'ZENTRALE_MAX_EXPIRES',
  'digest-algorithms': 'ZENTRALE_DIGEST_ALGORITHMS',
  'rtp-ports': 'ZENTRALE_RTP_PORTS',
  'media-address': 'ZENTRALE_MEDIA_ADDRESS',
  media: 'ZENTRALE_MEDIA',
  'ring-timeout': 'ZENTRALE_RING_TIMEOUT',
  'max-transactions': 'ZENTRALE_MAX_TRANSACTIONS',
  smtp: 'ZENTRALE_SMTP',
  'tls-cert': 'ZENTRALE_TLS_CERT',
  'tls-key': 'ZENTRALE_TLS_KEY',
  'tls-hosts': 'ZENTRALE_TLS_HOSTS',
  'drain-seconds': 'ZENTRALE_DRAIN_SECONDS',
  'registration-write-ms': 'ZENTRALE_REGISTRATION_WRITE_MS',
  'sip-rate': 'ZENTRALE_SIP_RATE',
  'flood-threshold': 'ZENTRALE_FLOOD_THRESHOLD',
  'server-header': 'ZENTRALE_SERVER_HEADER',
  'media-timeout': 'ZENTRALE_MEDIA_TIMEOUT',
  'media-workers': 'ZENTRALE_MEDIA_WORKERS',
  'session-expires': 'ZENTRALE_SESSION_EXPIRES',
  'session-min-se': 'ZENTRALE_SESSION_MIN_SE',
};

export class UsageError extends Error {}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

export function parseServeOptions(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): ServeOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: Object.fromEntries(Object.keys(ENV).map((k) => [k, { type: 'string' as const }])),
  });
  const get = (flag: string): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = env[ENV[flag]!];
    return e === undefined || e === '' ? undefined : e;
  };
  const int = (flag: string, dflt: string, min: number, max: number): number => {
    const raw = get(flag) ?? dflt;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
      throw new UsageError(`--${flag}: expected a whole number from ${min} to ${max}, got "${raw}"`);
    return Number(raw);
  };
  const dataDir = resolve(get('data') ?? SERVE_DEFAULTS.data);
  const logLevel = get('log-level') ?? SERVE_DEFAULTS.logLevel;
  if (!(LEVELS as readonly string[]).includes(logLevel))
    throw new UsageError(`--log-level: expected one of ${LEVELS.join(', ')}, got "${logLevel}"`);
  const http = get('http') ?? SERVE_DEFAULTS.http;
  parseHttpListen(http);
  const tlsCert = get('tls-cert');
  const tlsKey = get('tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    throw new UsageError(
      '--tls-cert and --tls-key go together: give both, or neither for a self-signed certificate',
    );
  const tlsHosts = (get('tls-hosts') ?? SERVE_DEFAULTS.tlsHosts)
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (tlsHosts.length === 0 || tlsHosts.some((h) => !/^[A-Za-z0-9.:-]+$/.test(h)))
    throw new UsageError(
      '--tls-hosts: expected a list of host names and IP addresses, e.g. "pbx.example.com,127.0.0.1"',
    );
  const minExpires = int('min-expires', SERVE_DEFAULTS.minExpires, 1, 86_400);
  const maxExpires = int('max-expires', SERVE_DEFAULTS.maxExpires, minExpires, 604_800);
  const algs = (get('digest-algorithms') ?? SERVE_DEFAULTS.digestAlgorithms)
    .split(',')
    .map((a) => a.trim().toUpperCase());
  if (
    algs.length === 0 ||
    algs.some((a) => a !== 'MD5' && a !== 'SHA-256') ||
    new Set(algs).size !== algs.length
  )
    throw new UsageError(`--digest-algorithms: expected a list of MD5 and SHA-256, e.g. "MD5,SHA-256"`);
  const rtp = /^(\d{1,5})-(\d{1,5})$/.exec(get('rtp-ports') ?? SERVE_DEFAULTS.rtpPorts);
  const rtpMin = rtp ? Number(rtp[1]) : NaN;
  const rtpMax = rtp ? Number(rtp[2]) : NaN;
  if (!rtp || rtpMin < 1024 || rtpMax > 65535 || rtpMax - rtpMin < 3)
    throw new UsageError(`--rtp-ports: expected a range like 20000-29999 within 1024-65535`);
  const smtp = get('smtp');
  if (smtp !== undefined && !/^smtps?:\/\/[^\s/]+/i.test(smtp))
    throw new UsageError(
      `--smtp: expected smtp://[user:password@]host[:port] or smtps://..., got "${smtp.replace(/\/\/[^@/]*@/, '//***@')}"`,
    );
  // Below 90 s breaks RFC 4028 section 4; the lower bound of 1 exists so tests can run sessions of seconds.
  const sessionMinSe = int('session-min-se', SERVE_DEFAULTS.sessionMinSe, 1, 86_400);
  const sessionExpires = int('session-expires', SERVE_DEFAULTS.sessionExpires, 0, 86_400);
  if (sessionExpires !== 0 && sessionExpires < sessionMinSe)
    throw new UsageError(
      `--session-expires: expected 0 (off) or at least --session-min-se (${sessionMinSe})`,
    );
  return {
    sessionExpiresSeconds: sessionExpires,
    sessionMinSeSeconds: sessionMinSe,
    smtp,
    rtpPortMin: rtpMin,
    rtpPortMax: rtpMax,
    mediaAddress: get('media-address'),
    media: parseMedia(get('media')),
    ringTimeoutSeconds: int('ring-timeout', SERVE_DEFAULTS.ringTimeout, 1, 600),
    maxTransactions: int('max-transactions', SERVE_DEFAULTS.maxTransactions, 100, 10_000_000),
    tlsCert,
    tlsKey,
    tlsHosts,
    drainSeconds: int('drain-seconds', SERVE_DEFAULTS.drainSeconds, 0, 86_400),
    registrationWriteMs: int('registration-write-ms', SERVE_DEFAULTS.registrationWriteMs, 0, 60_000),
    sipRate: int('sip-rate', SERVE_DEFAULTS.sipRate, 0, 1_000_000),
    floodThreshold: int('flood-threshold', SERVE_DEFAULTS.floodThreshold, 1, 100_000_000),
    serverHeader: get('server-header'),
    mediaTimeoutSeconds: int('media-timeout', SERVE_DEFAULTS.mediaTimeout, 0, 86_400),
    mediaWorkers: get('media-workers') === undefined ? undefined : int('media-workers', '0', 0, 64),
    digestAlgorithms: algs as Array<'MD5' | 'SHA-256'>,
    dataDir,
    database: get('database') ?? `sqlite:${resolve(dataDir, 'zentrale.db')}`,
    sip: get('sip') ?? SERVE_DEFAULTS.sip,
    http,
    provision: get('provision'),
    logLevel: logLevel as ServeOptions['logLevel'],
    authFailThreshold: int('auth-fail-threshold', SERVE_DEFAULTS.authFailThreshold, 1, 1_000_000),
    authBanSeconds: int('auth-ban-seconds', SERVE_DEFAULTS.authBanSeconds, 0, 31_536_000),
    minExpires,
    maxExpires,
  };
}

/** "127.0.0.1:8080", "http:127.0.0.1:8080", "https:[::1]:8443": the HTTP listener, plain or with TLS. */
export function parseHttpListen(s: string): { host: string; port: number; secure: boolean } {
  const m = /^(https?):(.*)$/i.exec(s);
  const secure = m?.[1]?.toLowerCase() === 'https';
  return { ...parseHostPort(m ? m[2]! : s, '--http'), secure };
}

/** "127.0.0.1:8080", "[::1]:8080" */
export function parseHostPort(s: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${what}: expected host:port, got "${s}"`);
  return { host: (m[1] ?? m[2])!, port };
}

/** `relay` (default) or `rtpengine:HOST:PORT` (an IPv6 host in brackets). */
export function parseMedia(v: string | undefined): ServeOptions['media'] {
  if (v === undefined || v === 'relay') return { kind: 'relay' };
  const m = /^rtpengine:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535)
    throw new UsageError(`--media: expected relay or rtpengine:HOST:PORT (rtpengine's ng port), got "${v}"`);
  return { kind: 'rtpengine', host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
