import zh from './locales/zh-CN.json';
import en from './locales/en.json';

export type Locale = 'zh-CN' | 'en';
const catalogs: Record<Locale, Record<string, string>> = { 'zh-CN': zh, en };

let current: Locale = (localStorage.getItem('moke.locale') as Locale) || 'zh-CN';

export function locale(): Locale {
  return current;
}

export function setLocale(next: Locale): void {
  current = next;
  localStorage.setItem('moke.locale', next);
  document.documentElement.lang = next;
}

/** Look up a string; `{name}` placeholders are filled from `vars`. Falls back to Chinese, then the key. */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const raw = catalogs[current][key] ?? catalogs['zh-CN'][key] ?? key;
  return raw.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}
