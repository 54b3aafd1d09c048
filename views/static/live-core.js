/* Backchannel live core: following the Live API (docs/API.md) by a stream
   (Server-Sent Events) or long polling, the item renderer (the same markup as
   views/item.templ) and an ordered, deduplicated stream. Shared by live.js
   and wall.js; no dependencies. */
(function () {
  'use strict';

  const sleepers = new Set();

  // safeURL returns an absolute http(s) URL or '' (javascript:, data: ... dropped).
  function safeURL(u) {
    if (!u) return '';
    try {
      const p = new URL(u);
      return p.protocol === 'http:' || p.protocol === 'https:' ? p.href : '';
    } catch (e) { return ''; }
  }

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  // The server sanitizes html already; this allowlist (the server's own) is a
  // second fence so a bug there cannot become script here.
  const KEEP = new Set('P BR SPAN A DEL S PRE BLOCKQUOTE CODE B STRONG U I EM UL OL LI'.split(' '));
  const DROP = new Set('SCRIPT STYLE TEMPLATE IFRAME OBJECT EMBED NOSCRIPT SVG MATH TITLE TEXTAREA SELECT HEAD'.split(' '));
  function cleanHTML(html) {
    const doc = new DOMParser().parseFromString('<!doctype html><body>' + html, 'text/html');
    const out = document.createDocumentFragment();
    (function walk(src, dst) {
      for (const n of Array.from(src.childNodes)) {
        if (n.nodeType === 3) { dst.appendChild(document.createTextNode(n.data)); continue; }
        if (n.nodeType !== 1 || DROP.has(n.tagName)) continue;
        if (!KEEP.has(n.tagName)) { walk(n, dst); continue; }
        const c = document.createElement(n.tagName.toLowerCase());
        if (n.tagName === 'A') {
          const h = safeURL(n.getAttribute('href'));
          if (h) { c.href = h; c.rel = 'nofollow noopener ugc'; }
        }
        walk(n, c);
        dst.appendChild(c);
      }
    })(doc.body, out);
    return out;
  }

  function fmt(tz, o) {
    try { return new Intl.DateTimeFormat('en-US', Object.assign({ timeZone: tz || undefined }, o)); }
    catch (e) { return new Intl.DateTimeFormat('en-US', o); }
  }

  // Time formats matching views/format.go.
  function timeFormats(tz) {
    const day = fmt(tz, { year: 'numeric', month: '2-digit', day: '2-digit' });
    const clock = fmt(tz, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const md = fmt(tz, { month: 'short', day: 'numeric' });
    const mdy = fmt(tz, { month: 'short', day: 'numeric', year: 'numeric' });
    const full = fmt(tz, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    return {
      rel(d, now) {
        const s = (now - d) / 1000;
        if (s < 45) return 'just now';
        if (s < 3600) return Math.max(1, Math.round(s / 60)) + ' min ago';
        if (s < 86400) return Math.floor(s / 3600) + ' h ago';
        if (s < 7 * 86400) return Math.floor(s / 86400) + ' d ago';
        return mdy.format(d);
      },
      abs(d, now) {
        const c = clock.format(d);
        return day.format(d) === day.format(now) ? c : md.format(d) + ', ' + c;
      },
      full: (d) => full.format(d)
    };
  }

  function updateTimes(root, tf) {
    const now = new Date();
    for (const t of root.querySelectorAll('time[datetime]')) {
      const rel = t.querySelector('.rel');
      const d = new Date(t.getAttribute('datetime'));
      if (rel && !isNaN(d)) rel.textContent = tf.rel(d, now);
    }
  }

  const LABELS = { mastodon: 'Mastodon', bluesky: 'Bluesky', x: 'X', flickr: 'Flickr', feed: 'Blog', room: 'In the room', replay: 'Demo' };

  // renderItem builds the markup of views/item.templ for an API item.
  function renderItem(it, tf) {
    const now = new Date();
    const a = it.author || {};
    const name = (a.name || '').trim() || (a.handle || '').trim() || 'Anonymous';
    const photos = (it.media || []).filter((m) => !m.type || m.type === 'image' || m.type === 'photo')
      .map((m) => ({ url: safeURL(m.url) || safeURL(m.thumb_url), thumb: safeURL(m.thumb_url) || safeURL(m.url), alt: m.alt || '' }))
      .filter((m) => m.url);
    const videos = (it.media || []).filter((m) => m.type === 'video' || m.type === 'gifv')
      .map((m) => ({ url: safeURL(m.url), poster: safeURL(m.thumb_url), alt: m.alt || 'Video shared by ' + name }))
      .filter((m) => m.url);
    const warning = String(it.content_warning || '').trim();
    const care = needsCare(it);
    const art = el('article', 'item');
    if (it.pinned) art.classList.add('is-pinned');
    if (photos.length || videos.length) art.classList.add('has-photos');
    if (care) art.classList.add('is-sensitive');
    if (warning) art.classList.add('has-cw');
    art.id = 'item-' + it.seq;
    art.dataset.seq = it.seq;
    art.dataset.session = it.session || '';
    art.dataset.room = it.room || '';

    const head = el('header', 'item-head');
    const av = safeURL(a.avatar_url);
    if (av) {
      const img = el('img', 'avatar');
      Object.assign(img, { src: av, alt: '', width: 40, height: 40, loading: 'lazy', decoding: 'async', referrerPolicy: 'no-referrer' });
      head.appendChild(img);
    } else {
      const s = el('span', 'avatar avatar-none', Array.from(name)[0].toUpperCase());
      s.setAttribute('aria-hidden', 'true');
      head.appendChild(s);
    }
    const who = el('div', 'who');
    const au = safeURL(a.url);
    const nm = el(au ? 'a' : 'span', 'name', name);
    if (au) { nm.href = au; nm.rel = 'nofollow noopener ugc'; }
    who.appendChild(nm);
    if (a.handle) who.appendChild(el('span', 'handle', '@' + a.handle.replace(/^@/, '')));
    head.appendChild(who);
    const src = String(it.source || '');
    head.appendChild(el('span', 'badge badge-' + src.replace(/[^a-z0-9_-]/gi, ''), LABELS[src] || (src ? src[0].toUpperCase() + src.slice(1) : 'Unknown')));
    art.appendChild(head);

    if (it.pinned) art.appendChild(el('p', 'pin-note', 'Pinned'));
    if (warning) {
      const cw = el('p', 'cw');
      cw.append(el('strong', '', 'Content warning:'), ' ' + warning);
      art.appendChild(cw);
    }
    if (care) {
      const b = el('button', 'reveal', 'Show');
      b.type = 'button';
      b.dataset.reveal = '';
      b.setAttribute('aria-expanded', 'false');
      art.appendChild(b);
    }
    if ((it.html && it.html.trim()) || it.text) {
      const body = el('div', 'item-body');
      if (it.html && it.html.trim()) body.appendChild(cleanHTML(it.html));
      else body.appendChild(el('p', '', it.text));
      art.appendChild(body);
    }

    if (photos.length) {
      const ul = el('ul', 'photos');
      for (const p of photos) {
        const li = el('li');
        const link = el('a', 'photo');
        link.href = p.url;
        link.rel = 'nofollow noopener ugc';
        const img = el('img');
        Object.assign(img, { src: p.thumb, alt: p.alt || 'Photo shared by ' + name, loading: 'lazy', decoding: 'async', referrerPolicy: 'no-referrer' });
        link.appendChild(img);
        li.appendChild(link);
        ul.appendChild(li);
      }
      art.appendChild(ul);
    }

    if (videos.length) {
      const ul = el('ul', 'videos');
      for (const v of videos) {
        const li = el('li', 'video');
        const vid = el('video');
        Object.assign(vid, { controls: true, preload: 'none', playsInline: true, src: v.url });
        if (v.poster) vid.poster = v.poster;
        vid.setAttribute('aria-label', v.alt);
        li.appendChild(vid);
        if (v.poster) {
          const img = el('img', 'video-poster');
          Object.assign(img, { src: v.poster, alt: v.alt, loading: 'lazy', decoding: 'async', referrerPolicy: 'no-referrer' });
          li.appendChild(img);
        }
        ul.appendChild(li);
      }
      art.appendChild(ul);
    }

    const card = it.card && safeURL(it.card.url) ? it.card : null;
    if (card) {
      const a = el('a', 'card');
      a.href = safeURL(card.url);
      a.rel = 'nofollow noopener ugc';
      const ci = safeURL(card.image_url);
      if (ci) {
        const img = el('img');
        Object.assign(img, { src: ci, alt: '', loading: 'lazy', decoding: 'async', referrerPolicy: 'no-referrer' });
        a.appendChild(img);
      }
      const t = el('span', 'card-text');
      if (card.site_name) t.appendChild(el('span', 'card-site', card.site_name));
      t.appendChild(el('span', 'card-title', card.title || safeURL(card.url)));
      if (card.description) t.appendChild(el('span', 'card-desc', card.description));
      a.appendChild(t);
      art.appendChild(a);
    }

    const foot = el('footer', 'item-foot');
    const d = new Date(it.created_at);
    const t = el('time');
    if (!isNaN(d)) {
      t.dateTime = it.created_at;
      t.title = tf.full(d);
      t.append(el('span', 'rel', tf.rel(d, now)), ' · ', el('span', 'abs', tf.abs(d, now)));
    }
    foot.appendChild(t);
    const origin = safeURL(it.url);
    if (origin) {
      const o = el('a', 'origin', 'Original');
      o.href = origin;
      o.rel = 'nofollow noopener ugc';
      foot.appendChild(o);
    }
    const rep = el('button', 'report', 'Report');
    rep.type = 'button';
    rep.dataset.report = '';
    foot.appendChild(rep);
    art.appendChild(foot);
    return art;
  }

  // The labels that make an item sensitive (live.SensitiveLabels).
  const SENSITIVE_LABELS = new Set(['porn', 'sexual', 'nudity', 'graphic-media', 'gore']);

  // needsCare is live.Item.NeedsCare: media marked sensitive, a sensitive
  // label, or a content warning.
  function needsCare(it) {
    if (it.sensitive || String(it.content_warning || '').trim()) return true;
    return (it.labels || []).some((l) => SENSITIVE_LABELS.has(l));
  }

  // Stream keeps a container showing exactly the visible items, pinned first
  // then newest first, each seq at most once, and at most max items. With
  // opts.accept, only the items it accepts (a page following one room): an
  // update that moves an item out takes it away, one that moves it in adds it.
  class Stream {
    constructor(root, opts) {
      this.root = root;
      this.tf = opts.tf;
      this.accept = opts.accept || null;
      this.max = opts.max || 200;
      this.hold = opts.hold || (() => false);
      this.onChange = opts.onChange || (() => {});
      this.onNew = opts.onNew || (() => {});
      this.onSpotlight = opts.onSpotlight || (() => {});
      this.recs = new Map(); // seq -> {pinned, el, held}
      this.hidden = new Set();
      this.pending = [];
      this.floor = 0; // items at or below this seq were trimmed: never shown again
      for (const n of root.querySelectorAll('.item[data-seq]')) {
        this.recs.set(+n.dataset.seq, { pinned: n.classList.contains('is-pinned'), el: n });
      }
      this.trim();
    }

    key(e) { return e.item ? +e.item.seq : +e.target; }

    has(seq) { return this.recs.has(seq) || this.hidden.has(seq) || seq <= this.floor; }

    apply(e, force) {
      const seq = this.key(e);
      if (!seq) return;
      const rec = this.recs.get(seq);
      if (this.accept && e.item && !this.accept(e.item)) {
        if (rec) { this.drop(seq); this.onChange(); }
        return;
      }
      if (this.accept && e.item && !rec && (e.op === 'update' || e.op === 'unpin') &&
          !this.hidden.has(seq) && seq > this.floor && !e.item.hidden && !e.item.held) {
        this.put(e.item, false); // moved into the followed room
        this.onChange();
        return;
      }
      switch (e.op) {
        case 'add':
          if (force && rec && rec.held) {
            // The poster's own post, which the stream brought before the
            // POST's answer and held behind the pill: show it now.
            this.pending = this.pending.filter((s) => s !== seq);
            this.reveal(seq);
            this.onChange();
            return;
          }
          if (this.has(seq) || !e.item || e.item.hidden || e.item.held) return;
          this.put(e.item, !force && this.hold());
          this.onNew(e.item);
          break;
        case 'hide':
        case 'reject':
        case 'hold':
          this.hidden.add(seq);
          if (rec) this.drop(seq);
          break;
        case 'spotlight':
          if (e.item && e.spotlight) this.onSpotlight(e.item, e.spotlight);
          return;
        case 'unhide':
        case 'approve':
          this.hidden.delete(seq);
          if (!e.item) return;
          if (rec) this.replace(seq, e.item); else if (seq > this.floor) this.put(e.item, false);
          break;
        case 'pin':
          if (e.item && rec) this.replace(seq, e.item);
          else if (e.item && !this.hidden.has(seq)) this.put(e.item, false);
          break;
        case 'unpin':
        case 'update':
          if (e.item && rec) this.replace(seq, e.item);
          break;
        default:
          return;
      }
      this.onChange();
    }

    put(item, held) {
      const n = renderItem(item, this.tf);
      const rec = { pinned: !!item.pinned, el: n, held };
      this.recs.set(+item.seq, rec);
      if (held) {
        this.pending.push(+item.seq);
      } else {
        this.fresh(n);
        this.place(+item.seq, rec);
      }
      this.trim();
    }

    fresh(n) {
      n.classList.add('is-new');
      n.addEventListener('animationend', () => n.classList.remove('is-new'), { once: true });
    }

    replace(seq, item) {
      const old = this.recs.get(seq);
      const n = renderItem(item, this.tf);
      if (old.el.classList.contains('is-current')) n.classList.add('is-current');
      old.el.replaceWith(n);
      old.el = n;
      if (old.pinned !== !!item.pinned) {
        old.pinned = !!item.pinned;
        if (!old.held) this.place(seq, old);
      }
    }

    drop(seq) {
      const rec = this.recs.get(seq);
      rec.el.remove();
      this.recs.delete(seq);
      if (rec.held) this.pending = this.pending.filter((s) => s !== seq);
    }

    // place inserts (or moves) an element at its position in stream order.
    place(seq, rec) {
      let next = null;
      for (const n of this.root.children) {
        if (n === rec.el || !n.dataset.seq) continue;
        const other = this.recs.get(+n.dataset.seq);
        const op = other ? other.pinned : n.classList.contains('is-pinned');
        if ((rec.pinned && !op) || (rec.pinned === op && +n.dataset.seq < seq)) { next = n; break; }
      }
      this.root.insertBefore(rec.el, next);
    }

    // trim removes the oldest unpinned items beyond max, and bounds the
    // dedupe memory with a floor instead of a growing set.
    trim() {
      let shown = this.recs.size - this.pending.length;
      if (this.pending.length > this.max) {
        for (const s of this.pending.splice(0, this.pending.length - this.max)) {
          this.recs.delete(s);
          this.floor = Math.max(this.floor, s);
        }
      }
      const kids = Array.from(this.root.children);
      for (let i = kids.length - 1; i >= 0 && shown > this.max; i--) {
        const s = +kids[i].dataset.seq;
        const rec = this.recs.get(s);
        if (!rec || rec.pinned) continue;
        this.drop(s);
        this.floor = Math.max(this.floor, s);
        shown--;
      }
      for (const s of this.hidden) if (s <= this.floor) this.hidden.delete(s);
    }

    // reveal shows a held item (one no longer in pending) in its place.
    reveal(seq) {
      const rec = this.recs.get(seq);
      if (!rec) return;
      rec.held = false;
      this.fresh(rec.el);
      this.place(seq, rec);
    }

    // flush shows the items held while the reader was away; returns how many.
    flush() {
      const seqs = this.pending;
      this.pending = [];
      for (const s of seqs) this.reveal(s);
      this.trim();
      if (seqs.length) this.onChange();
      return seqs.length;
    }

    // load replaces everything with a snapshot (items oldest first).
    load(items) {
      for (const rec of this.recs.values()) rec.el.remove();
      this.recs.clear();
      this.hidden.clear();
      this.pending = [];
      this.floor = 0;
      for (const it of items) {
        if (it.hidden || it.held || this.recs.has(+it.seq)) continue;
        if (this.accept && !this.accept(it)) continue;
        const rec = { pinned: !!it.pinned, el: renderItem(it, this.tf) };
        this.recs.set(+it.seq, rec);
        this.place(+it.seq, rec);
      }
      this.trim();
      this.onChange();
    }
  }

  // trackSessions keeps the "now" marks of a schedule (.session elements with
  // data-start/data-end) and the now banner current; it returns a function
  // giving the slugs of the sessions happening now.
  function trackSessions(root, onChange) {
    const all = Array.from(root.querySelectorAll('.session[data-session]')).map((li) => ({
      li, slug: li.dataset.session, start: Date.parse(li.dataset.start), end: Date.parse(li.dataset.end)
    }));
    const banner = root.querySelector('[data-now-banner]');
    const list = root.querySelector('[data-now-list]');
    let live = new Set();
    let key = null;
    function tick() {
      const now = Date.now();
      const on = all.filter((s) => s.start <= now && now < s.end);
      live = new Set(on.map((s) => s.slug));
      const k = on.map((s) => s.slug).join(' ');
      if (k === key) return;
      key = k;
      for (const s of all) {
        s.li.classList.toggle('is-live', live.has(s.slug));
        const tag = s.li.querySelector('[data-live-tag]');
        if (tag) tag.hidden = !live.has(s.slug);
      }
      if (banner && list) {
        list.replaceChildren(...on.map((s) => {
          const li = el('li');
          li.appendChild(s.li.querySelector('.s-title').cloneNode(true));
          const m = s.li.querySelector('.s-meta');
          if (m) li.append(' ', m.cloneNode(true));
          const qa = s.li.querySelector('.s-qa');
          if (qa) li.append(' ', qa.cloneNode(true));
          return li;
        }));
        banner.hidden = on.length === 0;
      }
      if (onChange) onChange(live);
    }
    tick();
    setInterval(tick, 30000);
    return () => live;
  }

  function sleep(ms) {
    return new Promise((resolve) => {
      const s = { wake: () => { clearTimeout(t); sleepers.delete(s); resolve(); } };
      const t = setTimeout(s.wake, ms);
      sleepers.add(s);
    });
  }

  // cursorOf is where a page stands in an event's live log: the epoch and
  // the last seq it holds (since null: it holds nothing yet and starts from a
  // snapshot). Both transports read and advance the same cursor, so a switch
  // from one to the other loses and doubles nothing.
  function cursorOf(opts) {
    const epoch = opts.epoch || '';
    return { epoch, since: epoch ? +opts.head || 0 : null };
  }

  // poll long-polls api forever. It starts from the cursor (opts.cursor, or
  // the page's epoch and head, or a fresh snapshot). since lives in memory
  // only: a reload starts again from the server's snapshot.
  function poll(api, opts) {
    const cur = opts.cursor || cursorOf(opts);
    let fails = 0;
    let ctrl = null;
    let kicked = false;

    async function fetchOnce() {
      const q = cur.since == null ? '' : '?since=' + cur.since + (cur.epoch ? '&epoch=' + encodeURIComponent(cur.epoch) : '');
      ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), 75000); // dead connection guard (server waits at most 55 s)
      try {
        const res = await fetch(api + q, { signal: ctrl.signal, cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } });
        if (!res.ok) {
          const err = new Error('HTTP ' + res.status);
          err.retryAfter = +res.headers.get('Retry-After') || 0;
          throw err;
        }
        return await res.json();
      } finally {
        clearTimeout(timer);
        ctrl = null;
      }
    }

    async function run() {
      for (;;) {
        const started = Date.now();
        let data;
        try {
          data = await fetchOnce();
        } catch (err) {
          if (kicked) { kicked = false; continue; }
          fails++;
          if (opts.onStatus) opts.onStatus(false, fails);
          const cap = Math.min(30000, 1000 * 2 ** (fails - 1));
          await sleep(Math.max(cap / 2 + Math.random() * cap / 2, err.retryAfter * 1000 || 0));
          continue;
        }
        kicked = false;
        if (fails) { fails = 0; if (opts.onStatus) opts.onStatus(true, 0); }
        if (data.reset || Array.isArray(data.items)) {
          cur.epoch = data.epoch || '';
          cur.since = +(data.next != null ? data.next : data.head) || 0;
          opts.onSnapshot(data.items || []);
          continue;
        }
        const entries = Array.isArray(data.entries) ? data.entries : [];
        for (const e of entries) {
          if (cur.since != null && +e.seq <= cur.since) continue; // already applied
          opts.onEntry(e);
          cur.since = +e.seq;
        }
        if (+data.next > cur.since) cur.since = +data.next;
        if (data.epoch) cur.epoch = data.epoch;
        // An empty answer that came back at once is not a long poll: pace it.
        if (!entries.length && !data.more && Date.now() - started < 1000) await sleep(1000);
      }
    }

    // now polls at once: wakes a backoff sleep, or restarts a request that
    // may have died with the network while the device slept.
    function now() {
      if (ctrl) { kicked = true; ctrl.abort(); }
      for (const s of Array.from(sleepers)) s.wake();
    }
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') now(); });
    window.addEventListener('online', now);
    window.addEventListener('pageshow', (e) => { if (e.persisted) now(); });
    run();
    return { now };
  }

  // Every op of the live log, the audience's too (question, votes,
  // qa_state, reactions): a stream names each event by its op, and an
  // EventSource drops events nobody listens to.
  const OPS = ['add', 'hide', 'unhide', 'pin', 'unpin', 'update', 'question', 'votes', 'qa_state', 'reactions',
    'approve', 'reject', 'hold', 'spotlight'];
  const TRANSPORT_KEY = 'backchannel.transport';

  // follow keeps a page current through the Live API: Server-Sent Events
  // (EventSource, resuming by Last-Event-ID) where a stream flows, long
  // polling where it does not: a browser without EventSource, or a proxy
  // that holds streams back (no "ready" event within readyTimeout) or keeps
  // refusing them. Both advance one cursor; the switch is remembered for the
  // browser tab. opts: epoch, head (the page's snapshot), onEntry,
  // onSnapshot, onStatus(up, fails), onTransport(name), readyTimeout (ms),
  // transport ('poll' forces long polling).
  function follow(api, opts) {
    const cur = cursorOf(opts);
    const streamURL = opts.stream || api.replace(/\/live$/, '/stream');
    const readyTimeout = opts.readyTimeout || 6000;
    let saved = '';
    try { saved = sessionStorage.getItem(TRANSPORT_KEY) || ''; } catch (e) { /* storage off */ }
    let es = null;
    let fails = 0;
    let refused = 0; // failures in a row without a ready: a proxy that refuses streams
    let readyTimer = 0;
    let retryTimer = 0;
    let polling = null;

    function transport(name) {
      if (opts.onTransport) opts.onTransport(name);
    }

    function toPolling(why) {
      if (polling) return;
      close();
      try { sessionStorage.setItem(TRANSPORT_KEY, 'poll'); } catch (e) { /* storage off */ }
      if (window.console && why) console.info('backchannel: long polling (' + why + ')');
      transport('poll');
      polling = poll(api, Object.assign({}, opts, { cursor: cur }));
    }

    function close() {
      clearTimeout(readyTimer);
      clearTimeout(retryTimer);
      if (es) { es.close(); es = null; }
    }

    function open() {
      close();
      const q = cur.since == null ? '' : '?since=' + cur.since + (cur.epoch ? '&epoch=' + encodeURIComponent(cur.epoch) : '');
      es = new EventSource(streamURL + q);
      const mine = es;
      readyTimer = setTimeout(() => { if (es === mine) toPolling('the stream did not flow'); }, readyTimeout);
      es.addEventListener('ready', () => {
        if (es !== mine) return;
        clearTimeout(readyTimer);
        refused = 0;
        if (fails) { fails = 0; if (opts.onStatus) opts.onStatus(true, 0); }
      });
      const snapshot = (ev) => {
        if (es !== mine) return;
        const data = JSON.parse(ev.data);
        cur.epoch = data.epoch || '';
        cur.since = +(data.next != null ? data.next : data.head) || 0;
        opts.onSnapshot(data.items || []);
        // Reconnects must carry the new epoch: open again from here.
        if (ev.type === 'reset') open();
      };
      es.addEventListener('snapshot', snapshot);
      es.addEventListener('reset', snapshot);
      for (const op of OPS) {
        es.addEventListener(op, (ev) => {
          if (es !== mine) return;
          const e = JSON.parse(ev.data);
          if (cur.since != null && +e.seq <= cur.since) return; // already applied
          opts.onEntry(e);
          cur.since = +e.seq;
        });
      }
      es.onerror = () => {
        if (es !== mine) return;
        fails++;
        if (opts.onStatus) opts.onStatus(false, fails);
        if (es.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
        // Refused (an error status, another content type): open again later
        // from the cursor; a proxy that keeps refusing gets long polling.
        clearTimeout(readyTimer);
        es = null;
        if (++refused >= 4) { toPolling('the stream was refused ' + refused + ' times'); return; }
        const cap = Math.min(30000, 1000 * 2 ** (fails - 1));
        retryTimer = setTimeout(open, cap / 2 + Math.random() * cap / 2);
      };
    }

    function now() {
      if (polling) { polling.now(); return; }
      if (!es || es.readyState === EventSource.CLOSED) open();
    }

    if (typeof EventSource !== 'function' || opts.transport === 'poll' || saved === 'poll') {
      toPolling(typeof EventSource !== 'function' ? 'no EventSource' : '');
    } else {
      transport('stream');
      open();
      document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') now(); });
      window.addEventListener('online', now);
    }
    return { now, cursor: cur };
  }

  window.Backchannel = { safeURL, cleanHTML, renderItem, needsCare, Takedown: (op) => op === 'hide' || op === 'reject' || op === 'hold', timeFormats, updateTimes, trackSessions, Stream, poll, follow, sleep };
})();
