// Browser checks of the admin's sign-in with a second factor: a superuser
// creates an account, its owner turns on two-factor sign-in by scanning
// (typing) the key and sees ten recovery codes once, then signs in with a
// recovery code, and again with a code from the app. Codes are computed
// here as an authenticator app does (RFC 6238: HMAC-SHA1, 30 s, 6 digits).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { artifacts, base, check, run } from './lib.mjs';

function base32(s) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s.replace(/=+$/, '')) bits += abc.indexOf(ch).toString(2).padStart(5, '0');
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

function totp(secret, step = Math.floor(Date.now() / 30000)) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32(secret)).update(msg).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

const email = 'second-factor@example.org';
const password = 'browser test second factor';

async function signIn(page) {
  await page.goto(`${base}/admin/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/admin/login'), page.click('form button[type=submit]')]);
}

async function signOut(page) {
  await Promise.all([page.waitForURL(/\/admin\/login/), page.click('header form button:has-text("Sign out")')]);
}

await run(async (browser) => {
  const admin = await (await browser.newContext()).newPage();
  const owner = await (await browser.newContext()).newPage();
  for (const p of [admin, owner]) p.on('pageerror', (e) => { console.error('page error:', e.message); process.exitCode = 1; });

  await check('a superuser creates an account', async () => {
    await admin.goto(`${base}/admin/login`);
    await admin.fill('input[name=email]', process.env.ADMIN_EMAIL);
    await admin.fill('input[name=password]', process.env.ADMIN_PASSWORD);
    await Promise.all([admin.waitForURL((u) => !u.pathname.startsWith('/admin/login')), admin.click('form button[type=submit]')]);
    await admin.goto(`${base}/admin/users/new`);
    await admin.fill('input[name=email]', email);
    await admin.fill('input[name=password]', password);
    const active = admin.locator('input[name=is_active]');
    if (!(await active.isChecked())) await active.check();
    await Promise.all([admin.waitForURL((u) => !u.pathname.endsWith('/new')), admin.click('main form button[type=submit]')]);
  });

  let secret;
  let codes;
  await check('its owner turns on two-factor sign-in and sees ten recovery codes once', async () => {
    await signIn(owner);
    await owner.goto(`${base}/admin/account/two-factor`);
    assert.ok(await owner.locator('img[alt^="QR code"]').isVisible(), 'no QR code');
    secret = (await owner.locator('[data-testid=totp-secret]').textContent()).trim();
    await owner.fill('#code', totp(secret));
    await Promise.all([owner.waitForLoadState('load'), owner.click('form[action$="/enable"] button')]);
    codes = await owner.locator('[data-testid=recovery-codes] code').allTextContents();
    assert.equal(codes.length, 10);
    await owner.screenshot({ path: `${artifacts}/admin-two-factor.png`, fullPage: true });
    await owner.goto(`${base}/admin/account`);
    assert.match(await owner.locator('[data-testid=two-factor]').textContent(), /On since .*10 recovery codes left/);
    await signOut(owner);
  });

  await check('the password alone is not enough; a recovery code signs in, once', async () => {
    await signIn(owner);
    assert.match(owner.url(), /\/admin\/login\/two-factor$/);
    await owner.goto(`${base}/admin/events`);
    assert.match(owner.url(), /\/admin\/login/, 'the admin opened before the second factor');
    await signIn(owner);
    await owner.fill('#code', codes[0]);
    await Promise.all([owner.waitForURL((u) => !u.pathname.startsWith('/admin/login')), owner.click('main form button[type=submit]')]);
    await signOut(owner);
    await signIn(owner);
    await owner.fill('#code', codes[0]);
    await owner.click('main form button[type=submit]');
    await owner.locator('#login-error').waitFor({ timeout: 5000 });
  });

  await check('a code from the app signs in (the next one: each works once)', async () => {
    // The code that turned it on was used: wait for the next 30-second step.
    const used = Math.floor(Date.now() / 30000);
    while (Math.floor(Date.now() / 30000) === used) await owner.waitForTimeout(500);
    await owner.fill('#code', totp(secret));
    await Promise.all([owner.waitForURL((u) => !u.pathname.startsWith('/admin/login')), owner.click('main form button[type=submit]')]);
    await owner.goto(`${base}/admin/account`);
    assert.match(await owner.locator('[data-testid=two-factor]').textContent(), /9 recovery codes left/);
    assert.equal(await owner.locator('[data-testid=sessions] tbody tr').count(), 1);
    await owner.screenshot({ path: `${artifacts}/admin-account.png`, fullPage: true });
  });
});
