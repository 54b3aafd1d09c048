// Specification of views/static/live-core.js, run by `node --test` (see
// js_test.go) against a minimal DOM: only what Stream, poll and follow touch.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

class Node {
  constructor() { this.parentNode = null; this.childNodes = []; }
  remove() {
    if (!this.parentNode) return;
    const sib = this.parentNode.childNodes;
    sib.splice(sib.indexOf(this), 1);
    this.parentNode = null;
  }
}
class Text extends Node {
  constructor(d) { super(); this.nodeType = 3; this.data = d; }
  get textContent() { return this.data; }
}
class Elem extends Node {
  constructor(tag) {
    super();
    this.nodeType = 1;
    this.tagName = tag.toUpperCase();
    this.attrs = {};
    this.dataset = {};
    this.cls = new Set();
    this.hidden = false;
  }
  get className() { return [...this.cls].join(' '); }
  set className(v) { this.cls = new Set(String(v).split(/\s+/).filter(Boolean)); }
  get classList() {
    const s = this.cls;
    return {
      add: (...c) => c.forEach((x) => s.add(x)),
      remove: (...c) => c.forEach((x) => s.delete(x)),
      contains: (c) => s.has(c),
      toggle: (c, f) => { if (f === undefined) f = !s.has(c); if (f) s.add(c); else s.delete(c); return f; }
    };
  }
  get children() { return this.childNodes.filter((n) => n.nodeType === 1); }
  appendChild(n) {
    if (n.nodeType === 11) { for (const c of [...n.childNodes]) this.appendChild(c); return n; }
    if (n.parentNode) n.remove();
    n.parentNode = this;
    this.childNodes.push(n);
    return n;
  }
  append(...ns) { for (const n of ns) this.appendChild(typeof n === 'string' ? new Text(n) : n); }
  insertBefore(n, ref) {
    if (!ref) return this.appendChild(n);
    if (n.parentNode) n.remove();
    n.parentNode = this;
    this.childNodes.splice(this.childNodes.indexOf(ref), 0, n);
    return n;
  }
  replaceWith(n) { if (this.parentNode) { this.parentNode.insertBefore(n, this); this.remove(); } }
  replaceChildren(...ns) { for (const c of [...this.childNodes]) c.remove(); this.append(...ns); }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  getAttribute(k) { return k in this.attrs ? this.attrs[k] : null; }
  removeAttribute(k) { delete this.attrs[k]; }
  addEventListener() {}
  get textContent() { return this.childNodes.map((c) => c.textContent).join(''); }
  set textContent(v) { for (const c of [...this.childNodes]) c.remove(); if (v !== '') this.appendChild(new Text(String(v))); }
  matches(sel) {
    const m = /^([a-z]*)((?:\.[\w-]+)*)((?:\[[\w-]+\])*)$/.exec(sel);
    if (!m) throw new Error('selector not supported by the test DOM: ' + sel);
    if (m[1] && m[1].toUpperCase() !== this.tagName) return false;
    for (const c of m[2].split('.').filter(Boolean)) if (!this.cls.has(c)) return false;
    for (const a of (m[3].match(/[\w-]+/g) || [])) {
      if (a.startsWith('data-') ? !(a.slice(5) in this.dataset) : !(a in this.attrs) && this[a] === undefined) return false;
    }
    return true;
  }
  querySelectorAll(sel) {
    const out = [];
    (function walk(n) { for (const c of n.children) { if (c.matches(sel)) out.push(c); walk(c); } })(this);
    return out;
  }
  querySelector(sel) { return this.querySelectorAll(sel)[0] || null; }
}

function load(fetchImpl, timers, extra) {
  const listeners = {};
  const document = {
    createElement: (t) => new Elem(t),
    createTextNode: (d) => new Text(d),
    createDocumentFragment: () => { const f = new Elem('#fragment'); f.nodeType = 11; return f; },
    addEventListener: (t, f) => { listeners[t] = f; },
    visibilityState: 'visible'
  };
  const window = { addEventListener: (t, f) => { listeners[t] = f; } };
  class DOMParser {
    parseFromString(s) { const body = new Elem('body'); body.appendChild(new Text(s.replace(/^<!doctype html><body>/, ''))); return { body }; }
  }
  const ctx = {
    window, document, DOMParser, URL, AbortController, console,
    fetch: fetchImpl || (() => new Promise(() => {})),
    setTimeout: timers ? timers.setTimeout : setTimeout,
    clearTimeout: timers ? timers.clearTimeout : clearTimeout,
    setInterval: () => 0
  };
  Object.assign(ctx, extra || {});
  vm.createContext(ctx);
  vm.runInContext(fs.readFileSync(path.join(__dirname, '../static/live-core.js'), 'utf8'), ctx);
  return { B: ctx.window.Backchannel, listeners };
}

