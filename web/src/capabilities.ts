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
 * `navigator.mediaDevices` only in a secure context (HTTPS, or localhost); some in-app browsers (WeChat's
 * among them) lack it or MediaRecorder even over HTTPS. */
export type MediaBlock = 'insecure' | 'unsupported';

export function mediaBlock(needRecorder = false): MediaBlock | null {
  if (!window.isSecureContext) return 'insecure';
  if (typeof navigator.mediaDevices?.getUserMedia !== 'function') return 'unsupported';
  if (needRecorder && typeof window.MediaRecorder !== 'function') return 'unsupported';
  return null;
}

/** A browser feature Moke uses: the camera and microphone, recording (voice notes), WebRTC (live video). */
export type Feature = 'camera' | 'recorder' | 'webrtc';

/** Which of `wanted` this browser lacks. No browser is turned away (WeChat's built-in one included): a page
 * names what it lacks and what that means, and everything else works. */
export function lacking(wanted: Feature[] = ['camera', 'recorder', 'webrtc']): Feature[] {
  const has: Record<Feature, () => boolean> = {
    camera: () => typeof navigator.mediaDevices?.getUserMedia === 'function',
    recorder: () => typeof window.MediaRecorder === 'function',
    webrtc: () => typeof window.RTCPeerConnection === 'function',
  };
  return wanted.filter((f) => !has[f]());
}

/** WeChat's built-in browser (its user agent says MicroMessenger). */
export function inWeChat(): boolean {
  return /MicroMessenger/i.test(navigator.userAgent);
}
