import zh from './locales/zh-CN.json';
import en from './locales/en.json';

export type Locale = 'zh-CN' | 'en';
/** A message, or for a count its plural forms by Intl.PluralRules category ({"one": …, "other": …} in
 * English; Chinese has only "other"). */
type Message = string | Partial<Record<Intl.LDMLPluralRule, string>>;
const catalogs: Record<Locale, Record<string, Message>> = { 'zh-CN': zh, en };
const pluralRules = new Map<Locale, Intl.PluralRules>();

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

/** Look up a string; `{name}` placeholders are filled from `vars`. Falls back to Chinese, then the key.
 * A message with plural forms takes the form for the count `vars.n`: t('eval.count', { n: 1 }) is
 * "1 evaluation", with { n: 2 } "2 evaluations". */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const own = catalogs[current][key];
  const [message, lang] = own !== undefined ? [own, current] : [catalogs['zh-CN'][key], 'zh-CN' as const];
  const raw = typeof message === 'object' ? pluralForm(message, lang, Number(vars.n)) : message ?? key;
  return raw.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

function pluralForm(forms: Exclude<Message, string>, lang: Locale, n: number): string {
  let rules = pluralRules.get(lang);
  if (!rules) pluralRules.set(lang, (rules = new Intl.PluralRules(lang)));
  return forms[rules.select(n)] ?? forms.other ?? '';
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
