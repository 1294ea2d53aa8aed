/** REST calls under /api with the bearer token; errors become ApiError with the server's code. */
import { has, t } from './i18n';
import { token } from './session';

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    /** the error's `details` (e.g. `{slow_seconds, retry_after}`): placeholders of its text */
    public details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A problem found before any request, already worded for people (from the locale). */
export class Notice extends Error {}

/** A message for people, in their language: the text for the error code, else for the HTTP status. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    // the code's own text, else one for the HTTP status: never the server's English message
    const key = `error.${err.code}`;
    const byStatus = `error.status_${err.status}`;
    const vars = Object.fromEntries(Object.entries(err.details ?? {}).filter(([, v]) => typeof v === 'string' || typeof v === 'number')) as Record<string, string | number>;
    return has(key) ? t(key, vars) : has(byStatus) ? t(byStatus) : t('error.generic');
  }
  if (err instanceof Notice) return err.message;
  if (err instanceof TypeError) return t('error.network');
  // getUserMedia and friends: the camera or microphone is refused or missing
  if (err instanceof DOMException && (err.name === 'NotAllowedError' || err.name === 'NotFoundError')) return t('error.media_denied');
  return t('error.generic');
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  let payload: BodyInit | undefined;
  if (body instanceof Blob || body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const resp = await fetch(path, { method, headers, body: payload });
  const type = resp.headers.get('Content-Type') ?? '';
  const data: unknown = type.includes('application/json') ? await resp.json() : null;
  if (!resp.ok) {
    const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    const details = e?.details && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : {};
    throw new ApiError(resp.status, e?.code ?? `http_${resp.status}`, e?.message ?? resp.statusText, details);
  }
  return data as T;
}

const mediaPaths = new WeakMap<HTMLMediaElement, { path: string; retried: boolean }>();

/** Points a media element at a protected file: <audio>/<video> cannot send a header, so the URL carries a
 * short-lived token for that one path (`?t=`, from POST /api/url-token), never the session token. When it has
 * expired (the element reports an error), a new one is fetched and playback resumes where it was. */
export function attachMedia(el: HTMLMediaElement, path: string): void {
  const known = mediaPaths.has(el);
  const state = { path, retried: false };
  mediaPaths.set(el, state);
  const load = async (): Promise<void> => {
    const want = mediaPaths.get(el)?.path;
    if (want === undefined) return;
    const { token: t } = await api<{ token: string }>('POST', '/api/url-token', { path: want });
    if (mediaPaths.get(el)?.path === want) el.src = `${want}?t=${encodeURIComponent(t)}`;
  };
  if (!known) {
    el.addEventListener('loadedmetadata', () => { const s = mediaPaths.get(el); if (s) s.retried = false; });
    el.addEventListener('error', () => {
      const s = mediaPaths.get(el);
      if (!s || s.retried || !el.src) return;
      s.retried = true;
      const at = el.currentTime;
      const playing = !el.paused;
      void load().then(() => {
        el.currentTime = at;
        if (playing) void el.play();
      });
    });
  }
  void load();
}
/** Fetch a protected file (audio, export) with the token and return a blob. */
export async function fetchBlob(path: string): Promise<Blob> {
  const resp = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!resp.ok) {
    let code = `http_${resp.status}`;
    let message = resp.statusText;
    try {
      const e = ((await resp.json()) as { error: { code: string; message: string } }).error;
      code = e.code;
      message = e.message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(resp.status, code, message);
  }
  return resp.blob();
}

export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
