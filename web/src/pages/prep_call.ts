/** The call panel of the preparation screen (网络集体备课): the lead teacher's 说课 video while she
 * presents, the floor (raise hand, seats, each seat holder unmutes only to speak) with every seat holder's
 * audio and video tile, who is editing where, and the room's chat. Collapsible: collapsing only hides the
 * panel's body, so the tiles' media elements keep playing and the call keeps sounding. */
import { clear, h } from '../dom';
import { t } from '../i18n';
import { attach, capture, mediaNotice, publish, type Publishing } from '../media';
import { call } from '../realtime';
import { type LiveRoom, personName } from '../roomstate';
import { canManage, type Venue } from '../rooms';
import { getSession } from '../session';
import { busy, errorBox, loading } from '../ui';
import { Feed, videoBox } from '../video';
import { chatPanel } from './live_chat';
import { drawSeatQueue, floorPanel } from './live_floor';

/** One line of "who is editing where". */
export interface EditorAt {
  clientId: number;
  name: string;
  color: string;
  /** the section title the cursor is in; '' when the cursor is outside any section, null without a cursor */
  section: string | null;
  me: boolean;
}

export interface CallPanel {
  el: HTMLElement;
  /** the room's live channel is joined: show the floor, the tiles and the chat */
  mount: (live: LiveRoom) => void;
  failed: (err: unknown, retry: () => void) => void;
  /** redraw "who is editing where" */
  showEditors: (people: EditorAt[]) => void;
  /** the panel's body, the media and the chat before the page goes */
  stop: () => void;
}

const COLLAPSED_KEY = 'moke.prep.call_collapsed';

export function callPanel(roomId: string, onToggle: (collapsed: boolean) => void): CallPanel {
  const stops: (() => void)[] = [];
  const summary = h('span', { class: 'call-summary muted', 'data-testid': 'call-summary' });
  const toggle = h('button', { type: 'button', class: 'call-toggle', id: 'call-toggle', 'aria-controls': 'call-main call-extra' });
  const head = h('div', { class: 'call-head' }, h('h2', {}, t('prep.call_title')), summary, toggle);
  const main = h('div', { class: 'call-main', id: 'call-main' }, loading());
  const editors = h('ul', { class: 'editing', 'data-testid': 'editing' });
  const extra = h('div', { class: 'call-extra', id: 'call-extra' }, h('section', { class: 'editing-box' }, h('h2', {}, t('prep.editing_title')), editors));
  const el = h('aside', { class: 'call', 'aria-label': t('prep.call_label'), 'data-testid': 'call-panel' }, head, main, extra);

  const setCollapsed = (collapsed: boolean): void => {
    el.dataset.collapsed = String(collapsed);
    toggle.setAttribute('aria-expanded', String(!collapsed));
    toggle.textContent = collapsed ? t('prep.call_expand') : t('prep.call_collapse');
    localStorage.setItem(COLLAPSED_KEY, collapsed ? '1' : '');
    onToggle(collapsed);
  };
  toggle.onclick = () => setCollapsed(el.dataset.collapsed !== 'true');
  setCollapsed(localStorage.getItem(COLLAPSED_KEY) === '1');

  let drawSummary = (): void => undefined;

  function mount(live: LiveRoom): void {
    const talk = presentation(live, roomId);
    stops.push(talk.stop);
    const floor = floorPanel(live, roomId, () => drawSummary());
    stops.push(floor.stop);
    const chat = chatPanel(live, roomId);
    stops.push(chat.stop);
    floor.grid.classList.add('call-tiles');
    // the collapsed panel still says who holds the floor and whether my microphone is live
    drawSummary = (): void => {
      const seats = live.state.floor?.seats.length ?? 0;
      summary.textContent = t('prep.call_summary', { n: seats }) + (floor.micOn() ? ` · ${t('prep.mic_live')}` : '');
      summary.dataset.mic = String(floor.micOn());
    };
    live.on('floor', drawSummary);
    drawSummary();
    // whoever runs the floor grants and revokes seats right here, beside the plan
    const queue = h('div', { 'data-testid': 'seat-queue' });
    const queueStatus = h('p', { class: 'status' });
    const manage = canManage(live.state.me.role);
    // open beside a wide document; on a phone it stays a one-line summary until a hand goes up
    const admin = h('details', { class: 'seat-admin', open: window.matchMedia('(min-width: 900px)').matches },
      h('summary', {}, t('floor.title')), queue, queueStatus);
    let hands = 0;
    const drawQueue = (): void => {
      if (!manage) return;
      drawSeatQueue(live, roomId, queue, queueStatus, { info: false }); // the floor row above says the counts
      const f = live.state.floor;
      if (f && f.hands.length > hands) admin.open = true;
      hands = f?.hands.length ?? 0;
    };
    live.on('floor', drawQueue);
    live.on('presence', drawQueue);
    drawQueue();
    clear(main,
      mediaNotice(['camera', 'recorder', 'webrtc']),
      talk.el,
      h('div', { class: 'row floor-row' }, floor.hand, floor.info),
      floor.controls,
      floor.grid,
      manage ? admin : null);
    extra.append(chat.el);
    chat.scrollToEnd();
  }

  function showEditors(people: EditorAt[]): void {
    editors.replaceChildren(...people.map((p) => h('li', { 'data-client-id': p.clientId },
      h('span', { class: 'dot', style: `background:${p.color}`, 'aria-hidden': 'true' }),
      h('strong', {}, p.name), p.me ? h('span', { class: 'muted' }, t('prep.editing_you')) : null,
      h('span', { class: 'muted where' }, ' ', p.section === null ? t('prep.editing_doc') : t('prep.editing_at', { section: p.section || t('version.top') })))));
  }

  return {
    el,
    mount,
    failed: (err, retry) => main.replaceChildren(errorBox(err, retry)),
    showEditors,
    stop: () => stops.forEach((s) => s()),
  };
}