const item = (seq, extra) => Object.assign({
  seq, id: 'mastodon:' + seq, source: 'mastodon', kind: 'post',
  author: { name: 'P' + seq, handle: '@p' + seq + '@example.social', avatar_url: 'javascript:alert(1)' },
  text: 'text ' + seq, html: '', media: [], created_at: new Date().toISOString(), session: 'keynote', pinned: false
}, extra);
const add = (seq, extra) => ({ seq, op: 'add', item: item(seq, extra) });

function newStream(B, opts) {
  const root = new Elem('div');
  const s = new B.Stream(root, Object.assign({ tf: B.timeFormats('UTC') }, opts));
  s.seqs = () => root.children.map((n) => +n.dataset.seq);
  s.root = root;
  return s;
}

test('an item is never shown twice: replayed adds and own posts are ignored by seq', () => {
  const { B } = load();
  const s = newStream(B);
  [1, 2, 3].forEach((n) => s.apply(add(n)));
  s.apply(add(2));
  s.apply({ op: 'add', item: item(4) }, true); // own post, shown at once
  s.apply(add(4)); // the same post arriving through the poll
  assert.deepStrictEqual(s.seqs(), [4, 3, 2, 1]);
});

test('pinned items stay on top; unpin puts an item back in seq order', () => {
  const { B } = load();
  const s = newStream(B);
  [1, 2, 3, 4].forEach((n) => s.apply(add(n)));
  s.apply({ seq: 5, op: 'pin', target: 2, item: item(2, { pinned: true }) });
  s.apply(add(6));
  assert.deepStrictEqual(s.seqs(), [2, 6, 4, 3, 1]);
  assert.ok(s.root.children[0].classList.contains('is-pinned'));
  s.apply({ seq: 7, op: 'unpin', target: 2, item: item(2) });
  assert.deepStrictEqual(s.seqs(), [6, 4, 3, 2, 1]);
});

test('hide removes an item, unhide brings it back in place, update edits it in place', () => {
  const { B } = load();
  const s = newStream(B);
  [1, 2, 3].forEach((n) => s.apply(add(n)));
  s.apply({ seq: 4, op: 'hide', target: 2 });
  assert.deepStrictEqual(s.seqs(), [3, 1]);
  s.apply(add(2));
  assert.deepStrictEqual(s.seqs(), [3, 1], 'an add of a hidden seq must not show it');
  s.apply({ seq: 5, op: 'unhide', target: 2, item: item(2) });
  assert.deepStrictEqual(s.seqs(), [3, 2, 1]);
  s.apply({ seq: 6, op: 'update', target: 3, item: item(3, { text: 'edited' }) });
  assert.deepStrictEqual(s.seqs(), [3, 2, 1]);
  assert.strictEqual(s.root.children[0].querySelector('.item-body').textContent, 'edited');
});

test('reject and hold take an item off, approve brings a held one in, a spotlight changes no item', () => {
  const { B } = load();
  const spots = [];
  const s = newStream(B, { onSpotlight: (it, sp) => spots.push([it.seq, sp.seconds]) });
  [1, 2, 3].forEach((n) => s.apply(add(n)));
  s.apply({ seq: 4, op: 'reject', target: 1 });
  s.apply({ seq: 5, op: 'hold', target: 2 });
  assert.deepStrictEqual(s.seqs(), [3]);
  s.apply({ seq: 6, op: 'add', item: item(6, { held: true }) });
  assert.deepStrictEqual(s.seqs(), [3], 'a held item is not shown');
  s.apply({ seq: 7, op: 'approve', target: 6, item: item(6) });
  s.apply({ seq: 8, op: 'approve', target: 2, item: item(2) });
  assert.deepStrictEqual(s.seqs(), [6, 3, 2]);
  s.apply({ seq: 9, op: 'spotlight', target: 3, item: item(3), spotlight: { seconds: 15 } });
  assert.deepStrictEqual(s.seqs(), [6, 3, 2]);
  assert.deepStrictEqual(spots, [[3, 15]]);
});

