import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AudioSource } from '../../media/index.js';
import { readWav, writeWav } from '../../media/audio/wav.js';

/**
 * The audio of messages and greetings as WAV files (8 kHz, 16-bit PCM: what every mail client and player opens)
 * under `<data>/voicemail/<tenant>/<extension>/`. One folder per mailbox: removing a mailbox is removing a folder,
 * and a tenant's files can never be reached through another tenant's path. Names are ids we made, never input.
 * Writes go to a temporary name and are renamed, so a crash never leaves half a message under its real name.
 */
export class MessageFiles {
  readonly #root: string;

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'voicemail');
  }

  #box(tenantId: string, extension: string): string {
    return join(this.#root, safe(tenantId), safe(extension));
  }

  messagePath(tenantId: string, extension: string, id: string): string {
    return join(this.#box(tenantId, extension), `${safe(id)}.wav`);
  }

  async writeMessage(tenantId: string, extension: string, id: string, audio: AudioSource): Promise<void> {
    await this.#write(this.messagePath(tenantId, extension, id), audio);
  }

  async readMessage(tenantId: string, extension: string, id: string): Promise<Buffer | undefined> {
    return readFile(this.messagePath(tenantId, extension, id)).catch(() => undefined);
  }

  async message(tenantId: string, extension: string, id: string): Promise<AudioSource | undefined> {
    const b = await this.readMessage(tenantId, extension, id);
    return b ? readWav(b) : undefined;
  }

  async deleteMessage(tenantId: string, extension: string, id: string): Promise<void> {
    await rm(this.messagePath(tenantId, extension, id), { force: true });
  }

  async writeGreeting(
    tenantId: string,
    extension: string,
    audio: AudioSource,
    kind: GreetingKind = 'unavailable',
  ): Promise<void> {
    await this.#write(join(this.#box(tenantId, extension), greetingFile(kind)), audio);
  }

  async greeting(
    tenantId: string,
    extension: string,
    kind: GreetingKind = 'unavailable',
  ): Promise<AudioSource | undefined> {
    const b = await readFile(join(this.#box(tenantId, extension), greetingFile(kind))).catch(() => undefined);
    return b ? readWav(b) : undefined;
  }

  /**
   * Removes the folders of mailboxes that no longer exist (the workplace or its package was removed; the store
   * dropped the metadata with it). Runs after every provisioning run and at start.
   */
  async sweep(keep: ReadonlyArray<{ tenantId: string; extension: string }>): Promise<number> {
    const wanted = new Set(keep.map((k) => `${safe(k.tenantId)}/${safe(k.extension)}`));
    let removed = 0;
    for (const tenant of await readdir(this.#root).catch(() => [] as string[])) {
      const boxes = await readdir(join(this.#root, tenant)).catch(() => [] as string[]);
      for (const ext of boxes) {
        if (wanted.has(`${tenant}/${ext}`)) continue;
        await rm(join(this.#root, tenant, ext), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  async #write(path: string, audio: AudioSource): Promise<void> {
    await mkdir(join(path, '..'), { recursive: true });
    const tmp = `${path}.part`;
    await writeFile(tmp, writeWav(audio));
    await rename(tmp, path);
  }
}

/** Tenant ids, extensions and message ids are [a-z0-9-] already; anything else is refused, never escaped. */
function safe(s: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(s)) throw new Error(`not a safe file name part: ${JSON.stringify(s)}`);
  return s;
}

/**
 * Which greeting a caller hears: `busy` when the call reached the mailbox because the workplace was busy, else
 * `unavailable` (no answer, not reachable, always, do not disturb) — docs/voicemail.md, "Greetings".
 */
export type GreetingKind = 'unavailable' | 'busy';

function greetingFile(kind: GreetingKind): string {
  return kind === 'busy' ? 'greeting-busy.wav' : 'greeting.wav';
}
