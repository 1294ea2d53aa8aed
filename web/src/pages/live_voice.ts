/** The voice-note button: MediaRecorder → upload → the server posts it to the chat. With a mouse or the
 * keyboard it toggles (click to start, click to stop and send); on a touch screen it records while held
 * (pointerdown … pointerup), as phone messengers do, and a release before the recording began sends nothing. */
import { api } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { capture } from '../media';
import { busy, toast, uid } from '../ui';

const VOICE_TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4'];
const MIN_HOLD_MS = 600; // a tap, not a hold: nothing worth sending

export interface VoiceButton {
  button: HTMLButtonElement;
  stop: () => void;
}

export function voiceButton(roomId: string, status: HTMLElement): VoiceButton {
  const coarse = window.matchMedia?.('(pointer: coarse)').matches ?? false;
  const idle = (): string => (coarse ? t('voice.hold') : t('voice.record'));
  const rec = h('button', { type: 'button', id: 'voice-record', class: 'voice-record', 'aria-pressed': 'false' }, idle());
  let recorder: MediaRecorder | null = null;
  let starting = false;
  let holding = false; // a touch is pressing the button now
  let touched = false; // the last press was a touch: its click is not a toggle
  let held = false; // the recording under way (or starting) records while a touch holds the button
  let discard = false;
  let began = 0;
  let ticker: number | undefined;

  const label = (): void => {
    const s = Math.floor((Date.now() - began) / 1000);
    rec.dataset.seconds = String(s);
    const clock = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    rec.textContent = `${held ? t('voice.release') : t('voice.stop')} ${clock}`;
  };

  const start = (hold: boolean): void => {
    if (recorder || starting) return;
    starting = true;
    held = hold;
    void busy(null, async () => {
      try {
        const stream = await capture({ audio: true }, true);
        if (held && !holding) { // released while the microphone was being opened: a tap, not a hold
          stream.getTracks().forEach((tr) => tr.stop());
          status.textContent = t('voice.hold_hint');
          return;
        }
        const chunks: Blob[] = [];
        // Ask for a container the server accepts; Firefox otherwise reports an empty mimeType for Ogg.
        const mimeType = VOICE_TYPES.find((ty) => MediaRecorder.isTypeSupported(ty));
        const r = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
        recorder = r;
        discard = false;
        r.ondataavailable = (e) => e.data.size && chunks.push(e.data);
        r.onstop = () => {
          stream.getTracks().forEach((tr) => tr.stop());
          window.clearInterval(ticker);
          recorder = null;
          rec.textContent = idle();
          rec.setAttribute('aria-pressed', 'false');
          delete rec.dataset.seconds;
          if (discard) return;
          const clientId = uid();
          void busy(rec, async () => {
            // The server opens a clip only as the container its type names (no probing): name the real one.
            const type = r.mimeType || (await sniffAudioType(new Blob(chunks)));
            await api('POST', `/api/rooms/${roomId}/voice?client_id=${clientId}`, new Blob(chunks, { type }));
            toast(t('voice.sent'));
          }, status);
        };
        r.start();
        began = Date.now();
        rec.setAttribute('aria-pressed', 'true');
        label();
        ticker = window.setInterval(label, 250);
      } finally {
        starting = false;
      }
    }, status);
  };

  const stop = (): void => {
    if (!recorder) return;
    discard = held && Date.now() - began < MIN_HOLD_MS;
    if (discard) status.textContent = t('voice.hold_hint');
    recorder.stop();
  };

  rec.addEventListener('pointerdown', (e) => {
    touched = e.pointerType === 'touch' || e.pointerType === 'pen';
    if (!touched) return;
    e.preventDefault(); // no text selection or callout menu while held
    holding = true;
    try {
      rec.setPointerCapture(e.pointerId); // the release counts even if the finger slides off
    } catch {
      /* no such active pointer (a synthetic event) */
    }
    start(true);
  });
  const release = (e: PointerEvent): void => {
    if (!touched || e.pointerType === 'mouse') return;
    holding = false;
    stop();
  };
  rec.addEventListener('pointerup', release);
  rec.addEventListener('pointercancel', release);
  rec.addEventListener('contextmenu', (e) => e.preventDefault());
  rec.addEventListener('click', () => {
    if (touched) { // the click that follows a touch's release: the hold already did the work
      touched = false;
      return;
    }
    if (recorder) stop();
    else start(false);
  });
  return { button: rec, stop: () => recorder?.stop() };
}

/** The container of a recorded clip from its first bytes (Ogg, WebM/Matroska, MP4), for a recorder that
 * did not say. */
async function sniffAudioType(blob: Blob): Promise<string> {
  const head = new Uint8Array(await blob.slice(0, 12).arrayBuffer());
  const text = String.fromCharCode(...head);
  if (text.startsWith('OggS')) return 'audio/ogg';
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'audio/webm';
  if (text.slice(4, 8) === 'ftyp') return 'audio/mp4';
  return 'audio/webm';
}
