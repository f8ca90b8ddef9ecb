import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * baresip 1.0 as a real phone, driven over its ctrl_tcp interface (netstring-framed JSON). Each phone gets its
 * own config dir, SIP port, RTP port range, a WAV tone as microphone and a recording dir for what it hears
 * (its options are those of the Debian baresip 1.0 package: config, accounts and ctrl_tcp modules).
 */
export interface BaresipEvent {
  type: string;
  class?: string;
  param?: string;
  id?: string;
  direction?: string;
  peeruri?: string;
  /** The display name of the other party (From of an incoming call). */
  peerdisplayname?: string;
}

export interface PhoneOptions {
  name: string;
  user: string;
  password: string;
  domain: string;
  /** Zentrale's SIP address, used as outbound proxy: "127.0.0.1:5060". */
  proxy: string;
  transport?: 'udp' | 'tcp' | 'tls';
  /** Base port: SIP on base (TLS base+1), ctrl_tcp base+2; RTP base+10..base+29. */
  basePort: number;
  toneHz: number;
  answer?: 'manual' | 'auto';
  /** Only these codecs in offers and answers (account `audio_codecs`, e.g. 'PCMA'); default: every loaded one. */
  audioCodecs?: string;
  /** Further codec modules to load besides g711 (e.g. 'g722', 'opus'). */
  codecModules?: string[];
  /**
   * The tone WAV's format: baresip 1.0's aufile refuses a source whose rate and channels differ from the encoder's
   * (an Opus-only phone needs 48000 Hz stereo). Default 8000 Hz mono.
   */
  toneFormat?: { rate: number; channels: number };
  /**
   * `jitter_buffer_delay` in frames (default 5-10); '0-0' runs without a jitter buffer, whose 1.0 version drops
   * a new stream as "late" when the PBX switches the source it relays (music, then the other party) and the new
   * sequence numbers happen to lie behind the old ones.
   */
  jitterBuffer?: string;
  /** SDES-SRTP (module srtp): 'srtp' offers RTP/SAVP and accepts plain, 'srtp-mand' insists on it (RFC 4568). */
  mediaEnc?: 'srtp' | 'srtp-mand';
  /**
   * SIP Outbound (RFC 5626, account `sipnat=outbound`): the Contact carries +sip.instance and reg-id; given
   * `Require: outbound` in the 200 the phone keeps its flow alive and notices at once when it breaks.
   */
  outbound?: boolean;
}

export class BaresipPhone {
  readonly dir: string;
  readonly recDir: string;
  readonly events: BaresipEvent[] = [];
  readonly #opts: PhoneOptions;
  #proc: ChildProcess | undefined;
  #sock: Socket | undefined;
  #buf = Buffer.alloc(0);
  #token = 0;
  #pending = new Map<string, (r: { ok: boolean; data: string }) => void>();
  #waiters: Array<{ match: (e: BaresipEvent) => boolean; resolve: (e: BaresipEvent) => void }> = [];
  log = '';

  constructor(opts: PhoneOptions) {
    this.#opts = opts;
    this.dir = mkdtempSync(join(tmpdir(), `baresip-${opts.name}-`));
    this.recDir = join(this.dir, 'rec');
    mkdirSync(this.recDir);
  }

