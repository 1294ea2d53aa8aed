/** A room's overview: where to go (prepare / watch / run), documents, and for hosts and moderators the
 * invites (link, code, QR), venues, agenda and members. */
import { api } from '../api';
import { h } from '../dom';
import { formatTime, roleName, t } from '../i18n';
import { type AgendaSegment, canEdit, canManage, getRoom, listOf, ROLES, type Room, roleOf, type Venue } from '../rooms';
import { serverHas } from '../capabilities';
import { getSession } from '../session';
import { busy, copyText, field, toast, withLoading } from '../ui';

interface Invite {
  id: string;
  code: string;
  role: string;
  uses?: number;
  max_uses?: number | null;
  expires_at?: number | null;
  revoked_at?: number | null;
  url?: string;
  link?: string;
}

interface Doc {
  id: string;
  title: string;
  template?: string;
  updated_at?: number;
}

interface Member {
  user_id: number;
  display_name?: string;
  name?: string;
  school?: string;
  role: string;
  is_guest?: boolean;
}

export function inviteLink(inv: Invite): string {
  // the page origin is what this browser (and so the people it shares with) can reach
  return `${location.origin}/join/${inv.code}`;
}

function invitesSection(room: Room): HTMLElement {
  const list = h('div', { 'data-testid': 'invites' });
  const role = h('select', { name: 'role', 'aria-label': t('invite.role') }, ROLES.filter((r) => r !== 'host').map((r) =>
    h('option', { value: r, selected: r === 'observer' }, roleName(r)),
  ));
  const maxUses = h('input', { type: 'number', min: 1, name: 'max_uses', placeholder: t('invite.unlimited'), 'aria-label': t('invite.max_uses') });
  const status = h('p', { class: 'status' });
  const reload = (): void =>
    void withLoading(list, () => api('GET', `/api/rooms/${room.id}/invites`).then((d) => listOf<Invite>(d, 'invites')), (invites) => {
      const live = invites.filter((i) => !i.revoked_at);
      if (!live.length) return h('p', { class: 'muted' }, t('invite.none'));
      return h('ul', { class: 'invites' }, live.map((inv) => inviteItem(inv, reload)));
    });
  const create = h('button', { type: 'submit' }, t('invite.create'));
  reload();
  return h(
    'section',
    { class: 'card', id: 'invites' },
    h('h2', {}, t('invite.title')),
    h(
      'form',
      {
        class: 'row',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void busy(create, async () => {
            await api('POST', `/api/rooms/${room.id}/invites`, { role: role.value, max_uses: Number(maxUses.value) || null });
            reload();
          }, status);
        },
      },
      field(t('invite.role'), role),
      field(t('invite.max_uses'), maxUses),
      create,
    ),
    status,
    list,
  );
}

function inviteItem(inv: Invite, reload: () => void): HTMLElement {
  const link = inviteLink(inv);
  const qr = h('img', { class: 'qr', alt: t('invite.qr_alt', { code: inv.code }), width: 120, height: 120 });
  void import('qrcode').then((QR) => QR.toDataURL(link, { margin: 1, width: 240 })).then((url) => (qr.src = url));
  return h(
    'li',
    { class: 'invite' },
    qr,
    h(
      'div',
      {},
      h('p', {}, t('invite.code'), '：', h('code', { class: 'invite-code' }, inv.code), ' · ', roleName(inv.role)),
      h('p', {}, h('input', { class: 'invite-link', readonly: true, value: link, 'aria-label': t('invite.link'), size: 40 })),
      h('p', { class: 'muted' }, t('invite.uses', { uses: inv.uses ?? 0, max: inv.max_uses ?? '∞' })),
      h(
        'div',
        { class: 'row' },
        h('button', {
          type: 'button',
          onclick: (e: Event) => {
            const input = (e.currentTarget as HTMLElement).closest('li')?.querySelector<HTMLInputElement>('.invite-link');
            copyText(link, input).then(() => toast(t('invite.copied')), () => toast(t('invite.copy_manually'), 'error'));
          },
        }, t('invite.copy')),
        h('button', {
          type: 'button',
          class: 'danger',
          onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
            await api('DELETE', `/api/invites/${inv.id}`);
            reload();
          }),
        }, t('invite.revoke')),
      ),
    ),
  );
}