test('sensitive, labelled and content-warned items need care; videos keep their poster frame', () => {
  const { B } = load();
  assert.strictEqual(B.needsCare({ sensitive: true }), true);
  assert.strictEqual(B.needsCare({ labels: ['graphic-media'] }), true);
  assert.strictEqual(B.needsCare({ labels: ['en'] }), false);
  assert.strictEqual(B.needsCare({ content_warning: ' spoilers ' }), true);
  assert.strictEqual(B.needsCare({ content_warning: '  ' }), false);
  const tf = B.timeFormats('UTC');
  const n = B.renderItem(item(1, { sensitive: true, media: [{ type: 'video', url: 'https://v.example/a.mp4', thumb_url: 'https://v.example/a.jpg' }] }), tf);
  assert.ok(n.classList.contains('is-sensitive'));
  assert.ok(n.querySelector('[data-reveal]'), 'no reveal button');
  const v = n.querySelector('video');
  assert.strictEqual(v.preload, 'none');
  assert.strictEqual(v.poster, 'https://v.example/a.jpg');
  const bad = B.renderItem(item(2, { media: [{ type: 'video', url: 'javascript:alert(1)' }] }), tf);
  assert.strictEqual(bad.querySelector('video'), null, 'a non-http(s) video is dropped');
});

test('the stream keeps at most max items and never re-shows a trimmed one', () => {
  const { B } = load();
  const s = newStream(B, { max: 5 });
  for (let n = 1; n <= 10; n++) s.apply(add(n));
  assert.deepStrictEqual(s.seqs(), [10, 9, 8, 7, 6]);
  s.apply(add(3));
  assert.deepStrictEqual(s.seqs(), [10, 9, 8, 7, 6]);
  for (let n = 11; n <= 500; n++) s.apply(add(n));
  assert.strictEqual(s.root.children.length, 5);
  assert.strictEqual(s.recs.size, 5, 'bookkeeping must not grow with time');
  assert.strictEqual(s.hidden.size, 0);
});

test('items arriving while the reader is away wait until flushed', () => {
  const { B } = load();
  let away = false;
  let changes = 0;
  const s = newStream(B, { hold: () => away, onChange: () => changes++ });
  s.apply(add(1));
  away = true;
  s.apply(add(2));
  s.apply(add(3));
  s.apply({ seq: 4, op: 'hide', target: 3 });
  assert.deepStrictEqual(s.seqs(), [1]);
  assert.strictEqual(s.pending.length, 1);
  assert.strictEqual(s.flush(), 1);
  assert.deepStrictEqual(s.seqs(), [2, 1]);
  assert.ok(changes >= 4);
});

test('an own post the stream brought first, held while away, shows once the POST answers', () => {
  const { B } = load();
  const s = newStream(B, { hold: () => true });
  s.apply(add(1), true);
  s.apply(add(2)); // the stream is faster than the POST's answer
  assert.deepStrictEqual(s.seqs(), [1]);
  s.apply({ op: 'add', item: item(2) }, true); // the answer: the poster's own
  assert.deepStrictEqual(s.seqs(), [2, 1]);
  assert.strictEqual(s.pending.length, 0);
});

test('a snapshot replaces everything, oldest first in, newest first shown', () => {
  const { B } = load();
  const s = newStream(B);
  [1, 2, 3].forEach((n) => s.apply(add(n)));
  s.load([item(7), item(8, { hidden: true }), item(9, { pinned: true }), item(10)]);
  assert.deepStrictEqual(s.seqs(), [9, 10, 7]);
});

test('item rendering drops non-http(s) URLs and keeps text inert', () => {
  const { B } = load();
  const n = B.renderItem(item(1, { text: '<script>x</script>', url: 'javascript:alert(2)', media: [{ type: 'image', url: 'data:x', thumb_url: 'javascript:y' }, { type: 'image', url: 'https://ok.example/a.jpg' }] }), B.timeFormats('UTC'));
  assert.strictEqual(n.querySelector('img.avatar'), null, 'javascript: avatar dropped');
  assert.strictEqual(n.querySelector('.origin'), null, 'javascript: origin dropped');
  const photos = n.querySelectorAll('a.photo');
  assert.strictEqual(photos.length, 1);
  assert.strictEqual(photos[0].href, 'https://ok.example/a.jpg');
  assert.strictEqual(n.querySelector('.item-body').textContent, '<script>x</script>');
  assert.strictEqual(B.safeURL(' JAVASCRIPT:alert(1)'), '');
  assert.strictEqual(B.safeURL('https://a.example/x'), 'https://a.example/x');
});

test('relative times match the server wording', () => {
  const { B } = load();
  const tf = B.timeFormats('America/New_York');
  const now = new Date('2026-05-24T13:30:00Z');
  const ago = (s) => tf.rel(new Date(now - s * 1000), now);
  assert.deepStrictEqual([ago(10), ago(180), ago(2 * 3600 + 5), ago(3 * 86400)], ['just now', '3 min ago', '2 h ago', '3 d ago']);
  assert.strictEqual(tf.abs(new Date('2026-05-24T13:27:00Z'), now), '09:27');
});

