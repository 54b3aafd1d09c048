// Browser checks of the audience's voice: a question asked on a phone-sized
// Q&A page appears on a second page and on the speaker view within a second;
// an upvote reorders both; "answering now" set in the admin highlights it on
// the speaker view within a second; a reaction reaches the other page's
// counts. Each page is its own browser context, so its own client (cookie).
import assert from 'node:assert/strict';
import { artifacts, base, check, ctl, event, launch } from './lib.mjs';

const session = 'now-talk';
const qaPath = `${base}/events/${event}/sessions/${session}/qa`;
const speakerPath = `${base}/events/${event}/sessions/${session}/speaker`;
const consolePath = `${base}/admin/events/${process.env.EVENT_ID}/questions?session=${session}`;

async function open(browser, url, opts) {
  const page = await (await browser.newContext(opts)).newPage();
  page.on('pageerror', (e) => { console.error('page error:', url, e.message); process.exitCode = 1; });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(300); // its poll starts
  return page;
}

// watch notes (on the page's own clock, the same machine's as this script)
// when the first question matching sel has the text.
function watch(page, sel, text) {
  return page.evaluate(([sel, text]) => {
    window.__seenAt = new Promise((resolve) => {
      const look = () => { const n = document.querySelector(sel); return n && n.querySelector('.q-text').textContent === text; };
      if (look()) return resolve(Date.now());
      new MutationObserver((_, obs) => { if (look()) { obs.disconnect(); resolve(Date.now()); } })
        .observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
    });
  }, [sel, text]);
}
const seenAt = (page) => page.evaluate(() => window.__seenAt);

const order = (page, sel) => page.$$eval(sel + ' .question', (ns) => ns.map((n) => n.querySelector('.q-text').textContent));

