/** The studio home's library slot (资源库): the way into the studio's library (`pages/library.ts`) and its
 * public showcase (`pages/showcase.ts`), both from `studios/library/`. */
import { h } from '../dom';
import { t } from '../i18n';
import type { Studio } from '../studios';

export function librarySlot(studio: Studio): HTMLElement {
  return h(
    'section',
    { class: 'card', id: 'studio-library', 'data-slot': 'library', 'data-studio-id': studio.id },
    h('h2', {}, t('studio.library')),
    h('p', { class: 'muted' }, t('studio.library_explain')),
    h(
      'div',
      { class: 'row' },
      h('a', { href: `/studios/${studio.id}/library`, 'data-link': true, class: 'button primary', id: 'open-library' }, t('studio.open_library')),
      h('a', { href: `/studios/${studio.id}/showcase`, 'data-link': true, class: 'button', id: 'open-showcase' }, t('studio.open_showcase')),
    ),
  );
}
