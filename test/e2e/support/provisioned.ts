import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, type SippRun } from './sipp.js';
import { startTestServer, type TestServer } from './server.js';

/**
 * A test server provisioned from YAML written per run: the fixtures name ports derived from the run's range
 * (ZENTRALE_TEST_RTP_PORTS), so they cannot be static files. stop() also removes the fixture's directory.
 */
export async function startProvisioned(name: string, yaml: string, args: string[] = []): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), `zentrale-${name}-`));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const t = await startTestServer({ args: ['--provision', file, ...args] });
  const stop = t.stop.bind(t);
  t.stop = async (o) => {
    await stop(o);
    rmSync(dir, { recursive: true, force: true });
  };
  return t;
}

/**
 * The YAML of one trunk (lines for a tenant's entry) to a sipp carrier at `ip:port`: `0` dials out, numbers go out
 * as E.164 for Germany, with a toll-fraud limit of one external call per workplace and hour.
 */
export function carrierTrunkYaml(ip: string, port: number): string {
  return `    trunks:
      - id: carrier
        peer: ${ip}:${port}
        outboundPrefix: '0'
        numberFormat: e164
        countryCode: '49'
        defaultCallerId: '+4930555000'
    tollFraud:
      maxExternalCallsPerWorkplacePerHour: 1
`;
}

/** Starts a sipp carrier that answers one call at `ip:port`; `done` settles when its scenario ends. */
export async function answeringCarrier(
  t: TestServer,
  ip: string,
  port: number,
): Promise<{ done: Promise<SippRun> }> {
  const done = runSipp({
    scenario: 'trunk-carrier-uas.xml',
    target: t.udp,
    localIp: ip,
    localPort: port,
    timeoutS: 10,
  });
  // sipp needs a moment to bind before the call it must answer is placed.
  await sleep(300);
  return { done };
}
