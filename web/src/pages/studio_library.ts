/** The studio home's library slot (资源库). The library (issue 17 item 3, `studios/library/`) fills it. */
import { h } from '../dom';
import { t } from '../i18n';
import type { Studio } from '../studios';

export function librarySlot(studio: Studio): HTMLElement {
  return h(
    'section',
    { class: 'card', id: 'studio-library', 'data-slot': 'library', 'data-studio-id': studio.id },
    h('h2', {}, t('studio.library')),
    h('p', { class: 'muted' }, t('studio.slot_soon')),
  );
}
