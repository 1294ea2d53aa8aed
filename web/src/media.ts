/** WebRTC through the server's relay: publish a local stream, watch a source ("program", "preview",
 * "venue:<id>", "seat:<user>", "screen:<user>"). Offer/answer go over Socket.IO acks after ICE gathering (no trickle). */
import { api, Notice } from './api';
import { type Feature, inWeChat, lacking, type MediaBlock, mediaBlock } from './capabilities';
import { h } from './dom';
import { t } from './i18n';
import { call } from './realtime';
import { token } from './session';

interface IceInfo {
  ice_servers: { urls: string[]; username: string | null; credential: string | null }[];
  expires_at: number | null;
  https_url: string | null;
}

let ice: { info: IceInfo; refreshAt: number; token: string } | null = null;

/** The ICE servers the server gives this user (STUN, TURN with credentials minted for us). Kept until
 * half their lifetime is gone, so a peer connection never starts with credentials about to expire. */
async function iceInfo(): Promise<IceInfo> {
  const now = Date.now() / 1000;
  const who = token(); // credentials are per user: another sign-in on this tab fetches its own
  if (ice && ice.token === who && now < ice.refreshAt) return ice.info;
  try {
    const info = await api<IceInfo>('GET', '/api/media/ice');
    ice = { info, refreshAt: info.expires_at ? now + (info.expires_at - now) / 2 : now + 3600, token: who };
    return info;
  } catch {
    // a server without the route (or a blip): host candidates still work on an open network
    return { ice_servers: [], expires_at: null, https_url: null };
  }
}

async function peerConnection(): Promise<RTCPeerConnection> {
  const { ice_servers } = await iceInfo();
  const iceServers: RTCIceServer[] = ice_servers.map((s) =>
    s.username && s.credential ? { urls: s.urls, username: s.username, credential: s.credential } : { urls: s.urls });
  return new RTCPeerConnection({ iceServers });
}

/** Where this page works with camera and microphone: the server's HTTPS address, else this address
 * over https://. */
export async function secureAddress(): Promise<string> {
  const path = `${location.pathname}${location.search}`;
  const base = (await iceInfo()).https_url;
  return base ? `${base.replace(/\/$/, '')}${path}` : `https://${location.hostname}${path}`;
}

/** Why the camera/microphone cannot be used here, in the reader's language, with what to open instead: an
 * insecure address, or the features this browser lacks, each with what it stops (`wanted`: those the page
 * uses). */
export function mediaBlockText(block: MediaBlock, address: string, wanted?: Feature[]): string {
  if (block === 'insecure') return t('media.insecure', { url: address });
  const missing = lacking(wanted);
  if (!missing.length) return t('media.unsupported', { url: address });
  const browser = inWeChat() ? t('media.wechat') : t('media.this_browser');
  const features = missing.map((f) => t(`media.lacks_${f}`)).join(t('media.list_sep'));
  return t('media.lacking', { browser, features, url: address });
}

/** The notice a page shows while it cannot do all it offers here (an insecure address, a browser without
 * a feature in `wanted`), with the address to open instead as a link; null when nothing is missing. */
export function mediaNotice(wanted: Feature[]): HTMLElement | null {
  const needRecorder = wanted.includes('recorder');
  const block = (wanted.includes('camera') || needRecorder ? mediaBlock(needRecorder) : null)
    ?? (lacking(wanted).length ? 'unsupported' : null);
  if (!block) return null;
  const notice = h('div', { class: 'notice', role: 'note', 'data-testid': 'media-blocked' });
  void secureAddress().then((address) => {
    const [before, after = ''] = mediaBlockText(block, '\u0000', wanted).split('\u0000');
    notice.replaceChildren(
      h('p', {}, before, h('a', { href: address, 'data-testid': 'media-secure-link' }, address), after));
  });
  return notice;
}

/** getUserMedia, or a Notice that says why the browser will not give the camera/microphone here. */
export async function capture(constraints: MediaStreamConstraints, needRecorder = false): Promise<MediaStream> {
  const block = mediaBlock(needRecorder);
  if (block) throw new Notice(mediaBlockText(block, await secureAddress(), needRecorder ? ['camera', 'recorder'] : ['camera']));
  return navigator.mediaDevices.getUserMedia(constraints);
}

/** Whether this browser can share a screen: desktop browsers can; phones and most in-app browsers cannot. */
export function canShareScreen(): boolean {
  return window.isSecureContext && typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}

/** The screen or window the user picks (课件演示), with their microphone when there is one, so the talk goes
 * with the slides onto the program and into a recording. */
