/** The studio's resource library (资源): filters, search, upload, publish with a read-only link. */
import { api, ApiError } from '../api';
import { h } from '../dom';
import { formatTime, t } from '../i18n';
import { navigate } from '../router';
import { getSession } from '../session';
import { busy, copyText, field, toast, withLoading } from '../ui';

export interface LibraryItem {
  id: string;
  kind: string;
  title: string;
  subject: string;
  grade: string;
  description: string;
  tags: string[];
  filename: string;
  content_type: string;
  size: number;
  visibility: string;
  public_token: string | null;
  created_by: number | null;
  author: string;
  created_at: number;
  file_url: string;
}

interface Facets {
  subjects: string[];
  grades: string[];
  tags: string[];
  kinds: Record<string, number>;
  cycles: { id: string; title: string }[];
}

interface ItemPage {
  items: LibraryItem[];
  total: number;
  facets: Facets;
  can_add: boolean;
  can_manage: boolean;
}

export const KINDS = ['plan', 'recording', 'report', 'voice', 'file'];
const ACCEPT = '.pdf,.pptx,.docx,.png,.jpg,.jpeg,.gif,.webp';

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function publicLink(token: string): string {
  return `${location.origin}/showcase/${token}`;
}

/** Open a member-only file: a new tab cannot send the session header, so it gets a URL token for that path. */
async function openFile(item: LibraryItem, download: boolean): Promise<void> {
  const { token } = await api<{ token: string }>('POST', '/api/url-token', { path: item.file_url });
  const url = `${item.file_url}?t=${encodeURIComponent(token)}${download ? '&download=1' : ''}`;
  if (download) {
    const a = h('a', { href: url, download: item.filename });
    document.body.append(a);
    a.click();
    a.remove();
  } else window.open(url, '_blank', 'noopener');
}

function options(all: string, values: { value: string; label: string }[], current: string): HTMLOptionElement[] {
  return [h('option', { value: '' }, all), ...values.map((v) => h('option', { value: v.value, selected: v.value === current }, v.label))];
}

