/**
 * Busy lamp field state: per (tenant, workplace), the calls the workplace is in, derived from the call events on the
 * bus. A pure reducer — no timers, no I/O — so the SUBSCRIBE/NOTIFY server, the client stream and tests can all feed
 * it and act on what it reports as changed.
 *
 * Phases follow RFC 4235: the caller's side is `trying` until the far end rings (`early`), the callee's side is
 * `early` while it rings, both become `confirmed` on answer. A workplace with several devices has one dialog per
 * call, not one per device. The book only holds workplaces that are in at least one call; an ended call is reported
 * once with phase `terminated` and then forgotten.
 */
import type { CallEvent, Party } from '../../core/events/types.js';

export type PresenceStatus = 'idle' | 'ringing' | 'busy';
export type DialogPhase = 'trying' | 'early' | 'confirmed' | 'terminated';
export type DialogDirection = 'initiator' | 'recipient';

/** One call as a monitored workplace is in it. */
export interface DialogView {
  /** Unique per workplace and stable for the call: `<callId>:out` (initiator) or `<callId>:in` (recipient). */
  id: string;
  /** The PBX call id (not a SIP Call-ID). */
  callId: string;
  direction: DialogDirection;
  phase: DialogPhase;
  /** The monitored workplace's side; `device` once a device is known (the caller's, the one that answered). */
  local: Party;
  /** The other party as last reported (changes on transfer). */
  remote: Party;
  /** The monitored workplace put the call on hold. */
  held: boolean;
  /** When the dialog was first seen (event time, ms). */
  since: number;
}

export interface WorkplaceEntry {
  tenantId: string;
  workplace: string;
  /** By DialogView.id, in order of appearance. */
  dialogs: ReadonlyMap<string, DialogView>;
}

/** Immutable: applyCallEvent returns a new book and leaves its input untouched. */
export interface PresenceBook {
  /** By workplaceKey(tenantId, workplace); only workplaces with at least one dialog. */
  readonly entries: ReadonlyMap<string, WorkplaceEntry>;
}

export interface PresenceChange {
  tenantId: string;
  workplace: string;
  status: PresenceStatus;
  /** The workplace's current dialogs, followed by those that ended with this event (phase `terminated`). */
  dialogs: DialogView[];
}

export const emptyPresenceBook: PresenceBook = { entries: new Map() };

export function workplaceKey(tenantId: string, workplace: string): string {
  return JSON.stringify([tenantId, workplace]);
}

/** busy (any confirmed dialog, or an outgoing call being set up) > ringing (an incoming call ringing) > idle. */
export function aggregate(dialogs: Iterable<DialogView>): PresenceStatus {
  let ringing = false;
  for (const d of dialogs) {
    if (d.phase === 'terminated') continue;
    if (d.phase === 'confirmed' || d.direction === 'initiator') return 'busy';
    ringing = true;
  }
  return ringing ? 'ringing' : 'idle';
}

/** The current status and dialogs of one workplace (idle and none when the book does not know it). */
export function presenceOf(
  book: PresenceBook,
  tenantId: string,
  workplace: string,
): { status: PresenceStatus; dialogs: DialogView[] } {
  const dialogs = [...(book.entries.get(workplaceKey(tenantId, workplace))?.dialogs.values() ?? [])];
  return { status: aggregate(dialogs), dialogs };
}

const RANK: Record<DialogPhase, number> = { trying: 0, early: 1, confirmed: 2, terminated: 3 };

function party(p: Party, device?: string): Party {
  const out: Party = { number: p.number };
  if (p.workplace !== undefined) out.workplace = p.workplace;
  if (device !== undefined) out.device = device;
  if (p.name !== undefined) out.name = p.name;
  return out;
}

function sameParty(a: Party, b: Party): boolean {
  return a.number === b.number && a.workplace === b.workplace && a.device === b.device && a.name === b.name;
}

function sameDialog(a: DialogView, b: DialogView): boolean {
  return (
    a.id === b.id &&
    a.callId === b.callId &&
    a.direction === b.direction &&
    a.phase === b.phase &&
    a.held === b.held &&
    a.since === b.since &&
    sameParty(a.local, b.local) &&
    sameParty(a.remote, b.remote)
  );
}

