import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readWav, toneWav } from './baresip.js';

/**
 * Linphone's command-line client (Debian `linphone-cli` 5.1, `linphonec`) as a real phone, headless: its own HOME
 * and config file per instance, commands written to stdin (linphonec reads them on a thread when stdin is not a
 * terminal), `soundcard use files` so it sends a WAV tone and records what it hears without a sound card, and a
 * debug log (-d 6 -l) to read the negotiated payload types and its "unknown payload type" complaints from.
 *
 * Config facts that matter on loopback: `auto_net_state_mon=0` (else it opens no SIP socket without a default
 * route), `reg_route` to the PBX (else the INVITE goes to DNS for the tenant domain), and a fresh config per run
 * because linphonec writes settings back into it.
 */
export interface LinphoneOptions {
  name: string;
  user: string;
  password: string;
  domain: string;
  /** Zentrale's SIP address: "127.0.0.1:5060". */
  proxy: string;
  transport?: 'udp' | 'tcp';
  sipPort: number;
  /** RTP port (RTCP +1). */
  rtpPort: number;
  /** Tone it sends as microphone, Hz. */
  toneHz: number;
  /** Only these codecs enabled (a=rtpmap names: 'opus', 'G722', 'PCMU', 'PCMA'...); default: linphonec's own set. */
  codecs?: string[];
  autoAnswer?: boolean;
}

export class LinphonePhone {
  readonly dir: string;
  readonly logFile: string;
  readonly recordFile: string;
  readonly #o: LinphoneOptions;
  #proc: ChildProcess | undefined;
  /** Everything linphonec printed on stdout/stderr (its call state messages, command answers). */
  out = '';

  constructor(o: LinphoneOptions) {
    this.#o = o;
    this.dir = mkdtempSync(join(tmpdir(), `linphone-${o.name}-`));
    this.logFile = join(this.dir, 'debug.log');
    this.recordFile = join(this.dir, 'heard.wav');
  }

