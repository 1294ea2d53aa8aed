import zh from './locales/zh-CN.json';
import en from './locales/en.json';

export type Locale = 'zh-CN' | 'en';
const catalogs: Record<Locale, Record<string, string>> = { 'zh-CN': zh, en };

function stored(): Locale {
  const v = localStorage.getItem('moke.locale');
  return v === 'en' || v === 'zh-CN' ? v : 'zh-CN';
}

let current: Locale = stored();
document.documentElement.lang = current;

export function locale(): Locale {
  return current;
}

export function setLocale(next: Locale): void {
  current = next;
  localStorage.setItem('moke.locale', next);
  document.documentElement.lang = next;
}

export function has(key: string): boolean {
  return key in catalogs[current] || key in catalogs['zh-CN'];
}

/** Look up a string; `{name}` placeholders are filled from `vars`. Falls back to Chinese, then the key. */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const raw = catalogs[current][key] ?? catalogs['zh-CN'][key] ?? key;
  return raw.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** A role name for people (主持人, 观课教师 …). */
export function roleName(role: string | null | undefined): string {
  return role ? t(`role.${role}`) : '';
}

export function formatTime(seconds: number | null | undefined): string {
  if (!seconds) return '';
  return new Date(seconds * 1000).toLocaleString(current, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}
