/** Studios (名师工作室): my studios and a new one (/studios), a studio's home (/studios/:id: members, upcoming
 * and past activities, cycles, the library and records slots), and joining by invite (/studio-join/:code). */
import { api, errorText } from '../api';
import { clear, h } from '../dom';
import { formatTime, roleName, t } from '../i18n';
import { navigate } from '../router';
import { listOf, ROOM_KINDS } from '../rooms';
import { getSession } from '../session';
import { type Activity, canRun, type Cycle, STUDIO_ROLES, type Studio, type StudioInvite, type StudioMember } from '../studios';
import { busy, copyText, field, loading, toast, withLoading } from '../ui';
import { inputTime } from './home';
import { librarySlot } from './studio_library';
import { recordsSlot } from './studio_records';

function studioRole(role: string | null | undefined): string {
  return role ? t(`studio_role.${role}`) : '';
}

function requireLogin(next: string): boolean {
  const s = getSession();
  if (!s || s.user.is_guest) {
    navigate(`/login?next=${encodeURIComponent(next)}`, true);
    return false;
  }
  return true;
}

function studioItem(s: Studio): HTMLElement {
  return h(
    'li',
    { class: 'room-item' },
    h('a', { href: `/studios/${s.id}`, 'data-link': true }, s.name),
    s.my_role && h('span', { class: 'tag' }, studioRole(s.my_role)),
    h('span', { class: 'muted' }, ' ', [s.subject, s.grade_band].filter(Boolean).join(' · ')),
    h('span', { class: 'muted' }, ' ', t('studio.size', { core: s.counts.core, participant: s.counts.participant })),
  );
}

export function studiosPage(root: HTMLElement): void {
  if (!requireLogin('/studios')) return;
  const list = h('div', { 'data-testid': 'my-studios' });
  void withLoading(list, () => api('GET', '/api/studios').then((d) => listOf<Studio>(d, 'studios')), (studios) =>
    studios.length ? h('ul', { class: 'rooms' }, studios.map(studioItem)) : h('p', { class: 'muted' }, t('studio.none')),
  );
  const name = h('input', { name: 'name', required: true, maxlength: 200, placeholder: t('studio.name_hint') });
  const subject = h('input', { name: 'subject', maxlength: 64 });
  const grade = h('input', { name: 'grade_band', maxlength: 64, placeholder: t('studio.grade_hint') });
  const description = h('textarea', { name: 'description', rows: 3 });
  const status = h('p', { class: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('studio.create'));
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('studio.mine')), h('a', { href: '/studio-join', 'data-link': true, class: 'button' }, t('studio.join_with_code'))),
    h(
      'div',
      { class: 'columns' },
      h('section', { class: 'card' }, list),
      h(
        'form',
        {
          class: 'card',
          id: 'new-studio-form',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void busy(submit, async () => {
              const s = await api<Studio>('POST', '/api/studios', {
                name: name.value.trim(), subject: subject.value.trim(), grade_band: grade.value.trim(), description: description.value.trim(),
              });
              navigate(`/studios/${s.id}`);
            }, status);
          },
        },
        h('h2', {}, t('studio.create')),
        field(t('studio.name'), name),
        h('div', { class: 'row' }, field(t('room.subject'), subject), field(t('studio.grade_band'), grade)),
        field(t('room.description'), description),
        submit,
        status,
      ),
    ),
  );
}

function activityItem(a: Activity): HTMLElement {
  const r = a.room;
  return h(
    'li',
    { class: 'room-item', 'data-room-id': r.id },
    h('a', { href: `/rooms/${r.id}`, 'data-link': true }, r.title),
    h('span', { class: 'tag' }, t(`kind.${r.kind}`)),
    r.my_role && h('span', { class: 'tag muted' }, roleName(r.my_role)),
    r.starts_at ? h('span', { class: 'when' }, formatTime(r.starts_at)) : null,
    a.cycle_id && h('a', { href: `/cycles/${a.cycle_id}`, 'data-link': true, class: 'muted small-link' }, ' ', t('cycle.open')),
  );
}

