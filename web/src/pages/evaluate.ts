/** 听评课: timestamped observation notes (shared or private), scoring a segment on the room's rubric, and
 * for hosts and moderators the live aggregate and the report downloads. Lazy-loaded. */
import { api, downloadBlob, errorText, fetchBlob } from '../api';
import { h } from '../dom';
import { formatTime, t } from '../i18n';
import { NoteOutbox } from '../outbox';
import { on } from '../realtime';
import { type Cleanup, navigate } from '../router';
import { LiveRoom } from '../roomstate';
import { type AgendaSegment, canManage, getRoom, listOf, roleOf } from '../rooms';
import { getSession } from '../session';
import { busy, errorBox, field, loading, toast, uid, withLoading } from '../ui';

interface Criterion {
  key: string;
  title: string;
  descriptor: string;
  weight: number;
}

interface Rubric {
  id: string;
  name: string;
  scale: { min: number; max: number; step: number; labels: Record<string, string> };
  criteria: Criterion[];
}

interface Template extends Omit<Rubric, 'id'> {
  key: string;
}

interface Note {
  id: string;
  author_name: string;
  text: string;
  kind: string | null;
  shared: boolean;
  at: number;
}

interface Aggregate {
  aggregate: { count: number; criteria: { key: string; title: string; count: number; mean: number | null }[]; weighted_percent: number | null };
}

const WHOLE_LESSON = 'lesson';

