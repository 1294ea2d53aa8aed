/** Client-side routes (History API). A page renders into the main element and may return a cleanup. */
export type Cleanup = () => void;
export type Page = (root: HTMLElement, params: Record<string, string>) => Cleanup | void | Promise<Cleanup | void>;

interface Route {
  pattern: RegExp;
  names: string[];
  load: () => Promise<Page>;
}

const routes: Route[] = [];
let cleanup: Cleanup | null = null;
let renderSeq = 0;

export function route(path: string, load: () => Promise<Page>): void {
  const names: string[] = [];
  const pattern = new RegExp(
    '^' + path.replace(/:(\w+)/g, (_, n: string) => (names.push(n), '([^/]+)')) + '/?$',
  );
  routes.push({ pattern, names, load });
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

let onRender: () => void = () => undefined;
export function afterRender(fn: () => void): void {
  onRender = fn;
}

export async function render(): Promise<void> {
  const seq = ++renderSeq;
  const root = document.getElementById('main')!;
  cleanup?.();
  cleanup = null;
  onRender();
  const path = location.pathname;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
    root.replaceChildren();
    const page = await r.load();
    if (seq !== renderSeq) return;
    const c = await page(root, params);
    if (seq !== renderSeq) c?.();
    else cleanup = c ?? null;
    return;
  }
  const notFound = await routes[routes.length - 1].load();
  root.replaceChildren();
  await notFound(root, {});
}

/** Links with data-link navigate without a reload. */
export function installLinkHandler(): void {
  document.addEventListener('click', (e) => {
    const a = (e.target as HTMLElement).closest<HTMLAnchorElement>('a[data-link]');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(a.getAttribute('href')!);
  });
  window.addEventListener('popstate', () => void render());
}
