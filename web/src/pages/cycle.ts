/** The cycle view (课例研磨, /cycles/:id): the steps in order with the next one to add, the drafts carried from
 * room to room with what changed between them, each step's recordings, the rubric means per criterion step
 * over step (a chart and a table) and the S-T results side by side. */
import { api, attachMedia, errorText } from '../api';
import { h } from '../dom';
import { formatTime, locale, roleName, t } from '../i18n';
import { type CycleView, type DiffSection, canRun, type Studio, type Trial } from '../studios';
import { busy, field, loading } from '../ui';
import { inputTime } from './home';

const PALETTE = ['#1971c2', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#0c8599', '#c2255c', '#5f3dc4', '#495057', '#74b816'];

const DIGITS = '零一二三四五六七八九';

/** 1 → 一, 10 → 十, 12 → 十二 in Chinese (as the server names drafts: 第二稿); Arabic otherwise. */
function ordinal(n: number): string {
  if (locale() !== 'zh-CN' || n < 1 || n > 99) return String(n);
  if (n < 10) return DIGITS[n];
  const [tens, ones] = [Math.floor(n / 10), n % 10];
  return (tens === 1 ? '' : DIGITS[tens]) + '十' + (ones ? DIGITS[ones] : '');
}

function stageLabel(stage: string, index: number, steps: { stage: string }[]): string {
  if (stage !== 'trial') return t(`stage.${stage}`);
  const n = steps.slice(0, index + 1).filter((s) => s.stage === 'trial').length;
  return t('stage.trial_n', { n: ordinal(n) });
}

/** The same per-section rendering as the preparation page's version compare. */
function renderDiff(sections: DiffSection[]): HTMLElement {
  if (!sections.length) return h('p', { class: 'muted' }, t('version.no_changes'));
  return h('div', { class: 'diff diff-sections' }, sections.map((s) => h('section', { class: `diff-section ${s.status}` },
    h('h4', {}, `【${s.section || t('version.top')}】`, h('span', { class: 'muted' }, t(`version.status_${s.status}`))),
    s.changes.map((c) => h('p', { class: 'change' },
      c.before ? h('span', { class: 'muted' }, `…${c.before}`) : null,
      c.removed ? h('del', { title: t('version.removed') }, c.removed) : null,
      c.added ? h('ins', { title: t('version.added') }, c.added) : null)))));
}

function stepsSection(view: CycleView, reload: () => void, canAdd: boolean): HTMLElement {
  const steps = view.cycle.steps;
  const list = steps.length
    ? h('ol', { class: 'cycle-steps', 'data-testid': 'cycle-steps' }, steps.map((s, i) => h('li', { class: `step stage-${s.stage}` },
        h('span', { class: 'step-stage' }, stageLabel(s.stage, i, steps)),
        h('a', { href: `/rooms/${s.room.id}`, 'data-link': true }, s.room.title),
        s.room.starts_at ? h('span', { class: 'when' }, formatTime(s.room.starts_at)) : null,
        s.room.my_role && h('span', { class: 'tag muted' }, roleName(s.room.my_role)),
        s.doc_id && h('a', { href: `/rooms/${s.room.id}/docs/${s.doc_id}`, 'data-link': true, class: 'small-link' }, t('cycle.plan')))))
    : h('p', { class: 'muted' }, t('cycle.no_steps'));
  let form: HTMLElement | null = null;
  const closed = steps.length > 0 && steps[steps.length - 1].stage === 'showcase';
  if (canAdd && !closed) {
    const stages = steps.length ? ['trial', 'showcase'] : ['prep', 'trial'];
    const stage = h('select', { name: 'stage', 'aria-label': t('cycle.stage') }, stages.map((s) => h('option', { value: s }, t(`stage.${s}`))));
    const starts = h('input', { name: 'starts_at', type: 'datetime-local', 'aria-label': t('room.starts_at') });
    const status = h('p', { class: 'status' });
    const add = h('button', { type: 'submit', class: 'primary', id: 'add-step' }, t('cycle.add_step'));
    form = h('form', {
      class: 'add-step',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void busy(add, async () => {
          const start = inputTime(starts);
          const body: Record<string, unknown> = { stage: stage.value };
          if (start) Object.assign(body, { starts_at: start, ends_at: start + 90 * 60 });
          await api('POST', `/api/cycles/${view.cycle.id}/steps`, body);
          reload();
        }, status);
      },
    }, h('p', { class: 'hint' }, steps.length ? t('cycle.carry_hint') : t('cycle.first_hint')),
    h('div', { class: 'row' }, field(t('cycle.stage'), stage), field(t('room.starts_at'), starts), add), status);
  }
  return h('section', { class: 'card', id: 'cycle-steps' }, h('h2', {}, t('cycle.steps')), list, form);
}

