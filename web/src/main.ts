import { locale, setLocale, t } from './i18n';

function render(): void {
  const root = document.getElementById('app')!;
  root.innerHTML = '';
  const h1 = document.createElement('h1');
  h1.textContent = t('app.title');
  const p = document.createElement('p');
  p.textContent = t('app.tagline');
  const btn = document.createElement('button');
  btn.textContent = t('lang.switch');
  btn.onclick = () => {
    setLocale(locale() === 'zh-CN' ? 'en' : 'zh-CN');
    render();
  };
  root.append(h1, p, btn);
}

render();
