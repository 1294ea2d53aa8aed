/** Scoring on the 听评课 screen: the rubric form (or, before the host chose one, the template picker for
 * the host and a note for everyone else — notes and observation do not wait for it), and for hosts and
 * moderators the live aggregate and the report downloads. */
import { api, downloadBlob, fetchBlob } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { navigate } from '../router';
import { busy, field, toast, withLoading } from '../ui';

interface Criterion {
  key: string;
  title: string;
  descriptor: string;
  weight: number;
}

export interface Rubric {
  id: string;
  name: string;
  scale: { min: number; max: number; step: number; labels: Record<string, string> };
  criteria: Criterion[];
}

interface Template extends Omit<Rubric, 'id'> {
  key: string;
}

interface Aggregate {
  aggregate: { count: number; criteria: { key: string; title: string; count: number; mean: number | null }[]; weighted_percent: number | null };
}

export interface ScoresPanel {
  els: HTMLElement[];
  /** the segment changed, or its aggregate did */
  reload(): void;
}

export function scoresPanel(roomId: string, roomTitle: string, role: string | null, manage: boolean, rubric: Rubric | null, segment: () => string): ScoresPanel {
  if (!rubric) {
    if (role !== 'host') {
      return { els: [h('section', { class: 'card', 'data-testid': 'no-rubric' }, h('h2', {}, t('eval.score')),
        h('p', { class: 'muted' }, t('eval.no_rubric')), h('p', { class: 'hint' }, t('eval.rubric_pending')))], reload: () => undefined };
    }
    const box = h('section', { class: 'card' });
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
    return { els: [box], reload: () => undefined };
  }
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
      await api('PUT', `/api/rooms/${roomId}/segments/${encodeURIComponent(segment())}/evaluation`, {
        rubric_id: rubric.id,
        scores: inputs.map((x) => ({ criterion: x.c.key, score: Number(x.sel.value) })),
        comment: overall.value.trim(),
      });
      scoreStatus.textContent = t('eval.submitted');
      scoreStatus.className = 'status';
      toast(t('eval.submitted'));
      reloadAgg();
    }, scoreStatus);
  } }, h('h2', {}, t('eval.score'), ' ', h('span', { class: 'muted' }, rubric.name)),
    h('table', { class: 'rubric' }, h('tbody', {}, inputs.map(({ c, sel }) => h('tr', {},
      h('th', { scope: 'row' }, c.title, c.descriptor ? h('div', { class: 'hint' }, c.descriptor) : null), h('td', {}, sel))))),
    overall, submit, scoreStatus);

  const agg = h('div', { 'data-testid': 'aggregate' });
  const reloadAgg = (): void => {
    if (!manage) return;
    void withLoading(agg,
      () => api<Aggregate>('GET', `/api/rooms/${roomId}/segments/${encodeURIComponent(segment())}/aggregate`),
      (res) => [
        h('p', {}, t('eval.count', { n: res.aggregate.count }),
          res.aggregate.weighted_percent !== null ? ` · ${t('eval.percent', { p: res.aggregate.weighted_percent.toFixed(1) })}` : ''),
        h('table', { class: 'rubric' }, h('tbody', {}, res.aggregate.criteria.map((c) => h('tr', {},
          h('th', { scope: 'row' }, c.title), h('td', {}, c.mean === null ? '—' : c.mean.toFixed(2)))))),
      ]);
  };
  const reportStatus = h('p', { class: 'status' });
  const reports = h('div', { class: 'row' }, [['docx', 'Word'], ['html', 'HTML'], ['csv', 'CSV']].map(([fmt, name]) =>
    h('button', { type: 'button', onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
      const blob = await fetchBlob(`/api/rooms/${roomId}/segments/${encodeURIComponent(segment())}/report?format=${fmt}`);
      downloadBlob(blob, `${roomTitle}-${t('eval.report')}.${fmt}`);
    }, reportStatus) }, `${t('eval.report')} ${name}`)));
  const aggBox = manage ? h('section', { class: 'card' }, h('h2', {}, t('eval.aggregate')),
    h('button', { type: 'button', onclick: () => reloadAgg() }, t('eval.refresh')), agg, reports, reportStatus) : null;
  reloadAgg();
  return { els: aggBox ? [scoreForm, aggBox] : [scoreForm], reload: reloadAgg };
}
