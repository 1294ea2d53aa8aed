/** 课堂观察量表 on the 听评课 screen: the observer picks an instrument (S-T, teacher question types …, all data
 * from the server), starts or joins the segment's run, and codes — an interval instrument prompts every
 * `interval_seconds` on the run's grid (server time), an event instrument takes a tap per event. Codes are
 * kept in localStorage until the server has them. Her own Rt/Ch, lesson type, S-T curve and Rt–Ch point
 * update as she codes; hosts and moderators also see every observer and their agreement. */
import { ApiError, api, errorText } from '../api';
import { append, h } from '../dom';
import { t } from '../i18n';
import { on } from '../realtime';
import { busy, field, uid, withLoading } from '../ui';

interface Code { key: string; title: string; hint: string; shortcut: string | null; color: string }
interface Metric { key: string; title: string; kind: string }
interface LessonType { key: string; title: string; when: Record<string, { min?: number | null; max?: number | null }> }
export interface Instrument {
  key: string;
  name: string;
  method: string;
  description: string;
  mode: 'interval' | 'event';
  interval_seconds: number | null;
  prompt: string;
  codes: Code[];
  metrics: Metric[];
  types: LessonType[];
  curve: { title: string; x: string[]; y: string[]; x_title: string; y_title: string } | null;
  diagram: { title: string; x: string; y: string } | null;
}
interface Run { id: string; segment_id: string; instrument: string; interval_seconds: number | null; started_at: number; server_now: number }
interface Result { n: number; counts: Record<string, number>; metrics: Record<string, number | null>; runs: number; type: string | null; type_title: string | null; curve: [number, number][] }
interface Sample { slot: number | null; code: string; client_id: string }
interface Mine { run: Run; samples: Sample[]; result: Result }
interface Analysis { observers: { observer: string; result: Result }[]; combined: Result; agreement: number | null }
interface PendingCode { code: string; slot?: number; client_id?: string; at?: number }

const TRANSIENT = new Set(['timeout', 'error', 'internal', 'rate_limited', 'unavailable', 'shutting_down']);
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text) el.textContent = text;
  return el;
}

const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : x.toFixed(3));

/** The S-T curve: right for each x code, up for each y code, on equal axes with the 45° line. */
function curveSvg(spec: Instrument, results: { result: Result; strong: boolean }[]): SVGElement {
  const size = 200;
  const pad = 24;
  const top = Math.max(1, ...results.flatMap((r) => r.result.curve.flat())) + 1;
  const px = (v: number): number => pad + (v / top) * (size - 2 * pad);
  const py = (v: number): number => size - pad - (v / top) * (size - 2 * pad);
  const el = svg('svg', { viewBox: `0 0 ${size} ${size}`, class: 'chart', role: 'img', 'aria-label': spec.curve!.title, 'data-testid': 'st-curve' });
  el.append(
    svg('rect', { x: pad, y: pad, width: size - 2 * pad, height: size - 2 * pad, fill: 'none', stroke: '#999' }),
    svg('line', { x1: px(0), y1: py(0), x2: px(top), y2: py(top), stroke: '#ddd' }),
    svg('text', { x: size / 2, y: size - 5, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 700, class: 'axis' }, spec.curve!.x_title || 'T'),
    svg('text', { x: 4, y: 15, 'font-size': 13, 'font-weight': 700, class: 'axis' }, spec.curve!.y_title || 'S'),
  );
  for (const r of results) {
    el.append(svg('polyline', {
      points: r.result.curve.map(([x, y]) => `${px(x)},${py(y)}`).join(' '), fill: 'none',
      stroke: r.strong ? '#4C78A8' : '#aaa', 'stroke-width': r.strong ? 3 : 1.5,
    }));
  }
  return el;
}

/** Where each lesson type lies on the diagram: the centre of the cells of a fine grid that the type rules
 * (first match wins, as on the server) give to it — the instrument's data decides, not this code. */