export async function evaluatePage(root: HTMLElement, params: Record<string, string>): Promise<Cleanup | void> {
  if (!getSession()) {
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
    return;
  }
  const roomId = params.roomId;
  root.append(loading());
  let data: [Awaited<ReturnType<typeof getRoom>>, { rubric: Rubric | null }, AgendaSegment[]];
  try {
    data = await Promise.all([
      getRoom(roomId),
      api<{ rubric: Rubric | null }>('GET', `/api/rooms/${roomId}/evaluation`),
      api('GET', `/api/rooms/${roomId}/agenda`).then((d) => listOf<AgendaSegment>(d, 'segments')),
    ]);
  } catch (err) {
    root.replaceChildren(errorBox(err, () => navigate(location.pathname, true)));
    return;
  }
  const [room, state, agenda] = data;
  const role = roleOf(room);
  const head = h('div', { class: 'page-head' },
    h('a', { href: `/rooms/${roomId}`, 'data-link': true }, `← ${room.title}`),
    h('h1', {}, t('eval.title')),
    h('a', { href: `/rooms/${roomId}/replay`, 'data-link': true, class: 'button', id: 'go-replay' }, t('eval.go_replay')));

  if (!state.rubric) {
    if (role !== 'host') {
      root.replaceChildren(head, h('p', { class: 'muted' }, t('eval.no_rubric')));
      return;
    }
    const box = h('div', { class: 'card narrow' });
    void withLoading(box, () => api<Template[]>('GET', '/api/rubric-templates'), (templates) => {
      const sel = h('select', { id: 'rubric-template' }, templates.map((tp) => h('option', { value: tp.key }, tp.name)));
      const status = h('p', { class: 'status' });
      const use = h('button', { type: 'button', class: 'primary' }, t('eval.use_template'));
      use.onclick = () => void busy(use, async () => {
        await api('POST', `/api/rooms/${roomId}/rubrics`, { template: sel.value });
        navigate(location.pathname, true);
      }, status);
      return [h('h2', {}, t('eval.choose_rubric')), field(t('eval.template'), sel), use, status];
    });
    root.replaceChildren(head, box);
    return;
  }
  const rubric = state.rubric;
  const segments = agenda.length ? agenda.map((s) => ({ id: s.id!, title: s.title })) : [{ id: WHOLE_LESSON, title: t('eval.whole_lesson') }];
  const segSel = h('select', { id: 'segment', 'aria-label': t('eval.segment') }, segments.map((s) => h('option', { value: s.id }, s.title)));

  // --- notes ---------------------------------------------------------------------------------------
  const notes = h('div', { 'data-testid': 'notes' });
  const pendingBox = h('div', { 'data-testid': 'notes-pending', 'aria-live': 'polite' });
  const outbox = new NoteOutbox(roomId);
  const drawPending = (): void => {
    const mine = outbox.pending().filter((n) => n.segment_id === segSel.value);
    pendingBox.replaceChildren(...(outbox.pending().length
      ? [h('p', { class: 'muted' }, t('eval.pending', { n: outbox.pending().length })),
         h('ul', { class: 'plain' }, mine.map((n) => h('li', { class: 'pending' },
           h('span', { class: 'muted' }, formatTime(n.at)), ' ', h('span', { class: 'tag muted' }, t('eval.unsent')),
           h('p', {}, n.text))))]
      : []));
  };
  const reloadNotes = (): void => void withLoading(notes,
    () => api('GET', `/api/rooms/${roomId}/notes?segment_id=${encodeURIComponent(segSel.value)}`).then((d) => listOf<Note>(d, 'notes')),
    (list) => list.length
      ? h('ul', { class: 'plain' }, list.map((n) => h('li', {},
          h('span', { class: 'muted' }, formatTime(n.at)), ' ', h('strong', {}, n.author_name), ' ',
          n.kind ? h('span', { class: 'tag' }, t(`eval.kind_${n.kind}`)) : null,
          n.shared ? h('span', { class: 'tag muted' }, t('eval.shared')) : null,
          h('p', {}, n.text))))
      : h('p', { class: 'muted' }, t('eval.no_notes')));
  const noteText = h('textarea', { rows: 3, id: 'note-text', 'aria-label': t('eval.note') , placeholder: t('eval.note_hint') });
  const kind = h('select', { 'aria-label': t('eval.kind') }, ['positive', 'question', 'suggestion'].map((k) => h('option', { value: k }, t(`eval.kind_${k}`))));
  const share = h('input', { type: 'checkbox', id: 'note-share', checked: true });
  const noteStatus = h('p', { class: 'status' });
  const addNote = h('button', { type: 'submit', class: 'primary' }, t('eval.add_note'));
  outbox.onChange = drawPending;
  outbox.onSent = () => reloadNotes();
  outbox.onRejected = (n, err) => {
    noteStatus.textContent = `${t('eval.rejected', { text: n.text.slice(0, 20) })} ${errorText(err)}`;
    noteStatus.className = 'status error-text';
  };
  const noteForm = h('form', { class: 'card', onsubmit: (e: Event) => {
    e.preventDefault();
    if (!noteText.value.trim()) return;
    noteStatus.textContent = '';
    // kept in the outbox first: written offline, it is sent when the connection is back
    void outbox.add({
      room_id: roomId, client_id: uid(), text: noteText.value.trim(), kind: kind.value, segment_id: segSel.value,
      shared: share.checked, at: Date.now() / 1000, client_now: Date.now() / 1000,
    });
    noteText.value = '';
  } }, h('h2', {}, t('eval.notes')), noteText, h('div', { class: 'row' }, kind, h('label', { class: 'inline' }, share, t('eval.share')), addNote), noteStatus, pendingBox, notes);

  // --- scores --------------------------------------------------------------------------------------
  const steps: number[] = [];
  for (let v = rubric.scale.min; v <= rubric.scale.max + 1e-9; v += rubric.scale.step) steps.push(Math.round(v * 100) / 100);
  const inputs = rubric.criteria.map((c) => {
    const sel = h('select', { 'aria-label': c.title, 'data-criterion': c.key },
      h('option', { value: '' }, '—'),
      steps.map((v) => h('option', { value: String(v) }, rubric.scale.labels[String(v)] ? `${v} ${rubric.scale.labels[String(v)]}` : String(v))));
    return { c, sel };
  });
  const overall = h('textarea', { rows: 2, 'aria-label': t('eval.comment'), placeholder: t('eval.comment') });
  const scoreStatus = h('p', { class: 'status', 'data-testid': 'score-status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('eval.submit'));
  const scoreForm = h('form', { class: 'card', onsubmit: (e: Event) => {
    e.preventDefault();
    const missing = inputs.find((x) => !x.sel.value);
    if (missing) {
      scoreStatus.textContent = t('eval.missing', { title: missing.c.title });
      missing.sel.focus();
      return;
    }
    void busy(submit, async () => {
      await api('PUT', `/api/rooms/${roomId}/segments/${encodeURIComponent(segSel.value)}/evaluation`, {
        rubric_id: rubric.id,
        scores: inputs.map((x) => ({ criterion: x.c.key, score: Number(x.sel.value) })),
        comment: overall.value.trim(),
      });
      scoreStatus.textContent = t('eval.submitted');
      scoreStatus.className = 'status';
      toast(t('eval.submitted'));
      if (manage) reloadAgg();
    }, scoreStatus);
  } }, h('h2', {}, t('eval.score'), ' ', h('span', { class: 'muted' }, rubric.name)),
    h('table', { class: 'rubric' }, h('tbody', {}, inputs.map(({ c, sel }) => h('tr', {},
      h('th', { scope: 'row' }, c.title, c.descriptor ? h('div', { class: 'hint' }, c.descriptor) : null), h('td', {}, sel))))),
    overall, submit, scoreStatus);

  // --- aggregate and reports (host, moderators) -----------------------------------------------------
  const manage = canManage(role);
  const agg = h('div', { 'data-testid': 'aggregate' });
  const reloadAgg = (): void => void withLoading(agg,
    () => api<Aggregate>('GET', `/api/rooms/${roomId}/segments/${encodeURIComponent(segSel.value)}/aggregate`),
    (res) => [
      h('p', {}, t('eval.count', { n: res.aggregate.count }),
        res.aggregate.weighted_percent !== null ? ` · ${t('eval.percent', { p: res.aggregate.weighted_percent.toFixed(1) })}` : ''),
      h('table', { class: 'rubric' }, h('tbody', {}, res.aggregate.criteria.map((c) => h('tr', {},
        h('th', { scope: 'row' }, c.title), h('td', {}, c.mean === null ? '—' : c.mean.toFixed(2)))))),
    ]);
  const reportStatus = h('p', { class: 'status' });
  const reports = h('div', { class: 'row' }, [['docx', 'Word'], ['csv', 'CSV']].map(([fmt, name]) =>
    h('button', { type: 'button', onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
      const blob = await fetchBlob(`/api/rooms/${roomId}/segments/${encodeURIComponent(segSel.value)}/report?format=${fmt}`);
      downloadBlob(blob, `${room.title}-${t('eval.report')}.${fmt}`);
    }, reportStatus) }, `${t('eval.report')} ${name}`)));
  const aggBox = manage && h('section', { class: 'card' }, h('h2', {}, t('eval.aggregate')),
    h('button', { type: 'button', onclick: () => reloadAgg() }, t('eval.refresh')), agg, reports, reportStatus);

  segSel.onchange = () => {
    reloadNotes();
    drawPending();
    if (manage) reloadAgg();
  };
  root.replaceChildren(head, field(t('eval.segment'), segSel), h('div', { class: 'columns' }, h('div', {}, scoreForm, aggBox), noteForm));
  reloadNotes();
  drawPending();
  if (manage) reloadAgg();

  // live: shared notes for everyone, the aggregate for hosts and moderators (joining the room's channels)
  const live = new LiveRoom(roomId);
  const offs = [
    on<{ room_id: string; note: { segment_id?: string | null } }>('note:shared', (d) => {
      if (d.room_id === roomId) reloadNotes();
    }),
    on<{ room_id: string; segment_id: string }>('eval:aggregate', (d) => {
      if (manage && d.room_id === roomId && d.segment_id === segSel.value) reloadAgg();
    }),
  ];
  live.join().then(() => void outbox.flush()).catch(() => undefined);
  return () => {
    for (const off of offs) off();
    outbox.close();
    live.leave();
  };
}
