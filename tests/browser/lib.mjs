// Shared set-up of the browser checks: the browser, the control API of the
// Go harness, and a tiny check runner that prints timings.
import { chromium } from 'playwright-core';

export const base = process.env.BASE_URL;
export const control = process.env.CONTROL_URL;
export const event = process.env.EVENT;
export const artifacts = process.env.ARTIFACTS;
export const livePath = `${base}/events/${event}`;
// The same page through a proxy that holds streams back: it must long-poll.
export const bufferedLivePath = `${process.env.BUFFERING_PROXY_URL}/events/${event}`;

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
      '--disable-quic', '--disable-component-update', '--disable-sync',
      // Several pages are watched at once: keep background pages running at full speed.
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
}

// ctl calls the Go harness: append or hide items, restart the server, kill the worker.
export async function ctl(path) {
  const res = await fetch(control + path, { method: 'POST' });
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export const item = (page, seq) => page.locator(`[data-stream] [data-seq="${seq}"]`);

// openLive opens the live page (at url, by default the server's own) and
// gives its script a moment to start following the stream.
export async function openLive(context, url = livePath) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { console.error('page error:', e.message); process.exitCode = 1; });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(300);
  return page;
}

// transportOf returns how a page follows the live log: "stream" or "poll".
export async function transportOf(page, sel = '[data-live]') {
  return page.locator(sel).getAttribute('data-transport');
}

export async function check(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log(`ok  ${name} (${Date.now() - t0} ms)`);
}

// run runs the checks with a fresh browser and prints the closing line the
// Go harness looks for.
export async function run(checks) {
  const browser = await launch();
  try {
    await checks(browser);
    console.log('all browser checks passed');
  } catch (err) {
    console.error('FAILED:', err.message);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}
