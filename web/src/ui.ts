/** Shared page pieces: loading and error states, a status line, a toast. */
import { errorText } from './api';
import { type Child, clear, h } from './dom';
import { t } from './i18n';

export function loading(): HTMLElement {
  return h('p', { class: 'loading', role: 'status' }, t('common.loading'));
}

export function errorBox(err: unknown, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('span', {}, errorText(err)),
    retry && h('button', { type: 'button', onclick: retry }, t('common.retry')),
  );
}

const latest = new WeakMap<HTMLElement, number>();

/** Render `load()` into `el`: a loading line first (only when `el` is empty: a reload keeps the old content
 * until the new one is there), then the content, or the error with a retry. When loads overlap, only the
 * last one started is drawn. */
export async function withLoading<T>(
  el: HTMLElement,
  load: () => Promise<T>,
  render: (data: T) => Child,
): Promise<void> {
  const seq = (latest.get(el) ?? 0) + 1;
  latest.set(el, seq);
  if (!el.firstChild || el.querySelector(':scope > .error')) el.replaceChildren(loading());
  try {
    const data = await load();
    if (latest.get(el) === seq) clear(el, render(data));
  } catch (err) {
    if (latest.get(el) === seq) el.replaceChildren(errorBox(err, () => void withLoading(el, load, render)));
  }
}

/** Run an action from a button: disable it while busy, show errors in `status` (or a toast). */
export async function busy(
  button: HTMLButtonElement | HTMLSelectElement | null,
  action: () => Promise<void>,
  status?: HTMLElement,
): Promise<void> {
  if (button) button.disabled = true;
  if (status) status.textContent = '';
  try {
    await action();
  } catch (err) {
    if (status) {
      status.textContent = errorText(err);
      status.className = 'status error-text';
      status.setAttribute('role', 'alert');
    } else toast(errorText(err), 'error');
  } finally {
    if (button) button.disabled = false;
  }
}

export function toast(text: string, kind: 'info' | 'error' = 'info'): void {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', 'aria-live': 'polite' });
    document.body.appendChild(box);
  }
  const item = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  box.appendChild(item);
  setTimeout(() => item.remove(), 5000);
}

export function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

export function uid(): string {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/** Copy `text`; over plain HTTP there is no `navigator.clipboard`, so select `input` (which shows the
 * same text) and use the older copy command, which works there. */
export async function copyText(text: string, input?: HTMLInputElement | null): Promise<void> {
  if (navigator.clipboard) return navigator.clipboard.writeText(text);
  input?.select();
  if (!input || !document.execCommand('copy')) throw new Error('copy unavailable');
}
