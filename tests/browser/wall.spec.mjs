// Browser checks of the moderation desk and the wall (issue: a wall and a
// moderation desk fit for a keynote): an item reaches a moderator's console
// within a second; a spotlight from the console (key s) reaches two open
// walls within a second; a sensitive image is blurred on the wall and the
// live page (the overlay keeps the spotlighted item); a reported item reaches the reports queue; a banned room poster
// who changes their name is still refused; the wall loads framed by the
// event's listed site and is refused by another. Times are taken by the
// pages' own clocks (MutationObserver), so Playwright's polling is not
// counted.
import assert from 'node:assert/strict';
import { artifacts, base, check, ctl, event, item, openLive, run } from './lib.mjs';

const eventBase = `${base}/admin/events/${process.env.EVENT_ID}`;
const wallPath = `${base}/events/${event}/wall`;

// appearedAt notes (in page) when a selector first matches, resolving with
// the page's Date.now().
async function watchFor(page, sel) {
  await page.evaluate((s) => {
    window.__seen = window.__seen || {};
    window.__seen[s] = new Promise((resolve) => {
      if (document.querySelector(s)) { resolve(Date.now()); return; }
      new MutationObserver((_, obs) => {
        if (document.querySelector(s)) { obs.disconnect(); resolve(Date.now()); }
      }).observe(document.body, { childList: true, subtree: true, attributes: true });
    });
  }, sel);
  return async () => page.evaluate((s) => window.__seen[s], sel);
}

async function openWall(context, url = wallPath) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { console.error('wall page error:', e.message); process.exitCode = 1; });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(300);
  return page;
}

