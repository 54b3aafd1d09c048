// Browser checks of a page following one room (docs/API.md: the live page
// can follow one room; a wall per room), run by harness_test.go with a real
// server. The rooms event has three rooms whose talks all run now.
import assert from 'node:assert/strict';
import { base, check, ctl, item, run } from './lib.mjs';

const eventPath = `${base}/events/${process.env.ROOMS_EVENT}`;

async function open(context, path) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { console.error('page error:', e.message); process.exitCode = 1; });
  await page.goto(path, { waitUntil: 'load' });
  await page.waitForTimeout(300);
  return page;
}

const append = (room, session, text) =>
  ctl(`/append-room?room=${room}&session=${session}&text=${encodeURIComponent(text)}`);

await run(async (browser) => {
  const ctx = await browser.newContext();
  const all = await open(ctx, eventPath);
  const roomB = await open(ctx, `${eventPath}?room=room-b`);
  const wallB = await open(ctx, `${eventPath}/wall?room=room-b`);

  await check('the room picker links each room, and the page says which one it follows', async () => {
    assert.equal(await all.locator('[data-room-picker] a').count(), 4); // all rooms + three
    assert.equal(await roomB.locator('[data-room-picker] a[aria-current="page"]').textContent(), 'Room B');
    assert.match(await roomB.locator('#h-stream').textContent(), /Room B only/);
    // Its schedule is Room B's, so "current session only" is Room B's talk.
    const sessions = await roomB.locator('.session[data-session]').evaluateAll((ns) => ns.map((n) => n.dataset.session));
    assert.deepEqual(sessions, ['b-talk']);
  });

  let inA, inB, unplaced;
  await check("live, Room B's page and wall show Room B's posts and no other room's", async () => {
    inA = await append('hall-a', 'a-talk', 'Hall A: keynote slides please');
    inB = await append('room-b', 'b-talk', 'Room B: great live demo');
    unplaced = await append('', '', 'which room has the coffee?');
    // Every post reaches the unfiltered page: the stream is live.
    for (const s of [inA, inB, unplaced]) await item(all, s.seq).waitFor({ state: 'visible', timeout: 5000 });
    await item(roomB, inB.seq).waitFor({ state: 'visible', timeout: 5000 });
    await item(wallB, inB.seq).waitFor({ state: 'visible', timeout: 5000 });
    // The others arrived in the same poll answers, and were kept out.
    await roomB.waitForTimeout(500);
    for (const p of [roomB, wallB]) {
      assert.equal(await item(p, inA.seq).count(), 0, 'a Hall A post on a Room B page');
      assert.equal(await item(p, unplaced.seq).count(), 0, 'an unplaced post on a Room B page');
      const rooms = await p.locator('[data-stream] [data-seq]').evaluateAll((ns) => ns.map((n) => n.dataset.room));
      assert.ok(rooms.length > 0 && rooms.every((r) => r === 'room-b'), `rooms shown: ${rooms}`);
    }
  });

  await check("an attendee posting from Room B's page sees the post there, in Room B's talk, and the wall shows it", async () => {
    await roomB.fill('#post-name', 'Ann');
    await roomB.fill('#post-text', 'Posted from Room B');
    await roomB.click('[data-post-form] button[type=submit]');
    const mine = roomB.locator('[data-stream] [data-seq]', { hasText: 'Posted from Room B' });
    await mine.first().waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await mine.count(), 1, 'the post is shown once');
    assert.equal(await mine.getAttribute('data-room'), 'room-b');
    assert.equal(await roomB.textContent('[data-post-ok]'), 'Posted.');
    await wallB.locator('[data-seq]', { hasText: 'Posted from Room B' }).first().waitFor({ state: 'visible', timeout: 5000 });
  });

  await check("a post from Room B's page tagged for Room C's talk says where it went", async () => {
    await roomB.fill('#post-text', 'Heading to #ctalk next');
    await roomB.click('[data-post-form] button[type=submit]');
    await roomB.waitForFunction(() => /another room/.test(document.querySelector('[data-post-ok]').textContent), null, { timeout: 5000 });
    assert.equal(await roomB.locator('[data-stream] [data-seq]', { hasText: 'Heading to' }).count(), 0);
  });

  await check('a post a moderator moves into Room B appears there; one moved out leaves', async () => {
    await ctl(`/move?seq=${unplaced.seq}&room=room-b&session=b-talk`);
    await item(roomB, unplaced.seq).waitFor({ state: 'visible', timeout: 5000 });
    await ctl(`/move?seq=${inB.seq}&room=room-c&session=c-talk`);
    await item(roomB, inB.seq).waitFor({ state: 'detached', timeout: 5000 });
    await item(wallB, inB.seq).waitFor({ state: 'detached', timeout: 5000 });
  });

  await check('a reload of the room page renders only that room on the server', async () => {
    await roomB.reload({ waitUntil: 'load' });
    assert.equal(await item(roomB, unplaced.seq).count(), 1);
    assert.equal(await item(roomB, inA.seq).count(), 0);
    assert.equal(await item(roomB, inB.seq).count(), 0);
  });

  await check('an unknown room is a page that says so', async () => {
    const p = await ctx.newPage();
    const res = await p.goto(`${eventPath}?room=attic`);
    assert.equal(res.status(), 404);
    assert.match(await p.textContent('body'), /There is no room "attic"/);
  });
});