function activitiesSection(studio: Studio): HTMLElement {
  const upcoming = h('div', { 'data-testid': 'studio-upcoming' });
  const past = h('div', { 'data-testid': 'studio-past' });
  const load = (el: HTMLElement, scope: string, empty: string): void =>
    void withLoading(el, () => api('GET', `/api/studios/${studio.id}/rooms?scope=${scope}`).then((d) => listOf<Activity>(d, 'rooms')), (items) =>
      items.length ? h('ul', { class: 'rooms' }, items.map(activityItem)) : h('p', { class: 'muted' }, empty),
    );
  const reload = (): void => {
    load(upcoming, 'upcoming', t('studio.no_upcoming'));
    load(past, 'past', t('studio.no_past'));
  };
  reload();
  let form: HTMLElement | null = null;
  if (canRun(studio.my_role)) {
    const title = h('input', { name: 'title', required: true, maxlength: 200, 'aria-label': t('room.title'), placeholder: t('room.title') });
    const kind = h('select', { name: 'kind', 'aria-label': t('room.kind') }, ROOM_KINDS.map((k) => h('option', { value: k }, t(`kind.${k}`))));
    const starts = h('input', { name: 'starts_at', type: 'datetime-local', 'aria-label': t('room.starts_at') });
    const status = h('p', { class: 'status' });
    const add = h('button', { type: 'submit' }, t('studio.add_activity'));
    form = h('details', { class: 'add' }, h('summary', {}, t('studio.add_activity')), h('form', {
      class: 'row',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void busy(add, async () => {
          const start = inputTime(starts);
          const room: Record<string, unknown> = { title: title.value.trim(), kind: kind.value, subject: studio.subject, grade: studio.grade_band };
          if (start) Object.assign(room, { starts_at: start, ends_at: start + 90 * 60 });
          await api('POST', `/api/studios/${studio.id}/rooms`, { room });
          title.value = '';
          reload();
        }, status);
      },
    }, title, kind, starts, add), status);
  }
  return h(
    'section',
    { class: 'card', id: 'studio-activities' },
    h('h2', {}, t('studio.upcoming')),
    upcoming,
    form,
    h('h3', {}, t('studio.past')),
    past,
  );
}

function cyclesSection(studio: Studio): HTMLElement {
  const list = h('div', { 'data-testid': 'studio-cycles' });
  const reload = (): void =>
    void withLoading(list, () => api('GET', `/api/studios/${studio.id}/cycles`).then((d) => listOf<Cycle>(d, 'cycles')), (cycles) =>
      cycles.length
        ? h('ul', { class: 'rooms' }, cycles.map((c) =>
            h('li', { class: 'cycle-item' },
              h('a', { href: `/cycles/${c.id}`, 'data-link': true }, `《${c.title}》`),
              h('ol', { class: 'stages' }, c.steps.map((s) => h('li', {}, h('a', { href: `/rooms/${s.room.id}`, 'data-link': true }, s.room.title)))),
            )))
        : h('p', { class: 'muted' }, t('cycle.none')),
    );
  reload();
  let form: HTMLElement | null = null;
  if (canRun(studio.my_role)) {
    const title = h('input', { name: 'cycle_title', required: true, maxlength: 200, placeholder: t('cycle.title_hint'), 'aria-label': t('cycle.title') });
    const status = h('p', { class: 'status' });
    const add = h('button', { type: 'submit' }, t('cycle.create'));
    form = h('form', {
      class: 'row',
      id: 'new-cycle-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void busy(add, async () => {
          const c = await api<Cycle>('POST', `/api/studios/${studio.id}/cycles`, { title: title.value.trim() });
          navigate(`/cycles/${c.id}`);
        }, status);
      },
    }, title, add);
    form = h('div', {}, form, status);
  }
  return h('section', { class: 'card', id: 'studio-cycles' }, h('h2', {}, t('cycle.list')), list, form);
}

