/** The live state of a joined room (Socket.IO `room:join`), kept current from server events. */
import { t } from './i18n';
import { call, on } from './realtime';
import { navigate } from './router';
import type { AgendaSegment, Room, Venue } from './rooms';
import { getSession } from './session';
import { errorBox, loading, toast } from './ui';

export interface Person {
  user_id: number;
  display_name?: string;
  name?: string;
  school?: string;
  role?: string;
  venue_id?: string | null;
  mic?: boolean;
  camera?: boolean;
  hand?: boolean;
  seat?: boolean;
}

export interface ChatMessage {
  id: number;
  user_id?: number;
  author_name?: string;
  display_name?: string;
  text?: string;
  created_at?: number;
  client_id?: string;
  kind?: string;
  voice_id?: string | null;
  voice_duration?: number | null;
  deleted?: boolean;
}

export interface ProgramState {
  program: string | null;
  preview?: string | null;
  fallback?: string | null;
  agenda_index?: number | null;
  epoch: number;
  slate?: boolean | string | null;
  on_air?: string;
  lost?: string | null;
}

/** The room's chat mode: slow mode (one message per person per `slow_seconds`, 0 = off), moderator-only. */
export interface ChatMode {
  slow_seconds: number;
  moderated: boolean;
}

export interface Floor {
  seats: (number | Person)[];
  hands: (number | Person)[];
  limit: number;
}

export interface JoinState {
  room: Room;
  me: Person & { role: string };
  members: Person[];
  online: Person[];
  /** the number of the presence reading `online` came from; deltas with a higher `rev` are newer */
  presence_rev: number;
  venues: Venue[];
  agenda: AgendaSegment[];
  program: ProgramState | null;
  chat: ChatMessage[];
  /** from the join answer's `chat.mode`, then `chat:mode` events */
  chatMode: ChatMode;
  floor: Floor | null;
}

const NO_MODE: ChatMode = { slow_seconds: 0, moderated: false };

/** The join answer's chat part, `{messages, more, mode}`, as the messages and the mode. */
function chatOf(raw: unknown): { chat: ChatMessage[]; chatMode: ChatMode } {
  if (Array.isArray(raw)) return { chat: raw as ChatMessage[], chatMode: NO_MODE };
  const c = (raw ?? {}) as { messages?: ChatMessage[]; mode?: ChatMode };
  return { chat: c.messages ?? [], chatMode: c.mode ?? NO_MODE };
}

export function personName(p: Person | undefined | null): string {
  return p ? (p.display_name ?? p.name ?? String(p.user_id)) : '';
}

export function userIdOf(x: number | Person): number {
  return typeof x === 'number' ? x : x.user_id;
}

/** Sources may be plain strings or objects with a `source`/`id` field. */
export function sourceIds(sources: unknown[]): string[] {
  return sources.map((s) => (typeof s === 'string' ? s : String((s as Record<string, unknown>).source ?? (s as Record<string, unknown>).id)));
}

export type Listener = () => void;

/** `presence:delta`: the lines of users who joined or changed, and the users who left, since the last one. */
export interface PresenceDelta {
  room_id: string;
  rev: number;
  changed: Person[];
  left: number[];
}

export class LiveRoom {
  state!: JoinState;
  sources: string[] = [];
  private offs: (() => void)[] = [];
  private listeners = new Map<string, Set<(data: unknown) => void>>();
  /** user id -> rev of the delta its line (or its leaving) came from */
  private presenceRevs = new Map<number, number>();

  constructor(public roomId: string) {}

  /** `room:join`, keeping the deltas that arrive before its reply (they may be newer than its list). */
  private async joinCall(): Promise<{ state: JoinState; early: PresenceDelta[] }> {
    const early: PresenceDelta[] = [];
    const offEarly = on<PresenceDelta>('presence:delta', (d) => {
      if (d.room_id === this.roomId) early.push(d);
    });
    try {
      const res = await call<{ state: JoinState }>('room:join', { room_id: this.roomId });
      return { state: res.state, early };
    } finally {
      offEarly();
    }
  }

