// Types of scripts/protos.mjs for the e2e test that runs a fixed subset of the suite.
export declare const PROTOS_JAR: string;
export declare const PROTOS_CASES: number;
export declare const RESTING_KEYS: string[];
export interface ProtosRun {
  code: number;
  cases: number;
  firstAnswers: Record<string, number>;
  unanswered: number;
  exceptions: number;
  output: string;
}
export declare function protosUnavailable(jar?: string): string | undefined;
export declare function runProtosCases(o: {
  host: string;
  port: number;
  lport: number;
  domain: string;
  start: number;
  stop: number;
  user?: string;
  jar?: string;
  delayMs?: number;
  replyWaitMs?: number;
}): Promise<ProtosRun>;
export declare function summarize(out: string): Omit<ProtosRun, 'code' | 'output'>;
export declare function sipAlive(host: string, port: number, ms?: number): Promise<boolean>;