// Fake timers: sleeps resolve at once and their lengths are recorded.
function fakeTimers() {
  const delays = [];
  return {
    delays,
    setTimeout: (f, ms) => { if (ms !== 75000) { delays.push(ms); Promise.resolve().then(f); } return 1; },
    clearTimeout: () => {}
  };
}

test('polling resumes from the rendered snapshot, applies entries in order, and resets', async () => {
  const calls = [];
  const answers = [
    { entries: [add(3), { seq: 4, op: 'hide', target: 3 }], next: 4, more: false, epoch: 'e1' },
    { entries: [add(4)], next: 4 }, // already applied: must be skipped
    { reset: true, items: [item(1), item(2)], epoch: 'e2', head: 9, next: 9 },
    { entries: [], next: 9 }
  ];
  const fetch = (url) => {
    calls.push(url);
    const a = answers.shift();
    if (!a) return new Promise(() => {});
    return Promise.resolve({ ok: true, status: 200, headers: { get: () => null }, json: async () => a });
  };
  const { B } = load(fetch, fakeTimers());
  const entries = [];
  const snaps = [];
  B.poll('/api/events/e/live', { epoch: 'e1', head: '2', onEntry: (e) => entries.push(e.seq), onSnapshot: (it) => snaps.push(it.length) });
  await new Promise((r) => setTimeout(r, 50));
  assert.deepStrictEqual(calls, [
    '/api/events/e/live?since=2&epoch=e1',
    '/api/events/e/live?since=4&epoch=e1',
    '/api/events/e/live?since=4&epoch=e1',
    '/api/events/e/live?since=9&epoch=e2',
    '/api/events/e/live?since=9&epoch=e2'
  ]);
  assert.deepStrictEqual(entries, [3, 4]);
  assert.deepStrictEqual(snaps, [2]);
});

test('polling without a rendered epoch starts from a snapshot', async () => {
  const calls = [];
  const fetch = (url) => { calls.push(url); return new Promise(() => {}); };
  const { B } = load(fetch, fakeTimers());
  B.poll('/api/events/e/live', { epoch: '', head: '0', onEntry() {}, onSnapshot() {} });
  await new Promise((r) => setTimeout(r, 10));
  assert.deepStrictEqual(calls, ['/api/events/e/live']);
});

test('errors back off exponentially with jitter up to 30 s, and recover', async () => {
  let n = 0;
  const statuses = [];
  const fetch = () => {
    n++;
    if (n <= 8) return Promise.reject(new Error('offline'));
    if (n === 9) return Promise.resolve({ ok: false, status: 429, headers: { get: () => '40' }, json: async () => ({}) });
    return new Promise(() => {});
  };
  const t = fakeTimers();
  const { B } = load(fetch, t);
  B.poll('/x', { epoch: 'e', head: 1, onEntry() {}, onSnapshot() {}, onStatus: (up) => statuses.push(up) });
  await new Promise((r) => setTimeout(r, 50));
  const caps = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
  t.delays.slice(0, 8).forEach((d, i) => assert.ok(d >= caps[i] / 2 && d <= caps[i], `delay ${i} = ${d}, want within [${caps[i] / 2}, ${caps[i]}]`));
  assert.ok(t.delays[8] >= 40000, 'Retry-After is honoured');
  assert.strictEqual(statuses[0], false);
});

// Manual timers: nothing fires until the test says so.
function manualTimers() {
  let next = 1;
  const pending = new Map();
  return {
    pending,
    setTimeout: (f, ms) => { const id = next++; pending.set(id, { f, ms }); return id; },
    clearTimeout: (id) => { pending.delete(id); },
    // fire runs the pending timers of exactly ms.
    fire(ms) { for (const [id, t] of [...pending]) if (t.ms === ms) { pending.delete(id); t.f(); } },
    // fireAll runs every pending timer but the fetch guard.
    fireAll() { for (const [id, t] of [...pending]) if (t.ms !== 75000) { pending.delete(id); t.f(); } }
  };
}

