/** The floor (发言管理) as the live page and the preparation screen's call panel show it: raise hand, the
 * seat holder's microphone and camera (each unmutes only to speak), and the discussion grid of every seat
 * holder's audio and video. */
import { h } from '../dom';
import { t } from '../i18n';
import { attach, capture, publish, type Publishing } from '../media';
import { call } from '../realtime';
import { type LiveRoom, type Person, personName, userIdOf } from '../roomstate';
import { getSession } from '../session';
import { busy } from '../ui';
import { Feed, videoBox } from '../video';

export interface FloorPanel {
  hand: HTMLButtonElement;
  info: HTMLElement;
  /** the seat holder's own buttons (mic, camera), empty without a seat */
  controls: HTMLElement;
  /** one tile per seat holder */
  grid: HTMLElement;
  /** whether my microphone is on (for a collapsed panel's summary) */
  micOn: () => boolean;
  stop: () => void;
}

export function floorPanel(live: LiveRoom, roomId: string, onChange: () => void = () => undefined): FloorPanel {
  const me = getSession()!.user;
  const hand = h('button', { type: 'button', id: 'raise-hand', 'aria-pressed': 'false' });
  const floorInfo = h('p', { class: 'muted', 'data-testid': 'floor' });
  const seatControls = h('div', { class: 'row seat-controls' });
  const grid = h('div', { class: 'grid', 'data-testid': 'seat-grid' });
  const gridWatch = new Map<number, { feed: Feed; el: HTMLElement }>();
  let seatPub: Publishing | null = null;
  let seatStream: MediaStream | null = null;
  const myHand = (): boolean => (live.state.floor?.hands ?? []).some((x) => userIdOf(x) === me.id);
  const mySeat = (): boolean => (live.state.floor?.seats ?? []).some((x) => userIdOf(x) === me.id);
  const micOn = (): boolean => seatStream?.getAudioTracks().some((tr) => tr.enabled) ?? false;
  hand.onclick = () => void busy(hand, async () => {
    await call(myHand() ? 'hand:lower' : 'hand:raise', { room_id: roomId });
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
    await call('presence:update', { room_id: roomId, ...(kind === 'audio' ? { mic: on } : { camera: on }) });
    drawFloor();
  }
  const stopSeat = (): void => {
    seatPub?.stop();
    seatPub = null;
    seatStream?.getTracks().forEach((tr) => tr.stop());
    seatStream = null;
  };

  /** Each tile says whether its holder's microphone is on (presence), so people see who speaks. */
  const drawMics = (): void => {
    for (const [u, tile] of gridWatch) {
      const p = live.state.online.find((x) => x.user_id === u);
      tile.el.dataset.mic = String(u === me.id ? micOn() : !!p?.mic);
    }
  };

  function drawFloor(): void {
    const f = live.state.floor;
    hand.textContent = myHand() ? t('floor.lower') : t('floor.raise');
    hand.setAttribute('aria-pressed', String(myHand()));
    floorInfo.textContent = f ? t('floor.info', { seats: f.seats.length, limit: f.limit, hands: f.hands.length }) : '';
    if (mySeat()) {
      const camOn = seatStream?.getVideoTracks().some((tr) => tr.enabled) ?? false;
      seatControls.replaceChildren(
        h('span', { class: 'tag' }, t('floor.you_have_seat')),
        h('button', { type: 'button', id: 'toggle-mic', 'aria-pressed': String(micOn()), onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, () => toggleTrack('audio')) }, micOn() ? t('floor.mic_off') : t('floor.mic_on')),
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
        const el = h('figure', { class: 'tile', 'data-seat': u }, feed.box.wrap, h('figcaption', {}, personName(who) || String(u)));
        entry = { feed, el };
        gridWatch.set(u, entry);
        grid.append(el);
      }
      if (u === me.id) {
        if (seatStream && entry.feed.box.video.srcObject !== seatStream) attach(entry.feed.box.video, seatStream);
        entry.feed.box.unmute.hidden = true; // my own microphone stays silent here (no echo)
        continue;
      }
      // watch a seat once its publisher is live (media:sources says so)
      if (!entry.feed.active && live.sources.includes(`seat:${u}`)) void entry.feed.start(`seat:${u}`);
    }
    grid.hidden = seated.length === 0;
    drawMics();
    onChange();
  }
  live.on('floor', drawFloor);
  live.on('sources', () => drawFloor());
  live.on('presence', drawMics);
  live.on('ended', (d) => {
    const m = /^seat:(\d+)$/.exec((d as { source: string }).source);
    if (m) gridWatch.get(Number(m[1]))?.feed.stop();
  });
  drawFloor();

  return {
    hand,
    info: floorInfo,
    controls: seatControls,
    grid,
    micOn,
    stop: () => {
      stopSeat();
      gridWatch.forEach((x) => x.feed.stop());
    },
  };
}

/** The seat queue for whoever runs the floor (the console, the preparation screen's host): raised hands
 * with "grant seat", seat holders with "revoke seat". Drawn into `el`; errors go to `status`. */
/** The hands and seats with grant/revoke buttons; ``info: false`` leaves out the counts line (the caller
 * shows it elsewhere, as the prep screen's collapsible summary does). */
export function drawSeatQueue(live: LiveRoom, roomId: string, el: HTMLElement, status: HTMLElement, opts: { info?: boolean } = {}): void {
  const who = (x: number | Person): string => {
    const id = userIdOf(x);
    return personName(typeof x === 'number' ? (live.state.online.find((p) => p.user_id === id) ?? live.state.members.find((p) => p.user_id === id)) : x) || String(id);
  };
  const f = live.state.floor;
  if (!f) {
    el.replaceChildren(h('p', { class: 'muted' }, t('floor.none')));
    return;
  }
  el.replaceChildren(
    ...(opts.info === false ? [] : [h('p', {}, t('floor.info', { seats: f.seats.length, limit: f.limit, hands: f.hands.length }))]),
    h('h3', {}, t('floor.hands')),
    f.hands.length ? h('ul', { class: 'plain' }, f.hands.map((x) => h('li', { class: 'row' }, who(x),
      h('button', { type: 'button', class: 'small', onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
        await call('seat:grant', { room_id: roomId, user_id: userIdOf(x) });
      }, status) }, t('floor.grant'))))) : h('p', { class: 'muted' }, t('floor.no_hands')),
    h('h3', {}, t('floor.seats')),
    f.seats.length ? h('ul', { class: 'plain' }, f.seats.map((x) => h('li', { class: 'row' }, who(x),
      h('button', { type: 'button', class: 'small danger', onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
        await call('seat:revoke', { room_id: roomId, user_id: userIdOf(x) });
      }, status) }, t('floor.revoke'))))) : h('p', { class: 'muted' }, t('floor.no_seats')),
  );
}
