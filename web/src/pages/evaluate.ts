/** 听评课 screen: the program video (or a chosen venue) beside the note pad, the observation instrument
 * (S-T …) and the rubric. A note is stamped when the teacher starts typing, not when she saves; a tap or
 * Alt+1/2/3 drops a marker (亮点/疑问/建议) to fill in later; each note shows its time in the lesson and the
 * venue. Notes and observation do not wait for a rubric. Hosts and moderators also get the live aggregates
 * and the reports. Lazy-loaded. */
import { api, errorText } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { mediaNotice } from '../media';
import { NoteOutbox } from '../outbox';
import { on } from '../realtime';
import { type Cleanup, navigate } from '../router';
import { LiveRoom } from '../roomstate';
import { type AgendaSegment, type Venue, canManage, getRoom, listOf, roleOf, venueLabel } from '../rooms';
import { getSession } from '../session';
import { busy, errorBox, field, loading, toast, uid, withLoading } from '../ui';
import { Feed, videoBox } from '../video';
import { type Instrument, observePanel } from './evaluate_observe';
import { isScreen } from './live_screen';
import { type Rubric, scoresPanel } from './evaluate_scores';

interface Note {
  id: string;
  author_id: number;
  author_name: string;
  text: string;
  kind: string | null;
  shared: boolean;
  at: number;
  venue_id: string | null;
}

const WHOLE_LESSON = 'lesson';
const KINDS = ['positive', 'question', 'suggestion'];

/** hh:mm:ss of a moment, on this computer's clock. */
function clockOf(seconds: number): string {
  return new Date(seconds * 1000).toLocaleTimeString('zh-CN', { hour12: false });
}

/** mm:ss (or h:mm:ss) into the lesson. */
function lessonTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

