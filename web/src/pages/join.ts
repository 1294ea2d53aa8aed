/** Join a room: /join/{code} (invite link) or /join (type the code). Guests give a name and a school. */
import { api, errorText } from '../api';
import { clear, h } from '../dom';
import { roleName, t } from '../i18n';
import { navigate } from '../router';
import { getSession, type Session, setSession } from '../session';
import { busy, field, loading } from '../ui';

interface Preview {
  room_id?: string;
  title?: string;
  room_title?: string;
  kind?: string;
  role?: string;
}

export function joinPage(root: HTMLElement, params: Record<string, string>): void {
  const session = getSession();
  const code = h('input', {
    name: 'code',
    required: true,
    value: params.code ?? '',
    autocomplete: 'off',
    autocapitalize: 'characters',
    placeholder: 'ABCD 2345',
  });
  const name = h('input', { name: 'display_name', required: true, maxlength: 64, value: '' });
  const school = h('input', { name: 'school', maxlength: 128 });
  const status = h('p', { class: 'status' });
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('join.as_guest'));

  async function showPreview(): Promise<void> {
    const c = code.value.trim();
    if (c.length < 4) return;
    preview.replaceChildren(loading());
    try {
      const p = await api<Preview>('GET', `/api/invites/${encodeURIComponent(c)}`);
      clear(
        preview,
        h('p', {}, h('strong', {}, p.title ?? p.room_title ?? ''), ' · ', t(`kind.${p.kind ?? 'prep'}`)),
        p.role ? h('p', {}, t('join.role_granted', { role: roleName(p.role) })) : null,
      );
    } catch (err) {
      preview.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, errorText(err)));
    }
  }

  const registered = session && !session.user.is_guest;
  const redeem =
    registered &&
    h(
      'button',
      {
        type: 'button',
        class: 'primary',
        id: 'redeem',
        onclick: (e: Event) =>
          void busy(e.currentTarget as HTMLButtonElement, async () => {
            const res = await api<{ room_id: string }>('POST', '/api/invites/redeem', { code: code.value.trim() });
            navigate(`/rooms/${res.room_id}`);
          }, status),
      },
      t('join.as_member', { name: session.user.display_name }),
    );

  const form = h(
    'form',
    {
      class: 'card',
      id: 'join-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void busy(submit, async () => {
          const s = await api<Session>('POST', '/api/auth/guest', {
            code: code.value.trim(),
            display_name: name.value.trim(),
            school: school.value.trim(),
          });
          setSession(s);
          navigate(s.room_id ? `/rooms/${s.room_id}` : '/');
        }, status);
      },
    },
    h('h2', {}, t('join.title')),
    field(t('join.code'), code),
    preview,
    redeem,
    redeem && h('p', { class: 'hint' }, t('join.or_guest')),
    field(t('auth.display_name'), name),
    field(t('auth.school'), school),
    submit,
    status,
    !registered && h('p', { class: 'hint' }, h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}`, 'data-link': true }, t('join.have_account'))),
  );
  code.addEventListener('change', () => void showPreview());
  root.append(form);
  if (params.code) void showPreview();
}