function typeCentres(spec: Instrument, x: string, y: string): { title: string; cx: number; cy: number }[] {
  const steps = 40;
  const sums = new Map<LessonType, { sx: number; sy: number; n: number }>();
  const within = (v: number, b: { min?: number | null; max?: number | null }): boolean =>
    (b.min === null || b.min === undefined || v >= b.min) && (b.max === null || b.max === undefined || v <= b.max);
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      const at: Record<string, number> = { [x]: (i + 0.5) / steps, [y]: (j + 0.5) / steps };
      const ty = spec.types.find((tt) => Object.entries(tt.when).every(([k, b]) => k in at && within(at[k], b)));
      if (!ty) continue;
      const s = sums.get(ty) ?? { sx: 0, sy: 0, n: 0 };
      sums.set(ty, { sx: s.sx + at[x], sy: s.sy + at[y], n: s.n + 1 });
    }
  }
  return [...sums].map(([ty, s]) => ({ title: ty.title, cx: s.sx / s.n, cy: s.sy / s.n }));
}

/** The Rt–Ch diagram: the type regions' thresholds as lines with each region's name inside it, the axes
 * named and their thresholds marked, each observer grey, the main point red. */
function diagramSvg(spec: Instrument, results: { result: Result; strong: boolean }[]): SVGElement {
  const d = spec.diagram!;
  const size = 240;
  const pad = 34;
  const px = (v: number): number => pad + v * (size - 2 * pad);
  const py = (v: number): number => size - pad - v * (size - 2 * pad);
  const el = svg('svg', { viewBox: `0 0 ${size} ${size}`, class: 'chart', role: 'img', 'aria-label': d.title, 'data-testid': 'rt-ch' });
  el.append(svg('rect', { x: pad, y: pad, width: size - 2 * pad, height: size - 2 * pad, fill: 'none', stroke: '#999' }));
  const bounds = (metric: string): number[] => [...new Set(spec.types.flatMap((ty) =>
    Object.entries(ty.when).filter(([k]) => k === metric).flatMap(([, b]) => [b.min, b.max]).filter((v): v is number => typeof v === 'number')))].sort();
  const xs = bounds(d.x);
  const ys = bounds(d.y);
  for (const x of xs) el.append(svg('line', { x1: px(x), y1: py(0), x2: px(x), y2: py(1), stroke: '#888' }));
  for (const y of ys) el.append(svg('line', { x1: px(xs[0] ?? 0), y1: py(y), x2: px(xs[xs.length - 1] ?? 1), y2: py(y), stroke: '#888' }));
  for (const r of typeCentres(spec, d.x, d.y)) {
    el.append(svg('text', { x: px(r.cx), y: py(r.cy), 'text-anchor': 'middle', 'dominant-baseline': 'middle', 'font-size': 15,
      'font-weight': 600, fill: '#5c6670', class: 'region', 'data-type': r.title }, r.title));
  }
  const tick = { 'font-size': 11, fill: '#444' };
  for (const v of [0, ...xs, 1]) el.append(svg('text', { ...tick, x: px(v), y: size - pad + 13, 'text-anchor': 'middle' }, String(v)));
  for (const v of [0, ...ys, 1]) el.append(svg('text', { ...tick, x: pad - 4, y: py(v) + 4, 'text-anchor': 'end' }, String(v)));
  el.append(
    svg('text', { x: size / 2, y: size - 4, 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 700, class: 'axis' }, d.x),
    svg('text', { x: 4, y: pad - 10, 'font-size': 16, 'font-weight': 700, class: 'axis' }, d.y),
  );
  for (const r of [...results].sort((a, b) => Number(a.strong) - Number(b.strong))) {
    const x = r.result.metrics[d.x];
    const y = r.result.metrics[d.y];
    if (x === null || x === undefined || y === null || y === undefined) continue;
    el.append(svg('circle', { cx: px(x), cy: py(y), r: r.strong ? 7 : 5, fill: r.strong ? '#E45756' : '#aaa', stroke: '#fff' }));
  }
  return el;
}

