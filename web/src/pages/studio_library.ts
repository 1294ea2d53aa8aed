/** The studio home's library slot (资源库): the newest resources, a search that opens the library page with it,
 * and the links to the library and the public showcase (成果展示). */
import { api } from '../api';
import { h } from '../dom';
import { formatTime, t } from '../i18n';
import { navigate } from '../router';
import type { Studio } from '../studios';
import { withLoading } from '../ui';
import type { LibraryItem } from './library';

const RECENT = 5;

export function librarySlot(studio: Studio): HTMLElement {
  const base = `/studios/${studio.id}/library`;
  const body = h('div', { 'data-testid': 'studio-library' });
  void withLoading(
    body,
    () => api<{ items: LibraryItem[]; total: number }>('GET', `/api/studios/${studio.id}/library?limit=${RECENT}`),
    (page) => [
      h('p', { class: 'muted' }, t('library.total', { n: page.total })),
      page.items.length
        ? h('ul', { class: 'plain' }, page.items.map((i) =>
            h('li', { class: 'item-meta' }, h('span', { class: `tag kind-${i.kind}` }, t(`library.kind_${i.kind}`)), ' ',
              h('span', { class: 'item-title' }, i.title), ' ', h('span', { class: 'muted' }, formatTime(i.created_at)))))
        : h('p', { class: 'muted' }, t('library.empty')),
    ],
  );
  const q = h('input', { type: 'search', name: 'q', placeholder: t('library.search_hint'), 'aria-label': t('library.search') });
  return h(
    'section',
    { class: 'card', id: 'studio-library', 'data-slot': 'library', 'data-studio-id': studio.id },
    h('h2', {}, t('studio.library')),
    h('p', { class: 'muted' }, t('studio.library_explain')),
    h('form', { class: 'row search-row', role: 'search', onsubmit: (e: Event) => {
      e.preventDefault();
      navigate(q.value.trim() ? `${base}?q=${encodeURIComponent(q.value.trim())}` : base);
    } }, q, h('button', { type: 'submit' }, t('library.search'))),
    body,
    h('div', { class: 'row' },
      h('a', { href: base, 'data-link': true, class: 'button primary', id: 'open-library' }, t('studio.open_library')),
      h('a', { href: `/studios/${studio.id}/showcase`, 'data-link': true, class: 'button', id: 'open-showcase' }, t('studio.open_showcase'))),
  );
}
