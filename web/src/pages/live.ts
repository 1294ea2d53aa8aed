/** Live page: the program (or a chosen venue's feed) with the main-venue label, presence, chat with
 * history and voice notes, raise hand; seat holders get mic/camera and the discussion grid; presenters
 * can publish their venue's camera. Lazy-loaded. */
import { lacking } from '../capabilities';
import { h } from '../dom';
import { roleName, t } from '../i18n';
import { attach, capture, mediaNotice as noticeFor, publish, type Publishing } from '../media';
import { call } from '../realtime';
import { enterRoom } from '../roomstate';
import { presencePanel } from './live_crowd';
import { canManage, venueLabel } from '../rooms';
import { getSession } from '../session';
import { busy } from '../ui';
import { Feed, videoBox } from '../video';
import { chatPanel } from './live_chat';
import { floorPanel } from './live_floor';
import { isScreen, screenShare, sharerName } from './live_screen';

export async function livePage(root: HTMLElement, params: Record<string, string>): Promise<() => void> {
  const roomId = params.roomId;
  const joined = await enterRoom(root, roomId);
  if (!joined) return () => undefined;
  const live = joined;
  const me = getSession()!.user;
  const st = live.state;
  const myRole = st.me.role;
  const stops: (() => void)[] = [];

  // --- program / venue video -------------------------------------------------------------------
  const label = h('div', { class: 'program-label', 'data-testid': 'program-label', 'aria-live': 'polite' });
  const main = new Feed(roomId, videoBox('program-video', true));
  const sourceSel = h('select', { 'aria-label': t('live.source'), id: 'source-select' },
    h('option', { value: 'program' }, t('live.program')),
    st.venues.map((v) => h('option', { value: `venue:${v.id}` }, t('live.venue_feed', { name: venueLabel(v) }))));
  // while someone shares a screen it is large and `main` is small, showing the speaker's camera if live
  const stageMedia = h('div', { class: 'stage-media' }, main.box.wrap);
  const screen = screenShare(roomId, live, me.id, main, stageMedia);
  stops.push(screen.stop);
  const wanted = (): string => screen.camera() ?? sourceSel.value;
  sourceSel.onchange = () => void main.start(wanted());
  const drawLabel = (): void => {
    const p = live.state.program;
    const v = live.venue(p?.program);
    const shared = p?.program && isScreen(p.program) ? t('screen.target', { name: sharerName(live, p.program) }) : null;
    label.textContent = v ? t('live.main_venue', { name: v.name }) : shared ? t('live.main_venue', { name: shared }) : t('live.main_venue_none');
    label.dataset.venueId = v?.id ?? p?.program ?? '';
  };
  live.on('program', drawLabel);
  live.on('sources', () => {
    const want = wanted();
    if ((!main.active || main.source !== want) && live.sources.includes(want)) void main.start(want);
  });
  live.on('ended', (d) => {
    if ((d as { source: string }).source === main.source) main.stop(t('live.no_video'));
  });
  drawLabel();
  main.box.note.textContent = lacking(['webrtc']).length ? t('media.lacks_webrtc') : t('live.waiting');
  stops.push(() => main.stop());

  // --- no camera/microphone here (plain HTTP, or a browser without them): say why, and where to go;
  // a browser lacking a feature (WeChat's often lacks recording) is told which, and the rest works
  const mediaNotice = noticeFor(['camera', 'recorder', 'webrtc']);

  // --- presence: a list, or counts per school in a crowd (live_crowd.ts) ----------------------------
  const presence = presencePanel(live);

  // --- chat, raise hand, seats (shared with the preparation screen's call panel) ----------------
  const chat = chatPanel(live, roomId);
  stops.push(chat.stop);
  const floor = floorPanel(live, roomId);
  stops.push(floor.stop);

  // --- venue publishing (presenters at their venue, hosts) --------------------------------------
  const mayPublishVenue = myRole === 'presenter' || myRole === 'host';
  let venuePub: Publishing | null = null;
  let venueStream: MediaStream | null = null;
  const venueSel = h('select', { 'aria-label': t('live.my_venue'), id: 'venue-select' },
    st.venues.map((v) => h('option', { value: v.id, selected: v.presenter_id === me.id }, venueLabel(v))));
  const preview = h('video', { autoplay: true, playsinline: true, muted: true, class: 'self-view', 'data-testid': 'venue-self' });
  const pubStatus = h('p', { class: 'status', 'data-testid': 'publish-status' });
  const pubBtn = h('button', { type: 'button', class: 'primary', id: 'publish-venue' }, t('live.publish'));
  pubBtn.onclick = () => void busy(pubBtn, async () => {
    if (venuePub) {
      venuePub.stop();
      venueStream?.getTracks().forEach((tr) => tr.stop());
      venuePub = null;
      venueStream = null;
      pubBtn.textContent = t('live.publish');
      pubStatus.textContent = t('live.unpublished');
      return;
    }
    venueStream = await capture({ audio: true, video: { width: 1280, height: 720 } });
    attach(preview, venueStream);
    venuePub = await publish(roomId, venueStream, { venue_id: venueSel.value });
    await callRoom('presence:update', { room_id: roomId, venue_id: venueSel.value, camera: true, mic: true }).catch(() => undefined);
    pubBtn.textContent = t('live.unpublish');
    pubStatus.textContent = t('live.publishing', { name: live.venue(venueSel.value)?.name ?? '' });
    pubStatus.dataset.state = 'live';
  }, pubStatus);
  stops.push(() => {
    venuePub?.stop();
    venueStream?.getTracks().forEach((tr) => tr.stop());
  });

  // the host may change my role while I watch: the label and the moderator tools follow
  const roleTag = h('span', { class: 'tag muted', 'data-testid': 'my-role' }, roleName(myRole));
  live.on('member', () => {
    roleTag.textContent = roleName(live.state.me.role);
  });

  root.replaceChildren(
    h('div', { class: 'page-head' },
      h('a', { href: `/rooms/${roomId}`, 'data-link': true }, `← ${st.room.title}`),
      h('h1', {}, t('live.title')),
      roleTag,
      canManage(myRole) && h('a', { href: `/rooms/${roomId}/console`, 'data-link': true, class: 'button' }, t('room.go_console'))),
    h('div', { class: 'live' },
      h('section', { class: 'stage', 'aria-label': t('live.stage') },
        mediaNotice,
        h('div', { class: 'row' }, label, sourceSel),
        screen.caption,
        stageMedia,
        screen.controls,
        h('div', { class: 'row' }, floor.hand, floor.info),
        floor.controls,
        floor.grid,
        mayPublishVenue && st.venues.length ? h('details', { class: 'card publish', open: myRole === 'presenter' },
          h('summary', {}, t('live.publish_title')),
          h('div', { class: 'row' }, venueSel, pubBtn), pubStatus, preview) : null),
      h('aside', { class: 'side' },
        h('section', {}, h('h2', {}, t('live.online')), presence),
        chat.el)),
  );
  chat.scrollToEnd();

  return () => {
    stops.forEach((s) => s());
    live.leave();
  };
}

function callRoom(event: string, payload: unknown): Promise<Record<string, unknown>> {
  return call(event, payload);
}