  async start(): Promise<void> {
    const o = this.#opts;
    const wav = join(this.dir, `tone${o.toneHz}.wav`);
    writeFileSync(wav, toneWav(o.toneHz, 30, o.toneFormat));
    writeFileSync(
      join(this.dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${o.basePort}`,
        'call_local_timeout 120',
        'call_max_calls 4',
        `audio_source aufile,${wav}`,
        'audio_path /usr/share/baresip',
        'audio_buffer 20-160',
        'audio_level no',
        `rtp_ports ${o.basePort + 10}-${o.basePort + 29}`,
        'rtcp_mux no',
        `jitter_buffer_delay ${o.jitterBuffer ?? '5-10'}`,
        'rtp_stats no',
        'net_interface 127.0.0.1',
        'dns_server 127.0.0.1:53',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        ...(o.codecModules ?? []).map((m) => `module ${m}.so`),
        ...(o.mediaEnc ? ['module srtp.so'] : []),
        'module aufile.so',
        'module sndfile.so',
        'module_tmp uuid.so',
        'module_tmp account.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${o.basePort + 2}`,
        `snd_path ${this.recDir}`,
        'menu_bell no',
        'ringback_disabled yes',
        'statmode_default off',
        '',
      ].join('\n'),
    );
    const transport = o.transport ?? 'udp';
    writeFileSync(
      join(this.dir, 'accounts'),
      `<sip:${o.user}@${o.domain}>;auth_pass=${o.password};outbound="sip:${o.proxy};transport=${transport}";regint=600;answermode=${o.answer ?? 'manual'}${o.audioCodecs ? `;audio_codecs=${o.audioCodecs}` : ''}${o.mediaEnc ? `;mediaenc=${o.mediaEnc}` : ''}${o.outbound ? ';sipnat=outbound' : ''}\n`,
    );
    this.#proc = spawn('baresip', ['-f', this.dir, '-t', '300'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin' },
    });
    this.#proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.#proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        this.#sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(o.basePort + 2, '127.0.0.1');
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`baresip ${o.name}: no ctrl_tcp: ${String(err)}\n${this.log}`);
        await sleep(100);
      }
    }
    this.#sock.on('data', (d: Buffer) => this.#onData(d));
    this.#sock.on('error', () => undefined);
  }

  /** Waits until the phone's registration shows OK (REGISTER_OK may fire before we connect). */
  async waitRegistered(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.command('reginfo');
      // The reply carries ANSI colour codes around the status.
      if (/\bOK\b/.test(stripAnsi(r.data))) return;
      if (Date.now() > deadline) throw new Error(`${this.#opts.name} not registered: ${r.data}\n${this.log}`);
      await sleep(100);
    }
  }

  command(command: string, params?: string): Promise<{ ok: boolean; data: string }> {
    const token = `t${++this.#token}`;
    const raw = Buffer.from(JSON.stringify({ command, ...(params ? { params } : {}), token }));
    return new Promise((resolve) => {
      this.#pending.set(token, resolve);
      this.#sock!.write(Buffer.concat([Buffer.from(`${raw.length}:`), raw, Buffer.from(',')]));
    });
  }

  /** Resolves with the first event (already received or future) that matches. */
  waitFor(
    type: string,
    timeoutMs = 8000,
    pred: (e: BaresipEvent) => boolean = () => true,
  ): Promise<BaresipEvent> {
    const seen = this.events.find((e) => e.type === type && pred(e));
    if (seen) {
      this.events.splice(this.events.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const w = {
        match: (e: BaresipEvent) => e.type === type && pred(e),
        resolve: (e: BaresipEvent) => {
          clearTimeout(t);
          resolve(e);
        },
      };
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(
          new Error(
            `${this.#opts.name}: no ${type} within ${timeoutMs} ms; events: ${JSON.stringify(this.events.map((e) => e.type))}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** The decoded audio this phone received in its last call (sndfile's *-dec.wav), as 16-bit samples. */
  lastRecording(): { rate: number; samples: Int16Array } | undefined {
    const files = readdirSync(this.recDir)
      .filter((f) => f.endsWith('-dec.wav'))
      .sort();
    const f = files.at(-1);
    return f ? readWav(readFileSync(join(this.recDir, f))) : undefined;
  }

  /** Forgets queued events (call before each test so a stale CALL_CLOSED cannot satisfy a wait). */
  clearEvents(): void {
    this.events.length = 0;
  }

  clearRecordings(): void {
    for (const f of readdirSync(this.recDir)) rmSync(join(this.recDir, f));
  }

  /** Kills the phone at once (SIGKILL): no unregistration, its SIP port stops listening — a phone that died. */
  async crash(): Promise<void> {
    const p = this.#proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    this.#sock?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  #onData(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    for (;;) {
      const colon = this.#buf.indexOf(0x3a);
      if (colon < 0) return;
      const n = Number(this.#buf.subarray(0, colon).toString());
      if (this.#buf.length < colon + 2 + n) return;
      const msg = JSON.parse(this.#buf.subarray(colon + 1, colon + 1 + n).toString()) as Record<
        string,
        unknown
      >;
      this.#buf = this.#buf.subarray(colon + 2 + n);
      if (msg.response) {
        const cb = this.#pending.get(String(msg.token));
        this.#pending.delete(String(msg.token));
        cb?.({ ok: Boolean(msg.ok), data: String(msg.data ?? '') });
      } else if (msg.event) {
        const e = msg as unknown as BaresipEvent;
        const w = this.#waiters.find((x) => x.match(e));
        if (w) {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          w.resolve(e);
        } else this.events.push(e);
      }
    }
  }
}

/** A 16-bit WAV of a sine tone, 8 kHz mono unless told otherwise (the same tone on every channel). */
export function toneWav(
  hz: number,
  seconds: number,
  format: { rate: number; channels: number } = { rate: 8000, channels: 1 },
): Buffer {
  const { rate, channels } = format;
  const n = rate * seconds;
  const data = Buffer.alloc(n * 2 * channels);
  for (let i = 0; i < n; i++) {
    const v = Math.round(0.5 * 32767 * Math.sin((2 * Math.PI * hz * i) / rate));
    for (let c = 0; c < channels; c++) data.writeInt16LE(v, (i * channels + c) * 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2 * channels, 28);
  h.writeUInt16LE(2 * channels, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** Reads a PCM16 WAV (first channel), walking the RIFF chunks. */
export function readWav(b: Buffer): { rate: number; samples: Int16Array } {
  let pos = 12;
  let rate = 8000;
  let channels = 1;
  while (pos + 8 <= b.length) {
    const id = b.toString('latin1', pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(pos + 10);
      rate = b.readUInt32LE(pos + 12);
    } else if (id === 'data') {
      const end = Math.min(b.length, pos + 8 + size);
      const count = Math.floor((end - pos - 8) / 2 / channels);
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = b.readInt16LE(pos + 8 + i * 2 * channels);
      return { rate, samples: out };
    }
    pos += 8 + size + (size & 1);
  }
  return { rate, samples: new Int16Array(0) };
}

/** Share of the signal's energy at frequency f (Goertzel over the window). */
export function toneRatio(x: Int16Array, rate: number, f: number): number {
  const n = x.length;
  if (n === 0) return 0;
  const k = Math.round((n * f) / rate);
  const c = 2 * Math.cos((2 * Math.PI * k) / n);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const v of x) {
    const s = v + c * s1 - s2;
    s2 = s1;
    s1 = s;
    energy += v * v;
  }
  const p = s1 * s1 + s2 * s2 - c * s1 * s2;
  return energy === 0 ? 0 : (2 * p) / (n * n) / (energy / n);
}

function stripAnsi(s: string): string {
  return s.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
}