function draftsSection(view: CycleView): HTMLElement {
  const roomTitle = (id: string): string => view.cycle.steps.find((s) => s.room.id === id)?.room.title ?? '';
  return h('section', { class: 'card', id: 'cycle-drafts' },
    h('h2', {}, t('cycle.drafts')),
    view.drafts.length
      ? h('ol', { class: 'drafts', 'data-testid': 'cycle-drafts' }, view.drafts.map((d) => h('li', {},
          h('a', { href: `/rooms/${d.room_id}/docs/${d.doc_id}`, 'data-link': true, class: 'draft-name' }, d.name),
          h('span', { class: 'muted' }, ' · ', roomTitle(d.room_id)))))
      : h('p', { class: 'muted' }, t('cycle.no_drafts')),
    view.diffs.map((d, i) => h('details', { class: 'draft-diff', open: i === view.diffs.length - 1 },
      h('summary', {}, t('cycle.diff_between', { from: d.from, to: d.to })),
      renderDiff(d.sections))),
  );
}

function recordingsOf(trial: Trial): HTMLElement {
  if (!trial.recordings.length) return h('p', { class: 'muted' }, t('cycle.no_recording'));
  return h('div', { class: 'recordings' }, trial.recordings.map((r) => {
    const video = h('video', { controls: true, preload: 'metadata', class: 'recording', 'data-recording-id': r.id });
    attachMedia(video, r.url);
    return h('figure', { class: 'recording-tile' }, video,
      h('figcaption', { class: 'muted' }, formatTime(r.started_at), ' · ', (r.duration < 60 ? t('cycle.seconds', { n: Math.round(r.duration) }) : t('cycle.minutes', { n: Math.round(r.duration / 60) }))));
  }));
}

function stepsWithData(view: CycleView): { trial: Trial; index: number }[] {
  return view.trials.map((trial, index) => ({ trial, index })).filter(({ trial }) => trial.recordings.length || trial.rubric?.evaluations || trial.observation.length);
}

function trialsSection(view: CycleView): HTMLElement {
  const steps = view.cycle.steps;
  const shown = stepsWithData(view);
  return h('section', { class: 'card', id: 'cycle-trials' },
    h('h2', {}, t('cycle.trials')),
    shown.length
      ? h('div', { class: 'trial-columns', 'data-testid': 'cycle-trials' }, shown.map(({ trial, index }) => h('article', { class: 'trial', 'data-room-id': trial.room_id },
          h('h3', {}, stageLabel(trial.stage, index, steps)),
          h('p', { class: 'muted' }, trial.title),
          recordingsOf(trial),
          trial.observation.map((o) => h('div', { class: 'st-result', 'data-instrument': o.instrument },
            h('h4', {}, o.instrument_name),
            h('p', {}, o.metrics.map((m) => h('span', { class: 'metric' }, `${m.title}：${fmt(o.result.metrics[m.key])}`, ' '))),
            o.result.type_title && h('p', {}, t('cycle.lesson_type'), '：', h('strong', {}, o.result.type_title)),
            h('p', { class: 'muted' }, t('cycle.st_counts', { n: o.result.n, observers: o.observers }))))),
        ))
      : h('p', { class: 'muted' }, t('cycle.no_results')),
  );
}

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : (Math.round(x * 100) / 100).toString();
}

