// Drives the system Firefox (Debian's firefox-esr) over WebDriver BiDi for the Python tests, with
// puppeteer-core (which never downloads a browser). One Firefox per driver process; each "open" makes an
// isolated browser context (a BiDi user context) with one page.
//
// Protocol: one JSON request per line on stdin, {"id", "op", ...args}; one JSON reply per line on stdout,
// {"id", "ok": true, "value"} or {"id", "ok": false, "error"}. Console errors and uncaught exceptions of
// every page are collected and handed out by the "errors" op.
//
//   node firefox_driver.mjs /usr/bin/firefox-esr
import readline from 'node:readline';
import puppeteer from 'puppeteer-core';

const executablePath = process.argv[2] ?? '/usr/bin/firefox-esr';
const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath,
  headless: true,
  protocolTimeout: 120_000,
  extraPrefsFirefox: {
    // fake camera and microphone, no permission prompt, autoplay with sound allowed
    'media.navigator.streams.fake': true,
    'media.navigator.permission.disabled': true,
    'media.autoplay.default': 0,
    'media.autoplay.blocking_policy': 0,
    // host candidates as addresses, not mDNS names aiortc cannot resolve (Chromium: WebRtcHideLocalIpsWithMdns)
    'media.peerconnection.ice.obfuscate_host_addresses': false,
    'intl.accept_languages': 'zh-CN, zh',
  },
});

const pages = new Map();
let errors = [];
let nextPage = 1;

async function open({ label, init }) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1366, height: 768 }); // school PCs
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`[${label}] ${m.text()} ${m.location()?.url ?? ''}`);
  });
  page.on('pageerror', (e) => errors.push(`[${label}] uncaught: ${e.message ?? e}`));
  if (init) await page.evaluateOnNewDocument(init);
  const id = nextPage++;
  pages.set(id, { page, context });
  return id;
}

function pageOf(id) {
  const entry = pages.get(id);
  if (!entry) throw new Error(`no page ${id}`);
  return entry.page;
}

const ops = {
  open,
  version: () => browser.version(),
  goto: async ({ page, url }) => {
    await pageOf(page).goto(url, { waitUntil: 'load' });
  },
  // an expression (or function source, applied to the matched element) polled until it is truthy
  wait: async ({ page, js, selector, ms }) => {
    const p = pageOf(page);
    const opts = { timeout: ms ?? 30_000, polling: 100 };
    const handle = selector
      ? await p.waitForFunction(`(() => { const el = document.querySelector(${JSON.stringify(selector)}); return !!el && (${js})(el); })()`, opts)
      : await p.waitForFunction(js, opts);
    return handle.jsonValue();
  },
  eval: ({ page, js }) => pageOf(page).evaluate(js),
  click: ({ page, selector }) => pageOf(page).locator(selector).click(),
  fill: ({ page, selector, text }) => pageOf(page).locator(selector).fill(text),
  type: ({ page, text }) => pageOf(page).keyboard.type(text),
  press: ({ page, key }) => pageOf(page).keyboard.press(key),
  select: async ({ page, selector, value }) => {
    await pageOf(page).select(selector, value);
  },
  shot: async ({ page, path }) => {
    await pageOf(page).screenshot({ path });
  },
  close: async ({ page }) => {
    const entry = pages.get(page);
    pages.delete(page);
    await entry?.context.close();
  },
  errors: () => {
    const out = errors;
    errors = [];
    return out;
  },
};

const input = readline.createInterface({ input: process.stdin });
// requests run one after another, in order
let chain = Promise.resolve();
input.on('line', (line) => {
  chain = chain.then(async () => {
    const req = JSON.parse(line);
    let reply;
    try {
      const op = ops[req.op];
      if (!op) throw new Error(`unknown op ${req.op}`);
      reply = { id: req.id, ok: true, value: (await op(req)) ?? null };
    } catch (e) {
      reply = { id: req.id, ok: false, error: String(e?.stack ?? e) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  });
});
input.on('close', () => {
  chain.then(() => browser.close()).finally(() => process.exit(0));
});
process.stdout.write(JSON.stringify({ id: 0, ok: true, value: await browser.version() }) + '\n');