  async join(): Promise<JoinState> {
    const res = await this.joinCall();
    this.state = res.state;
    // the chat tail arrives as {messages, more, mode}
    Object.assign(this.state, chatOf(this.state.chat));
    this.state.online ??= [];
    this.state.members ??= [];
    this.state.venues ??= [];
    this.state.agenda ??= [];
    const mine = (d: { room_id?: string }): boolean => !d.room_id || d.room_id === this.roomId;
    for (const d of res.early) this.applyPresence(d);
    this.offs.push(
      // a new connection (after a network loss) has left the room: join again and catch up
      on('connect', () => void this.rejoin()),
      on<PresenceDelta>('presence:delta', (d) => {
        if (!mine(d)) return;
        this.applyPresence(d);
        this.emit('presence', d);
      }),
      on<ChatMessage & { room_id: string }>('chat:message', (d) => {
        if (!mine(d)) return;
        const msg = (d as unknown as { message?: ChatMessage }).message ?? d;
        if (!this.state.chat.some((m) => m.id === msg.id)) this.state.chat.push(msg);
        this.emit('chat', msg);
      }),
      on<{ room_id: string; message_id: number }>('chat:deleted', (d) => {
        if (!mine(d)) return;
        // everyone keeps the message's place in the conversation, shown as deleted
        this.state.chat = this.state.chat.map((m) =>
          m.id === d.message_id ? { ...m, text: '', voice_id: null, voice_duration: null, deleted: true } : m,
        );
        this.emit('chat', d);
      }),
      on<ChatMode & { room_id: string }>('chat:mode', (d) => {
        if (!mine(d)) return;
        this.state.chatMode = { slow_seconds: d.slow_seconds, moderated: d.moderated };
        this.emit('chatmode', d);
      }),
      on<{ room_id?: string; member: Person & { role: string } }>('member:updated', (d) => {
        if (!mine(d)) return;
        const m = d.member;
        this.state.members = [...this.state.members.filter((x) => x.user_id !== m.user_id), m];
        if (m.user_id === this.state.me.user_id) this.state.me = { ...this.state.me, role: m.role };
        this.emit('member', m);
      }),
      on<Floor & { room_id: string }>('floor', (d) => {
        if (!mine(d)) return;
        this.state.floor = d;
        this.emit('floor', d);
      }),
      on<ProgramState & { room_id: string }>('venue:state', (d) => {
        if (!mine(d)) return;
        this.state.program = d;
        this.emit('program', d);
      }),
      on<{ room_id: string; sources: unknown[] }>('media:sources', (d) => {
        if (!mine(d)) return;
        this.sources = sourceIds(d.sources);
        this.emit('sources', d);
      }),
      // the server took this user out (they left the studio the room belongs to): leave the page
      on<{ room_id: string }>('room:removed', (d) => {
        if (!mine(d)) return;
        toast(t('room.removed'), 'error');
        navigate('/', true);
      }),
      on<{ source: string }>('media:ended', (d) => this.emit('ended', d)),
      on<{ room_id: string; kind: string; venue_id: string; message: string }>('venue:alert', (d) => {
        if (mine(d)) this.emit('alert', d);
      }),
    );
    // the sources live right now (later changes arrive as media:sources events)
    call<{ sources: unknown[] }>('media:sources', { room_id: this.roomId })
      .then((r) => {
        this.sources = sourceIds(r.sources);
        this.emit('sources', r);
      })
      .catch(() => undefined);
    return this.state;
  }

  /** Apply a delta: a user's line changes only for a newer `rev` than the one it came from. */
  private applyPresence(d: PresenceDelta): void {
    const base = this.state.presence_rev ?? 0;
    const newer = (uid: number): boolean => {
      if (d.rev <= (this.presenceRevs.get(uid) ?? base)) return false;
      this.presenceRevs.set(uid, d.rev);
      return true;
    };
    const byId = new Map(this.state.online.map((p) => [p.user_id, p]));
    for (const p of d.changed) if (newer(p.user_id)) byId.set(p.user_id, p);
    for (const uid of d.left) if (newer(uid)) byId.delete(uid);
    this.state.online = [...byId.values()].sort((a, b) => a.user_id - b.user_id);
  }

  private async rejoin(): Promise<void> {
    try {
      const res = await this.joinCall();
      Object.assign(this.state, res.state, chatOf(res.state.chat), { online: res.state.online ?? [] });
      this.presenceRevs.clear(); // the new list is the base again
      for (const d of res.early) this.applyPresence(d);
      for (const kind of ['presence', 'chat', 'chatmode', 'floor', 'program', 'member']) this.emit(kind, null);
    } catch {
      /* the next reconnect tries again */
    }
  }

  on(kind: string, fn: (data: unknown) => void): void {
    if (!this.listeners.has(kind)) this.listeners.set(kind, new Set());
    this.listeners.get(kind)!.add(fn);
  }

  private emit(kind: string, data: unknown): void {
    for (const fn of this.listeners.get(kind) ?? []) fn(data);
  }

  venue(id: string | null | undefined): Venue | undefined {
    return this.state.venues.find((v) => v.id === id);
  }

  leave(): void {
    for (const off of this.offs) off();
    this.offs = [];
    this.listeners.clear();
    call('room:leave', { room_id: this.roomId }).catch(() => undefined);
  }
}

/** Join the room for a page (live, console): sends visitors to log in; on failure renders the error with
 * a retry into `root` and returns null. */
export async function enterRoom(root: HTMLElement, roomId: string): Promise<LiveRoom | null> {
  if (!getSession()) {
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
    return null;
  }
  const live = new LiveRoom(roomId);
  root.append(loading());
  try {
    await live.join();
    return live;
  } catch (err) {
    live.leave();
    root.replaceChildren(errorBox(err, () => navigate(location.pathname, true)));
    return null;
  }
}
