// Browser checks of the live page and the wall, run by harness_test.go with a
// real server. Exits non-zero on the first failed check.
import assert from 'node:assert/strict';
import { artifacts, bufferedLivePath, check, ctl, item, livePath, openLive, run, transportOf } from './lib.mjs';

async function countOf(page, seq) {
  return item(page, seq).count();
}

await run(async (browser) => {
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await openLive(ctxA);
  const b = await openLive(ctxB);
  // A third browser reaches the server through a proxy that holds streams back.
  const ctxC = await browser.newContext();
  const c = await openLive(ctxC, bufferedLivePath);

  await check('pages follow the stream; a page behind a buffering proxy falls back to long polling', async () => {
    assert.equal(await transportOf(a), 'stream');
    assert.equal(await transportOf(b), 'stream');
    await c.locator('[data-live][data-transport="poll"]').waitFor({ timeout: 15000 });
  });

  let appended;
  await check('an appended item appears within one second in three browsers, two by stream and one by long poll', async () => {
    // Each page notes the moment the item enters its DOM (same machine, same
    // clock as this script), so the figure is the browser's own, without
    // Playwright's polling of the locator.
    const text = 'Hello from the stream';
    await Promise.all([a, b, c].map((p) => p.evaluate((want) => {
      window.__insertedAt = new Promise((resolve) => {
        const seen = () => [...document.querySelectorAll('[data-stream] [data-seq]')].some((n) => n.textContent.includes(want));
        new MutationObserver((_, obs) => {
          if (seen()) { obs.disconnect(); resolve(Date.now()); }
        }).observe(document.querySelector('[data-stream]'), { childList: true, subtree: true });
      });
    }, text)));
    const t0 = Date.now();
    appended = await ctl('/append?text=' + encodeURIComponent(text));
    const t1 = Date.now();
    await Promise.all([a, b, c].map((p) => item(p, appended.seq).waitFor({ state: 'visible', timeout: 5000 })));
    const ms = Date.now() - t0;
    const [inA, inB, inC] = await Promise.all([a, b, c].map((p) => p.evaluate(() => window.__insertedAt)));
    const inDOM = Math.max(inA, inB, inC) - t0;
    console.log(`    in the pages' DOM ${inDOM} ms after the append began (streams ${inA - t0} / ${inB - t0} ms, long poll ${inC - t0} ms; the control call took ${t1 - t0} ms); visible to Playwright after ${ms} ms`);
    // The pages' own clock, not Playwright's polling of the locator (which
    // alone took up to 1.2 s on a busy machine).
    assert.ok(inDOM < 1000, `in the DOM after ${inDOM} ms`);
    assert.equal(await countOf(a, appended.seq), 1);
    assert.equal(await countOf(c, appended.seq), 1);
  });

  await check('a hidden item disappears from every open page', async () => {
    await ctl('/hide?seq=' + appended.seq);
    await Promise.all([a, b, c].map((p) => item(p, appended.seq).waitFor({ state: 'detached', timeout: 5000 })));
  });

  await check('an attendee posts and everyone sees the post', async () => {
    await a.fill('#post-name', 'Grace');
    await a.fill('#post-text', 'Great talk, thanks!');
    await a.click('[data-post-form] button[type=submit]');
    const mine = a.locator('[data-stream] [data-seq]', { hasText: 'Great talk, thanks!' });
    await mine.first().waitFor({ state: 'visible', timeout: 5000 });
    await b.locator('[data-stream] [data-seq]', { hasText: 'Great talk, thanks!' }).first().waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await mine.count(), 1, 'the post is shown once');
    assert.equal(await a.inputValue('#post-name'), 'Grace', 'the name is remembered');
  });

  await check('pages resume after a server restart with nothing missing or doubled, by stream and by long poll', async () => {
    await ctl('/stop');
    const during = [];
    for (let i = 0; i < 3; i++) during.push((await ctl('/append?text=' + encodeURIComponent('while down ' + i))).seq);
    await ctl('/start');
    const after = (await ctl('/append?text=' + encodeURIComponent('after restart'))).seq;
    for (const seq of [...during, after]) {
      for (const p of [a, b, c]) await item(p, seq).waitFor({ state: 'visible', timeout: 40000 });
    }
    for (const p of [a, b, c]) {
      const seqs = await p.locator('[data-stream] [data-seq]').evaluateAll((els) => els.map((e) => e.dataset.seq));
      assert.equal(new Set(seqs).size, seqs.length, `duplicated items: ${seqs}`);
    }
    assert.equal(await transportOf(a), 'stream', 'the stream came back after the restart');
    assert.equal(await transportOf(c), 'poll');
  });

  await check('screenshots of the live page, the wall and a phone-sized live page', async () => {
    await a.screenshot({ path: `${artifacts}/live.png`, fullPage: true });
    const wall = await ctxA.newPage();
    await wall.setViewportSize({ width: 1920, height: 1080 });
    await wall.goto(`${livePath}/wall`, { waitUntil: 'load' });
    await wall.locator('svg').first().waitFor({ timeout: 5000 });
    assert.equal(await transportOf(wall, '[data-wall]'), 'stream', 'the wall follows the stream');
    await wall.screenshot({ path: `${artifacts}/wall.png` });
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await openLive(phone);
    await p.screenshot({ path: `${artifacts}/live-phone.png`, fullPage: true });
    await phone.close();
  });

  await check('the page works with JavaScript off', async () => {
    const noJS = await browser.newContext({ javaScriptEnabled: false });
    const p = await noJS.newPage();
    await p.goto(livePath, { waitUntil: 'load' });
    const texts = await p.locator('[data-stream] [data-seq]').allInnerTexts();
    assert.ok(texts.some((t) => t.includes('after restart')), 'server-rendered snapshot shows the latest items');
    assert.ok(!texts.some((t) => t.includes('Hello from the stream')), 'hidden item is not rendered');
    assert.equal(await p.locator('form[data-post-form]').getAttribute('method'), 'post');
    await noJS.close();
  });
});
