import { PromptSet } from '../media/audio/prompts.js';
import type { Logger } from '../util/log.js';

/** What a drain needs from the running server. */
export interface DrainParts {
  /** Answers new INVITEs with 503 + Retry-After from now on. */
  refuseNewCalls(retryAfterSeconds: number): void;
  /** Calls still up (ordinary and queued). */
  running(): number;
  /** Tells every queued caller `samples` and hangs them up. */
  drainQueues(prompt: { samples: Int16Array }): Promise<void>;
  log: Logger;
}

/**
 * A graceful stop's first half: no new calls, queued callers told and released, running calls left to finish
 * until `timeoutMs` (docs/robustness.md). The caller stops the server afterwards, whatever is still up.
 */
export async function drainCalls(p: DrainParts, timeoutMs: number): Promise<void> {
  p.refuseNewCalls(Math.max(1, timeoutMs / 1000));
  p.log.info({ event: 'server.draining', calls: p.running(), timeoutMs }, 'refusing new calls, draining');
  // Queued callers would wait for an agent the stopping server can no longer give them: tell them (German,
  // then English) and hang up; calls with an agent drain like any other.
  const prompts = new PromptSet();
  const [de, en] = [prompts.get('de', 'service-restart'), prompts.get('en', 'service-restart')];
  const restart = new Int16Array(de.samples.length + en.samples.length);
  restart.set(de.samples);
  restart.set(en.samples, de.samples.length);
  void p.drainQueues({ samples: restart });
  const until = Date.now() + timeoutMs;
  while (p.running() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  p.log.info({ event: 'server.drained', callsLeft: p.running() }, 'drain finished');
}