function membersSection(studio: Studio, onChange: () => void): HTMLElement {
  const list = h('div', { 'data-testid': 'studio-members' });
  const isHost = studio.my_role === 'host';
  const reload = (): void =>
    void withLoading(list, () => api('GET', `/api/studios/${studio.id}/members`).then((d) => listOf<StudioMember>(d, 'members')), (members) =>
      STUDIO_ROLES.map((role) => {
        const group = members.filter((m) => m.role === role);
        if (!group.length) return null;
        return h('div', { class: 'member-group' },
          h('h3', {}, studioRole(role), ' ', h('span', { class: 'muted' }, `(${group.length})`)),
          h('ul', { class: 'plain members' }, group.map((m) => h('li', { class: 'row', 'data-user-id': m.user_id },
            h('span', {}, m.display_name), m.school && h('span', { class: 'muted' }, m.school),
            isHost && role !== 'host' && h('span', { class: 'row member-actions' },
              h('select', {
                'aria-label': t('studio.role_of', { name: m.display_name }),
                onchange: (e: Event) => {
                  const sel = e.currentTarget as HTMLSelectElement;
                  void busy(sel, async () => {
                    try {
                      await api('PATCH', `/api/studios/${studio.id}/members/${m.user_id}`, { role: sel.value });
                    } finally {
                      reload();
                      onChange();
                    }
                  });
                },
              }, ['core', 'participant'].map((r) => h('option', { value: r, selected: r === m.role }, studioRole(r)))),
              h('button', {
                type: 'button', class: 'danger small', 'aria-label': t('studio.remove_named', { name: m.display_name }),
                onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
                  await api('DELETE', `/api/studios/${studio.id}/members/${m.user_id}`);
                  reload();
                  onChange();
                }),
              }, t('studio.remove')),
            ),
          ))),
        );
      }),
    );
  reload();
  return h('section', { class: 'card', id: 'studio-members' }, h('h2', {}, t('studio.members')), list,
    canRun(studio.my_role) ? invitesSection(studio) : null);
}

function invitesSection(studio: Studio): HTMLElement {
  const list = h('div', { 'data-testid': 'studio-invites' });
  const roles = studio.my_role === 'host' ? ['participant', 'core'] : ['participant'];
  const role = h('select', { name: 'role', 'aria-label': t('invite.role') }, roles.map((r) => h('option', { value: r }, studioRole(r))));
  const status = h('p', { class: 'status' });
  const create = h('button', { type: 'submit' }, t('invite.create'));
  const reload = (): void =>
    void withLoading(list, () => api('GET', `/api/studios/${studio.id}/invites`).then((d) => listOf<StudioInvite>(d, 'invites')), (invites) => {
      const live = invites.filter((i) => !i.revoked_at);
      if (!live.length) return h('p', { class: 'muted' }, t('invite.none'));
      return h('ul', { class: 'invites' }, live.map((inv) => {
        const link = `${location.origin}/studio-join/${inv.code}`;
        const input = h('input', { class: 'invite-link', readonly: true, value: link, 'aria-label': t('invite.link') });
        return h('li', { class: 'invite' }, h('div', { class: 'invite-body' },
          h('p', {}, t('invite.code'), '：', h('code', { class: 'invite-code' }, inv.code), ' · ', studioRole(inv.role)),
          h('p', {}, input),
          h('p', { class: 'muted' }, t('invite.uses', { uses: inv.uses, max: inv.max_uses ?? '∞' })),
          h('div', { class: 'row' },
            h('button', { type: 'button', onclick: () => void copyText(link, input).then(() => toast(t('invite.copied')), () => toast(t('invite.copy_manually'), 'error')) }, t('invite.copy')),
            h('button', {
              type: 'button', class: 'danger',
              onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
                await api('DELETE', `/api/studio-invites/${inv.id}`);
                reload();
              }),
            }, t('invite.revoke')),
          )));
      }));
    });
  reload();
  return h('details', { class: 'studio-invites' }, h('summary', {}, t('studio.invite')),
    h('form', {
      class: 'row',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void busy(create, async () => {
          await api('POST', `/api/studios/${studio.id}/invites`, { role: role.value });
          reload();
        }, status);
      },
    }, field(t('invite.role'), role), create),
    status, list);
}

