/** 研修记录: my records, an activity's attendance (host, moderator), the district dashboard (administrators).
 * Tables turn into one card per row on a phone (CSS `table.records`), so nothing scrolls sideways. */
import { api, downloadBlob, fetchBlob } from '../api';
import { type Child, h } from '../dom';
import { formatTime, roleName, t } from '../i18n';
import { getSession } from '../session';
import { busy, withLoading } from '../ui';

interface Rule { min_ratio: number; credit: string; step: number }
interface Span { start: number; end: number | null }
interface Person {
  user_id: number; name: string; school: string; member_role: string | null; roles: string[]; venues: string[];
  stays: Span[]; present_seconds: number; ratio: number; counted: boolean; hours: number; notes: number;
  scores: number; chat_messages: number; seat_seconds: number;
}
interface Activity { room_id: string; title: string; length_seconds: number; rule: Rule; people: Person[] }
interface Line {
  room_id: string; title: string; first_join: number; last_leave: number | null; present_seconds: number;
  length_seconds: number; ratio: number; counted: boolean; hours: number; role: string; school: string;
}
interface Teacher { name: string; activities: number; counted: number; hours: number; present_seconds: number; rule: Rule; lines: Line[] }
interface Counts { key: string; name: string; activities: number; attendances: number; teachers: number; hours: number; resources: number }
interface Dashboard { totals: Counts; studios: Counts[]; schools: Counts[]; rule: Rule }

const minutes = (s: number): string => t('records.minutes', { n: Math.round(s / 60) });
const percent = (r: number): string => `${Math.round(r * 100)}%`;
export const hours = (n: number): string => t('records.hours_n', { n: Number.isInteger(n) ? n : n.toFixed(1) });

/** A table whose cells carry their column name, so the phone layout can label each value. */
export function table(testid: string, head: string[], rows: Child[][]): HTMLElement {
  return h('table', { class: 'records', 'data-testid': testid },
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { 'data-label': head[i] }, c))))));
}

export function stat(label: string, value: string, testid: string): HTMLElement {
  return h('div', { class: 'stat' }, h('span', { class: 'stat-value', 'data-testid': testid }, value), h('span', { class: 'muted' }, label));
}

function ruleLine(rule: Rule): HTMLElement {
  return h('p', { class: 'muted', 'data-testid': 'rule' },
    t(rule.credit === 'present' ? 'records.rule_present' : 'records.rule_activity', { ratio: percent(rule.min_ratio), step: rule.step }));
}

/** CSV / XLSX buttons for `path` (the export route, with the page's query). */
export function exports(path: () => string, name: string): HTMLElement {
  const status = h('span', { class: 'status', role: 'status' });
  const button = (fmt: string): HTMLButtonElement => {
    const b: HTMLButtonElement = h('button', { type: 'button', class: 'button', 'data-testid': `export-${fmt}` }, t(`records.export_${fmt}`));
    b.onclick = () => void busy(b, async () => {
      const p = path();
      downloadBlob(await fetchBlob(`${p}${p.includes('?') ? '&' : '?'}format=${fmt}`), `${name}.${fmt}`);
    }, status);
    return b;
  };
  return h('div', { class: 'actions' }, button('csv'), button('xlsx'), status);
}

/** since / until day inputs; calls `changed` with the query string. */
function rangeForm(changed: (query: string) => void): HTMLElement {
  const since: HTMLInputElement = h('input', { type: 'date', name: 'since', 'aria-label': t('records.since') });
  const until: HTMLInputElement = h('input', { type: 'date', name: 'until', 'aria-label': t('records.until') });
  const query = (): string => new URLSearchParams(Object.entries({ since: since.value, until: until.value }).filter(([, v]) => v)).toString();
  const form = h('form', { class: 'range', 'data-testid': 'range' },
    h('label', {}, t('records.since'), since), h('label', {}, t('records.until'), until),
    h('button', { type: 'submit', class: 'button' }, t('records.apply')));
  form.onsubmit = (e) => { e.preventDefault(); changed(query()); };
  return form;
}

export function myRecordsPage(root: HTMLElement): void {
  const s = getSession();
  if (!s) { root.append(h('p', {}, t('records.sign_in'))); return; }
  let query = '';
  const body = h('div', { 'data-testid': 'my-records' });
  const load = (): void => void withLoading(body, () => api<Teacher>('GET', `/api/records/me${query ? `?${query}` : ''}`), (r) => [
    h('div', { class: 'stats' },
      stat(t('records.activities'), String(r.activities), 'stat-activities'),
      stat(t('records.counted'), String(r.counted), 'stat-counted'),
      stat(t('records.hours'), String(r.hours), 'stat-hours'),
      stat(t('records.present'), minutes(r.present_seconds), 'stat-present')),
    ruleLine(r.rule),
    r.lines.length
      ? table('my-lines', [t('records.activity'), t('records.when'), t('records.present'), t('records.ratio'), t('records.hours')],
        r.lines.map((l) => [
          h('a', { href: `/rooms/${l.room_id}`, 'data-link': true }, l.title), formatTime(l.first_join),
          `${minutes(l.present_seconds)} / ${minutes(l.length_seconds)}`, percent(l.ratio),
          h('span', { class: l.counted ? 'tag ok' : 'tag muted' }, l.counted ? hours(l.hours) : t('records.not_counted'))]))
      : h('p', { class: 'muted' }, t('records.none')),
  ]);
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('records.mine')),
      s.user.is_admin && h('a', { href: '/records/dashboard', 'data-link': true, class: 'button', id: 'go-dashboard' }, t('records.dashboard'))),
    rangeForm((q) => { query = q; load(); }),
    exports(() => `/api/records/me/export${query ? `?${query}` : ''}`, t('records.mine')),
    body);
  load();
}

