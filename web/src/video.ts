/** Video boxes shared by the live page and the console: a <video> with a status note and a
 * click-to-unmute prompt, and a Feed that keeps one watched source playing in a box. */
import { errorText } from './api';
import { lacking } from './capabilities';
import { h } from './dom';
import { t } from './i18n';
import { stallGuard, watch, type Watching } from './media';
import { toast } from './ui';

export interface VideoBox {
  wrap: HTMLElement;
  video: HTMLVideoElement;
  note: HTMLElement;
  unmute: HTMLButtonElement;
  /** Try to play with sound (the program, the discussion); multiview tiles stay muted until asked. */
  sound: boolean;
}

export function videoBox(testid: string, sound = false): VideoBox {
  const video = h('video', { autoplay: true, playsinline: true, muted: true, 'data-testid': testid });
  video.muted = true;
  const note = h('p', { class: 'video-note', role: 'status' });
  const unmute = h('button', { type: 'button', class: 'unmute', 'data-testid': `${testid}-unmute` }, t('live.unmute'));
  unmute.onclick = () => {
    video.muted = false;
    video.play().then(() => (unmute.hidden = true)).catch(() => {
      video.muted = true;
      toast(t('live.unmute_failed'), 'error');
    });
  };
  return { wrap: h('div', { class: 'video-wrap' }, video, unmute, note), video, note, unmute, sound };
}

/** Show `stream` in the box. Browsers refuse autoplay with sound before a user gesture: then play muted
 * and leave the click-to-unmute prompt up instead of failing silently. */
export function show(box: VideoBox, stream: MediaStream): void {
  const video = box.video;
  video.srcObject = stream;
  video.dataset.live = '1';
  const muted = (): void => {
    video.muted = true;
    box.unmute.hidden = false;
    video.play().catch(() => undefined);
  };
  if (!box.sound && video.muted) return muted(); // a multiview tile: sound only when someone asks
  video.muted = false;
  // no prompt while play() is pending: a seat with its camera off may send no picture for a while, and
  // the promise waits for one although the sound already plays; a refusal brings the prompt back
  box.unmute.hidden = true;
  video.play().then(() => (box.unmute.hidden = true)).catch(() => {
    console.info(`autoplay with sound refused for ${video.dataset.testid}: playing muted, click to unmute`);
    muted();
  });
}

/** One watched source in a box: `start` (re)subscribes, a picture that never comes is subscribed again
 * (which asks the publisher for a keyframe), `stop` lets go. */
export class Feed {
  private watching: Watching | null = null;
  private seq = 0;
  private starting = false;
  private stopGuard: () => void = () => undefined;

  constructor(
    private roomId: string,
    readonly box: VideoBox,
  ) {}

  /** The source last started (null when stopped). */
  source: string | null = null;

  /** Watching or about to: no need to start again. */
  get active(): boolean {
    return this.watching !== null || this.starting;
  }

  async start(source: string): Promise<void> {
    const seq = ++this.seq;
    this.drop();
    this.source = source;
    if (lacking(['webrtc']).length) { // some in-app browsers: say so in the box rather than a bare error
      this.box.note.textContent = t('media.lacks_webrtc');
      return;
    }
    this.starting = true;
    this.box.note.textContent = t('live.connecting');
    try {
      const w = await watch(this.roomId, source);
      if (seq !== this.seq) return w.stop();
      this.watching = w;
      show(this.box, w.stream);
      this.box.note.textContent = '';
      this.stopGuard = stallGuard(this.box.video, () => {
        if (this.watching === w) void this.start(source);
      });
      w.pc.addEventListener('connectionstatechange', () => {
        if (w.pc.connectionState === 'failed') this.box.note.textContent = t('live.media_failed');
      });
    } catch (err) {
      if (seq === this.seq) this.box.note.textContent = `${t('live.no_video')}：${errorText(err)}`;
    } finally {
      if (seq === this.seq) this.starting = false;
    }
  }

  /** Let go of the source; `note` says why the box is empty. */
  stop(note = ''): void {
    ++this.seq;
    this.starting = false;
    this.source = null;
    this.drop();
    if (note) this.box.note.textContent = note;
  }

  private drop(): void {
    this.stopGuard();
    this.watching?.stop();
    this.watching = null;
  }
}