function studioHead(studio: Studio): HTMLElement {
  const leave = studio.my_role && studio.my_role !== 'host'
    ? h('button', {
        type: 'button', class: 'danger', id: 'leave-studio',
        onclick: (e: Event) => {
          if (!confirm(t('studio.leave_confirm', { name: studio.name }))) return;
          void busy(e.currentTarget as HTMLButtonElement, async () => {
            await api('POST', `/api/studios/${studio.id}/leave`);
            navigate('/studios');
          });
        },
      }, t('studio.leave'))
    : null;
  const archive = studio.my_role === 'host' && !studio.archived_at
    ? h('button', {
        type: 'button', class: 'danger', id: 'archive-studio',
        onclick: (e: Event) => {
          if (!confirm(t('studio.archive_confirm', { name: studio.name }))) return;
          void busy(e.currentTarget as HTMLButtonElement, async () => {
            await api('POST', `/api/studios/${studio.id}/archive`);
            navigate(location.pathname, true);
          });
        },
      }, t('studio.archive'))
    : null;
  const { counts, limits } = studio;
  return h('header', { class: 'studio-head card' },
    h('div', { class: 'page-head' },
      h('h1', { 'data-testid': 'studio-name' }, studio.name),
      studio.my_role && h('span', { class: 'tag' }, studioRole(studio.my_role)),
      studio.archived_at && h('span', { class: 'tag muted', 'data-testid': 'studio-archived' }, t('studio.archived')),
      h('span', { class: 'spacer' }),
      leave, archive),
    h('p', { class: 'muted' }, [studio.subject, studio.grade_band].filter(Boolean).join(' · '), ' · ',
      t('studio.host_is', { name: studio.host_name })),
    studio.description && h('p', {}, studio.description),
    h('p', { class: 'studio-counts', 'data-testid': 'studio-counts' },
      t('studio.counts', { core: counts.core, core_max: limits.core, participant: counts.participant, participant_max: limits.participant })),
  );
}

export async function studioPage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  if (!requireLogin(`/studios/${params.studioId}`)) return;
  root.append(loading());
  let studio: Studio;
  try {
    studio = await api<Studio>('GET', `/api/studios/${params.studioId}`);
  } catch (err) {
    root.replaceChildren(h('div', { class: 'error', role: 'alert' }, errorText(err)), h('p', {}, h('a', { href: '/studios', 'data-link': true }, t('studio.mine'))));
    return;
  }
  const head = h('div', {}, studioHead(studio));
  const refreshHead = (): void =>
    void api<Studio>('GET', `/api/studios/${studio.id}`).then((s) => head.replaceChildren(studioHead(s)), () => undefined);
  root.replaceChildren(
    head,
    h('div', { class: 'studio-grid' },
      h('div', { class: 'studio-main' }, activitiesSection(studio), cyclesSection(studio), librarySlot(studio), recordsSlot(studio)),
      h('div', { class: 'studio-side' }, membersSection(studio, refreshHead)),
    ),
  );
}

interface StudioPreview {
  studio_id: string;
  name: string;
  subject: string;
  grade_band: string;
  host_name: string;
  role: string;
}

export function studioJoinPage(root: HTMLElement, params: Record<string, string>): void {
  const session = getSession();
  const code = h('input', { name: 'code', required: true, value: params.code ?? '', autocomplete: 'off', autocapitalize: 'characters', placeholder: 'ABCD 2345', 'aria-label': t('invite.code') });
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const status = h('p', { class: 'status' });
  const show = async (): Promise<void> => {
    const c = code.value.trim();
    if (c.length < 4) return;
    preview.replaceChildren(loading());
    try {
      const p = await api<StudioPreview>('GET', `/api/studio-invites/${encodeURIComponent(c)}`);
      clear(preview, h('p', {}, h('strong', { 'data-testid': 'studio-preview-name' }, p.name), ' · ', [p.subject, p.grade_band].filter(Boolean).join(' · ')),
        h('p', {}, t('studio.host_is', { name: p.host_name }), ' · ', t('studio.join_as', { role: studioRole(p.role) })));
    } catch (err) {
      preview.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, errorText(err)));
    }
  };
  const registered = session && !session.user.is_guest;
  const join = h('button', {
    type: 'submit', class: 'primary', id: 'join-studio', disabled: !registered,
  }, t('studio.join'));
  root.append(
    h('h1', {}, t('studio.join_title')),
    h('form', {
      class: 'card narrow',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void busy(join, async () => {
          const res = await api<{ studio_id: string }>('POST', '/api/studio-invites/redeem', { code: code.value.trim() });
          navigate(`/studios/${res.studio_id}`);
        }, status);
      },
    },
    field(t('invite.code'), code),
    preview,
    registered ? null : h('p', { class: 'notice' }, t('studio.login_first'), ' ',
      h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}`, 'data-link': true }, t('auth.login'))),
    join, status),
  );
  code.addEventListener('change', () => void show());
  void show();
}