export async function evaluatePage(root: HTMLElement, params: Record<string, string>): Promise<Cleanup | void> {
  if (!getSession()) {
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
    return;
  }
  const me = getSession()!.user;
  const roomId = params.roomId;
  root.append(loading());
  const live = new LiveRoom(roomId);
  let data: [Awaited<ReturnType<typeof getRoom>>, { rubric: Rubric | null }, AgendaSegment[], Instrument[]];
  try {
    data = await Promise.all([
      getRoom(roomId),
      api<{ rubric: Rubric | null }>('GET', `/api/rooms/${roomId}/evaluation`),
      api('GET', `/api/rooms/${roomId}/agenda`).then((d) => listOf<AgendaSegment>(d, 'segments')),
      api<Instrument[]>('GET', '/api/observation-instruments'),
    ]);
  } catch (err) {
    root.replaceChildren(errorBox(err, () => navigate(location.pathname, true)));
    return;
  }
  const [room, state, agenda, instruments] = data;
  const role = roleOf(room);
  const manage = canManage(role);
  const head = h('div', { class: 'page-head' },
    h('a', { href: `/rooms/${roomId}`, 'data-link': true }, `← ${room.title}`),
    h('h1', {}, t('eval.title')),
    h('a', { href: `/rooms/${roomId}/replay`, 'data-link': true, class: 'button', id: 'go-replay' }, t('eval.go_replay')));
  const segments = agenda.length ? agenda.map((s) => ({ id: s.id!, title: s.title })) : [{ id: WHOLE_LESSON, title: t('eval.whole_lesson') }];
  const segSel = h('select', { id: 'segment', 'aria-label': t('eval.segment') }, segments.map((s) => h('option', { value: s.id }, s.title)));

  // --- the program (or a venue's feed) ---------------------------------------------------------------
  let venues: Venue[] = [];
  // a note taken while a shared screen was on the program is stamped `screen:<user_id>`: 课件演示
  const venueName = (id: string | null | undefined): string =>
    isScreen(id) ? t('screen.title') : venueLabel(venues.find((v) => v.id === id)) || '';
  const label = h('div', { class: 'program-label', 'data-testid': 'program-label', 'aria-live': 'polite' });
  const feed = new Feed(roomId, videoBox('program-video', true));
  const sourceSel = h('select', { 'aria-label': t('eval.source'), id: 'source-select' }, h('option', { value: 'program' }, t('eval.program')));
  sourceSel.onchange = () => void feed.start(sourceSel.value);
  const drawLabel = (): void => {
    const v = live.state ? live.venue(live.state.program?.program) : undefined;
    label.textContent = v ? t('live.main_venue', { name: v.name }) : t('live.main_venue_none');
  };
  /** The venue a note is about: the one watched, else the one on the program. */
  const watchedVenue = (): string | null => sourceSel.value.startsWith('venue:')
    ? sourceSel.value.slice('venue:'.length)
    : (live.state?.program?.program ?? null);
  // a browser without WebRTC (some in-app ones) shows no video: say so; notes and the rubric still work
  const stage = h('section', { class: 'stage' }, mediaNotice(['webrtc']), h('div', { class: 'row' }, label, sourceSel), feed.box.wrap);

  // --- notes --------------------------------------------------------------------------------------------
  const notes = h('div', { 'data-testid': 'notes' });
  const pendingBox = h('div', { 'data-testid': 'notes-pending', 'aria-live': 'polite' });
  const outbox = new NoteOutbox(roomId);
  const drawPending = (): void => {
    const mine = outbox.pending().filter((n) => n.segment_id === segSel.value);
    pendingBox.replaceChildren(...(outbox.pending().length
      ? [h('p', { class: 'muted' }, t('eval.pending', { n: outbox.pending().length })),
         h('ul', { class: 'plain' }, mine.map((n) => h('li', { class: 'pending' },
           h('span', { class: 'muted' }, clockOf(n.at)), ' ', h('span', { class: 'tag muted' }, t('eval.unsent')),
           n.kind ? h('span', { class: `tag kind-${n.kind}` }, t(`eval.kind_${n.kind}`)) : null,
           h('p', {}, n.text || t('eval.marker_empty')))))]
      : []));
  };
  const fillIn = (li: HTMLElement, n: Note): void => {
    const text = h('textarea', { rows: 2, 'aria-label': t('eval.note'), 'data-testid': 'fill-text' });
    const status = h('p', { class: 'status' });
    const save = h('button', { type: 'button', class: 'primary' }, t('eval.save'));
    save.onclick = () => void busy(save, async () => {
      if (!text.value.trim()) return;
      await api('PATCH', `/api/rooms/${roomId}/notes/${n.id}`, { text: text.value.trim() });
      reloadNotes();
    }, status);
    li.replaceChildren(li.firstChild!, text, h('div', { class: 'row' }, save,
      h('button', { type: 'button', onclick: () => reloadNotes() }, t('eval.cancel'))), status);
    text.focus();
  };
  const noteItem = (n: Note, origin: number): HTMLElement => {
    const li = h('li', { 'data-note-id': n.id });
    li.append(h('div', { class: 'note-meta' },
      h('span', { class: 'tag muted lesson-time', 'data-testid': 'lesson-time' }, t('eval.lesson_time', { t: lessonTime(n.at - origin) })), ' ',
      h('span', { class: 'muted' }, clockOf(n.at)), ' ',
      n.venue_id ? h('span', { class: 'muted', 'data-testid': 'note-venue' }, `@${venueName(n.venue_id) || n.venue_id}`) : null, ' ',
      h('strong', {}, n.author_name),
      n.kind ? h('span', { class: `tag kind-${n.kind}` }, t(`eval.kind_${n.kind}`)) : null,
      n.shared ? h('span', { class: 'tag muted' }, t('eval.shared')) : null));
    if (n.text) li.append(h('p', {}, n.text));
    else {
      li.append(h('p', { class: 'muted' }, t('eval.marker_empty'), ' ', n.author_id === me.id
        ? h('button', { type: 'button', class: 'link', 'data-testid': 'fill-in', onclick: () => fillIn(li, n) }, t('eval.fill'))
        : null));
    }
    return li;
  };
  const reloadNotes = (): void => void withLoading(notes,
    () => api('GET', `/api/rooms/${roomId}/notes?segment_id=${encodeURIComponent(segSel.value)}`).then((d) => listOf<Note>(d, 'notes')),
    (list) => {
      if (!list.length) return h('p', { class: 'muted' }, t('eval.no_notes'));
      const origin = Math.min(...list.map((n) => n.at));
      return h('ul', { class: 'plain notes' }, [...list].reverse().map((n) => noteItem(n, origin)));
    });

  // the moment a note is about: when typing began, not when it is saved
  let typingAt: number | null = null;
  const stamp = h('p', { class: 'hint', 'data-testid': 'note-stamp', 'aria-live': 'polite' });
  const noteText = h('textarea', { rows: 3, id: 'note-text', 'aria-label': t('eval.note'), placeholder: t('eval.note_hint') });
  noteText.addEventListener('input', () => {
    if (!noteText.value.trim()) {
      typingAt = null;
      stamp.textContent = '';
    } else if (typingAt === null) {
      typingAt = Date.now() / 1000;
      stamp.textContent = t('eval.typing_since', { time: clockOf(typingAt) });
      stamp.dataset.at = String(typingAt);
    }
  });
  const kind = h('select', { 'aria-label': t('eval.kind') }, KINDS.map((k) => h('option', { value: k }, t(`eval.kind_${k}`))));
  const share = h('input', { type: 'checkbox', id: 'note-share', checked: true });
  const noteStatus = h('p', { class: 'status' });
  const addNote = h('button', { type: 'submit', class: 'primary' }, t('eval.add_note'));
  outbox.onChange = drawPending;
  outbox.onSent = () => reloadNotes();
  outbox.onRejected = (n, err) => {
    noteStatus.textContent = `${t('eval.rejected', { text: n.text.slice(0, 20) })} ${errorText(err)}`;
    noteStatus.className = 'status error-text';
  };
  const send = (text: string, noteKind: string, at: number): void => {
    noteStatus.textContent = '';
    // kept in the outbox first: written offline, it is sent when the connection is back
    void outbox.add({
      room_id: roomId, client_id: uid(), text, kind: noteKind, segment_id: segSel.value, shared: share.checked,
      at, client_now: Date.now() / 1000, ...(watchedVenue() ? { venue_id: watchedVenue()! } : {}),
    });
  };
  const mark = (k: string): void => {
    send('', k, Date.now() / 1000);
    toast(t('eval.marked', { kind: t(`eval.kind_${k}`) }));
  };
  const markers = h('div', { class: 'row markers', 'aria-label': t('eval.markers') },
    KINDS.map((k, i) => h('button', { type: 'button', class: `marker-button kind-${k}`, 'data-kind': k, title: `Alt+${i + 1}`, onclick: () => mark(k) },
      t('eval.mark', { kind: t(`eval.kind_${k}`) }))));
  const onKey = (e: KeyboardEvent): void => {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const i = ['Digit1', 'Digit2', 'Digit3'].indexOf(e.code);
    if (i < 0) return;
    e.preventDefault();
    mark(KINDS[i]);
  };
  document.addEventListener('keydown', onKey);
  const noteForm = h('form', { class: 'card note-pad', onsubmit: (e: Event) => {
    e.preventDefault();
    const text = noteText.value.trim();
    if (!text) return;
    send(text, kind.value, typingAt ?? Date.now() / 1000);
    noteText.value = '';
    typingAt = null;
    stamp.textContent = '';
  } }, h('h2', {}, t('eval.notes')), markers, h('p', { class: 'hint' }, t('eval.marker_keys')), noteText, stamp,
    h('div', { class: 'row' }, kind, h('label', { class: 'inline' }, share, t('eval.share')), addNote), noteStatus, pendingBox, notes);

  // --- observation instrument and scores ------------------------------------------------------------------
  const observe = observePanel(roomId, manage, instruments, segSel.value);
  const scores = scoresPanel(roomId, room.title, role, manage, state.rubric, () => segSel.value);

  segSel.onchange = () => {
    reloadNotes();
    drawPending();
    observe.setSegment(segSel.value);
    scores.reload();
  };
  root.replaceChildren(head, field(t('eval.segment'), segSel),
    h('div', { class: 'observe-screen' },
      h('div', { class: 'watch' }, stage, observe.el),
      h('div', { class: 'pad' }, noteForm, ...scores.els)));
  reloadNotes();
  drawPending();

  // live: the program and venues, shared notes for everyone, the aggregate for hosts and moderators
  const offs = [
    on<{ room_id: string }>('note:shared', (d) => {
      if (d.room_id === roomId) reloadNotes();
    }),
    on<{ room_id: string; segment_id: string }>('eval:aggregate', (d) => {
      if (manage && d.room_id === roomId && d.segment_id === segSel.value) scores.reload();
    }),
  ];
  feed.box.note.textContent = t('live.waiting');
  live.join().then((st) => {
    venues = st.venues;
    sourceSel.append(...st.venues.map((v) => h('option', { value: `venue:${v.id}` }, t('live.venue_feed', { name: venueLabel(v) }))));
    live.on('program', drawLabel);
    live.on('sources', () => {
      if (!feed.active && live.sources.includes(sourceSel.value)) void feed.start(sourceSel.value);
    });
    live.on('ended', (d) => {
      if ((d as { source: string }).source === sourceSel.value) feed.stop(t('live.no_video'));
    });
    drawLabel();
    reloadNotes(); // venue names are known now
    void outbox.flush();
  }).catch(() => undefined);
  return () => {
    for (const off of offs) off();
    document.removeEventListener('keydown', onKey);
    observe.close();
    feed.stop();
    outbox.close();
    live.leave();
  };
}