export function libraryPage(root: HTMLElement, params: Record<string, string>): void {
  const s = getSession();
  if (!s) {
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
    return;
  }
  const studioId = params.studioId;
  const initial = new URLSearchParams(location.search);
  const state = { q: initial.get('q') ?? '', kind: initial.get('kind') ?? '', subject: '', grade: '', tag: initial.get('tag') ?? '', cycle_id: initial.get('cycle_id') ?? '' };
  const q = h('input', { type: 'search', name: 'q', value: state.q, placeholder: t('library.search_hint'), maxlength: 200, 'aria-label': t('library.search') });
  const selects = {
    kind: h('select', { name: 'kind', 'aria-label': t('library.kind') }),
    subject: h('select', { name: 'subject', 'aria-label': t('library.subject') }),
    grade: h('select', { name: 'grade', 'aria-label': t('library.grade') }),
    tag: h('select', { name: 'tag', 'aria-label': t('library.tag') }),
    cycle_id: h('select', { name: 'cycle_id', 'aria-label': t('library.cycle') }),
  };
  const list = h('div', { 'data-testid': 'library-list' });
  const uploadCard = h('section', { class: 'card', hidden: true, 'data-testid': 'library-upload' });

  const fillFilters = (f: Facets): void => {
    selects.kind.replaceChildren(...options(t('library.all_kinds'), KINDS.map((k) => ({ value: k, label: `${t(`library.kind_${k}`)} (${f.kinds[k] ?? 0})` })), state.kind));
    selects.subject.replaceChildren(...options(t('library.all_subjects'), f.subjects.map((v) => ({ value: v, label: v })), state.subject));
    selects.grade.replaceChildren(...options(t('library.all_grades'), f.grades.map((v) => ({ value: v, label: v })), state.grade));
    selects.tag.replaceChildren(...options(t('library.all_tags'), f.tags.map((v) => ({ value: v, label: v })), state.tag));
    selects.cycle_id.replaceChildren(...options(t('library.all_cycles'), f.cycles.map((c) => ({ value: c.id, label: c.title })), state.cycle_id));
  };

  const row = (item: LibraryItem, page: ItemPage): HTMLElement => {
    const mine = item.created_by === s.user.id;
    const linkBox = h('input', { readonly: true, class: 'public-link', value: item.public_token ? publicLink(item.public_token) : '', 'aria-label': t('library.public_link') });
    const status = h('p', { class: 'status' });
    return h(
      'li',
      { class: 'library-item', 'data-kind': item.kind, 'data-id': item.id },
      h(
        'div',
        { class: 'item-head' },
        h('span', { class: `tag kind-${item.kind}` }, t(`library.kind_${item.kind}`)),
        h('strong', { class: 'item-title' }, item.title),
        item.visibility === 'public' && h('span', { class: 'tag public' }, t('library.public')),
      ),
      h(
        'p',
        { class: 'muted item-meta' },
        [item.subject, item.grade, item.author, formatTime(item.created_at), fileSize(item.size)].filter(Boolean).join(' · '),
      ),
      item.tags.length > 0 && h('p', { class: 'item-tags' }, item.tags.map((tag) => h('span', { class: 'tag muted' }, tag))),
      h(
        'div',
        { class: 'row item-actions' },
        h('button', { type: 'button', class: 'small', onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, () => openFile(item, false), status) }, t('library.open')),
        h('button', { type: 'button', class: 'small', onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, () => openFile(item, true), status) }, t('library.download')),
        page.can_manage &&
          h(
            'button',
            {
              type: 'button',
              class: 'small publish',
              onclick: (e: Event) =>
                void busy(e.currentTarget as HTMLButtonElement, async () => {
                  const visibility = item.visibility === 'public' ? 'members' : 'public';
                  await api('PATCH', `/api/library/${item.id}`, { visibility });
                  toast(visibility === 'public' ? t('library.published') : t('library.unpublished'));
                  await load();
                }, status),
            },
            item.visibility === 'public' ? t('library.unpublish') : t('library.publish'),
          ),
        (page.can_manage || mine) &&
          h(
            'button',
            {
              type: 'button',
              class: 'small danger',
              onclick: (e: Event) => {
                if (!confirm(t('library.confirm_delete', { title: item.title }))) return;
                void busy(e.currentTarget as HTMLButtonElement, async () => {
                  await api('DELETE', `/api/library/${item.id}`);
                  await load();
                }, status);
              },
            },
            t('common.delete'),
          ),
      ),
      item.public_token &&
        h(
          'div',
          { class: 'row share' },
          linkBox,
          h('button', { type: 'button', class: 'small', onclick: () => void copyText(linkBox.value, linkBox).then(() => toast(t('library.copied')), () => toast(t('library.copy_failed'), 'error')) }, t('library.copy')),
        ),
      status,
    );
  };

  const renderUpload = (page: ItemPage): void => {
    uploadCard.hidden = !page.can_add;
    if (!page.can_add || uploadCard.firstChild) return;
    const file = h('input', { type: 'file', name: 'file', accept: ACCEPT, required: true, 'data-testid': 'upload-file' });
    const title = h('input', { name: 'title', maxlength: 200, placeholder: t('library.title_hint') });
    const tags = h('input', { name: 'tags', maxlength: 200, placeholder: t('library.tags_hint') });
    const status = h('p', { class: 'status', 'data-testid': 'upload-status' });
    const submit = h('button', { type: 'submit', class: 'primary' }, t('library.upload'));
    uploadCard.append(
      h('h2', {}, t('library.upload_title')),
      h('p', { class: 'hint' }, t('library.upload_explain')),
      h(
        'form',
        {
          class: 'upload-form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            const chosen = file.files?.[0];
            if (!chosen) return;
            void busy(submit, async () => {
              const query = new URLSearchParams({ filename: chosen.name, tags: tags.value });
              if (title.value.trim()) query.set('title', title.value.trim());
              await api('POST', `/api/studios/${studioId}/library/files?${query.toString()}`, chosen);
              (e.target as HTMLFormElement).reset();
              status.className = 'status';
              status.textContent = t('library.uploaded', { name: chosen.name });
              await load();
            }, status);
          },
        },
        field(t('library.file'), file),
        h('div', { class: 'row' }, field(t('library.title'), title), field(t('library.tags'), tags)),
        submit,
        status,
      ),
    );
  };

  const load = (): Promise<void> =>
    withLoading(
      list,
      () => {
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(state)) if (v) query.set(k, v);
        return api<ItemPage>('GET', `/api/studios/${studioId}/library?${query.toString()}`);
      },
      (page) => {
        fillFilters(page.facets);
        renderUpload(page);
        return [
          h('p', { class: 'muted', 'data-testid': 'library-total' }, t('library.total', { n: page.total })),
          page.items.length
            ? h('ul', { class: 'library-items' }, page.items.map((i) => row(i, page)))
            : h('p', { class: 'muted' }, state.q ? t('library.no_match') : t('library.empty')),
        ];
      },
    );

  for (const [name, el] of Object.entries(selects)) {
    el.addEventListener('change', () => {
      state[name as keyof typeof state] = el.value;
      void load();
    });
  }
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('library.heading')),
      h('a', { href: `/studios/${studioId}/showcase`, 'data-link': true, class: 'button' }, t('library.showcase')),
    ),
    h(
      'section',
      { class: 'card library-filters' },
      h(
        'form',
        {
          class: 'row search-row',
          role: 'search',
          onsubmit: (e: Event) => {
            e.preventDefault();
            state.q = q.value.trim();
            void load();
          },
        },
        q,
        h('button', { type: 'submit', class: 'primary' }, t('library.search')),
      ),
      h('div', { class: 'row filters' }, Object.values(selects)),
    ),
    uploadCard,
    list,
  );
  void load().catch((err: unknown) => {
    if (err instanceof ApiError && err.status === 401) navigate('/login', true);
  });
}
