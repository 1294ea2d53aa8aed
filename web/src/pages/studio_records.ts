/** The studio home's records slot (研修记录). The records (issue 17 item 4, `studios/records/`) fill it. */
import { h } from '../dom';
import { t } from '../i18n';
import type { Studio } from '../studios';

export function recordsSlot(studio: Studio): HTMLElement {
  return h(
    'section',
    { class: 'card', id: 'studio-records', 'data-slot': 'records', 'data-studio-id': studio.id },
    h('h2', {}, t('studio.records')),
    h('p', { class: 'muted' }, t('studio.slot_soon')),
  );
}