/** 说课: the lead teacher presents her design with her camera, published as her venue's feed; everyone
 * else's panel shows that feed large while it is live. */
function presentation(live: LiveRoom, roomId: string): { el: HTMLElement; stop: () => void } {
  const me = getSession()!.user;
  const myVenue: Venue | undefined = live.state.venues.find((v) => v.presenter_id === me.id);
  const feed = new Feed(roomId, videoBox('talk-video', true));
  const caption = h('figcaption', {});
  const tile = h('figure', { class: 'tile talk', hidden: true, 'data-testid': 'talk' }, feed.box.wrap, caption);
  let pub: Publishing | null = null;
  let stream: MediaStream | null = null;
  let watching = '';

  const presenterName = (v: Venue): string => {
    const p = live.state.members.find((m) => m.user_id === v.presenter_id) ?? live.state.online.find((m) => m.user_id === v.presenter_id);
    return personName(p) || v.name;
  };
  const draw = (): void => {
    if (myVenue && stream) {
      tile.hidden = false;
      caption.textContent = t('prep.presenting_by', { name: personName({ user_id: me.id, display_name: me.display_name }) });
      return;
    }
    // the venue being presented from: another presenter's venue whose feed is live (my own one ends with
    // my presenting, though the source list may not say so yet)
    const v = live.state.venues.find((x) => x.presenter_id !== null && x.presenter_id !== me.id && live.sources.includes(`venue:${x.id}`));
    const source = v ? `venue:${v.id}` : '';
    if (source !== watching) {
      watching = source;
      if (source) void feed.start(source);
      else feed.stop();
    }
    tile.hidden = !v;
    caption.textContent = v ? t('prep.presenting_by', { name: presenterName(v) }) : '';
  };
  live.on('sources', draw);
  live.on('ended', (d) => {
    if ((d as { source: string }).source === watching) {
      watching = '';
      feed.stop();
      tile.hidden = true;
    }
  });

  const button = h('button', { type: 'button', id: 'present', 'aria-pressed': 'false' }, t('prep.present_start'));
  const status = h('p', { class: 'status' });
  const stopPresenting = (): void => {
    pub?.stop();
    stream?.getTracks().forEach((tr) => tr.stop());
    pub = null;
    stream = null;
  };
  button.onclick = () => void busy(button, async () => {
    if (stream) {
      stopPresenting();
      await call('presence:update', { room_id: roomId, camera: false, mic: false }).catch(() => undefined);
    } else if (myVenue) {
      const s = await capture({ audio: true, video: { width: 640, height: 360 } });
      stream = s;
      try {
        pub = await publish(roomId, s, { venue_id: myVenue.id });
      } catch (err) {
        stopPresenting();
        throw err;
      }
      feed.stop();
      watching = '';
      attach(feed.box.video, s);
      await call('presence:update', { room_id: roomId, venue_id: myVenue.id, camera: true, mic: true }).catch(() => undefined);
    }
    button.textContent = stream ? t('prep.present_stop') : t('prep.present_start');
    button.setAttribute('aria-pressed', String(!!stream));
    draw();
  }, status);
  draw();
  return {
    el: h('div', { class: 'talk-box' }, tile, myVenue ? h('div', { class: 'row' }, button) : null, status),
    stop: () => {
      stopPresenting();
      feed.stop();
    },
  };
}
