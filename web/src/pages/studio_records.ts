/** The studio home's records slot (研修记录): the host and core members see every member's hours across the
 * studio's activities (with exports); other members see their own. */
import { api } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { getSession } from '../session';
import type { Studio } from '../studios';
import { withLoading } from '../ui';
import { exports, stat, table } from './records';

interface Member { user_id: number; name: string; school: string; studio_role: string | null; activities: number; counted: number; hours: number }
interface StudioRecords { activities: number; members: Member[] }
interface Mine { activities: number; counted: number; hours: number }

export function recordsSlot(studio: Studio): HTMLElement {
  const body = h('div', { 'data-testid': 'studio-records' });
  const all = studio.my_role === 'host' || studio.my_role === 'core' || Boolean(getSession()?.user.is_admin);
  if (all) {
    void withLoading(body, () => api<StudioRecords>('GET', `/api/studios/${studio.id}/records`), (r) => [
      h('div', { class: 'stats' },
        stat(t('records.activities'), String(r.activities), 'studio-stat-activities'),
        stat(t('records.hours'), String(r.members.reduce((n, m) => n + m.hours, 0)), 'studio-stat-hours')),
      exports(() => `/api/studios/${studio.id}/records/export`, `${studio.name}-${t('records.hours')}`),
      table('studio-members-hours', [t('records.name'), t('records.school'), t('records.activities'), t('records.counted'), t('records.hours')],
        r.members.map((m) => [m.name, m.school, m.activities, m.counted, m.hours])),
    ]);
  } else {
    void withLoading(body, () => api<Mine>('GET', `/api/records/me?studio_id=${encodeURIComponent(studio.id)}`), (r) =>
      h('div', { class: 'stats' },
        stat(t('records.activities'), String(r.activities), 'studio-stat-activities'),
        stat(t('records.counted'), String(r.counted), 'studio-stat-counted'),
        stat(t('records.hours'), String(r.hours), 'studio-stat-hours')));
  }
  return h(
    'section',
    { class: 'card', id: 'studio-records', 'data-slot': 'records', 'data-studio-id': studio.id },
    h('h2', {}, t('studio.records')),
    body,
    h('a', { href: '/records', 'data-link': true }, t('records.mine')),
  );
}