/** Per-criterion means step over step: one line per criterion on the rubric's scale. */
function chart(view: CycleView, columns: number[]): SVGSVGElement {
  const NS = 'http://www.w3.org/2000/svg';
  const el = <K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const scale = view.trials.find((x) => x.rubric)?.rubric?.scale ?? { min: 1, max: 5 };
  const W = 420, H = 230, L = 30, R = 44, T = 12, B = 34;
  const x = (i: number): number => (columns.length < 2 ? L + (W - L - R) / 2 : L + (i * (W - L - R)) / (columns.length - 1));
  const y = (v: number): number => T + ((scale.max - v) * (H - T - B)) / (scale.max - scale.min);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'criteria-chart', role: 'img', 'aria-label': t('cycle.chart_label') });
  for (let v = scale.min; v <= scale.max; v += 1) {
    svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e9ecef' }), el('text', { x: L - 8, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 12, fill: '#656d76' }, String(v)));
  }
  columns.forEach((c, i) => svg.append(el('text', { x: x(i), y: H - 12, 'text-anchor': 'middle', 'font-size': 12, fill: '#1f2328' }, stageLabel(view.trials[c].stage, c, view.cycle.steps))));
  view.criteria.forEach((crit, k) => {
    const color = PALETTE[k % PALETTE.length];
    const pts = columns.map((c, i) => [i, crit.means[c]] as const).filter(([, v]) => v !== null) as [number, number][];
    if (pts.length > 1) svg.append(el('polyline', { points: pts.map(([i, v]) => `${x(i)},${y(v)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }));
    for (const [i, v] of pts) {
      const dot = el('circle', { cx: x(i), cy: y(v), r: 3.5, fill: color });
      dot.append(el('title', {}, `${crit.title} ${fmt(v)}`));
      svg.append(dot);
    }
  });
  return svg;
}

function rubricSection(view: CycleView): HTMLElement {
  const columns = view.trials.map((tr, i) => (tr.rubric?.evaluations ? i : -1)).filter((i) => i >= 0);
  if (!columns.length || !view.criteria.length) {
    return h('section', { class: 'card', id: 'cycle-rubric' }, h('h2', {}, t('cycle.rubric')), h('p', { class: 'muted' }, t('cycle.no_scores')));
  }
  const steps = view.cycle.steps;
  return h('section', { class: 'card', id: 'cycle-rubric' },
    h('h2', {}, t('cycle.rubric')),
    h('div', { class: 'chart-wrap' }, chart(view, columns)),
    h('ul', { class: 'legend' }, view.criteria.map((c, k) => h('li', {}, h('span', { class: 'swatch', style: `background:${PALETTE[k % PALETTE.length]}` }), c.title))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'rubric criteria-table', 'data-testid': 'criteria-table' },
      h('thead', {}, h('tr', {}, h('th', {}, t('cycle.criterion')), columns.map((c) => h('th', {}, stageLabel(view.trials[c].stage, c, steps))))),
      h('tbody', {}, view.criteria.map((crit) => h('tr', { 'data-criterion': crit.key }, h('th', {}, crit.title), columns.map((c) => h('td', {}, fmt(crit.means[c])))))),
      h('tfoot', {}, h('tr', {}, h('th', {}, t('cycle.evaluations')), columns.map((c) => h('td', {}, String(view.trials[c].rubric?.evaluations ?? 0))))),
    )),
  );
}

export async function cyclePage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  const load = async (): Promise<void> => {
    let view: CycleView;
    let studio: Studio;
    try {
      view = await api<CycleView>('GET', `/api/cycles/${params.cycleId}`);
      studio = await api<Studio>('GET', `/api/studios/${view.cycle.studio_id}`);
    } catch (err) {
      root.replaceChildren(h('div', { class: 'error', role: 'alert' }, errorText(err)));
      return;
    }
    root.replaceChildren(
      h('p', { class: 'crumbs' }, h('a', { href: `/studios/${studio.id}`, 'data-link': true }, studio.name), ' / ', t('cycle.title')),
      h('div', { class: 'page-head' }, h('h1', { 'data-testid': 'cycle-title' }, `《${view.cycle.title}》${t('cycle.title')}`)),
      h('div', { class: 'cycle-grid' },
        h('div', {}, stepsSection(view, () => void load(), canRun(studio.my_role)), draftsSection(view)),
        h('div', {}, rubricSection(view)),
      ),
      trialsSection(view),
    );
  };
  root.append(loading());
  await load();
}