function venuesSection(room: Room, onChange: (venues: Venue[]) => void): HTMLElement {
  const list = h('div', { 'data-testid': 'venues' });
  const name = h('input', { name: 'venue_name', required: true, maxlength: 64, placeholder: t('venue.name_hint') });
  const school = h('input', { name: 'venue_school', maxlength: 128 });
  const status = h('p', { class: 'status' });
  const add = h('button', { type: 'submit' }, t('venue.add'));
  const reload = (): void =>
    void withLoading(list, () => api('GET', `/api/rooms/${room.id}/venues`).then((d) => listOf<Venue>(d, 'venues')), (venues) => {
      onChange(venues);
      if (!venues.length) return h('p', { class: 'muted' }, t('venue.none'));
      return h('ul', { class: 'plain' }, venues.map((v) =>
        h('li', { class: 'row' }, h('strong', {}, v.name), h('span', { class: 'muted' }, v.school),
          h('button', {
            type: 'button',
            class: 'danger small',
            'aria-label': t('venue.delete_named', { name: v.name }),
            onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
              await api('DELETE', `/api/venues/${v.id}`);
              reload();
            }),
          }, t('common.delete'))),
      ));
    });
  reload();
  return h(
    'section',
    { class: 'card', id: 'venues' },
    h('h2', {}, t('venue.title')),
    h('form', {
      class: 'row',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void busy(add, async () => {
          await api('POST', `/api/rooms/${room.id}/venues`, { name: name.value.trim(), school: school.value.trim() });
          name.value = '';
          school.value = '';
          reload();
        }, status);
      },
    }, field(t('venue.name'), name), field(t('venue.school'), school), add),
    status,
    list,
  );
}

function agendaSection(room: Room, venues: () => Venue[]): { el: HTMLElement; refreshVenues: () => void } {
  let segments: AgendaSegment[] = [];
  const body = h('div', { 'data-testid': 'agenda' });
  const status = h('p', { class: 'status' });
  const draw = (): void => {
    const vs = venues();
    body.replaceChildren(
      segments.length
        ? h('ol', { class: 'agenda-edit' }, segments.map((s, i) => {
            const title = h('input', { value: s.title, 'aria-label': t('agenda.segment_title'), oninput: () => (s.title = title.value) });
            const venue = h('select', { 'aria-label': t('agenda.venue'), onchange: () => (s.venue_id = venue.value || null) },
              h('option', { value: '' }, t('agenda.no_venue')),
              vs.map((v) => h('option', { value: v.id, selected: v.id === s.venue_id }, v.name)));
            const minutes = h('input', { type: 'number', min: 1, max: 600, value: String(s.duration_minutes ?? ''), 'aria-label': t('agenda.minutes'),
              oninput: () => (s.duration_minutes = Number(minutes.value) || null) });
            const move = (d: number) => () => {
              const j = i + d;
              if (j < 0 || j >= segments.length) return;
              [segments[i], segments[j]] = [segments[j], segments[i]];
              draw();
            };
            return h('li', { class: 'row' }, title, venue, minutes, h('span', { class: 'muted' }, t('agenda.min')),
              h('button', { type: 'button', class: 'small', onclick: move(-1), 'aria-label': t('agenda.up') }, '↑'),
              h('button', { type: 'button', class: 'small', onclick: move(1), 'aria-label': t('agenda.down') }, '↓'),
              h('button', { type: 'button', class: 'small danger', onclick: () => { segments.splice(i, 1); draw(); }, 'aria-label': t('common.delete') }, '×'));
          }))
        : h('p', { class: 'muted' }, t('agenda.none')),
    );
  };
  void withLoading(body, () => api('GET', `/api/rooms/${room.id}/agenda`).then((d) => listOf<AgendaSegment>(d, 'segments')), (list) => {
    segments = list;
    draw();
    return body.firstChild ?? [];
  });
  const save = h('button', { type: 'button', class: 'primary' }, t('common.save'));
  save.onclick = () => void busy(save, async () => {
    const out = segments.map((s) => ({ title: s.title, venue_id: s.venue_id, planned_start: s.planned_start, duration_minutes: s.duration_minutes, notes: s.notes ?? '' }));
    const res = await api('PUT', `/api/rooms/${room.id}/agenda`, { segments: out });
    segments = listOf<AgendaSegment>(res, 'segments');
    draw();
    toast(t('common.saved'));
  }, status);
  const el = h('section', { class: 'card', id: 'agenda' },
    h('h2', {}, t('agenda.title')), body,
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => { segments.push({ title: '', venue_id: null, planned_start: null, duration_minutes: 20, notes: '' }); draw(); } }, t('agenda.add')),
      save),
    status);
  return { el, refreshVenues: draw };
}