// A fake EventSource: the test dispatches the server's events.
function fakeEventSources() {
  const opened = [];
  class EventSource {
    constructor(url) { this.url = url; this.readyState = 0; this.listeners = {}; this.closed = false; opened.push(this); }
    addEventListener(type, f) { (this.listeners[type] = this.listeners[type] || []).push(f); }
    close() { this.closed = true; this.readyState = 2; }
    emit(type, data) { for (const f of this.listeners[type] || []) f({ type, data: JSON.stringify(data) }); }
    fail(closed) { this.readyState = closed ? 2 : 0; this.onerror && this.onerror({}); }
  }
  EventSource.CLOSED = 2;
  return { EventSource, opened };
}

function sessionStore() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), m };
}

test('following by a stream resumes from the rendered snapshot and applies each entry once', () => {
  const { EventSource, opened } = fakeEventSources();
  const { B } = load(undefined, manualTimers(), { EventSource, sessionStorage: sessionStore() });
  const entries = [];
  const transports = [];
  B.follow('/api/events/e/live', { epoch: 'e1', head: '2', onEntry: (e) => entries.push(e.op + e.seq), onSnapshot() {}, onTransport: (t) => transports.push(t) });
  assert.strictEqual(opened.length, 1);
  assert.strictEqual(opened[0].url, '/api/events/e/stream?since=2&epoch=e1');
  const es = opened[0];
  es.emit('ready', {});
  es.emit('add', add(3));
  es.emit('add', add(3)); // a replay after a reconnect: skipped
  es.emit('hide', { seq: 4, op: 'hide', target: 3 });
  assert.deepStrictEqual(entries, ['add3', 'hide4']);
  assert.deepStrictEqual(transports, ['stream']);
});

test('a stream that does not flow falls back to long polling from the same cursor', async () => {
  const { EventSource, opened } = fakeEventSources();
  const calls = [];
  const fetch = (url) => { calls.push(url); return new Promise(() => {}); };
  const t = manualTimers();
  const store = sessionStore();
  const { B } = load(fetch, t, { EventSource, sessionStorage: store });
  const transports = [];
  const f = B.follow('/api/events/e/live', { epoch: 'e1', head: '2', onEntry() {}, onSnapshot() {}, onTransport: (x) => transports.push(x) });
  // A proxy lets the head through, buffers the body: no ready.
  t.fire(6000);
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(opened[0].closed, 'the stream is closed');
  assert.deepStrictEqual(calls, ['/api/events/e/live?since=2&epoch=e1']);
  assert.deepStrictEqual(transports, ['stream', 'poll']);
  assert.strictEqual(f.cursor.since, 2);
  assert.strictEqual(store.m.get('backchannel.transport'), 'poll', 'the tab remembers');
  // The next page of the tab polls at once.
  const again = load(fetch, manualTimers(), { EventSource, sessionStorage: store }).B;
  again.follow('/api/events/e/live', { epoch: 'e1', head: '5', onEntry() {}, onSnapshot() {} });
  assert.strictEqual(opened.length, 1, 'no second stream');
});

test('the cursor a stream advanced is where long polling goes on', async () => {
  const { EventSource, opened } = fakeEventSources();
  const calls = [];
  const fetch = (url) => { calls.push(url); return new Promise(() => {}); };
  const t = manualTimers();
  const { B } = load(fetch, t, { EventSource, sessionStorage: sessionStore() });
  B.follow('/api/events/e/live', { epoch: 'e1', head: '2', onEntry() {}, onSnapshot() {} });
  opened[0].emit('ready', {});
  opened[0].emit('add', add(3));
  opened[0].emit('reset', { reset: true, items: [item(1)], epoch: 'e2', head: 7, next: 7 });
  assert.strictEqual(opened.length, 2, 'a reset opens the stream again with the new epoch');
  assert.strictEqual(opened[1].url, '/api/events/e/stream?since=7&epoch=e2');
  opened[1].emit('add', add(8));
  for (let i = 0; i < 4; i++) { // refused four times (an error status): long polling
    opened[opened.length - 1].fail(true);
    t.fireAll();
  }
  await new Promise((r) => setTimeout(r, 10));
  assert.deepStrictEqual(calls, ['/api/events/e/live?since=8&epoch=e2']);
});

test('a browser without EventSource long-polls', async () => {
  const calls = [];
  const fetch = (url) => { calls.push(url); return new Promise(() => {}); };
  const { B } = load(fetch, manualTimers(), { sessionStorage: sessionStore() });
  const transports = [];
  B.follow('/api/events/e/live', { epoch: 'e1', head: '4', onEntry() {}, onSnapshot() {}, onTransport: (x) => transports.push(x) });
  await new Promise((r) => setTimeout(r, 10));
  assert.deepStrictEqual(calls, ['/api/events/e/live?since=4&epoch=e1']);
  assert.deepStrictEqual(transports, ['poll']);
});
