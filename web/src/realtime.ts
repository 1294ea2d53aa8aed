/** One Socket.IO connection per page load, authenticated with the token; acked calls as promises. */
import { io, type Socket } from 'socket.io-client';
import { ApiError } from './api';
import { token } from './session';

let sock: Socket | null = null;

export function socket(): Socket {
  if (!sock) {
    sock = io({ auth: { token: token() }, transports: ['websocket'], reconnectionDelayMax: 3000 });
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
    socket()
      .timeout(timeoutMs)
      .emit(event, payload, (err: Error | null, res: Ack) => {
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
