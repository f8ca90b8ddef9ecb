import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { NgClient } from '../../../src/media/index.js';

/**
 * A throwaway rtpengine (Debian `rtpengine-daemon`) in userspace mode (`--table=-1`, no kernel module) on
 * loopback, for the tests that run calls against the rtpengine media backend. Its ng port and RTP ports come
 * from this run's client port block (ZENTRALE_TEST_RTP_PORTS start - 500 + 200 ...), so parallel runs do not
 * collide; the packaged config file is not read (its fixed CLI and HTTP ports would). A missing binary is a
 * failure with the install hint, never a skip: CI installs the package.
 */
export const RTPENGINE = '/usr/bin/rtpengine';

export interface TestRtpengine {
  ngPort: number;
  /** `rtpengine:127.0.0.1:PORT`, the server's --media value. */
  media: string;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function startRtpengine(): Promise<TestRtpengine> {
  if (!existsSync(RTPENGINE))
    throw new Error(`${RTPENGINE} is missing: install it with "apt-get install rtpengine-daemon"`);
  const base = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
  const ngPort = base + 200;
  const child: ChildProcess = spawn(
    RTPENGINE,
    [
      // Debian's /etc/rtpengine/rtpengine.conf fixes CLI and HTTP ports (2224, 2225): two instances at once collide.
      '--config-file=none',
      '--table=-1',
      '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${ngPort}`,
      `--port-min=${base + 250}`,
      `--port-max=${base + 499}`,
      '--foreground',
      '--log-stderr',
      '--log-level=5',
      '--delete-delay=0',
      '--num-threads=1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ng = new NgClient({ host: '127.0.0.1', port: ngPort, timeoutMs: 200, retries: 0 });
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`rtpengine exited at start:\n${err}`);
      try {
        await ng.ping();
        break;
      } catch (e) {
        if (i > 25) throw new Error(`rtpengine did not answer ping on ${ngPort}: ${String(e)}\n${err}`);
        await sleep(200);
      }
    }
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  } finally {
    await ng.close();
  }
  return {
    ngPort,
    media: `rtpengine:127.0.0.1:${ngPort}`,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
