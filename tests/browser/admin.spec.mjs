// Browser checks of the admin: a hide from the moderation console (by keyboard)
// reaches an open live page within a second, and a worker killed with -9 turns
// red on the dashboard within 15 seconds.
import assert from 'node:assert/strict';
import { artifacts, base, check, ctl, item, openLive, run } from './lib.mjs';

const consolePath = `${base}/admin/events/${process.env.EVENT_ID}/moderate`;

await run(async (browser) => {
  const admin = await (await browser.newContext()).newPage();
  admin.on('pageerror', (e) => { console.error('admin page error:', e.message); process.exitCode = 1; });
  const live = await openLive(await browser.newContext());

  await check('an organizer signs in', async () => {
    await admin.goto(`${base}/admin/`);
    assert.match(admin.url(), /\/admin\/login/);
    await admin.fill('input[name=email]', process.env.ADMIN_EMAIL);
    await admin.fill('input[name=password]', process.env.ADMIN_PASSWORD);
    await Promise.all([admin.waitForURL((u) => !u.pathname.startsWith('/admin/login')), admin.click('form button[type=submit]')]);
  });

  await check('a hide in the console (keyboard: j then h) reaches an open live page within a second', async () => {
    const { seq } = await ctl('/append?text=' + encodeURIComponent('Buy cheap watches'));
    await item(live, seq).waitFor({ state: 'visible', timeout: 5000 });
    await admin.goto(consolePath);
    const row = admin.locator(`[data-testid=stream] article.item[data-seq="${seq}"]`);
    await row.waitFor({ timeout: 5000 });
    // j moves to the next item; keep going until the spam has the focus.
    for (let i = 0; i < 50; i++) {
      await admin.keyboard.press('j');
      if (await row.evaluate((el) => el === document.activeElement)) break;
    }
    assert.ok(await row.evaluate((el) => el === document.activeElement), 'j never reached the item');
    // The live page notes when the item leaves its DOM (its own clock, the
    // same as this script's), so Playwright's polling is not counted.
    await live.evaluate((s) => {
      window.__goneAt = new Promise((resolve) => {
        new MutationObserver((_, obs) => {
          if (!document.querySelector(`[data-stream] [data-seq="${s}"]`)) { obs.disconnect(); resolve(Date.now()); }
        }).observe(document.querySelector('[data-stream]'), { childList: true, subtree: true });
      });
    }, seq);
    const t0 = Date.now();
    await admin.keyboard.press('h');
    await item(live, seq).waitFor({ state: 'detached', timeout: 5000 });
    const ms = (await live.evaluate(() => window.__goneAt)) - t0;
    console.log(`    gone from the live page ${ms} ms after the key press (Playwright saw it after ${Date.now() - t0} ms)`);
    assert.ok(ms < 1000, `took ${ms} ms`);
    await admin.waitForLoadState('load');
    await admin.screenshot({ path: `${artifacts}/admin-console.png`, fullPage: true });
  });

  await check('a worker killed with -9 turns red on the dashboard within 15 seconds', async () => {
    await ctl('/start-worker');
    const workerRow = () => admin.locator('[data-testid=processes] tbody tr', { hasText: 'worker' });
    for (let i = 0; i < 30 && (await workerRow().count()) === 0; i++) {
      await admin.goto(`${base}/admin/dashboard`);
      if ((await workerRow().count()) === 0) await admin.waitForTimeout(1000);
    }
    assert.ok((await workerRow().count()) > 0, 'the worker never showed up on the dashboard');
    assert.equal(await workerRow().first().evaluate((el) => el.classList.contains('stale')), false, 'a live worker is red');
    const { at } = await ctl('/kill-worker');
    let red = false;
    while (Date.now() - at < 25000) {
      await admin.goto(`${base}/admin/dashboard`);
      if (await workerRow().first().evaluate((el) => el.classList.contains('stale'))) { red = true; break; }
      await admin.waitForTimeout(500);
    }
    const ms = Date.now() - at;
    console.log(`    red ${ms} ms after kill -9`);
    assert.ok(red && ms <= 16000, `not red within 15 s (${ms} ms)`);
    await admin.screenshot({ path: `${artifacts}/admin-dashboard.png`, fullPage: true });
  });
});
