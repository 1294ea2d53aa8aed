/** Moderator console (导播台): multiview of every venue with live/offline badges, program and preview
 * monitors, cue / take / switch, the agenda run-sheet with "next segment", fallback venue, hand-off log,
 * seat queue, recording. Conflicts from the controller are shown plainly. Lazy-loaded. */
import { api, ApiError, downloadBlob, errorText, fetchBlob } from '../api';
import { h } from '../dom';
import { formatTime, t } from '../i18n';
import { call } from '../realtime';
import { enterRoom, type Person, personName, type ProgramState, userIdOf } from '../roomstate';
import { canManage, listOf } from '../rooms';
import { serverHas } from '../capabilities';
import { busy, toast, withLoading } from '../ui';
import { Feed, videoBox } from '../video';
import { isScreen, sharerName } from './live_screen';

interface Handoff {
  id: number;
  epoch: number;
  kind: string;
  actor_id: number | null;
  from_venue: string | null;
  to_venue: string | null; // null: the slate
  requested_at: number;
  switched: boolean | null;
  switch_ms: number | null;
}

interface Recording {
  id: string;
  source: string;
  started_at: number;
  stopped_at: number | null;
  duration: number;
  size: number;
  status: string;
  url: string;
}

export async function consolePage(root: HTMLElement, params: Record<string, string>): Promise<() => void> {
  const roomId = params.roomId;
  const joined = await enterRoom(root, roomId);
  if (!joined) return () => undefined;
  const live = joined;
  const st = live.state;
  if (!canManage(st.me.role)) {
    root.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('console.not_allowed')));
    return () => live.leave();
  }
  const stops: (() => void)[] = [];
  const hasRecording = await serverHas('/api/rooms/{room_id}/recordings');
  const status = h('p', { class: 'status console-status', 'data-testid': 'console-status', 'aria-live': 'assertive' });
  const epoch = (): number => live.state.program?.epoch ?? 0;
  const sourceName = (s: string): string =>
    s === 'program' ? t('console.program') : s.startsWith('venue:') ? (live.venue(s.slice(6))?.name ?? s)
      : isScreen(s) ? t('screen.of', { name: sharerName(live, s) }) : s;
  /** A program target's name: a venue's, or a shared screen's (`screen:<user_id>`). */
  const targetName = (id: string | null | undefined): string | null =>
    id && isScreen(id) ? t('screen.target', { name: sharerName(live, id) }) : (live.venue(id)?.name ?? null);

  /** Send a controller command with the epoch we saw; a conflict means someone else acted first. */
  async function control(event: string, extra: Record<string, unknown>): Promise<void> {
    status.textContent = '';
    status.className = 'status console-status';
    try {
      const res = await call<{ state?: ProgramState }>(event, { room_id: roomId, epoch: epoch(), ...extra });
      if (res.state) {
        live.state.program = res.state;
        drawAll();
      }
    } catch (err) {
      status.className = 'status console-status error-text';
      status.textContent = err instanceof ApiError && err.code === 'conflict' ? t('console.conflict') : errorText(err);
      toast(status.textContent, 'error'); // the status line may be scrolled out of view
      if (err instanceof ApiError && err.code === 'conflict') {
        const fresh = await api<ProgramState>('GET', `/api/rooms/${roomId}/program`).catch(() => null);
        if (fresh) {
          live.state.program = (fresh as unknown as { state?: ProgramState }).state ?? fresh;
          drawAll();
        }
      }
    }
  }

  // --- monitors --------------------------------------------------------------------------------
  const feeds = new Map<string, Feed>();
  const feed = (source: string, testid: string): Feed => {
    const f = new Feed(roomId, videoBox(testid));
    feeds.set(source, f);
    return f;
  };
  const monitor = (source: string): void => {
    const f = feeds.get(source);
    if (f && !f.active && live.sources.includes(source)) void f.start(source);
  };
  stops.push(() => feeds.forEach((f) => f.stop()));

  const program = feed('program', 'console-program').box;
  const previewMon = feed('preview', 'console-preview').box;
  const programLabel = h('p', { class: 'program-label', 'data-testid': 'console-program-label' });
  const onAir = h('span', { class: 'tag', 'data-testid': 'on-air' });
  const previewLabel = h('p', { class: 'preview-label', 'data-testid': 'console-preview-label' });
  const take = h('button', { type: 'button', class: 'take', id: 'take' }, t('console.take'));
  take.onclick = () => void busy(take, () => control('venue:take', {}));

  const tiles = h('div', { class: 'multiview', 'data-testid': 'multiview' });
  const tileEls = new Map<string, { el: HTMLElement; badge: HTMLElement }>();
  for (const v of st.venues) {
    const box = feed(`venue:${v.id}`, `venue-${v.id}`).box;
    const badge = h('span', { class: 'badge off' });
    const el = h('figure', { class: 'tile', 'data-venue-id': v.id },
      box.wrap,
      h('figcaption', {}, h('strong', {}, v.name), ' ', badge),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'small', 'data-action': 'cue', 'aria-label': t('console.cue_named', { name: v.name }),
          onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, () => control('venue:cue', { venue_id: v.id })) }, t('console.cue')),
        h('button', { type: 'button', class: 'small danger', 'data-action': 'switch', 'aria-label': t('console.switch_named', { name: v.name }),
          onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, () => control('venue:switch', { venue_id: v.id })) }, t('console.switch'))));
    tileEls.set(v.id, { el, badge });
    tiles.append(el);
  }

  // --- shared screens (课件演示): cued and taken like a venue, their target is the source's name -------------
  const screenTiles = h('div', { class: 'multiview screen-tiles', 'data-testid': 'screen-tiles' });
  const noScreens = h('p', { class: 'muted' }, t('console.no_screens'));
  const screenEls = new Map<string, HTMLElement>();
  const drawScreens = (): void => {
    const shared = live.sources.filter(isScreen);
    for (const [source, el] of screenEls) {
      if (shared.includes(source)) continue;
      feeds.get(source)?.stop();
      feeds.delete(source);
      el.remove();
      screenEls.delete(source);
    }
    for (const source of shared) {
      if (screenEls.has(source)) continue;
      const name = t('screen.of', { name: sharerName(live, source) });
      const box = feed(source, `console-${source.replace(':', '-')}`).box;
      const el = h('figure', { class: 'tile', 'data-source': source },
        box.wrap,
        h('figcaption', {}, h('strong', {}, name), ' ', h('span', { class: 'badge live' }, t('console.live'))),
        h('div', { class: 'row' },
          h('button', { type: 'button', class: 'small', 'data-action': 'cue', 'aria-label': t('console.cue_named', { name }),
            onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, () => control('venue:cue', { venue_id: source })) }, t('console.cue')),
          h('button', { type: 'button', class: 'small danger', 'data-action': 'switch', 'aria-label': t('console.switch_named', { name }),
            onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, () => control('venue:switch', { venue_id: source })) }, t('console.switch'))));
      screenEls.set(source, el);
      screenTiles.append(el);
    }
    const p = live.state.program;
    for (const [source, el] of screenEls) {
      el.classList.toggle('on-program', source === p?.program);
      el.classList.toggle('on-preview', source === p?.preview);
    }
    noScreens.hidden = shared.length > 0;
  };

  // --- agenda run-sheet ------------------------------------------------------------------------
  const runSheet = h('ol', { class: 'runsheet', 'data-testid': 'runsheet' });
  const next = h('button', { type: 'button', id: 'next-segment', class: 'primary' }, t('console.next'));
  next.onclick = () => void busy(next, () => control('venue:next', {}));
  const fallback = h('select', { 'aria-label': t('console.fallback'), id: 'fallback' },
    h('option', { value: '' }, t('console.no_fallback')),
    st.venues.map((v) => h('option', { value: v.id }, v.name)));
  fallback.onchange = () => void control('venue:fallback', { venue_id: fallback.value || null });

  // --- hand-off log ----------------------------------------------------------------------------
  const log = h('div', { 'data-testid': 'handoffs' });
  // The controller writes a hand-off's audit while the cut is under way, so the log may not have it yet
  // when the new state arrives: look again a few times until the entry for that epoch is there.
  let logWait: ReturnType<typeof setTimeout> | undefined;
  stops.push(() => clearTimeout(logWait));
  const reloadLog = (epoch?: number, tries = 6): void => void withLoading(log, () => api('GET', `/api/rooms/${roomId}/handoffs`).then((d) => listOf<Handoff>(d, 'handoffs')), (items) => {
    clearTimeout(logWait);
    if (epoch !== undefined && tries > 0 && !items.some((x) => x.epoch === epoch)) logWait = setTimeout(() => reloadLog(epoch, tries - 1), 500);
    return drawLog(items);
  });
  const drawLog = (items: Handoff[]): HTMLElement =>
    items.length
      ? h('ol', { class: 'log' }, items.slice(-30).reverse().map((x) => h('li', { 'data-kind': x.kind },
          h('span', { class: 'muted' }, formatTime(x.requested_at)), ' ',
          h('strong', {}, t(`console.action_${x.kind}`)), ' ',
          x.from_venue ? `${targetName(x.from_venue) ?? '?'} → ` : '',
          x.to_venue ? (targetName(x.to_venue) ?? '?') : t('console.slate'),
          ` · ${x.actor_id === null ? t('console.by_system') : who(x.actor_id)}`,
          x.switched === false ? h('span', { class: 'error-text' }, ` · ${t('console.not_switched')}`) : null,
          x.switch_ms !== null ? h('span', { class: 'muted' }, ` · ${Math.round(x.switch_ms)} ms`) : null)))
      : h('p', { class: 'muted' }, t('console.no_handoffs'));

  // --- seat queue ------------------------------------------------------------------------------
  const seats = h('div', { 'data-testid': 'seat-queue' });
  const who = (x: number | Person): string => {
    const id = userIdOf(x);
    return personName(typeof x === 'number' ? (live.state.online.find((p) => p.user_id === id) ?? live.state.members.find((p) => p.user_id === id)) : x) || String(id);
  };
  const drawSeats = (): void => {
    const f = live.state.floor;
    if (!f) {
      seats.replaceChildren(h('p', { class: 'muted' }, t('floor.none')));
      return;
    }
    seats.replaceChildren(
      h('p', {}, t('floor.info', { seats: f.seats.length, limit: f.limit, hands: f.hands.length })),
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
  };

  // --- recording -------------------------------------------------------------------------------
  const recs = h('div', { 'data-testid': 'recordings' });
  const reloadRecs = (): void => void withLoading(recs, () => api('GET', `/api/rooms/${roomId}/recordings`).then((d) => listOf<Recording>(d, 'recordings')), (items) => {
    const running = items.find((r) => !r.stopped_at);
    recBtn.textContent = running ? t('rec.stop') : t('rec.start');
    recBtn.dataset.recording = running?.id ?? '';
    recBtn.setAttribute('aria-pressed', String(!!running));
    return items.length
      ? h('ul', { class: 'plain' }, items.map((r) => h('li', { class: 'row', 'data-recording-id': r.id },
          t('rec.source', { source: sourceName(r.source) }), h('span', { class: 'muted' }, formatTime(r.started_at)),
          r.stopped_at
            ? [r.status === 'failed' ? h('span', { class: 'badge off', 'data-status': 'failed' }, t('rec.failed')) : null,
               h('span', { class: 'muted' }, t('rec.length', { s: Math.round(r.duration), mb: (r.size / 1e6).toFixed(1) })),
               h('button', { type: 'button', class: 'small', onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
                 downloadBlob(await fetchBlob(r.url), `${st.room.title}-${r.id}.webm`);
               }, status) }, t('rec.download'))]
            : h('span', { class: 'badge live' }, t('rec.running')))))
      : h('p', { class: 'muted' }, t('rec.none'));
  });
  const recBtn = h('button', { type: 'button', id: 'recording' }, t('rec.start'));
  // what to record: the program (default), or one live source (a venue, a shared screen)
  const recSource = h('select', { id: 'recording-source', 'aria-label': t('rec.choose') });
  const drawRecSources = (): void => {
    const chosen = recSource.value || 'program';
    const options = ['program', ...live.sources.filter((s) => s.startsWith('venue:') || isScreen(s))];
    if (!options.includes(chosen)) options.push(chosen);
    if ([...recSource.options].map((o) => o.value).join() === options.join()) return; // keep an open list open
    recSource.replaceChildren(...options.map((s) => h('option', { value: s, selected: s === chosen }, sourceName(s))));
  };
  recBtn.onclick = () => void busy(recBtn, async () => {
    const running = recBtn.dataset.recording;
    if (running) await api('POST', `/api/recordings/${running}/stop`);
    else await api('POST', `/api/rooms/${roomId}/recordings`, { source: recSource.value || 'program' });
    if (hasRecording) reloadRecs();
  }, status);

  // --- drawing ---------------------------------------------------------------------------------
  function drawAll(): void {
    const p = live.state.program;
    const pv = targetName(p?.program);
    const cv = targetName(p?.preview);
    programLabel.textContent = pv ? t('live.main_venue', { name: pv }) : t('live.main_venue_none');
    previewLabel.textContent = cv ? t('console.preview_of', { name: cv }) : t('console.nothing_cued');
    drawScreens();
    drawRecSources();
    take.disabled = !p?.preview;
    if (p?.fallback !== undefined) fallback.value = p.fallback ?? '';
    for (const [id, tile] of tileEls) {
      const isLive = live.sources.includes(`venue:${id}`);
      tile.badge.textContent = isLive ? t('console.live') : t('console.offline');
      tile.badge.className = `badge ${isLive ? 'live' : 'off'}`;
      tile.el.classList.toggle('on-program', id === p?.program);
      tile.el.classList.toggle('on-preview', id === p?.preview);
    }
    feeds.forEach((_, source) => monitor(source));
    onAir.textContent = p ? t(`console.on_air_${p.on_air ?? 'idle'}`) : '';
    onAir.dataset.state = p?.on_air ?? 'idle';
    const idx = p?.agenda_index ?? -1;
    runSheet.replaceChildren(...live.state.agenda.map((s, i) => h('li', { class: i === idx ? 'current' : i < idx ? 'done' : '', 'aria-current': i === idx ? 'step' : undefined },
      h('strong', {}, s.title), ' ', h('span', { class: 'muted' }, live.venue(s.venue_id)?.name ?? ''),
      s.duration_minutes ? h('span', { class: 'muted' }, ` · ${s.duration_minutes}${t('agenda.min')}`) : null)));
    if (!live.state.agenda.length) runSheet.replaceChildren(h('li', { class: 'muted' }, t('agenda.none')));
  }
  let shownProgram = live.state.program?.program ?? null;
  live.on('program', () => {
    drawAll();
    const p = live.state.program;
    const cut = (p?.program ?? null) !== shownProgram;
    shownProgram = p?.program ?? null;
    reloadLog(cut ? p?.epoch : undefined);
  });
  live.on('sources', drawAll);
  live.on('floor', drawSeats);
  live.on('presence', drawSeats);
  live.on('alert', (d) => {
    const a = d as { message: string; kind: string };
    toast(a.message || t(`console.alert_${a.kind}`), 'error');
  });
  live.on('ended', (d) => {
    feeds.get((d as { source: string }).source)?.stop(t('live.no_video'));
    drawAll();
  });

  root.replaceChildren(
    h('div', { class: 'page-head' },
      h('a', { href: `/rooms/${roomId}`, 'data-link': true }, `← ${st.room.title}`),
      h('h1', {}, t('console.title')),
      h('a', { href: `/rooms/${roomId}/live`, 'data-link': true, class: 'button' }, t('room.go_live'))),
    status,
    h('div', { class: 'console' },
      h('section', { class: 'monitors' },
        h('div', { class: 'monitor preview' }, h('h2', {}, t('console.preview')), previewMon.wrap, previewLabel),
        h('div', { class: 'take-col' }, take),
        h('div', { class: 'monitor program' }, h('h2', {}, t('console.program'), ' ', onAir), program.wrap, programLabel)),
      h('section', { class: 'card' }, h('h2', {}, t('console.multiview')), st.venues.length ? tiles : h('p', { class: 'muted' }, t('venue.none'))),
      h('section', { class: 'card', 'data-testid': 'screens' }, h('h2', {}, t('console.screens')), noScreens, screenTiles),
      h('div', { class: 'columns three' },
        h('section', { class: 'card' }, h('h2', {}, t('agenda.title')), runSheet, h('div', { class: 'row' }, next),
          h('label', { class: 'field' }, h('span', {}, t('console.fallback')), fallback)),
        h('section', { class: 'card' }, h('h2', {}, t('floor.title')), seats),
        h('section', { class: 'card' }, hasRecording && [h('h2', {}, t('rec.title')), h('div', { class: 'row' }, recSource, recBtn), recs], h('h2', {}, t('console.handoffs')), log))),
  );
  drawAll();
  drawSeats();
  reloadLog();
  if (hasRecording) reloadRecs();
  return () => {
    stops.forEach((s) => s());
    live.leave();
  };
}
