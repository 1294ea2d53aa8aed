import './style.css';
import { h } from './dom';
import { locale, setLocale, t } from './i18n';
import { afterRender, installLinkHandler, navigate, render, route } from './router';
import { getSession, setSession } from './session';
import { followKeyboard } from './viewport';

route('/', () => import('./pages/home').then((m) => m.homePage));
route('/login', () => import('./pages/auth').then((m) => m.authPage));
route('/join', () => import('./pages/join').then((m) => m.joinPage));
route('/join/:code', () => import('./pages/join').then((m) => m.joinPage));
route('/rooms/new', () => import('./pages/home').then((m) => m.newRoomPage));
route('/rooms/:roomId', () => import('./pages/room').then((m) => m.roomPage));
route('/rooms/:roomId/prep', () => import('./pages/prep').then((m) => m.prepPage));
route('/rooms/:roomId/docs/:docId', () => import('./pages/prep').then((m) => m.prepPage));
route('/rooms/:roomId/live', () => import('./pages/live').then((m) => m.livePage));
route('/rooms/:roomId/evaluate', () => import('./pages/evaluate').then((m) => m.evaluatePage));
route('/rooms/:roomId/replay', () => import('./pages/replay').then((m) => m.replayPage));
route('/rooms/:roomId/console', () => import('./pages/console').then((m) => m.consolePage));
route('/studios/:studioId/library', () => import('./pages/library').then((m) => m.libraryPage));
route('/studios/:studioId/showcase', () => import('./pages/showcase').then((m) => m.showcasePage));
route('/showcase/:token', () => import('./pages/showcase').then((m) => m.showcaseItemPage));
route('/studios', () => import('./pages/studio').then((m) => m.studiosPage));
route('/studios/:studioId', () => import('./pages/studio').then((m) => m.studioPage));
route('/studio-join', () => import('./pages/studio').then((m) => m.studioJoinPage));
route('/studio-join/:code', () => import('./pages/studio').then((m) => m.studioJoinPage));
route('/cycles/:cycleId', () => import('./pages/cycle').then((m) => m.cyclePage));
route('/records', () => import('./pages/records').then((m) => m.myRecordsPage));
route('/records/dashboard', () => import('./pages/records').then((m) => m.dashboardPage));
route('/rooms/:roomId/attendance', () => import('./pages/records').then((m) => m.attendancePage));
route('.*', () => import('./pages/home').then((m) => m.notFoundPage));

function header(): HTMLElement {
  const s = getSession();
  return h(
    'nav',
    { class: 'topbar', 'aria-label': t('nav.label') },
    h('a', { href: '/', 'data-link': true, class: 'brand' }, t('app.title')),
    h('span', { class: 'spacer' }),
    s && h('span', { class: 'who', 'data-testid': 'whoami' }, s.user.display_name, s.user.is_guest ? ` (${t('auth.guest')})` : ''),
    s &&
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            setSession(null);
            void import('./realtime').then((m) => m.disconnectSocket());
            navigate('/');
          },
        },
        t('auth.logout'),
      ),
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        id: 'lang-switch',
        lang: locale() === 'zh-CN' ? 'en' : 'zh-CN',
        onclick: () => {
          setLocale(locale() === 'zh-CN' ? 'en' : 'zh-CN');
          document.title = t('app.title');
          void render();
        },
      },
      t('lang.switch'),
    ),
  );
}

function shell(): void {
  const app = document.getElementById('app')!;
  const top = header();
  const existing = app.querySelector('nav.topbar');
  if (existing) existing.replaceWith(top);
  else app.prepend(top);
}

document.title = t('app.title');
document.getElementById('app')!.append(h('main', { id: 'main' }));
afterRender(shell);
installLinkHandler();
followKeyboard();
void render();
