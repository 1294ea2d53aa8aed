/** Which server features exist, from the OpenAPI document: pages hide what this server does not offer
 * (e.g. a deployment without the documents API) instead of failing requests. */
let paths: Promise<Set<string>> | null = null;

export function serverPaths(): Promise<Set<string>> {
  paths ??= fetch('/api/openapi.json')
    .then((r) => (r.ok ? r.json() : { paths: {} }))
    .then((doc: { paths?: Record<string, unknown> }) => new Set(Object.keys(doc.paths ?? {})))
    .catch(() => new Set<string>());
  return paths;
}

export async function serverHas(path: string): Promise<boolean> {
  return (await serverPaths()).has(path);
}

/** Why this page cannot use the camera and microphone, or null when it can. Browsers expose
 * `navigator.mediaDevices` only in a secure context (HTTPS, or localhost); some in-app browsers lack it
 * or MediaRecorder even over HTTPS. */
export type MediaBlock = 'insecure' | 'unsupported';

export function mediaBlock(needRecorder = false): MediaBlock | null {
  if (!window.isSecureContext) return 'insecure';
  if (typeof navigator.mediaDevices?.getUserMedia !== 'function') return 'unsupported';
  if (needRecorder && typeof window.MediaRecorder !== 'function') return 'unsupported';
  return null;
}
