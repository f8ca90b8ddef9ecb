#!/usr/bin/env node
// PROTOS c07-sip (University of Oulu): 4,527 malformed INVITEs over UDP against a running Zentrale. The server
// must survive all of them, answer what it can parse, and return to its resting counts afterwards
// (docs/security.md, "Exact answers to bad input"). Usage:
//
//   node scripts/protos.mjs                      # starts its own server (bans off), runs the whole suite
//   node scripts/protos.mjs --start 0 --stop 499 # a range of cases
//   node scripts/protos.mjs --target 127.0.0.1:5060 --http 127.0.0.1:8080   # a server you started yourself
//                                                # (with --auth-ban-seconds 0, else it bans the fuzzer)
//
// The jar is test/fixtures/protos/c07-sip-r2.jar (GPL-2, see the LICENSE.TXT beside it); --jar overrides. It
// needs a Java runtime (Debian: default-jre-headless). Exit code: 0 passed, 1 failed, 2 skipped (no jar/java).
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { clearTimeout, setTimeout } from 'node:timers';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const PROTOS_JAR = join(root, 'test', 'fixtures', 'protos', 'c07-sip-r2.jar');
export const PROTOS_CASES = 4527;

/** Counts that must come back to their resting value once the suite's transactions have ended. */
export const RESTING_KEYS = [
  'serverTransactions',
  'clientTransactions',
  'dialogs',
  'pendingInvites',
  'calls',
  'mediaEndpoints',
  'mediaPorts',
  'requestsInFlight',
  'udpSockets',
  'tcpConnections',
];

/** Why the suite cannot run here (no jar, no java), or undefined. */
export function protosUnavailable(jar = PROTOS_JAR) {
  if (!existsSync(jar)) return `no PROTOS jar at ${jar} (put c07-sip-r2.jar there)`;
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error || java.status !== 0)
    return 'no java runtime (Debian: apt-get install default-jre-headless)';
  return undefined;
}

/**
 * Runs cases `start`..`stop` against host:port from local port `lport`, resolving the tenant domain to the target
 * through a hosts file of its own. Resolves with what the tool printed, counted.
 */
export function runProtosCases(o) {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-protos-'));
  const hosts = join(dir, 'hosts');
  // The tool resolves the -touri host and this machine's name; neither may need DNS.
  writeFileSync(hosts, `${o.host} ${o.domain}\n127.0.0.1 localhost\n127.0.0.1 ${hostname()}\n`);
  const args = [
    '-Dfile.encoding=ISO-8859-1', // without it the tool itself throws at case 28
    `-Djdk.net.hosts.file=${hosts}`,
    '-jar',
    o.jar ?? PROTOS_JAR,
    '-touri',
    `${o.user ?? '100'}@${o.domain}`,
    '-sendto',
    o.host,
    '-dport',
    String(o.port),
    '-lport',
    String(o.lport),
    '-start',
    String(o.start),
    '-stop',
    String(o.stop),
    '-delay',
    String(o.delayMs ?? 20),
    '-replywait',
    String(o.replyWaitMs ?? 20),
    '-teardown',
  ];
  return new Promise((resolvePromise) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolvePromise({ code: code ?? -1, ...summarize(out), output: out });
    });
  });
}

