/** Observation notes written while the connection is down: kept in localStorage and sent on reconnect.
 *
 * Each note carries its `client_id` from the moment it is written, and the server answers a repeated
 * `note:add` with the stored note, so sending one twice (a reply lost with the connection) never makes a
 * duplicate. A note leaves the outbox only when the server has acknowledged it, or refused it for good
 * (then `onRejected` tells the page why). */
import { ApiError } from './api';
import { call, on, socket } from './realtime';

export interface PendingNote {
  room_id: string;
  client_id: string;
  text: string;
  kind?: string;
  segment_id?: string;
  shared?: boolean;
  at: number;
  client_now?: number;
}

// answers that mean "retry later"; anything else from the server is final. `flood`: a long offline queue sent
// back to back meets the per-connection and per-user event limits, and must wait, not be dropped.
const TRANSIENT = new Set(['timeout', 'error', 'internal', 'rate_limited', 'flood', 'unavailable', 'shutting_down']);

export class NoteOutbox {
  private sending = false;
  private offs: (() => void)[] = [];
  private timer: number | undefined;
  onChange: (pending: PendingNote[]) => void = () => undefined;
  onSent: (clientId: string) => void = () => undefined;
  onRejected: (note: PendingNote, err: ApiError) => void = () => undefined;

  constructor(private roomId: string) {
    const flush = (): void => void this.flush();
    this.offs.push(on('connect', flush));
    window.addEventListener('online', flush);
    this.offs.push(() => window.removeEventListener('online', flush));
    this.timer = window.setInterval(flush, 10000);
  }

  private get key(): string {
    return `moke.notes.outbox.${this.roomId}`;
  }

  pending(): PendingNote[] {
    try {
      const raw = JSON.parse(localStorage.getItem(this.key) ?? '[]') as unknown;
      return Array.isArray(raw) ? (raw as PendingNote[]) : [];
    } catch {
      return [];
    }
  }

  private save(notes: PendingNote[]): void {
    if (notes.length) localStorage.setItem(this.key, JSON.stringify(notes));
    else localStorage.removeItem(this.key);
    this.onChange(notes);
  }

  /** Keep the note first (so a closed tab loses nothing), then try to send everything pending. */
  add(note: PendingNote): Promise<void> {
    this.save([...this.pending(), note]);
    return this.flush();
  }

  async flush(): Promise<void> {
    if (this.sending || !socket().connected || !navigator.onLine) return;
    this.sending = true;
    try {
      for (const note of this.pending()) {
        let accepted = true;
        try {
          await call('note:add', note);
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError(0, 'error', String(err));
          if (TRANSIENT.has(e.code)) return; // still offline or busy: keep it for the next try
          accepted = false;
          this.onRejected(note, e);
        }
        this.save(this.pending().filter((n) => n.client_id !== note.client_id));
        if (accepted) this.onSent(note.client_id);
      }
    } finally {
      this.sending = false;
    }
  }

  close(): void {
    for (const off of this.offs) off();
    window.clearInterval(this.timer);
  }
}