await run(async (browser) => {
  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  admin.on('pageerror', (e) => { console.error('admin page error:', e.message); process.exitCode = 1; });
  const row = (seq) => admin.locator(`[data-testid=stream] article.item[data-seq="${seq}"]`);

  await check('a moderator signs in and opens the console', async () => {
    await admin.goto(`${base}/admin/login`);
    await admin.fill('input[name=email]', process.env.ADMIN_EMAIL);
    await admin.fill('input[name=password]', process.env.ADMIN_PASSWORD);
    await Promise.all([admin.waitForURL((u) => !u.pathname.startsWith('/admin/login')), admin.click('form button[type=submit]')]);
    await admin.goto(`${eventBase}/moderate`);
    await admin.locator('[data-testid=stream][data-tail]').waitFor({ state: 'attached' });
    assert.match(await admin.locator('[data-testid=online]').innerText(), new RegExp(process.env.ADMIN_EMAIL.replace('.', '\\.')));
    for (const key of ['a', 'r', 'h', 'p', 's', 'b']) {
      assert.ok(await admin.locator('#shortcuts kbd', { hasText: new RegExp(`^${key}$`) }).count() > 0, `shortcut ${key} not shown`);
    }
  });

  await check('a new item reaches the moderator\'s console within a second', async () => {
    // Let the console's long poll settle on the head first.
    await admin.waitForTimeout(500);
    const text = 'console tail ' + Date.now();
    const seen = await watchFor(admin, '[data-testid=stream] article.item[data-text-probe]');
    await admin.evaluate((t) => {
      new MutationObserver((_, obs) => {
        for (const a of document.querySelectorAll('[data-testid=stream] article.item')) {
          if (a.textContent.includes(t)) { a.dataset.textProbe = '1'; obs.disconnect(); return; }
        }
      }).observe(document.querySelector('[data-testid=stream]'), { childList: true, subtree: true });
    }, text);
    const t0 = Date.now();
    const { seq } = await ctl('/append?text=' + encodeURIComponent(text));
    await row(seq).waitFor({ timeout: 5000 });
    const ms = (await seen()) - t0;
    console.log(`    in the console ${ms} ms after the append was asked for`);
    assert.ok(ms < 1000, `took ${ms} ms`);
    assert.ok(await row(seq).locator('form[data-key=s] button').count() === 1, 'a shown item has its spotlight button');
  });

  const ctxA = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  const ctxB = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const wallA = await openWall(ctxA);
  const wallB = await openWall(ctxB);
  const overlay = await openWall(ctxB, `${base}/events/${event}/overlay`);

  await check('a spotlight (key s in the console) reaches two open walls within a second', async () => {
    const { seq } = await ctl('/append?text=' + encodeURIComponent('Spotlight me, please'));
    await row(seq).waitFor({ timeout: 5000 });
    await item(wallA, seq).waitFor({ timeout: 5000 });
    const sel = `[data-spotlight]:not([hidden]) [data-seq="${seq}"]`;
    const seenA = await watchFor(wallA, sel);
    const seenB = await watchFor(wallB, sel);
    await row(seq).evaluate((el) => el.focus());
    const t0 = Date.now();
    await admin.keyboard.press('s');
    await wallA.locator(sel).waitFor({ timeout: 5000 }).catch(async (e) => {
      console.log('    console says: ' + await admin.locator('#refresh-status').innerText());
      throw e;
    });
    await wallB.locator(sel).waitFor({ timeout: 5000 });
    const a = (await seenA()) - t0;
    const b = (await seenB()) - t0;
    console.log(`    on wall A ${a} ms, on wall B ${b} ms after the key press`);
    assert.ok(a < 1000 && b < 1000, `took ${a} / ${b} ms`);
    await wallA.screenshot({ path: `${artifacts}/wall-spotlight.png` });
    // The overlay (transparent) keeps the spotlighted item while newer ones arrive.
    await overlay.locator(`[data-overlay][data-spotlight="${seq}"]`).waitFor({ timeout: 5000 });
    const { seq: newer } = await ctl('/append?text=' + encodeURIComponent('a newer post'));
    await item(wallA, newer).waitFor({ timeout: 5000 });
    assert.equal(await overlay.locator('[data-lower-third] [data-seq]').getAttribute('data-seq'), String(seq), 'the overlay left the spotlight');
    assert.equal(await overlay.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgba(0, 0, 0, 0)', 'the overlay is not transparent');
    await overlay.screenshot({ path: `${artifacts}/overlay.png`, omitBackground: true });
  });

  await check('a sensitive image is blurred on the wall and on the live page (revealed there on a click only)', async () => {
    const live = await openLive(await browser.newContext());
    const { seq } = await ctl('/append?sensitive=1&image=' + encodeURIComponent('https://images.example/sensitive.jpg') +
      '&text=' + encodeURIComponent('Careful with this photo'));
    const blur = (page) => item(page, seq).locator('.photos img').evaluate((img) => getComputedStyle(img).filter);
    for (const [name, page] of [['wall', wallA], ['live page', live]]) {
      await item(page, seq).waitFor({ timeout: 5000 });
      const f = await blur(page);
      assert.match(f, /blur\(/, `${name}: the image is not blurred (filter ${f})`);
    }
    assert.equal(await item(wallA, seq).locator('[data-reveal]').isVisible(), false, 'the wall offers to reveal');
    await item(live, seq).locator('[data-reveal]').click();
    assert.equal(await blur(live), 'none', 'the live page does not reveal on a click');
    // A page loaded afterwards renders it blurred on the server too.
    await live.reload();
    assert.match(await blur(live), /blur\(/, 'the server-rendered item is not blurred');
    await live.close();
  });

  await check('a reported item reaches the reports queue with its count', async () => {
    const live = await openLive(await browser.newContext());
    live.on('dialog', (d) => d.accept());
    const { seq } = await ctl('/append?text=' + encodeURIComponent('Buy followers now'));
    await item(live, seq).waitFor({ timeout: 5000 });
    const button = item(live, seq).locator('[data-report]');
    await button.click();
    await live.waitForFunction((s) => document.querySelector(`[data-stream] [data-seq="${s}"] [data-report]`).textContent === 'Reported', seq);
    await admin.goto(`${eventBase}/reports`);
    const reported = admin.locator(`[data-testid=reports] article.item[data-seq="${seq}"]`);
    await reported.waitFor({ timeout: 5000 });
    assert.match(await reported.innerText(), /1 report\b/);
    await admin.goto(`${eventBase}/moderate`);
    assert.equal(await admin.locator('[data-testid=reported]').isVisible(), true, 'the console does not show the reported count');
    await live.close();
  });

  await check('a banned room poster who changes their name is still refused', async () => {
    const live = await openLive(await browser.newContext());
    const post = async (name, text) => {
      await live.fill('#post-name', name);
      await live.fill('#post-text', text);
      await live.click('[data-post-form] button[type=submit]');
    };
    await post('Mallory', 'first rude post');
    const mine = live.locator('[data-stream] [data-seq]', { hasText: 'first rude post' }).first();
    await mine.waitFor({ timeout: 5000 });
    const seq = await mine.getAttribute('data-seq');
    await admin.goto(`${eventBase}/moderate`);
    await row(seq).waitFor({ timeout: 5000 });
    await row(seq).evaluate((el) => el.focus());
    await admin.keyboard.press('b');
    await admin.locator('#refresh-status', { hasText: 'Banned the browser' }).waitFor({ timeout: 5000 });
    await item(live, seq).waitFor({ state: 'detached', timeout: 5000 }); // their posts are hidden too
    await post('Innocent Bob', 'a new name, the same browser');
    const err = live.locator('[data-post-error]');
    await err.waitFor({ state: 'visible', timeout: 5000 });
    console.log(`    refused: ${await err.innerText()}`);
    await live.waitForTimeout(1000);
    assert.equal(await live.locator('[data-stream] [data-seq]', { hasText: 'a new name, the same browser' }).count(), 0);
    await live.close();
  });

  await check('the wall loads framed by the listed site and is refused by another', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(process.env.EMBED_ALLOWED_URL, { waitUntil: 'load' });
    await page.frameLocator('#wall').locator('[data-wall]').waitFor({ timeout: 5000 });
    await page.screenshot({ path: `${artifacts}/wall-embedded.png` });
    const refused = [];
    page.on('console', (m) => { if (/frame-ancestors|refused/i.test(m.text())) refused.push(m.text()); });
    await page.goto(process.env.EMBED_OTHER_URL, { waitUntil: 'load' });
    await page.waitForTimeout(1500);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const inside = frame ? await frame.locator('[data-wall]').count().catch(() => 0) : 0;
    assert.equal(inside, 0, 'another site framed the wall');
    console.log(`    refused elsewhere (${refused[0] || 'blocked frame'})`);
    const res = await fetch(`${base}/events/${event}`);
    assert.match(res.headers.get('content-security-policy'), new RegExp(`frame-ancestors ${process.env.EMBED_ALLOWED_URL}`));
    const home = await fetch(`${base}/`);
    assert.match(home.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    assert.equal(home.headers.get('x-frame-options'), 'DENY');
  });

});