/** Counts, metrics and lesson type of one result, and its charts. */
function resultView(spec: Instrument, result: Result, others: Result[] = []): HTMLElement {
  const all = [...others.map((r) => ({ result: r, strong: false })), { result, strong: true }];
  return h('div', { class: 'obs-result' },
    h('p', {},
      h('span', { 'data-testid': 'obs-n' }, t('obs.n', { n: result.n })),
      ...spec.codes.map((c) => h('span', { class: 'tag', style: `background:${c.color};color:#fff` }, `${c.title} ${result.counts[c.key] ?? 0}`))),
    spec.metrics.length ? h('p', {}, spec.metrics.map((m) => h('span', { class: 'metric', 'data-metric': m.key }, `${m.title} = ${fmt(result.metrics[m.key])}　`))) : null,
    result.type_title ? h('p', { 'data-testid': 'obs-type' }, t('obs.type', { type: result.type_title })) : null,
    spec.curve || spec.diagram ? h('div', { class: 'row charts' },
      spec.curve ? curveSvg(spec, all) : null,
      spec.diagram ? diagramSvg(spec, all) : null) : null);
}

export interface ObservePanel {
  el: HTMLElement;
  setSegment(segmentId: string): void;
  close(): void;
}

export function observePanel(roomId: string, manage: boolean, instruments: Instrument[], segmentId: string): ObservePanel {
  let segment = segmentId;
  let spec = instruments[0];
  let run: Run | null = null;
  let watched: string | null = null; // the run whose aggregate a host sees, coding or not
  let offset = 0; // server clock − this page's clock, from the run's server_now
  let coded = new Map<number, string>(); // interval: slot -> code
  const status = h('p', { class: 'status', 'data-testid': 'obs-status' });
  const instSel = h('select', { id: 'obs-instrument', 'aria-label': t('obs.instrument') }, instruments.map((i) => h('option', { value: i.key }, i.name)));
  const interval = h('input', { type: 'number', id: 'obs-interval', min: 5, max: 600, step: 5, inputmode: 'numeric' });
  const startBtn = h('button', { type: 'button', class: 'primary', id: 'obs-start' }, t('obs.start'));
  const setup = h('div', { class: 'row' }, field(t('obs.instrument'), instSel), field(t('obs.interval'), interval), startBtn);
  const about = h('p', { class: 'hint' });
  const prompt = h('div', { class: 'obs-prompt', 'data-testid': 'obs-prompt', 'aria-live': 'polite' });
  const pendingBox = h('p', { class: 'muted', 'data-testid': 'obs-pending' });
  const mine = h('div', { 'data-testid': 'obs-mine' });
  const aggregate = h('div', { 'data-testid': 'obs-aggregate' });
  const el = h('section', { class: 'card', id: 'observe' }, h('h2', {}, t('obs.title')), setup, about, prompt, pendingBox, mine,
    manage ? h('div', {}, h('h3', {}, t('obs.aggregate')), aggregate) : null);

  const pendingKey = (): string => `moke.obs.pending.${run?.id ?? ''}`;
  const pending = (): PendingCode[] => {
    try {
      const raw = JSON.parse(localStorage.getItem(pendingKey()) ?? '[]') as unknown;
      return Array.isArray(raw) ? (raw as PendingCode[]) : [];
    } catch {
      return [];
    }
  };
  const savePending = (list: PendingCode[]): void => {
    if (list.length) localStorage.setItem(pendingKey(), JSON.stringify(list));
    else localStorage.removeItem(pendingKey());
    pendingBox.textContent = list.length ? t('obs.pending', { n: list.length }) : '';
  };

  const drawMine = (result: Result): void => {
    mine.replaceChildren(h('h3', {}, t('obs.mine')), resultView(spec, result));
  };
  const reloadAggregate = (): void => {
    const id = run?.id ?? watched;
    if (!manage || !id) return;
    void withLoading(aggregate, () => api<Analysis>('GET', `/api/rooms/${roomId}/observations/${id}/analysis`), (a) => [
      a.agreement !== null ? h('p', { 'data-testid': 'obs-agreement' }, t('obs.agreement', { p: a.agreement.toFixed(1) })) : null,
      h('table', { class: 'rubric' }, h('tbody', {},
        h('tr', {}, h('th', {}, t('obs.observer')), spec.metrics.map((m) => h('th', {}, m.key)), spec.types.length ? h('th', {}, '') : null),
        [...a.observers.map((o) => [o.observer, o.result] as const), [t('obs.combined'), a.combined] as const].map(([name, r]) =>
          h('tr', {}, h('td', {}, name), spec.metrics.map((m) => h('td', {}, fmt(r.metrics[m.key]))), spec.types.length ? h('td', {}, r.type_title ?? '') : null)))),
      resultView(spec, a.combined, a.observers.map((o) => o.result)),
    ]);
  };

  let sending = false;
  const flush = async (): Promise<void> => {
    if (sending || !run || !navigator.onLine) return; // offline: keep them, the online event sends them
    sending = true;
    try {
      for (const p of pending()) {
        try {
          const out = await api<{ result: Result }>('PUT', `/api/rooms/${roomId}/observations/${run.id}/samples`, { ...p, client_now: Date.now() / 1000 });
          drawMine(out.result);
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError(0, 'error', String(err));
          if (e.status === 0 || TRANSIENT.has(e.code) || e.status >= 500) return; // offline or busy: next time
          status.textContent = errorText(e);
          status.className = 'status error-text';
        }
        savePending(pending().filter((x) => !(x.slot === p.slot && x.client_id === p.client_id && x.code === p.code)));
      }
    } finally {
      sending = false;
    }
  };

  const serverNow = (): number => Date.now() / 1000 + offset;
  const slotNow = (): number => (run && run.interval_seconds ? Math.floor((serverNow() - run.started_at) / run.interval_seconds) : 0);

  const code = (key: string): void => {
    if (!run) return;
    const c = spec.codes.find((x) => x.key === key);
    if (!c) return;
    if (spec.mode === 'interval') {
      const slot = slotNow();
      coded.set(slot, key);
      savePending([...pending(), { slot, code: key }]);
    } else {
      savePending([...pending(), { client_id: uid(), code: key, at: Date.now() / 1000 }]);
      status.textContent = t('obs.coded', { code: c.title });
      status.className = 'status';
    }
    drawPrompt();
    void flush();
  };

  const buttons = (): HTMLElement => h('div', { class: 'row obs-codes' }, spec.codes.map((c) => h('button', {
    type: 'button', class: 'obs-code', 'data-code': c.key, title: c.hint, style: `border-color:${c.color}`,
    onclick: () => code(c.key),
  }, h('span', { class: 'swatch', style: `background:${c.color}` }), c.shortcut ? `${c.title}（${c.shortcut.toUpperCase()}）` : c.title)));

  let drawnSlot = -1;
  const drawPrompt = (): void => {
    if (!run) return prompt.replaceChildren();
    if (spec.mode === 'event') {
      drawnSlot = 0;
      return prompt.replaceChildren(h('p', {}, spec.prompt, ' ', h('span', { class: 'muted' }, t('obs.event_hint'))), buttons());
    }
    const slot = slotNow();
    drawnSlot = slot;
    const at = new Date((run.started_at + slot * run.interval_seconds!) * 1000 - offset * 1000);
    const done = coded.get(slot);
    const next = Math.max(0, Math.ceil(run.started_at + (slot + 1) * run.interval_seconds! - serverNow()));
    const seq = h('div', { class: 'obs-seq', 'aria-label': t('obs.sequence'), 'data-testid': 'obs-seq' },
      [...coded.entries()].sort((a, b) => a[0] - b[0]).map(([, k]) => {
        const c = spec.codes.find((x) => x.key === k);
        return h('span', { class: 'cell', style: `background:${c?.color ?? '#999'}`, title: c?.title ?? k }, k);
      }));
    prompt.replaceChildren(
      h('p', { 'data-slot': String(slot), 'data-testid': 'obs-slot', class: done ? 'done' : 'due' },
        h('strong', {}, t('obs.slot', { n: slot + 1, time: at.toLocaleTimeString() })), ' ',
        done ? t('obs.coded', { code: spec.codes.find((c) => c.key === done)?.title ?? done }) : spec.prompt),
      done ? h('p', { class: 'muted' }, t('obs.next_in', { s: next })) : buttons(),
      seq);
  };

  const tick = (): void => {
    if (run && spec.mode === 'interval' && slotNow() !== drawnSlot) drawPrompt();
  };

  const onKey = (e: KeyboardEvent): void => {
    if (!run || e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target as HTMLElement | null;
    if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
    const c = spec.codes.find((x) => x.shortcut && x.shortcut === e.key.toLowerCase());
    if (!c) return;
    e.preventDefault();
    if (spec.mode === 'interval' && coded.has(slotNow())) return;
    code(c.key);
  };
  document.addEventListener('keydown', onKey);

  const describe = (): void => {
    spec = instruments.find((i) => i.key === instSel.value) ?? instruments[0];
    interval.value = spec.interval_seconds ? String(spec.interval_seconds) : '';
    interval.disabled = spec.mode !== 'interval';
    const keys = spec.codes.filter((c) => c.shortcut).map((c) => `${c.shortcut!.toUpperCase()} ${c.title}`).join(' · ');
    about.replaceChildren();
    append(about, [spec.method ? h('strong', {}, spec.method, '：') : null, spec.description, ' ', keys ? h('span', { class: 'muted' }, t('obs.keys', { keys })) : null]);
  };

  const use = async (found: Run): Promise<void> => {
    run = found;
    startBtn.hidden = true;
    offset = found.server_now - Date.now() / 1000;
    const out = await api<Mine>('GET', `/api/rooms/${roomId}/observations/${found.id}/mine`);
    coded = new Map(out.samples.filter((s) => s.slot !== null).map((s) => [s.slot!, s.code]));
    for (const p of pending()) if (p.slot !== undefined) coded.set(p.slot, p.code);
    savePending(pending());
    drawMine(out.result);
    drawPrompt();
    reloadAggregate();
    void flush();
  };

  /** The segment's run of the chosen instrument, if someone started it: offer to join it. */
  const lookUp = async (): Promise<void> => {
    run = null;
    watched = null;
    startBtn.hidden = false;
    coded = new Map();
    prompt.replaceChildren();
    mine.replaceChildren();
    aggregate.replaceChildren();
    describe();
    const runs = await api<Run[]>('GET', `/api/rooms/${roomId}/observations?segment_id=${encodeURIComponent(segment)}`);
    const found = runs.find((r) => r.instrument === spec.key);
    startBtn.textContent = found ? t('obs.join') : t('obs.start');
    if (found) {
      interval.value = found.interval_seconds ? String(found.interval_seconds) : '';
      interval.disabled = true;
      watched = found.id;
      reloadAggregate();
    }
  };

  instSel.onchange = () => void lookUp().catch((err) => (status.textContent = errorText(err)));
  startBtn.onclick = () => void busy(startBtn, async () => {
    const body: Record<string, unknown> = { segment_id: segment, instrument: spec.key };
    if (spec.mode === 'interval' && interval.value) body.interval_seconds = Number(interval.value);
    const found = await api<Run>('POST', `/api/rooms/${roomId}/observations`, body);
    interval.value = found.interval_seconds ? String(found.interval_seconds) : '';
    interval.disabled = true;
    await use(found);
  }, status);

  const timer = window.setInterval(() => {
    tick();
    if (pending().length) void flush();
  }, 500);
  const offs = [
    on<{ room_id: string; run_id: string }>('obs:aggregate', (d) => {
      if (d.room_id === roomId && d.run_id === (run?.id ?? watched)) reloadAggregate();
    }),
  ];
  const onOnline = (): void => void flush();
  window.addEventListener('online', onOnline);
  describe();
  void lookUp().catch((err) => (status.textContent = errorText(err)));

  return {
    el,
    setSegment(next: string): void {
      segment = next;
      void lookUp().catch((err) => (status.textContent = errorText(err)));
    },
    close(): void {
      window.clearInterval(timer);
      document.removeEventListener('keydown', onKey);
      window.removeEventListener('online', onOnline);
      for (const off of offs) off();
    },
  };
}
