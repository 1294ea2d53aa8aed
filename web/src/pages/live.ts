/** Live page: the program (or a chosen venue's feed) with the main-venue label, presence, chat with
 * history and voice notes, raise hand; seat holders get mic/camera and the discussion grid; presenters
 * can publish their venue's camera. Lazy-loaded. */
import { api, attachMedia } from '../api';
import { lacking } from '../capabilities';
import { h } from '../dom';
import { formatTime, roleName, t } from '../i18n';
import { attach, capture, mediaNotice as noticeFor, publish, type Publishing } from '../media';
import { call } from '../realtime';
import { type ChatMessage, enterRoom, personName, userIdOf } from '../roomstate';
import { chatModeBar, presencePanel } from './live_crowd';
import { voiceButton } from './live_voice';
import { canManage, listOf, venueLabel } from '../rooms';
import { getSession } from '../session';
import { busy, uid } from '../ui';
import { Feed, videoBox } from '../video';
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

  // --- chat ------------------------------------------------------------------------------------
  const chatList = h('ol', { class: 'chat', 'data-testid': 'chat', 'aria-live': 'polite' });
  const chatStatus = h('p', { class: 'status' });
  // moderators and hosts delete messages (soft: everyone sees 该消息已被删除), after a confirm step
  let confirming: number | null = null;
  const deleteControls = (m: ChatMessage): HTMLElement | null => {
    if (!canManage(live.state.me.role)) return null;
    const author = m.author_name ?? m.display_name ?? '';
    if (confirming !== m.id) {
      return h('button', { type: 'button', class: 'link small msg-delete', 'aria-label': t('chat.delete_named', { name: author }),
        onclick: () => {
          confirming = m.id;
          drawChat();
          chatList.querySelector<HTMLButtonElement>(`[data-message-id="${m.id}"] .msg-confirm`)?.focus();
        } }, t('chat.delete'));
    }
    const yes = h('button', { type: 'button', class: 'small danger msg-confirm' }, t('chat.delete_confirm'));
    yes.onclick = () => void busy(yes, async () => {
      await call('chat:delete', { room_id: roomId, message_id: m.id });
      confirming = null;
      input.focus(); // the button is gone with the message: keep keyboard users in the chat
    }, chatStatus);
    return h('span', { class: 'row confirm', role: 'group', 'aria-label': t('chat.delete_question') },
      h('span', {}, t('chat.delete_question')), yes,
      h('button', { type: 'button', class: 'small', onclick: () => {
        confirming = null;
        drawChat();
        chatList.querySelector<HTMLButtonElement>(`[data-message-id="${m.id}"] .msg-delete`)?.focus();
      } }, t('common.cancel')));
  };
  const msgEl = (m: ChatMessage): HTMLElement => {
    const mine = m.user_id === me.id;
    if (m.deleted) return h('li', { class: 'msg muted deleted', 'data-message-id': m.id }, t('chat.deleted'));
    const audio = m.voice_id ? voicePlayer(m.voice_id, m.voice_duration) : null;
    return h('li', { class: `msg${mine ? ' mine' : ''}`, 'data-message-id': m.id },
      h('span', { class: 'author' }, m.author_name ?? m.display_name ?? ''),
      h('span', { class: 'muted time' }, formatTime(m.created_at)),
      deleteControls(m),
      m.text ? h('p', {}, m.text) : null,
      audio);
  };
  const drawChat = (): void => {
    const atBottom = chatList.scrollHeight - chatList.scrollTop - chatList.clientHeight < 40;
    chatList.replaceChildren(...live.state.chat.map(msgEl));
    if (atBottom) chatList.scrollTop = chatList.scrollHeight;
  };
  live.on('chat', drawChat);
  drawChat();
  const older = h('button', { type: 'button', class: 'link small' }, t('chat.older'));
  older.onclick = () => void busy(older, async () => {
    const first = live.state.chat[0];
    const res = await api('GET', `/api/rooms/${roomId}/chat?limit=50${first ? `&before=${encodeURIComponent(first.id)}` : ''}`);
    const more = listOf<ChatMessage>(res, 'messages').filter((m) => !live.state.chat.some((x) => x.id === m.id));
    if (!more.length) older.textContent = t('chat.no_older');
    live.state.chat = [...more, ...live.state.chat].sort((a, b) => (a.created_at ?? 0) - (b.created_at ?? 0));
    drawChat();
  }, chatStatus);
  const input = h('input', { 'aria-label': t('chat.input'), placeholder: t('chat.placeholder'), maxlength: 2000, id: 'chat-input' });
  const send = h('button', { type: 'submit', class: 'primary' }, t('chat.send'));
  // Messages leave one after another in the order typed; the input is free for the next one at once
  // (a disabled send button would also block Enter), and a message that fails comes back into it.
  let outbox: Promise<void> = Promise.resolve();
  const chatForm = h('form', { class: 'chat-form row', onsubmit: (e: Event) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    const clientId = uid();
    outbox = outbox.then(() => busy(null, async () => {
      let res: Record<string, unknown>;
      try {
        res = await call_retry(() => callChat(roomId, clientId, text));
      } catch (err) {
        if (!input.value) input.value = text;
        throw err;
      }
      const msg = (res.message ?? res) as ChatMessage;
      if (msg.id && !live.state.chat.some((m) => m.id === msg.id)) {
        live.state.chat.push(msg);
        drawChat();
      }
    }, chatStatus));
  } }, input, send);

  // voice notes (live_voice.ts): click to start and stop; on a touch screen, press and hold
  const voice = voiceButton(roomId, chatStatus);
  const rec = voice.button;
  stops.push(voice.stop);
  // slow mode and moderator-only mode: the note for everyone, the switches for moderators
  const chatModes = chatModeBar(live, roomId, chatStatus, (open) => {
    input.disabled = !open;
    send.disabled = !open;
    rec.disabled = !open;
    input.placeholder = open ? t('chat.placeholder') : t('chat.moderated_placeholder');
  });

  // --- raise hand, seats ------------------------------------------------------------------------
  const hand = h('button', { type: 'button', id: 'raise-hand', 'aria-pressed': 'false' });
  const floorInfo = h('p', { class: 'muted', 'data-testid': 'floor' });
  const seatControls = h('div', { class: 'row seat-controls' });
  const grid = h('div', { class: 'grid', 'data-testid': 'seat-grid' });
  const gridWatch = new Map<number, { feed: Feed; el: HTMLElement }>();
  let seatPub: Publishing | null = null;
  let seatStream: MediaStream | null = null;
  const myHand = (): boolean => (live.state.floor?.hands ?? []).some((x) => userIdOf(x) === me.id);
  const mySeat = (): boolean => (live.state.floor?.seats ?? []).some((x) => userIdOf(x) === me.id);
  hand.onclick = () => void busy(hand, async () => {
    await callRoom(myHand() ? 'hand:lower' : 'hand:raise', { room_id: roomId });
  });

  async function toggleTrack(kind: 'audio' | 'video'): Promise<void> {
    let on: boolean;
    if (!seatStream) {
      // publish once, with only the asked-for kind switched on (the other starts muted)
      seatStream = await capture({ audio: true, video: { width: 640, height: 360 } });
      seatStream.getAudioTracks().forEach((tr) => (tr.enabled = kind === 'audio'));
      seatStream.getVideoTracks().forEach((tr) => (tr.enabled = kind === 'video'));
      seatPub = await publish(roomId, seatStream, { seat: true });
      on = true;
    } else {
      const tracks = kind === 'audio' ? seatStream.getAudioTracks() : seatStream.getVideoTracks();
      on = !tracks.every((tr) => tr.enabled);
      tracks.forEach((tr) => (tr.enabled = on));
    }
    await callRoom('presence:update', { room_id: roomId, ...(kind === 'audio' ? { mic: on } : { camera: on }) });
    drawFloor();
  }
  const stopSeat = (): void => {
    seatPub?.stop();
    seatPub = null;
    seatStream?.getTracks().forEach((tr) => tr.stop());
    seatStream = null;
  };
  stops.push(stopSeat);

  function drawFloor(): void {
    const f = live.state.floor;
    hand.textContent = myHand() ? t('floor.lower') : t('floor.raise');
    hand.setAttribute('aria-pressed', String(myHand()));
    floorInfo.textContent = f ? t('floor.info', { seats: f.seats.length, limit: f.limit, hands: f.hands.length }) : '';
    if (mySeat()) {
      const micOn = seatStream?.getAudioTracks().some((tr) => tr.enabled) ?? false;
      const camOn = seatStream?.getVideoTracks().some((tr) => tr.enabled) ?? false;
      seatControls.replaceChildren(
        h('span', { class: 'tag' }, t('floor.you_have_seat')),
        h('button', { type: 'button', id: 'toggle-mic', 'aria-pressed': String(micOn), onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, () => toggleTrack('audio')) }, micOn ? t('floor.mic_off') : t('floor.mic_on')),
        h('button', { type: 'button', id: 'toggle-camera', 'aria-pressed': String(camOn), onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, () => toggleTrack('video')) }, camOn ? t('floor.camera_off') : t('floor.camera_on')));
    } else {
      if (seatStream) stopSeat();
      seatControls.replaceChildren();
    }
    // discussion grid: everyone holding a seat, up to the limit
    const seated = (f?.seats ?? []).map(userIdOf);
    for (const [uidKey, tile] of gridWatch) {
      if (!seated.includes(uidKey)) {
        tile.feed.stop();
        tile.el.remove();
        gridWatch.delete(uidKey);
      }
    }
    for (const u of seated) {
      let entry = gridWatch.get(u);
      if (!entry) {
        const feed = new Feed(roomId, videoBox(`seat-${u}`, u !== me.id));
        const who = live.state.online.find((p) => p.user_id === u) ?? live.state.members.find((p) => p.user_id === u);
        const el = h('figure', { class: 'tile' }, feed.box.wrap, h('figcaption', {}, personName(who) || String(u)));
        entry = { feed, el };
        gridWatch.set(u, entry);
        grid.append(el);
      }
      if (u === me.id) {
        if (seatStream && entry.feed.box.video.srcObject !== seatStream) attach(entry.feed.box.video, seatStream);
        continue;
      }
      // watch a seat once its publisher is live (media:sources says so)
      if (!entry.feed.active && live.sources.includes(`seat:${u}`)) void entry.feed.start(`seat:${u}`);
    }
    grid.hidden = seated.length === 0;
  }
  live.on('floor', drawFloor);
  live.on('sources', () => drawFloor());
  live.on('ended', (d) => {
    const m = /^seat:(\d+)$/.exec((d as { source: string }).source);
    if (m) gridWatch.get(Number(m[1]))?.feed.stop();
  });
  drawFloor();
  stops.push(() => gridWatch.forEach((x) => x.feed.stop()));

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
    drawChat();
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
        h('div', { class: 'row' }, hand, floorInfo),
        seatControls,
        grid,
        mayPublishVenue && st.venues.length ? h('details', { class: 'card publish', open: myRole === 'presenter' },
          h('summary', {}, t('live.publish_title')),
          h('div', { class: 'row' }, venueSel, pubBtn), pubStatus, preview) : null),
      h('aside', { class: 'side' },
        h('section', {}, h('h2', {}, t('live.online')), presence),
        h('section', { class: 'chat-box' }, h('h2', {}, t('chat.title')), chatModes, older, chatList, chatForm, h('div', { class: 'row' }, rec), chatStatus))),
  );
  chatList.scrollTop = chatList.scrollHeight;

  return () => {
    stops.forEach((s) => s());
    live.leave();
  };
}

function callRoom(event: string, payload: unknown): Promise<Record<string, unknown>> {
  return call(event, payload);
}

function callChat(roomId: string, clientId: string, text: string): Promise<Record<string, unknown>> {
  return callRoom('chat:send', { room_id: roomId, client_id: clientId, text });
}

/** Retry once on a timeout: the same client_id makes the retry return the same stored message. */
async function call_retry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: string }).code === 'timeout') return fn();
    throw err;
  }
}

/** A voice note: a normal <audio> with a short-lived URL token for its file, loaded when played. */
function voicePlayer(voiceId: string, seconds: number | null | undefined): HTMLElement {
  const audio = h('audio', { controls: true, preload: 'none', 'data-voice-id': voiceId, 'aria-label': t('voice.play') });
  attachMedia(audio, `/api/voice/${encodeURIComponent(voiceId)}`);
  return h('div', { class: 'voice' },
    audio,
    seconds ? h('span', { class: 'muted' }, ` ${seconds.toFixed(1)}″`) : null);
}
