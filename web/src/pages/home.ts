/** Home: sign-in for visitors; "my rooms" and upcoming activities for members; create a room. */
import { api } from '../api';
import { h } from '../dom';
import { formatTime, roleName, t } from '../i18n';
import { navigate } from '../router';
import { listOf, ROOM_KINDS, type Room, roleOf } from '../rooms';
import { getSession } from '../session';
import { busy, field, withLoading } from '../ui';
import { loginForm, registerForm } from './auth';

function roomItem(r: Room): HTMLElement {
  return h(
    'li',
    { class: 'room-item' },
    h('a', { href: `/rooms/${r.id}`, 'data-link': true }, r.title),
    h('span', { class: 'tag' }, t(`kind.${r.kind}`)),
    roleOf(r) && h('span', { class: 'tag muted' }, roleName(roleOf(r))),
    r.starts_at ? h('span', { class: 'when' }, formatTime(r.starts_at)) : null,
    r.subject || r.grade ? h('span', { class: 'muted' }, [r.subject, r.grade].filter(Boolean).join(' · ')) : null,
  );
}

function roomList(scope: string, empty: string): HTMLElement {
  const el = h('div', { 'data-testid': `rooms-${scope}` });
  void withLoading(
    el,
    () => api('GET', `/api/rooms?scope=${scope}`).then((d) => listOf<Room>(d, 'rooms')),
    (rooms) => (rooms.length ? h('ul', { class: 'rooms' }, rooms.map(roomItem)) : h('p', { class: 'muted' }, empty)),
  );
  return el;
}

export function homePage(root: HTMLElement): void {
  const s = getSession();
  if (!s) {
    root.append(
      h('section', { class: 'hero' }, h('h1', {}, t('app.title')), h('p', {}, t('app.tagline'))),
      h(
        'div',
        { class: 'columns three' },
        loginForm(),
        registerForm(),
        h(
          'div',
          { class: 'card' },
          h('h2', {}, t('join.title')),
          h('p', {}, t('join.explain')),
          h('a', { href: '/join', 'data-link': true, class: 'button primary', id: 'go-join' }, t('join.with_code')),
        ),
      ),
    );
    return;
  }
  if (s.user.is_guest) {
    root.append(
      h('h1', {}, t('home.welcome', { name: s.user.display_name })),
      s.room_id
        ? h('a', { href: `/rooms/${s.room_id}`, 'data-link': true, class: 'button primary' }, t('home.enter_room'))
        : h('p', {}, t('home.guest_no_room')),
    );
    return;
  }
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('home.welcome', { name: s.user.display_name })),
      h('a', { href: '/rooms/new', 'data-link': true, class: 'button primary', id: 'new-room' }, t('room.create')),
      h('a', { href: '/join', 'data-link': true, class: 'button' }, t('join.with_code')),
      h('a', { href: '/studios', 'data-link': true, class: 'button', id: 'my-studios' }, t('studio.mine')),
      h('a', { href: '/records', 'data-link': true, class: 'button', id: 'go-records' }, t('records.go_mine')),
      s.user.is_admin && h('a', { href: '/records/dashboard', 'data-link': true, class: 'button', id: 'go-dashboard' }, t('records.dashboard')),
    ),
    h(
      'div',
      { class: 'columns' },
      h('section', { class: 'card' }, h('h2', {}, t('home.upcoming')), roomList('upcoming', t('home.no_upcoming'))),
      h('section', { class: 'card' }, h('h2', {}, t('home.my_rooms')), roomList('mine', t('home.no_rooms'))),
    ),
  );
}

/** Seconds since the epoch from a datetime-local input, or null. */
export function inputTime(el: HTMLInputElement): number | null {
  return el.value ? new Date(el.value).getTime() / 1000 : null;
}

export function newRoomPage(root: HTMLElement): void {
  if (!getSession()) {
    navigate('/login?next=/rooms/new', true);
    return;
  }
  const title = h('input', { name: 'title', required: true, maxlength: 200 });
  const kind = h('select', { name: 'kind' }, ROOM_KINDS.map((k) => h('option', { value: k }, t(`kind.${k}`))));
  const subject = h('input', { name: 'subject', maxlength: 64, placeholder: t('room.subject_hint') });
  const grade = h('input', { name: 'grade', maxlength: 64, placeholder: t('room.grade_hint') });
  const starts = h('input', { name: 'starts_at', type: 'datetime-local' });
  const duration = h('input', { name: 'duration', type: 'number', min: 10, max: 600, step: 5, value: '90' });
  const seats = h('input', { name: 'seats', type: 'number', min: 1, max: 16, value: '4' });
  const description = h('textarea', { name: 'description', rows: 3 });
  const status = h('p', { class: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('room.create'));
  root.append(
    h('h1', {}, t('room.create')),
    h(
      'form',
      {
        class: 'card narrow',
        id: 'new-room-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void busy(submit, async () => {
            const start = inputTime(starts);
            const body: Record<string, unknown> = {
              title: title.value.trim(),
              kind: kind.value,
              subject: subject.value.trim(),
              grade: grade.value.trim(),
              description: description.value.trim(),
              seats: Number(seats.value) || null,
            };
            if (start) {
              body.starts_at = start;
              body.ends_at = start + (Number(duration.value) || 90) * 60;
            }
            const room = await api<Room>('POST', '/api/rooms', body);
            navigate(`/rooms/${room.id}`);
          }, status);
        },
      },
      field(t('room.title'), title),
      field(t('room.kind'), kind),
      h('div', { class: 'row' }, field(t('room.subject'), subject), field(t('room.grade'), grade)),
      h('div', { class: 'row' }, field(t('room.starts_at'), starts), field(t('room.duration'), duration)),
      field(t('room.seats'), seats),
      field(t('room.description'), description),
      submit,
      status,
    ),
  );
}

export function notFoundPage(root: HTMLElement): void {
  root.append(h('h1', {}, t('common.not_found')), h('a', { href: '/', 'data-link': true }, t('common.home')));
}