/** A later event that names the same party without a device does not forget the device already known. */
function keepDevice(old: Party | undefined, p: Party): Party {
  if (!old?.device || p.device || old.number !== p.number || old.workplace !== p.workplace) return p;
  return { ...p, device: old.device };
}

function dialogId(callId: string, direction: DialogDirection): string {
  return `${callId}:${direction === 'initiator' ? 'out' : 'in'}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Copy-on-write view of the book for one event. */
class Draft {
  readonly #base: PresenceBook;
  readonly #work = new Map<
    string,
    { tenantId: string; workplace: string; dialogs: Map<string, DialogView> }
  >();

  constructor(base: PresenceBook) {
    this.#base = base;
  }

  dialogs(tenantId: string, workplace: string): Map<string, DialogView> {
    const key = workplaceKey(tenantId, workplace);
    let w = this.#work.get(key);
    if (!w) {
      w = { tenantId, workplace, dialogs: new Map(this.#base.entries.get(key)?.dialogs ?? []) };
      this.#work.set(key, w);
    }
    return w.dialogs;
  }

  /** Every (workplace, dialog) of the tenant in call `callId`. */
  inCall(tenantId: string, callId: string): Array<{ workplace: string; dialog: DialogView }> {
    const out: Array<{ workplace: string; dialog: DialogView }> = [];
    const keys = new Set<string>();
    for (const [key, e] of this.#base.entries) if (e.tenantId === tenantId) keys.add(key);
    for (const [key, w] of this.#work) if (w.tenantId === tenantId) keys.add(key);
    for (const key of keys) {
      const w = this.#work.get(key) ?? this.#base.entries.get(key)!;
      for (const d of w.dialogs.values())
        if (d.callId === callId) out.push({ workplace: w.workplace, dialog: d });
    }
    return out;
  }

  /** Inserts or updates a dialog; the phase never goes backwards. */
  upsert(
    tenantId: string,
    workplace: string,
    e: { callId: string; at: number },
    direction: DialogDirection,
    phase: DialogPhase,
    local: Party,
    remote: Party,
  ): void {
    const dialogs = this.dialogs(tenantId, workplace);
    const id = dialogId(e.callId, direction);
    const old = dialogs.get(id);
    dialogs.set(id, {
      id,
      callId: e.callId,
      direction,
      phase: old && RANK[old.phase] > RANK[phase] ? old.phase : phase,
      local: keepDevice(old?.local, local),
      remote: keepDevice(old?.remote, remote),
      held: old?.held ?? false,
      since: old?.since ?? e.at,
    });
  }

  update(
    tenantId: string,
    workplace: string,
    id: string,
    f: (d: DialogView) => DialogView | undefined,
  ): void {
    const dialogs = this.dialogs(tenantId, workplace);
    const d = dialogs.get(id);
    if (!d) return;
    const next = f(d);
    if (next) dialogs.set(id, next);
    else dialogs.delete(id);
  }

  finish(): { state: PresenceBook; changed: PresenceChange[] } {
    const entries = new Map(this.#base.entries);
    const changed: PresenceChange[] = [];
    for (const [key, w] of this.#work) {
      const before = this.#base.entries.get(key)?.dialogs ?? new Map<string, DialogView>();
      const after = w.dialogs;
      const ended: DialogView[] = [];
      for (const [id, d] of before) if (!after.has(id)) ended.push({ ...d, phase: 'terminated' });
      let same = ended.length === 0 && before.size === after.size;
      if (same)
        for (const [id, d] of after) if (!before.has(id) || !sameDialog(before.get(id)!, d)) same = false;
      if (same) continue;
      if (after.size === 0) entries.delete(key);
      else entries.set(key, { tenantId: w.tenantId, workplace: w.workplace, dialogs: after });
      changed.push({
        tenantId: w.tenantId,
        workplace: w.workplace,
        status: aggregate(after.values()),
        dialogs: [...after.values(), ...ended],
      });
    }
    changed.sort((a, b) => compare(a.tenantId, b.tenantId) || compare(a.workplace, b.workplace));
    return { state: { entries }, changed };
  }
}

/**
 * Applies one call event. `changed` lists, sorted by tenant and workplace, each workplace whose dialogs changed in any way (phase, remote party, hold,
 * answering device), with its new aggregate status: a watcher NOTIFY per entry is right even when the status stayed.
 * Parties without a `workplace` (external numbers) are not tracked.
 */
export function applyCallEvent(
  state: PresenceBook,
  e: CallEvent,
): { state: PresenceBook; changed: PresenceChange[] } {
  const draft = new Draft(state);
  const t = e.tenantId;
  switch (e.type) {
    case 'call.offered': {
      if (e.caller.workplace)
        draft.upsert(
          t,
          e.caller.workplace,
          e,
          'initiator',
          'trying',
          party(e.caller, e.caller.device),
          party(e.callee),
        );
      break;
    }
    case 'call.ringing': {
      if (e.caller.workplace)
        draft.upsert(
          t,
          e.caller.workplace,
          e,
          'initiator',
          'early',
          party(e.caller, e.caller.device),
          party(e.callee),
        );
      if (e.callee.workplace)
        draft.upsert(t, e.callee.workplace, e, 'recipient', 'early', party(e.callee), party(e.caller));
      break;
    }
    case 'call.answered': {
      const device = e.device ?? e.callee.device;
      if (e.caller.workplace)
        draft.upsert(
          t,
          e.caller.workplace,
          e,
          'initiator',
          'confirmed',
          party(e.caller, e.caller.device),
          party(e.callee, device),
        );
      // Other workplaces that rang for this call (a group, a pickup) stop ringing: answered elsewhere.
      for (const x of draft.inCall(t, e.callId))
        if (
          x.dialog.direction === 'recipient' &&
          x.dialog.phase !== 'confirmed' &&
          x.workplace !== e.callee.workplace
        )
          draft.update(t, x.workplace, x.dialog.id, () => undefined);
      if (e.callee.workplace)
        draft.upsert(
          t,
          e.callee.workplace,
          e,
          'recipient',
          'confirmed',
          party(e.callee, device),
          party(e.caller),
        );
      break;
    }
    case 'call.held':
    case 'call.resumed': {
      const held = e.type === 'call.held';
      if (e.by.workplace)
        for (const x of draft.inCall(t, e.callId))
          if (x.workplace === e.by.workplace)
            draft.update(t, x.workplace, x.dialog.id, (d) => ({ ...d, held }));
      break;
    }
    case 'call.transferred': {
      // The transferor (`by`) leaves the call; `to` takes its place and role, connected; the transferee's remote
      // party becomes `to`.
      const dialogs = draft.inCall(t, e.callId);
      const byDialogs = dialogs.filter((x) => e.by.workplace !== undefined && x.workplace === e.by.workplace);
      const others = dialogs.filter((x) => !byDialogs.includes(x));
      const direction: DialogDirection =
        byDialogs[0]?.dialog.direction ??
        (others[0] ? (others[0].dialog.direction === 'initiator' ? 'recipient' : 'initiator') : 'recipient');
      const transferee =
        byDialogs.find((x) => x.dialog.direction === direction)?.dialog.remote ??
        others.find((x) => x.dialog.direction !== direction)?.dialog.local;
      for (const x of byDialogs)
        if (x.dialog.direction === direction) draft.update(t, x.workplace, x.dialog.id, () => undefined);
      for (const x of others)
        if (x.dialog.direction !== direction)
          draft.update(t, x.workplace, x.dialog.id, (d) => ({ ...d, remote: party(e.to, e.to.device) }));
      if (e.to.workplace && transferee)
        draft.upsert(t, e.to.workplace, e, direction, 'confirmed', party(e.to, e.to.device), transferee);
      break;
    }
    case 'call.ended': {
      for (const x of draft.inCall(t, e.callId)) draft.update(t, x.workplace, x.dialog.id, () => undefined);
      break;
    }
    case 'call.ring-ended': {
      // One party stopped ringing (its phase of a ring plan is over); the call goes on elsewhere.
      const w = e.party.workplace;
      if (w)
        draft.update(t, w, dialogId(e.callId, 'recipient'), (d) => (d.phase === 'confirmed' ? d : undefined));
      break;
    }
  }
  return draft.finish();
}