/** Cases sent, first answers by status, cases without any answer, and exceptions the tool printed. */
export function summarize(out) {
  const firstAnswers = {};
  let cases = 0;
  let unanswered = 0;
  // Each case: "Sending Test-Case #N", then "Received Returncode: S" lines (the INVITE's, then CANCEL/ACK's).
  for (const block of out.split(/^Sending Test-Case #/m).slice(1)) {
    cases++;
    const m = /Received Returncode: (\d+)/.exec(block);
    if (m) firstAnswers[m[1]] = (firstAnswers[m[1]] ?? 0) + 1;
    else unanswered++;
  }
  const exceptions = (out.match(/Exception/g) ?? []).length;
  return { cases, firstAnswers, unanswered, exceptions };
}

/** Whether a SIP OPTIONS to host:port gets any response within `ms` (the server is alive and parsing). */
export function sipAlive(host, port, ms = 3000) {
  return new Promise((resolvePromise) => {
    const s = createSocket('udp4');
    const branch = `z9hG4bK-protos-${Date.now()}`;
    const done = (ok) => {
      clearTimeout(t);
      s.close();
      resolvePromise(ok);
    };
    const t = setTimeout(() => done(false), ms);
    s.on('message', (m) => done(m.toString('latin1').startsWith('SIP/2.0 ')));
    s.bind(0, '127.0.0.1', () => {
      const { port: lport } = s.address();
      const msg = [
        `OPTIONS sip:${host}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${lport};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1>;tag=${branch.slice(-8)}`,
        `To: <sip:${host}:${port}>`,
        `Call-ID: ${branch}@127.0.0.1`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      s.send(msg, port, host);
    });
  });
}

/** Polls `counts()` until every resting key is back at `baseline` or `ms` passed; the keys still off, if any. */
export async function waitForRest(counts, baseline, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await counts();
    const off = RESTING_KEYS.filter((k) => now[k] !== baseline[k]).map(
      (k) => `${k}=${now[k]} (baseline ${baseline[k]})`,
    );
    if (off.length === 0 || Date.now() > deadline) return off;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function rssMb(pid) {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
  return o;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const jar = a.jar ? resolve(a.jar) : PROTOS_JAR;
  const why = protosUnavailable(jar);
  if (why) {
    console.log(`SKIPPED: ${why}`);
    process.exit(2);
  }
  const base = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '17000-17999').split('-')[0]);
  const domain = a.domain ?? 'demo.zentrale.test';
  let server;
  let dataDir;
  let target = a.target;
  let http = a.http;
  if (!target) {
    // Our own server: the demo tenants, bans off (the suite's unanswered challenges would ban it at ~976).
    dataDir = mkdtempSync(join(tmpdir(), 'zentrale-protos-data-'));
    target = `127.0.0.1:${base - 100}`;
    http = `127.0.0.1:${base - 99}`;
    server = spawn(
      process.execPath,
      [
        join(root, 'bin', 'zentrale.js'),
        'serve',
        '--data',
        dataDir,
        '--sip',
        `udp:${target}`,
        '--http',
        http,
        '--provision',
        join(root, 'examples', 'demo.yaml'),
        '--auth-ban-seconds',
        '0',
        '--rtp-ports',
        `${base}-${base + 199}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.errors = 0;
    const count = (d) => (server.errors += (d.toString().match(/"level":(50|60)/g) ?? []).length);
    server.stdout.on('data', count);
    server.stderr.on('data', count);
  }
  const [host, portText] = target.split(':');
  const port = Number(portText);
  const counts = async () => (await globalThis.fetch(`http://${http}/debug/counts`)).json();
  let failed = false;
  try {
    const ready = Date.now() + 90_000; // a loaded machine starts slowly
    // The resting counts first: the SIP probe below is itself a transaction that lives 32 s (Timer J).
    let baseline;
    while (http && baseline === undefined) {
      baseline = await counts().catch(() => undefined);
      if (baseline === undefined) {
        if (Date.now() > ready) throw new Error(`no HTTP server answering at ${http}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    while (!(await sipAlive(host, port, 1000))) {
      if (Date.now() > ready) throw new Error(`no SIP server answering at ${target}`);
    }
    const rssBefore = server ? rssMb(server.pid) : undefined;
    const start = Number(a.start ?? 0);
    const stop = Number(a.stop ?? PROTOS_CASES - 1);
    const t0 = Date.now();
    console.log(`PROTOS c07-sip cases ${start}..${stop} against ${target}`);
    const r = await runProtosCases({
      jar,
      host,
      port,
      lport: Number(a.lport ?? base - 98),
      domain,
      start,
      stop,
    });
    console.log(
      `  ${r.cases} cases in ${Math.round((Date.now() - t0) / 1000)} s; first answers ${JSON.stringify(r.firstAnswers)};` +
        ` unanswered ${r.unanswered}; tool exceptions ${r.exceptions}`,
    );
    const alive = (server === undefined || server.exitCode === null) && (await sipAlive(host, port));
    console.log(`  server alive afterwards: ${alive}`);
    if (!alive || r.exceptions > 0 || r.cases !== stop - start + 1) failed = true;
    if (baseline) {
      const off = await waitForRest(counts, baseline, Number(a['settle-seconds'] ?? 90) * 1000);
      console.log(`  /debug/counts back to baseline: ${off.length === 0 ? 'yes' : `no: ${off.join(', ')}`}`);
      if (off.length > 0) failed = true;
    }
    if (server) {
      console.log(
        `  RSS ${rssBefore} MB before, ${rssMb(server.pid)} MB after settling; error log lines ${server.errors}`,
      );
      if (server.errors > 0) failed = true;
    }
  } catch (err) {
    console.log(`FAILED: ${err.message}`);
    failed = true;
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(failed ? 'FAILED' : 'PASSED');
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
