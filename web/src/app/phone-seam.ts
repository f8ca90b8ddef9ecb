import { Value } from './store.js';

/** A call of the browser softphone, as the windows see it. */
export interface SoftCall {
  id: string;
  /** The other party's number (SIP user part) and display name. */
  number: string;
  name?: string;
  direction: 'incoming' | 'outgoing';
  state: 'ringing' | 'talking' | 'held' | 'ended';
  muted: boolean;
  /** The PBX's call id when known (X-Zentrale-Call-Id), to match the API's call list. */
  pbxCallId?: string;
  answer(): void;
  hangup(): void;
  hold(): void;
  resume(): void;
  mute(on: boolean): void;
  dtmf(digits: string): void;
}

export type PhoneState = 'off' | 'connecting' | 'registered' | 'failed';

/**
 * The browser softphone as the rest of the app uses it. The implementation (JsSIP, loaded as its own chunk only
 * for workplaces with a `webrtc` device) sets `softphone`; until then, or without one, dialing goes through the
 * desk phone.
 */
export interface Softphone {
  readonly device: string;
  call(to: string): void;
  /** Auto-answer the next INVITE carrying the PBX's auto-answer hint (an answer/pickup/pull/dial of ours). */
  expectAutoAnswer(): void;
  stop(): Promise<void>;
}

export const softphone = new Value<Softphone | null>(null);
export const phoneState = new Value<PhoneState>('off');
export const softCalls = new Value<SoftCall[]>([]);
