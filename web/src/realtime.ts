/** One Socket.IO connection per page load, authenticated with the token; acked calls as promises. */
import { io, type Socket } from 'socket.io-client';
import { ApiError, errorText } from './api';
import { token } from './session';
import { toast } from './ui';

let sock: Socket | null = null;
/** The calls waiting for an ack: a refused connection fails them at once instead of at their timeout. */
const waiting = new Set<(err: ApiError) => void>();
let toldAt = 0; // when a refusal was last shown: a page's several calls retry together, one toast says it

export function socket(): Socket {
  if (!sock) {
    const s = io({ auth: { token: token() }, transports: ['websocket'], reconnectionDelayMax: 3000 });
    s.on('connect_error', (err: Error & { data?: { code?: string; message?: string } }) => {
      // A network failure: socket.io tries again by itself. A refusal by the server (its error carries a
      // code: a session that expired, too many connections) it does not retry: say why.
      if (s.active || !err.data?.code) return;
      const refused = new ApiError(0, err.data.code, err.data.message ?? '');
      if (Date.now() - toldAt > 5000) toast(errorText(refused), 'error');
      toldAt = Date.now();
      s.sendBuffer = []; // what those calls emitted is not sent later behind their failure
      for (const fail of waiting) fail(refused);
      waiting.clear();
    });
    sock = s;
  }
  return sock;
}

// When the browser knows it is offline, reconnect attempts can only fail (each one a console error):
// wait for it to be back online instead. Pages re-join their room on `connect` (LiveRoom).
window.addEventListener('offline', () => sock?.disconnect());
window.addEventListener('online', () => sock?.connect());

export function disconnectSocket(): void {
  sock?.disconnect();
  sock = null;
}

interface Ack {
  ok: boolean;
  error?: { code: string; message: string; details?: unknown };
  [key: string]: unknown;
}

/** Emit an event and wait for its ack; `{ok: false}` becomes an ApiError with the server's code. */
export function call<T = Record<string, unknown>>(event: string, payload: unknown, timeoutMs = 15000): Promise<T> {
  return new Promise((resolve, reject) => {
    const s = socket();
    // after a refusal the socket stays down: a new call (a "try again" button) asks once more
    if (!s.active && navigator.onLine) s.connect();
    waiting.add(reject);
    s.timeout(timeoutMs)
      .emit(event, payload, (err: Error | null, res: Ack) => {
        waiting.delete(reject);
        if (err) reject(new ApiError(0, 'timeout', err.message));
        else if (!res || !res.ok) {
          const details = res?.error?.details;
          reject(new ApiError(0, res?.error?.code ?? 'error', res?.error?.message ?? '',
            details && typeof details === 'object' ? (details as Record<string, unknown>) : {}));
        }
        else resolve(res as unknown as T);
      });
  });
}

/** Subscribe to a server event; returns the unsubscribe function. */
export function on<T = Record<string, unknown>>(event: string, fn: (data: T) => void): () => void {
  const s = socket();
  s.on(event, fn);
  return () => {
    s.off(event, fn);
  };
}
