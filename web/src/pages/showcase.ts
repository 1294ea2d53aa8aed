/** 成果展示: what a studio published, read-only and without logging in — one item by its link, or a
 * studio's showcase of all its public items. */
import { api } from '../api';
import { h } from '../dom';
import { formatTime, t } from '../i18n';
import { withLoading } from '../ui';
import { fileSize } from './library';

interface PublicItem {
  title: string;
  kind: string;
  subject: string;
  grade: string;
  description: string;
  tags: string[];
  filename: string;
  content_type: string;
  size: number;
  studio: string;
  created_at: number;
  file_url: string;
  token: string;
}

function preview(item: PublicItem): HTMLElement | null {
  const type = item.content_type;
  if (type.startsWith('image/')) return h('img', { class: 'preview', src: item.file_url, alt: item.title });
  if (type.startsWith('video/')) return h('video', { class: 'preview', src: item.file_url, controls: true, preload: 'metadata' });
  if (type.startsWith('audio/')) return h('audio', { src: item.file_url, controls: true, preload: 'metadata' });
  return null;
}

function meta(item: PublicItem): string {
  return [item.studio, item.subject, item.grade, formatTime(item.created_at), fileSize(item.size)].filter(Boolean).join(' · ');
}

export function showcaseItemPage(root: HTMLElement, params: Record<string, string>): void {
  const box = h('div', { 'data-testid': 'showcase-item' });
  root.append(box);
  void withLoading(
    box,
    () => api<PublicItem>('GET', `/api/public/library/${encodeURIComponent(params.token)}`),
    (item) =>
      h(
        'article',
        { class: 'card showcase' },
        h('p', { class: 'banner readonly' }, t('showcase.readonly')),
        h('h1', {}, item.title),
        h('p', { class: 'muted' }, h('span', { class: `tag kind-${item.kind}` }, t(`library.kind_${item.kind}`)), ' ', meta(item)),
        item.description && h('p', {}, item.description),
        item.tags.length > 0 && h('p', {}, item.tags.map((tag) => h('span', { class: 'tag muted' }, tag))),
        preview(item),
        h(
          'div',
          { class: 'row' },
          h('a', { class: 'button', href: item.file_url, target: '_blank', rel: 'noopener' }, t('library.open')),
          h('a', { class: 'button primary', href: `${item.file_url}?download=1`, download: item.filename }, t('library.download')),
        ),
      ),
  );
}

export function showcasePage(root: HTMLElement, params: Record<string, string>): void {
  const box = h('div', { 'data-testid': 'showcase-list' });
  root.append(h('h1', {}, t('showcase.heading')), box);
  void withLoading(
    box,
    () => api<PublicItem[]>('GET', `/api/public/studios/${encodeURIComponent(params.studioId)}/library`),
    (items) =>
      items.length
        ? h(
            'ul',
            { class: 'library-items' },
            items.map((item) =>
              h(
                'li',
                { class: 'library-item' },
                h(
                  'div',
                  { class: 'item-head' },
                  h('span', { class: `tag kind-${item.kind}` }, t(`library.kind_${item.kind}`)),
                  h('a', { class: 'item-title', href: `/showcase/${item.token}`, 'data-link': true }, item.title),
                ),
                h('p', { class: 'muted item-meta' }, meta(item)),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('showcase.empty')),
  );
}
