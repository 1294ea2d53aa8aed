/** Log in / register. After success, go where the user was heading (?next=) or home. */
import { api } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { navigate } from '../router';
import { type Session, setSession } from '../session';
import { busy, field } from '../ui';

function nextPath(): string {
  const next = new URLSearchParams(location.search).get('next');
  return next && next.startsWith('/') ? next : '/';
}

export function loginForm(): HTMLElement {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('p', { class: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('auth.login'));
  return h(
    'form',
    {
      class: 'card',
      id: 'login-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void busy(submit, async () => {
          const s = await api<Session>('POST', '/api/auth/login', { username: username.value, password: password.value });
          setSession(s);
          navigate(nextPath());
        }, status);
      },
    },
    h('h2', {}, t('auth.login')),
    field(t('auth.username'), username),
    field(t('auth.password'), password),
    submit,
    status,
  );
}

export function registerForm(): HTMLElement {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, minlength: 3, pattern: '[A-Za-z0-9_.@\\-]{3,64}' });
  const name = h('input', { name: 'display_name', required: true, maxlength: 64 });
  const school = h('input', { name: 'school', maxlength: 128 });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const status = h('p', { class: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('auth.register'));
  return h(
    'form',
    {
      class: 'card',
      id: 'register-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void busy(submit, async () => {
          const s = await api<Session>('POST', '/api/auth/register', {
            username: username.value,
            password: password.value,
            display_name: name.value,
            school: school.value,
          });
          setSession(s);
          navigate(nextPath());
        }, status);
      },
    },
    h('h2', {}, t('auth.register')),
    field(t('auth.username'), username),
    field(t('auth.display_name'), name),
    field(t('auth.school'), school),
    field(t('auth.password'), password),
    h('p', { class: 'hint' }, t('auth.password_hint')),
    submit,
    status,
  );
}

export function authPage(root: HTMLElement): void {
  root.append(
    h('h1', {}, t('auth.title')),
    h('div', { class: 'columns' }, loginForm(), registerForm()),
  );
}
