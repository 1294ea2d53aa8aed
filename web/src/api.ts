/** REST calls under /api with the bearer token; errors become ApiError with the server's code. */
import { has, t } from './i18n';
import { token } from './session';

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
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
    return has(key) ? t(key) : has(byStatus) ? t(byStatus) : t('error.generic');
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
    const e = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(resp.status, e?.code ?? `http_${resp.status}`, e?.message ?? resp.statusText);
  }
  return data as T;
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