  async start(): Promise<void> {
    const o = this.#o;
    const home = join(this.dir, 'home');
    mkdirSync(join(home, '.local', 'share', 'linphone'), { recursive: true });
    const wav = join(this.dir, `tone${o.toneHz}.wav`);
    writeFileSync(wav, toneWav(o.toneHz, 60));
    const transport = o.transport ?? 'udp';
    const rc = join(this.dir, 'linphonerc');
    writeFileSync(
      rc,
      [
        '[sip]',
        'auto_net_state_mon=0',
        `sip_port=${transport === 'udp' ? o.sipPort : 0}`,
        `sip_tcp_port=${transport === 'tcp' ? o.sipPort : 0}`,
        'sip_tls_port=0',
        'bind_address=127.0.0.1',
        'default_proxy=0',
        'register_only_when_network_is_up=0',
        'guess_hostname=1',
        `autoanswer=${o.autoAnswer ? 1 : 0}`,
        '[rtp]',
        `audio_rtp_port=${o.rtpPort}`,
        `video_rtp_port=${o.rtpPort + 10}`,
        '[video]',
        'enabled=0',
        'capture=0',
        'display=0',
        '[sound]',
        'echocancellation=0',
        '[proxy_0]',
        `reg_proxy=<sip:${o.proxy};transport=${transport}>`,
        `reg_route=<sip:${o.proxy};transport=${transport};lr>`,
        `reg_identity=sip:${o.user}@${o.domain}`,
        'reg_expires=300',
        'reg_sendregister=1',
        'publish=0',
        '[auth_info_0]',
        `username=${o.user}`,
        `passwd=${o.password}`,
        `domain=${o.domain}`,
        '',
      ].join('\n'),
    );
    this.#proc = spawn('linphonec', ['-c', rc, '-d', '6', '-l', this.logFile], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: home },
    });
    this.#proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.#proc.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.#proc.stdin!.on('error', () => undefined);
    await this.waitOutput(/linphonec>/, 10_000);
    await this.command('soundcard use files', /Using wav files/);
    if (o.codecs) await this.#selectCodecs(o.codecs);
    if (o.autoAnswer) this.send('autoanswer enable');
    this.send(`play ${wav}`);
    this.send(`record ${this.recordFile}`);
  }

  /** Writes one command line. */
  send(line: string): void {
    this.#proc?.stdin?.write(`${line}\n`);
  }

  /** Sends a command and waits for its answer on stdout (printed after the current end of the output). */
  async command(line: string, answer: RegExp, timeoutMs = 5000): Promise<string> {
    const from = this.out.length;
    this.send(line);
    return this.waitOutput(answer, timeoutMs, from);
  }

  /** Resolves with the first match of `re` in stdout after offset `from`. */
  async waitOutput(re: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.out.slice(from));
      if (m) return m[0];
      if (Date.now() > deadline || this.#proc?.exitCode != null) {
        throw new Error(
          `linphone ${this.#o.name}: no ${String(re)} within ${timeoutMs} ms\n${this.out.slice(-3000)}`,
        );
      }
      await sleep(50);
    }
  }

  /** Enables exactly the named codecs (by their `codec list` index) and disables every other one. */
  async #selectCodecs(names: string[]): Promise<void> {
    const list = await this.#codecList();
    const wanted = new Set(names.map((n) => n.toLowerCase()));
    for (const line of list.split('\n')) {
      const m = /^\s*(\d+): (\S+) \((\d+)\) (enabled|disabled)/.exec(line);
      if (!m) continue;
      const on = wanted.has(m[2]!.toLowerCase());
      if (on !== (m[4] === 'enabled')) this.send(`codec ${on ? 'enable' : 'disable'} ${m[1]}`);
    }
    const now = await this.#codecList();
    for (const n of wanted) {
      if (!new RegExp(`: ${n} \\(\\d+\\) enabled`, 'i').test(now))
        throw new Error(`linphone: codec ${n} not enabled\n${now}`);
    }
  }

  /** `codec list` output: it arrives in pieces, so read until the last line has stayed put for a moment. */
  async #codecList(): Promise<string> {
    const from = this.out.length;
    this.send('codec list');
    await this.waitOutput(/^\s*\d+: /m, 5000, from);
    let seen = -1;
    while (seen !== this.out.length) {
      seen = this.out.length;
      await sleep(300);
    }
    return this.out.slice(from);
  }

  /** Polls `status register` until linphonec reports the proxy registered. */
  async waitRegistered(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const from = this.out.length;
      this.send('status register');
      await sleep(300);
      const answer = this.out.slice(from);
      if (/^registered[,=\s]/im.test(answer) || /registration.*(ok|successful)/i.test(answer)) return;
      if (Date.now() > deadline) {
        throw new Error(`linphone ${this.#o.name}: not registered\n${this.out.slice(-1500)}`);
      }
    }
  }

  call(uri: string): void {
    this.send(`call ${uri}`);
  }
  answer(): void {
    this.send('answer');
  }
  /** Hold (linphonec `pause`: a re-INVITE with a=sendonly). */
  hold(): void {
    this.send('pause');
  }
  resume(): void {
    this.send('resume');
  }
  /** Blind transfer of the current call (REFER, RFC 3515). */
  transfer(uri: string): void {
    this.send(`transfer ${uri}`);
  }
  hangup(): void {
    this.send('terminate');
  }

  async waitConnected(timeoutMs = 10_000, from = 0): Promise<void> {
    await this.waitOutput(/Call \d+ with .* connected/i, timeoutMs, from);
  }
  async waitIncoming(timeoutMs = 10_000): Promise<void> {
    await this.waitOutput(/Receiving new incoming call/i, timeoutMs);
  }
  async waitEnded(timeoutMs = 10_000, from = 0): Promise<void> {
    await this.waitOutput(/Call \d+ .*ended/i, timeoutMs, from);
  }

  /**
   * Waits (output after `from`) for a call that failed before it was connected ("Call N with X error.") and
   * returns the final status the phone received for its INVITE, read from the debug log (the last final
   * response to an INVITE it logged), or undefined when the log names none.
   */
  async waitFailed(timeoutMs = 10_000, from = 0): Promise<number | undefined> {
    await this.waitOutput(/Call \d+ with .* error\./i, timeoutMs, from);
    const finals = [...this.log().matchAll(/SIP\/2\.0 ([3-6]\d\d) [^\n]*\n(?:[^\n]+\n)*?CSeq: \d+ INVITE/gi)];
    const last = finals.at(-1);
    return last ? Number(last[1]) : undefined;
  }

  /** The id linphonec gave the call it placed to `uri` (its "Call N to URI in progress." line). */
  async callIdTo(uri: string, timeoutMs = 10_000, from = 0): Promise<number> {
    const esc = uri.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const line = await this.waitOutput(new RegExp(`Call (\\d+) to [^\\n]*${esc}`), timeoutMs, from);
    return Number(/Call (\d+)/.exec(line)![1]);
  }

  /** Attended transfer: call `id` is transferred to the party of call `to` (REFER with Replaces, RFC 5589). */
  transferToCall(id: number, to: number): void {
    this.send(`transfer ${id} --to-call ${to}`);
  }

  /** The debug log so far (the file linphonec writes with -l). */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /**
   * The formats of each negotiation, in order, from its "payload type N NAME/RATE ... added to frozen list" debug
   * lines (liblinphone freezes the payload numbers agreed in an offer/answer for the session).
   */
  negotiatedPayloadTypes(): Array<{ payloadType: number; encoding: string; clockRate: number }> {
    return [...this.log().matchAll(/payload type (\d+) ([^/\s]+)\/(\d+)[^\n]*added to frozen list/g)].map(
      (m) => ({
        payloadType: Number(m[1]),
        encoding: m[2]!,
        clockRate: Number(m[3]),
      }),
    );
  }

  /** Payload types linphonec complained about receiving without having negotiated them. */
  unknownPayloadTypes(): number[] {
    return [...this.log().matchAll(/unknown payload type\D{0,20}(\d+)/gi)].map((m) => Number(m[1]));
  }

  /** What it hears, once `record` has written something (file mode records each call into the same WAV). */
  recording(): { rate: number; samples: Int16Array } | undefined {
    if (!existsSync(this.recordFile)) return undefined;
    const b = readFileSync(this.recordFile);
    return b.length > 44 ? readWav(b) : undefined;
  }

  /** How much the recorder has written so far: pass it to recentAudio to look only at what came after. */
  recordMark(): number {
    return existsSync(this.recordFile) ? statSync(this.recordFile).size : 0;
  }

  /**
   * The last `seconds` of what it hears while the call still runs (and only what was written after the
   * recordMark `since`). The recorder writes its WAV header only when a
   * stream stops (a re-INVITE that changes the codec stops it) and appends the next stream's samples at that
   * stream's rate, so mid-call the header says nothing about the tail: the tail is mono PCM at the rate the
   * current format decodes to (Opus 48 kHz, G.722 16 kHz, G.711 8 kHz).
   */
  recentAudio(seconds: number, since = 0): { rate: number; samples: Int16Array } | undefined {
    if (!existsSync(this.recordFile)) return undefined;
    const b = readFileSync(this.recordFile);
    const last = this.negotiatedPayloadTypes()
      .filter((f) => f.encoding !== 'telephone-event')
      .at(-1);
    const name = last?.encoding.toLowerCase();
    const rate = name === 'opus' ? 48000 : name === 'g722' ? 16000 : (last?.clockRate ?? 8000);
    const bytes = Math.min(b.length - Math.max(44, since), Math.round(seconds * rate) * 2);
    if (bytes <= 0) return undefined;
    const samples = new Int16Array(Math.floor(bytes / 2));
    const from = b.length - samples.length * 2;
    for (let i = 0; i < samples.length; i++) samples[i] = b.readInt16LE(from + i * 2);
    return { rate, samples };
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    if (p && p.exitCode === null) {
      this.send('terminate');
      // linphonec's quit does not wait for its un-REGISTER: a stale binding would make the next test's phone on
      // another user ring at this port.
      await this.command('unregister', /unregistered/i, 2000).catch(() => undefined);
      this.send('quit');
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    // LINPHONE_KEEP=1 keeps the config, debug log and recording for a look after a failure.
    if (process.env.LINPHONE_KEEP !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}