const browser = await launch();
try {
  const phone = await open(browser, qaPath, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const other = await open(browser, qaPath);
  const speaker = await open(browser, speakerPath, { viewport: { width: 1280, height: 800 } });
  const first = 'Will <b>this</b> work offline? ' + Date.now();
  const second = 'How does it scale? ' + Date.now();

  await check('a question asked on a phone appears on a second page and on the speaker view within a second', async () => {
    await watch(other, '[data-questions-list] .question', first);
    await watch(speaker, '[data-questions-list] .question', first);
    await phone.fill('#q-text', first);
    const t0 = Date.now();
    await phone.click('[data-ask-form] button[type=submit]');
    await phone.locator('[data-ask-ok]').waitFor({ state: 'visible', timeout: 5000 });
    const msOther = (await seenAt(other)) - t0;
    const msSpeaker = (await seenAt(speaker)) - t0;
    console.log(`    on the second page after ${msOther} ms, on the speaker view after ${msSpeaker} ms`);
    assert.ok(msOther < 1000 && msSpeaker < 1000, `took ${msOther} / ${msSpeaker} ms`);
    // HTML in a question is text, never markup.
    assert.equal(await other.locator('.question .q-text b').count(), 0);
    assert.equal(await phone.locator('.question .q-name').first().textContent(), 'Anonymous');
    await phone.screenshot({ path: `${artifacts}/qa-phone.png`, fullPage: true });
  });

  await check('an upvote reorders the second page and the speaker view within a second', async () => {
    await other.fill('#q-text', second);
    await other.fill('#q-name', 'Grace');
    await other.click('[data-ask-form] button[type=submit]');
    await speaker.locator('.question .q-text', { hasText: second }).waitFor({ timeout: 5000 });
    await phone.locator('.question .q-text', { hasText: second }).waitFor({ timeout: 5000 });
    assert.deepEqual(await order(speaker, '.speaker-list'), [first, second], 'older question first at equal votes');
    await watch(other, '[data-questions-list] .question', second);
    await watch(speaker, '[data-questions-list] .question', second);
    const t0 = Date.now();
    await phone.locator('.question', { hasText: second }).locator('[data-vote]').click();
    const msOther = (await seenAt(other)) - t0;
    const msSpeaker = (await seenAt(speaker)) - t0;
    console.log(`    reordered on the second page after ${msOther} ms, on the speaker view after ${msSpeaker} ms`);
    assert.ok(msOther < 1000 && msSpeaker < 1000, `took ${msOther} / ${msSpeaker} ms`);
    assert.deepEqual(await order(other, '.qa-list'), [second, first]);
    assert.equal(await phone.locator('.question', { hasText: second }).locator('[data-vote]').getAttribute('aria-pressed'), 'true');
    assert.equal(await speaker.locator('.question', { hasText: second }).locator('[data-votes-n]').textContent(), '1');
    // Voting again from the same client changes nothing; taking it back does.
    const res = await phone.evaluate(async (u) => (await fetch(u, { method: 'POST' })).json(),
      `${base}/api/events/${event}/sessions/${session}/questions/` + (await phone.locator('.question', { hasText: second }).getAttribute('data-qid')) + '/vote');
    assert.equal(res.votes, 1, 'a second vote from one client was counted');
  });

  let admin;
  await check('"answering now" set in the admin highlights the question on the speaker view within a second', async () => {
    admin = await (await browser.newContext()).newPage();
    admin.on('pageerror', (e) => { console.error('admin page error:', e.message); process.exitCode = 1; });
    await admin.goto(`${base}/admin/`);
    await admin.fill('input[name=email]', process.env.ADMIN_EMAIL);
    await admin.fill('input[name=password]', process.env.ADMIN_PASSWORD);
    await Promise.all([admin.waitForURL((u) => !u.pathname.startsWith('/admin/login')), admin.click('form button[type=submit]')]);
    await admin.goto(consolePath);
    const row = admin.locator('[data-questions] article.question', { has: admin.locator('p.text', { hasText: first }) });
    await row.waitFor({ timeout: 5000 });
    await watch(speaker, '[data-questions-list] .question.is-answering', first);
    const t0 = Date.now();
    await row.locator('button', { hasText: 'Answering now' }).click();
    const ms = (await seenAt(speaker)) - t0;
    console.log(`    highlighted on the speaker view ${ms} ms after the click`);
    assert.ok(ms < 1000, `took ${ms} ms`);
    assert.deepEqual(await order(speaker, '.speaker-list'), [first, second], 'the question being answered comes first');
    assert.equal(await speaker.locator('.question.is-answering .q-state').textContent(), 'Answering now');
    await phone.locator('.question.is-answering', { hasText: first }).waitFor({ timeout: 2000 });
    await speaker.screenshot({ path: `${artifacts}/speaker.png` });
  });

  await check('a reaction from the phone reaches the counts on another page', async () => {
    await phone.locator('[data-react] [data-kind=applause]').click();
    await other.waitForFunction(() => +document.querySelector('[data-react-n=applause]').textContent >= 1, null, { timeout: 5000 });
  });

  await check('the speaker view keeps its questions through a server crash and follows again once it is back', async () => {
    const before = await speaker.locator('.speaker-list .question').count();
    await ctl('/stop'); // kill -9
    await speaker.locator('[data-conn]').waitFor({ state: 'visible', timeout: 10000 });
    assert.equal(await speaker.locator('.speaker-list .question').count(), before, 'the view lost its questions while offline');
    await ctl('/start');
    const third = 'Asked after the outage ' + Date.now();
    await phone.fill('#q-text', third);
    await phone.click('[data-ask-form] button[type=submit]');
    await phone.locator('[data-ask-ok]').waitFor({ state: 'visible', timeout: 5000 });
    const t0 = Date.now();
    await speaker.locator('.speaker-list .question .q-text', { hasText: third }).waitFor({ timeout: 40000 });
    console.log(`    on the speaker view ${Date.now() - t0} ms after it was asked (the view's backoff after the crash)`);
    await speaker.locator('[data-conn]').waitFor({ state: 'hidden', timeout: 5000 });
  });

  await check('the Q&A page is reachable from the live page', async () => {
    const live = await open(browser, `${base}/events/${event}`);
    await Promise.all([live.waitForURL(qaPath), live.locator('.now-banner a.s-qa').first().click()]);
  });
  console.log('all browser checks passed');
} catch (err) {
  console.error('FAILED:', err.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