export async function captureScreen(): Promise<MediaStream> {
  if (!canShareScreen()) throw new Notice(t('screen.unsupported'));
  let display: MediaStream;
  try {
    display = await navigator.mediaDevices.getDisplayMedia({
      video: { width: { max: 1920 }, height: { max: 1080 }, frameRate: { ideal: 15, max: 30 } },
      audio: false,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'NotAllowedError') throw new Notice(t('screen.cancelled'));
    throw err;
  }
  const video = display.getVideoTracks();
  video.forEach((tr) => (tr.contentHint = 'detail')); // slides: keep them sharp, lower the frame rate first
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true }).catch(() => null);
  return new MediaStream([...video, ...(mic?.getAudioTracks() ?? [])]);
}

function gathered(pc: RTCPeerConnection, timeoutMs = 3000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = (): void => {
      if (pc.iceGatheringState === 'complete') done();
    };
    pc.addEventListener('icegatheringstatechange', check);
    setTimeout(done, timeoutMs);
  });
}

export interface Watching {
  pc: RTCPeerConnection;
  stream: MediaStream;
  id: string;
  stop: () => void;
}

export async function watch(roomId: string, source: string): Promise<Watching> {
  const pc = await peerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const stream = new MediaStream();
  pc.ontrack = (e) => stream.addTrack(e.track);
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  try {
    const res = await call<{ sdp: string; type: RTCSdpType; subscription_id: string }>('media:watch', {
      room_id: roomId,
      source,
      sdp: pc.localDescription!.sdp,
      type: pc.localDescription!.type,
    });
    await pc.setRemoteDescription({ sdp: res.sdp, type: res.type });
    const id = res.subscription_id;
    return {
      pc,
      stream,
      id,
      stop: () => {
        pc.close();
        call('media:unwatch', { room_id: roomId, subscription_id: id }).catch(() => undefined);
      },
    };
  } catch (err) {
    pc.close();
    throw err;
  }
}

export interface Publishing {
  pc: RTCPeerConnection;
  id: string;
  stop: () => void;
}

/** Send `track`; a venue's or seat's camera as temporally scalable VP8 (L1T3: 7.5, 15 and 30 fps layers)
 * where the browser can, so the server can give each viewer the frame rate its link carries (docs/media.md). */
function addSender(pc: RTCPeerConnection, track: MediaStreamTrack, stream: MediaStream, layered: boolean): void {
  const init: RTCRtpTransceiverInit = { direction: 'sendonly', streams: [stream] };
  if (layered) {
    try {
      pc.addTransceiver(track, { ...init, sendEncodings: [{ scalabilityMode: 'L1T3' } as RTCRtpEncodingParameters] });
      return;
    } catch {
      // a browser without temporal layers: one layer, every viewer gets the full frame rate
    }
  }
  pc.addTransceiver(track, init);
}

/** Publish `stream` for a venue (`{venue_id}`), a discussion seat (`{seat: true}`) or a shared screen
 * (`{screen: true}`: the source `screen:<user_id>`). */
export async function publish(
  roomId: string,
  stream: MediaStream,
  target: { venue_id: string } | { seat: true } | { screen: true },
): Promise<Publishing> {
  const pc = await peerConnection();
  const layered = !('screen' in target);
  for (const track of stream.getTracks()) addSender(pc, track, stream, layered && track.kind === 'video');
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  try {
    const res = await call<{ sdp: string; type: RTCSdpType; publication_id: string }>('media:publish', {
      room_id: roomId,
      ...target,
      sdp: pc.localDescription!.sdp,
      type: pc.localDescription!.type,
    });
    await pc.setRemoteDescription({ sdp: res.sdp, type: res.type });
    const id = res.publication_id;
    return {
      pc,
      id,
      stop: () => {
        pc.close();
        call('media:unpublish', { room_id: roomId, publication_id: id }).catch(() => undefined);
      },
    };
  } catch (err) {
    pc.close();
    throw err;
  }
}

/** Attach a stream to a <video>; muted autoplay always works, sound needs a click (see unmutePrompt). */
export function attach(video: HTMLVideoElement, stream: MediaStream): void {
  video.srcObject = stream;
  video.dataset.live = '1';
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true;
  video.play().catch(() => undefined);
}

/** Call `onStall` when `video` shows no picture `ms` after subscribing (e.g. the first keyframe never
 * came): the caller subscribes again, which asks the publisher for a fresh keyframe. */
export function stallGuard(video: HTMLVideoElement, onStall: () => void, ms = 6000): () => void {
  const timer = setTimeout(() => {
    if (video.videoWidth === 0) onStall();
  }, ms);
  return () => clearTimeout(timer);
}
