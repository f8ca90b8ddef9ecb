// The "node floor" beside the registrars: bench/lib/register-floor.ts as a peer of bench/register.ts.
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import {
  freeUdpPort,
  optionsProbe,
  peakRssKb,
  sampleProcess,
  waitFor,
  type LogEvents,
  type Peer,
  type PeerSample,
} from './peers.js';
import { hasExited, type ProcessRegistry } from './procs.js';

export class FloorPeer implements Peer {
  readonly name = 'node-floor';
  readonly description = `node ${process.version}, UDP I/O and five header lines copied per answer; no parsing, no auth check, no state`;
  readonly #registry: ProcessRegistry;
  readonly #root: string;
  readonly #workDir: string;
  #child: ChildProcess | undefined;
  #port = 0;

  constructor(o: { registry: ProcessRegistry; root: string; workDir: string }) {
    this.#registry = o.registry;
    this.#root = o.root;
    this.#workDir = o.workDir;
  }

  async start(): Promise<void> {
    this.#port = await freeUdpPort();
    const fd = openSync(join(this.#workDir, 'node-floor.log'), 'a');
    try {
      this.#child = this.#registry.spawn({
        name: 'node-floor',
        cmd: process.execPath,
        args: ['--import', 'tsx', join('bench', 'lib', 'register-floor.ts'), String(this.#port)],
        cwd: this.#root,
        output: fd,
      });
    } finally {
      closeSync(fd);
    }
    await waitFor(
      'node floor OPTIONS probe',
      20_000,
      () => optionsProbe(this.#port),
      () => this.alive(),
    );
  }

  async stop(): Promise<void> {
    if (this.#child) await this.#registry.stop(this.#child, 5_000);
    this.#child = undefined;
  }

  target(): string {
    return `127.0.0.1:${this.#port}`;
  }

  alive(): boolean {
    return this.#child !== undefined && !hasExited(this.#child);
  }

  sample(withMemory: boolean): PeerSample {
    return sampleProcess(this.#child?.pid, withMemory);
  }

  pids(): number[] {
    return this.#child?.pid === undefined ? [] : [this.#child.pid];
  }

  peakKb(): number | undefined {
    return peakRssKb(this.#child?.pid);
  }

  markLog(): void {}

  events(): LogEvents {
    return { bans: 0, authFailures: 0, errors: 0, firstError: undefined };
  }
}
