/** Screen sharing (课件演示) on the live page: the share button for hosts, presenters and seat holders
 * (the screen or window with the sharer's microphone, published as `screen:<user_id>`), and the stage
 * layout: while someone shares, their screen is large and the speaker's camera small in its corner. */
import { h } from '../dom';
import { t } from '../i18n';
import { canShareScreen, captureScreen, publish, type Publishing } from '../media';
import { type LiveRoom, personName, userIdOf } from '../roomstate';
import { busy } from '../ui';
import { Feed, videoBox } from '../video';

const PREFIX = 'screen:';

export function isScreen(source: string | null | undefined): boolean {
  return !!source && source.startsWith(PREFIX);
}

/** "张老师" for `screen:<user_id>` (a program target or a source). */
export function sharerName(live: LiveRoom, source: string): string {
  const id = Number(source.slice(PREFIX.length));
  const who = live.state.online.find((p) => p.user_id === id) ?? live.state.members.find((p) => p.user_id === id);
  return personName(who) || String(id);
}

/** Who may share now as the server decides it (media.publish_screen): this only hides a button it would refuse. */
function mayShare(live: LiveRoom, me: number): boolean {
  if (['host', 'presenter', 'moderator'].includes(live.state.me.role)) return true;
  return (live.state.floor?.seats ?? []).some((x) => userIdOf(x) === me);
}

export interface ScreenShare {
  /** the share button and its status (for those who may share) */
  controls: HTMLElement;
  /** the caption over the stage: whose screen is shown */
  caption: HTMLElement;
  /** the source the main (then small) box should show while a screen is large: the speaker's camera */
  camera: () => string | null;
  stop: () => void;
}

/** Put the screen box into `frame` (the stage's box holding `main`) and keep it in step with the room. */
export function screenShare(roomId: string, live: LiveRoom, me: number, main: Feed, frame: HTMLElement): ScreenShare {
  const stops: (() => void)[] = [];

  // --- sharing my screen ------------------------------------------------------------------------
  const status = h('p', { class: 'status', 'data-testid': 'screen-status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'share-screen', 'aria-pressed': 'false' }, t('screen.share'));
  let pub: Publishing | null = null;
  let stream: MediaStream | null = null;
  const end = (note: string): void => {
    pub?.stop();
    pub = null;
    stream?.getTracks().forEach((tr) => tr.stop());
    stream = null;
    button.textContent = t('screen.share');
    button.setAttribute('aria-pressed', 'false');
    status.textContent = note;
    status.dataset.state = '';
    drawControls();
  };
  button.onclick = () => void busy(button, async () => {
    if (pub) return end(t('screen.stopped'));
    const display = await captureScreen();
    // the browser's own "stop sharing" bar ends the share too
    display.getVideoTracks()[0]?.addEventListener('ended', () => pub && end(t('screen.stopped')));
    stream = display;
    try {
      pub = await publish(roomId, display, { screen: true });
    } catch (err) {
      end('');
      throw err;
    }
    button.textContent = t('screen.stop');
    button.setAttribute('aria-pressed', 'true');
    status.textContent = t('screen.sharing');
    status.dataset.state = 'live';
  }, status);
  live.on('ended', (d) => {
    const e = d as { source: string; reason: string };
    if (pub && e.source === `${PREFIX}${me}`) end(e.reason === 'seat revoked' ? t('screen.ended_seat') : t('screen.ended'));
  });
  stops.push(() => pub && end(''));

  const hint = h('p', { class: 'muted small', 'data-testid': 'screen-hint' });
  const controls = h('div', { class: 'screen-controls' }, h('div', { class: 'row' }, button, hint), status);
  function drawControls(): void {
    const allowed = mayShare(live, me);
    const supported = canShareScreen();
    button.hidden = !pub && !(allowed && supported);
    hint.textContent = pub ? '' : !supported ? t('screen.unsupported') : allowed ? '' : t('screen.needs_seat');
    hint.hidden = !hint.textContent;
  }
  live.on('floor', drawControls);
  live.on('member', drawControls);
  drawControls();

  // --- someone's screen, large --------------------------------------------------------------------
  const screen = new Feed(roomId, videoBox('screen-video', true));
  screen.box.wrap.classList.add('screen-wrap');
  screen.box.wrap.hidden = true;
  frame.prepend(screen.box.wrap);
  const caption = h('p', { class: 'screen-label', 'data-testid': 'screen-label', hidden: true });
  /** The screen to show: someone else's (my own would mirror itself), the last to start when several share. */
  const shown = (): string | null => live.sources.filter((s) => isScreen(s) && s !== `${PREFIX}${me}`).at(-1) ?? null;
  const draw = (): void => {
    const source = shown();
    if (source !== screen.source) {
      if (source) void screen.start(source);
      else screen.stop();
    }
    const on = source !== null;
    if (on !== frame.classList.contains('with-screen')) {
      // one sound at a time: the screen carries the speaker's voice, the small camera stays silent
      main.box.sound = !on;
      if (on) main.box.video.muted = true;
      else if (!screen.box.video.muted) main.box.video.muted = false;
      main.box.unmute.hidden = on || !main.box.video.muted;
    }
    frame.classList.toggle('with-screen', on);
    main.box.wrap.classList.toggle('pip', on);
    main.box.wrap.setAttribute('aria-label', on ? t('screen.camera') : '');
    screen.box.wrap.hidden = !on;
    caption.hidden = !on;
    caption.textContent = source ? t('screen.label', { name: sharerName(live, source) }) : '';
  };
  live.on('sources', draw);
  live.on('presence', draw);
  live.on('ended', (d) => {
    if ((d as { source: string }).source === screen.source) screen.stop(t('screen.ended'));
  });
  draw();
  stops.push(() => screen.stop());

  /** The speaker's own camera: their seat, else the venue they present at, when it is live. */
  const camera = (): string | null => {
    const source = shown();
    if (!source) return null;
    const id = Number(source.slice(PREFIX.length));
    const person = live.state.online.find((p) => p.user_id === id);
    const candidates = [
      `seat:${id}`,
      ...live.state.venues.filter((v) => v.presenter_id === id || v.id === person?.venue_id).map((v) => `venue:${v.id}`),
    ];
    return candidates.find((c) => live.sources.includes(c)) ?? null;
  };

  return { controls, caption, camera, stop: () => stops.forEach((s) => s()) };
}
