/** 课堂实录回放: the room's recordings; one plays in a <video> (the file is served with range requests) with
 * the notes on its timeline — markers by offset, coloured by kind, the main venue's stretches as bands —
 * and as a list; choosing a note (click, or Enter on the focused marker or list item) seeks the video to
 * the moment it was written. Markers and list items are buttons, so Enter works as a click. Lazy-loaded. */
import { api, attachMedia } from '../api';
import { h } from '../dom';
import { formatTime, t } from '../i18n';
import { navigate } from '../router';
import { getRoom, listOf } from '../rooms';
import { getSession } from '../session';
import { errorBox, loading, withLoading } from '../ui';

interface Recording {
  id: string;
  source: string;
  started_at: number;
  duration: number;
  status: string;
  url: string;
}

interface PlacedNote {
  offset: number;
  note: { id: string; author_name: string; text: string; kind: string | null; criterion: string | null };
}

interface OnAir {
  start: number;
  end: number;
  venue_id: string | null;
  venue_name: string | null;
}

interface PlacedCode {
  offset: number;
  instrument: string;
  code: string;
  title: string;
  color: string;
}

interface Replay {
  notes: PlacedNote[];
  on_air: OnAir[];
  codes?: PlacedCode[];
}

/** m:ss (or h:mm:ss) of a position in the recording. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

function sourceLabel(rec: Recording): string {
  return rec.source === 'program' ? t('replay.source_program') : t('replay.source_venue');
}

export async function replayPage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  if (!getSession()) {
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
    return;
  }
  const roomId = params.roomId;
  root.append(loading());
  let room: Awaited<ReturnType<typeof getRoom>>;
  let recordings: Recording[];
  try {
    [room, recordings] = await Promise.all([
      getRoom(roomId),
      api('GET', `/api/rooms/${roomId}/recordings`).then((d) => listOf<Recording>(d, 'recordings')),
    ]);
  } catch (err) {
    root.replaceChildren(errorBox(err, () => navigate(location.pathname, true)));
    return;
  }
  const head = h('div', { class: 'page-head' },
    h('a', { href: `/rooms/${roomId}/evaluate`, 'data-link': true }, `← ${room.title}`),
    h('h1', {}, t('replay.title')));
  if (!recordings.length) {
    root.replaceChildren(head, h('p', { class: 'muted', 'data-testid': 'no-recordings' }, t('replay.none')));
    return;
  }

  const video = h('video', { controls: true, preload: 'metadata', 'data-testid': 'replay-video' });
  const videoStatus = h('p', { class: 'status', 'data-testid': 'video-status' });
  video.addEventListener('error', () => {
    videoStatus.textContent = t('replay.video_error');
    videoStatus.className = 'status error-text';
    videoStatus.setAttribute('role', 'alert');
  });
  const timeline = h('div', { class: 'timeline', 'data-testid': 'timeline', 'aria-label': t('replay.timeline') });
  const list = h('div', { 'data-testid': 'replay-notes' });
  const player = h('section', { class: 'card' }, video, videoStatus, timeline);

  const seek = (offset: number, id: string): void => {
    video.currentTime = offset;
    for (const el of root.querySelectorAll('[data-note-id]')) {
      el.toggleAttribute('aria-current', el.getAttribute('data-note-id') === id);
    }
  };

  const show = (rec: Recording): void => {
    for (const el of picker.querySelectorAll('button')) el.setAttribute('aria-pressed', String(el.dataset.recordingId === rec.id));
    videoStatus.textContent = '';
    videoStatus.className = 'status';
    attachMedia(video, rec.url);
    void withLoading(list, () => api<Replay>('GET', `/api/rooms/${roomId}/replay?recording_id=${encodeURIComponent(rec.id)}`), (replay) => {
      // the recording's own length; a file still being written grows, so the last note bounds it too
      const length = Math.max(rec.duration, ...replay.notes.map((p) => p.offset), ...replay.on_air.map((b) => b.end), 1);
      const at = (seconds: number): string => `${Math.min(100, (seconds / length) * 100).toFixed(3)}%`;
      const noteLabel = (p: PlacedNote): string =>
        `${clock(p.offset)} ${p.note.kind ? t(`eval.kind_${p.note.kind}`) : ''} ${p.note.author_name}：${p.note.text}`;
      timeline.replaceChildren(
        ...replay.on_air.map((b) => h('div', {
          class: `band${b.venue_id ? '' : ' slate'}`, style: `left:${at(b.start)};width:${at(b.end - b.start)}`,
          title: b.venue_name ?? t('replay.slate'), 'data-venue-id': b.venue_id ?? '',
        }, b.venue_name ?? t('replay.slate'))),
        // observation codes (S-T …): each colours the stretch until the next code of its instrument
        ...(replay.codes ?? []).map((c, i, all) => {
          const next = all.slice(i + 1).find((x) => x.instrument === c.instrument);
          const end = next ? next.offset : Math.min(length, c.offset + 30);
          return h('span', {
            class: 'code', style: `left:${at(c.offset)};width:${at(Math.max(end - c.offset, 0))};background:${c.color}`,
            title: `${clock(c.offset)} ${c.title}`, 'data-code': c.code,
          });
        }),
        ...replay.notes.map((p) => h('button', {
          type: 'button', class: `marker kind-${p.note.kind ?? 'none'}`, style: `left:${at(p.offset)}`,
          title: noteLabel(p), 'aria-label': noteLabel(p), 'data-note-id': p.note.id, 'data-offset': String(p.offset),
          onclick: () => seek(p.offset, p.note.id),
        })),
      );
      if (!replay.notes.length) return h('p', { class: 'muted' }, t('replay.no_notes'));
      return h('ol', { class: 'plain replay-notes' }, replay.notes.map((p) => h('li', {},
        h('button', { type: 'button', class: 'note-item', 'data-note-id': p.note.id, 'data-offset': String(p.offset), onclick: () => seek(p.offset, p.note.id) },
          h('span', { class: 'muted' }, clock(p.offset)), ' ',
          p.note.kind ? h('span', { class: `tag kind-${p.note.kind}` }, t(`eval.kind_${p.note.kind}`)) : null, ' ',
          h('strong', {}, p.note.author_name), ' ', p.note.text))));
    });
  };

  const picker = h('ul', { class: 'plain', 'data-testid': 'recordings' }, recordings.map((rec) => h('li', {},
    h('button', { type: 'button', 'data-recording-id': rec.id, 'aria-pressed': 'false', onclick: () => show(rec) },
      `${formatTime(rec.started_at)} · ${sourceLabel(rec)} · ${clock(rec.duration)}`,
      rec.status === 'recording' ? h('span', { class: 'tag' }, t('replay.recording')) : null,
      rec.status === 'failed' ? h('span', { class: 'tag' }, t('rec.failed')) : null))));
  root.replaceChildren(head, h('div', { class: 'columns replay' },
    h('div', {}, player, h('section', { class: 'card' }, h('h2', {}, t('replay.recordings')), picker)),
    h('section', { class: 'card' }, h('h2', {}, t('replay.notes')), list)));
  show(recordings[recordings.length - 1]);
}