export function attendancePage(root: HTMLElement, params: Record<string, string>): void {
  const id = params.roomId;
  const el = h('div', { 'data-testid': 'attendance' });
  root.append(el);
  void withLoading(el, () => api<Activity>('GET', `/api/rooms/${id}/attendance`), (a) => [
    h('div', { class: 'page-head' }, h('h1', {}, t('records.attendance_of', { title: a.title })),
      h('a', { href: `/rooms/${id}`, 'data-link': true, class: 'button' }, t('records.back_to_room'))),
    h('div', { class: 'stats' },
      stat(t('records.people'), String(a.people.filter((p) => p.stays.length).length), 'stat-people'),
      stat(t('records.counted'), String(a.people.filter((p) => p.counted).length), 'stat-counted'),
      stat(t('records.length'), minutes(a.length_seconds), 'stat-length')),
    ruleLine(a.rule),
    exports(() => `/api/rooms/${id}/attendance/export`, t('records.attendance_of', { title: a.title })),
    table('people', [t('records.name'), t('records.school'), t('records.roles'), t('records.stays'), t('records.present'),
      t('records.hours'), t('records.contributions'), t('records.seat')],
    a.people.map((p) => [
      p.name, [p.school, ...p.venues].filter(Boolean).join(' · '),
      (p.roles.length ? p.roles : [p.member_role]).map(roleName).join('、'),
      p.stays.length
        ? h('span', {}, p.stays.map((s) => `${formatTime(s.start)} – ${s.end ? formatTime(s.end) : t('records.still_here')}`).join('；'))
        : h('span', { class: 'muted' }, t('records.absent')),
      `${minutes(p.present_seconds)} (${percent(p.ratio)})`,
      h('span', { class: p.counted ? 'tag ok' : 'tag muted' }, p.counted ? hours(p.hours) : t('records.not_counted')),
      t('records.contributions_n', { notes: p.notes, scores: p.scores, chat: p.chat_messages }),
      minutes(p.seat_seconds)])),
  ]);
}

/** Horizontal bars of hours per row (SVG, scales to the width it is given). */
function chart(rows: Counts[], testid: string): HTMLElement | SVGSVGElement {
  const top = rows.slice(0, 12);
  if (!top.length) return h('p', { class: 'muted' }, t('records.none'));
  const max = Math.max(1, ...top.map((r) => r.hours));
  const ns = 'http://www.w3.org/2000/svg';
  const rowH = 26;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 560 ${top.length * rowH}`);
  svg.setAttribute('class', 'bars');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('records.chart_label'));
  svg.setAttribute('data-testid', testid);
  top.forEach((r, i) => {
    const y = i * rowH;
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', '0'); label.setAttribute('y', String(y + 17)); label.setAttribute('class', 'bar-label');
    label.textContent = r.name.length > 10 ? `${r.name.slice(0, 10)}…` : r.name || t('records.unknown_school');
    const bar = document.createElementNS(ns, 'rect');
    const w = Math.max(1, (r.hours / max) * 360);
    bar.setAttribute('x', '140'); bar.setAttribute('y', String(y + 5)); bar.setAttribute('height', '16');
    bar.setAttribute('width', String(w)); bar.setAttribute('class', 'bar');
    const value = document.createElementNS(ns, 'text');
    value.setAttribute('x', String(146 + w)); value.setAttribute('y', String(y + 17)); value.setAttribute('class', 'bar-value');
    value.textContent = String(r.hours);
    svg.append(label, bar, value);
  });
  return svg;
}

function countsTable(testid: string, first: string, rows: Counts[]): HTMLElement {
  return table(testid, [first, t('records.activities'), t('records.attendances'), t('records.teachers'), t('records.hours'), t('records.resources')],
    rows.map((c) => [c.name || t('records.unknown_school'), c.activities, c.attendances, c.teachers, c.hours, c.resources]));
}

export function dashboardPage(root: HTMLElement): void {
  const s = getSession();
  if (!s?.user.is_admin) { root.append(h('h1', {}, t('records.dashboard')), h('p', { class: 'error', role: 'alert' }, t('error.admin_required'))); return; }
  let query = '';
  const body = h('div', { 'data-testid': 'dashboard' });
  const load = (): void => void withLoading(body, () => api<Dashboard>('GET', `/api/records/dashboard${query ? `?${query}` : ''}`), (d) => [
    h('div', { class: 'stats' },
      stat(t('records.activities'), String(d.totals.activities), 'stat-activities'),
      stat(t('records.attendances'), String(d.totals.attendances), 'stat-attendances'),
      stat(t('records.hours'), String(d.totals.hours), 'stat-hours'),
      stat(t('records.resources'), String(d.totals.resources), 'stat-resources')),
    ruleLine(d.rule),
    h('div', { class: 'columns' },
      h('section', { class: 'card' }, h('h2', {}, t('records.hours_by_studio')), chart(d.studios, 'chart-studios')),
      h('section', { class: 'card' }, h('h2', {}, t('records.hours_by_school')), chart(d.schools, 'chart-schools'))),
    h('section', { class: 'card' }, h('h2', {}, t('records.by_studio')),
      d.studios.length ? countsTable('studios', t('records.studio'), d.studios) : h('p', { class: 'muted' }, t('records.no_studios'))),
    h('section', { class: 'card' }, h('h2', {}, t('records.by_school')), countsTable('schools', t('records.school'), d.schools)),
  ]);
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('records.dashboard'))),
    rangeForm((q) => { query = q; load(); }),
    exports(() => `/api/records/dashboard/export${query ? `?${query}` : ''}`, t('records.dashboard')),
    body);
  load();
}