function membersSection(room: Room, isHost: boolean): HTMLElement {
  const el = h('div', { 'data-testid': 'members' });
  const reload = (): void => void withLoading(el, () => api('GET', `/api/rooms/${room.id}/members`).then((d) => listOf<Member>(d, 'members')), (members) =>
    h('ul', { class: 'plain' }, members.map((m) => {
      const name = m.display_name ?? m.name ?? String(m.user_id);
      const me = m.user_id === getSession()?.user.id;
      if (!isHost || me) return h('li', {}, name, ' · ', h('span', { class: 'tag muted' }, roleName(m.role)), m.school ? h('span', { class: 'muted' }, ` ${m.school}`) : null);
      const sel = h('select', { 'aria-label': t('member.role_of', { name }) }, ROLES.map((r) => h('option', { value: r, selected: r === m.role }, roleName(r))));
      sel.onchange = () => void busy(sel, async () => {
        try {
          await api('PATCH', `/api/rooms/${room.id}/members/${m.user_id}`, { role: sel.value });
        } catch (err) {
          sel.value = m.role; // refused (e.g. the last host): show the role that still holds
          throw err;
        }
        m.role = sel.value;
        toast(t('common.saved'));
      });
      return h('li', { class: 'row' }, name, m.school ? h('span', { class: 'muted' }, m.school) : null, sel);
    })));
  reload();
  return h('section', { class: 'card', id: 'members' }, h('h2', {}, t('member.title')), el);
}

function docsSection(room: Room, role: string | null): HTMLElement {
  const el = h('div', { 'data-testid': 'docs' });
  const status = h('p', { class: 'status' });
  const reload = (): void => void withLoading(el, () => api('GET', `/api/rooms/${room.id}/docs`).then((d) => listOf<Doc>(d, 'docs')), (docs) =>
    docs.length
      ? h('ul', { class: 'plain' }, docs.map((d) => h('li', {}, h('a', { href: `/rooms/${room.id}/docs/${d.id}`, 'data-link': true }, d.title),
          d.updated_at ? h('span', { class: 'muted' }, ` ${formatTime(d.updated_at)}`) : null)))
      : h('p', { class: 'muted' }, t('doc.none')));
  const create = h('button', { type: 'button' }, t('doc.new_plan'));
  create.onclick = () => void busy(create, async () => {
    await api('POST', `/api/rooms/${room.id}/docs`, { title: `${room.title} · ${t('doc.plan')}`, template: 'lesson_plan' });
    reload();
  }, status);
  reload();
  return h('section', { class: 'card', id: 'docs' }, h('h2', {}, t('doc.title')), el, canEdit(role) && create, status);
}

export function roomPage(root: HTMLElement, params: Record<string, string>): void {
  const id = params.roomId;
  let hasDocs = false;
  let hasEval = false;
  void withLoading(root, async () => {
    const [room, docs, evals] = await Promise.all([getRoom(id), serverHas('/api/rooms/{room_id}/docs'), serverHas('/api/rooms/{room_id}/evaluation')]);
    hasDocs = docs;
    hasEval = evals;
    return room;
  }, (room) => {
    const role = roleOf(room);
    const manage = canManage(role);
    let venues: Venue[] = [];
    const agenda = manage ? agendaSection(room, () => venues) : null;
    return [
      h('div', { class: 'page-head' },
        h('h1', {}, room.title),
        h('span', { class: 'tag' }, t(`kind.${room.kind}`)),
        role && h('span', { class: 'tag muted', 'data-testid': 'my-role' }, roleName(role)),
        room.starts_at ? h('span', { class: 'when' }, formatTime(room.starts_at)) : null),
      h('nav', { class: 'actions', 'aria-label': t('room.go') },
        hasDocs && h('a', { href: `/rooms/${id}/prep`, 'data-link': true, class: 'button primary', id: 'go-prep' }, t('room.go_prep')),
        h('a', { href: `/rooms/${id}/live`, 'data-link': true, class: 'button primary', id: 'go-live' }, t('room.go_live')),
        hasEval && h('a', { href: `/rooms/${id}/evaluate`, 'data-link': true, class: 'button', id: 'go-evaluate' }, t('room.go_evaluate')),
        manage && h('a', { href: `/rooms/${id}/console`, 'data-link': true, class: 'button', id: 'go-console' }, t('room.go_console')),
        manage && h('a', { href: `/rooms/${id}/attendance`, 'data-link': true, class: 'button', id: 'go-attendance' }, t('room.go_attendance'))),
      room.subject || room.grade || room.description ? h('p', { class: 'muted' }, [room.subject, room.grade, room.description].filter(Boolean).join(' · ')) : null,
      h('div', { class: 'columns' },
        hasDocs ? docsSection(room, role) : null,
        membersSection(room, role === 'host')),
      manage ? h('div', { class: 'columns' }, invitesSection(room), venuesSection(room, (v) => { venues = v; agenda?.refreshVenues(); })) : null,
      agenda?.el ?? null,
    ];
  });
}
