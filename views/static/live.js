/* Backchannel live page: keeps the server-rendered stream current through
   live-core.js, holds new items behind a pill while the reader is scrolled
   away, announces arrivals politely, filters by the session happening now,
   posts through fetch and shows photos in a lightbox. Config: data- attributes
   of [data-live]. */
(function () {
  'use strict';
  const B = window.Backchannel;
  const root = document.querySelector('[data-live]');
  if (!B || !root) return;
  const $ = (sel) => root.querySelector(sel);
  const tf = B.timeFormats(root.dataset.tz);
  const list = $('[data-stream]');
  const empty = $('[data-empty]');
  const pill = $('[data-pill]');
  const announcer = $('[data-announce]');
  const conn = $('[data-conn]');
  const heading = $('#h-stream');
  const filterBox = $('[data-filter]');
  const filterInput = $('[data-filter-input]');
  const reduced = window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  // The reader is away when the top of the stream has scrolled out of view:
  // new items then wait behind the pill instead of shifting the page.
  const away = () => list.getBoundingClientRect().top < -80;

  let liveSlugs = new Set();
  function applyFilter() {
    const on = filterInput.checked && liveSlugs.size > 0;
    list.classList.toggle('is-filtered', on);
    if (!on) return;
    for (const n of list.children) {
      n.classList.toggle('is-off', !n.classList.contains('is-pinned') && !liveSlugs.has(n.dataset.session));
    }
  }

  function changed() {
    const n = stream.pending.length;
    pill.hidden = n === 0;
    const label = n === 1 ? '1 new post' : n + ' new posts';
    pill.textContent = '↑ ' + label;
    pill.setAttribute('aria-label', 'Show ' + label);
    empty.hidden = list.children.length > 0 || n > 0;
    applyFilter();
  }

  // Announcements: at most one every 10 s, summarizing what arrived meanwhile.
  let unheard = 0;
  let lastSaid = 0;
  let sayTimer = 0;
  function arrived() {
    unheard++;
    if (sayTimer) return;
    sayTimer = setTimeout(() => {
      sayTimer = 0;
      lastSaid = Date.now();
      announcer.textContent = unheard === 1 ? '1 new post' : unheard + ' new posts';
      unheard = 0;
    }, Math.max(0, lastSaid + 10000 - Date.now()));
  }

  // A page following one room (?room=) keeps that room's items only.
  const room = root.dataset.room || '';
  const accept = room ? (it) => (it.room || '') === room : null;
  const stream = new B.Stream(list, { tf, max: 200, hold: away, onChange: changed, onNew: arrived, accept });
  B.updateTimes(list, tf);

  liveSlugs = B.trackSessions(root, (live) => {
    liveSlugs = live;
    filterInput.disabled = live.size === 0;
    applyFilter();
  })();
  filterInput.disabled = liveSlugs.size === 0;
  filterBox.hidden = !root.querySelector('.session[data-session]');
  filterInput.addEventListener('change', applyFilter);

  function showHeld() {
    stream.flush();
    heading.setAttribute('tabindex', '-1');
    heading.scrollIntoView({ behavior: reduced ? 'auto' : 'smooth', block: 'start' });
    heading.focus({ preventScroll: true });
  }
  pill.addEventListener('click', showHeld);
  let ticking = false;
  window.addEventListener('scroll', () => {
    if (ticking) return;
    ticking = true;
    requestAnimationFrame(() => {
      ticking = false;
      if (stream.pending.length && !away()) stream.flush();
    });
  }, { passive: true });

  setInterval(() => B.updateTimes(list, tf), 30000);

  B.follow(root.dataset.api, {
    epoch: root.dataset.epoch,
    head: root.dataset.head,
    onEntry: (e) => {
      stream.apply(e);
      if (B.reactionEntry) B.reactionEntry(e);
    },
    onSnapshot: (items) => stream.load(items),
    onTransport: (name) => { root.dataset.transport = name; },
    onStatus: (up) => {
      conn.hidden = up;
      conn.textContent = up ? '' : 'Reconnecting…';
      conn.classList.toggle('is-down', !up);
    }
  });

  // Safe media: a sensitive item's media (and text behind a content
  // warning) stays blurred until the reader asks to see it.
  list.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-reveal]');
    if (!b) return;
    const art = b.closest('.item');
    const open = art.classList.toggle('is-revealed');
    b.textContent = open ? 'Hide' : 'Show';
    b.setAttribute('aria-expanded', String(open));
  });

  // Reports: one per browser per item; the server keeps the count for the
  // moderators.
  list.addEventListener('click', async (ev) => {
    const b = ev.target.closest('[data-report]');
    if (!b || b.disabled) return;
    const art = b.closest('.item');
    if (!window.confirm('Report this post to the moderators?')) return;
    b.disabled = true;
    try {
      const headers = { Accept: 'application/json' };
      const csrf = root.querySelector('[data-post-form]');
      if (csrf && csrf.dataset.csrf) headers['X-CSRF-Token'] = csrf.dataset.csrf;
      const res = await fetch(root.dataset.reportBase + '/' + art.dataset.seq + '/report', { method: 'POST', headers, credentials: 'same-origin' });
      b.textContent = res.ok ? 'Reported' : 'Not reported';
      if (!res.ok) b.disabled = false;
    } catch (e) {
      b.textContent = 'Not reported';
      b.disabled = false;
    }
  });

  // Lightbox: a modal <dialog> (Esc closes, focus returns to the photo).
  const dlg = $('[data-lightbox]');
  if (dlg && typeof dlg.showModal === 'function') {
    const big = $('[data-lightbox-img]');
    const caption = $('[data-lightbox-caption]');
    let opener = null;
    list.addEventListener('click', (ev) => {
      const a = ev.target.closest('a.photo');
      if (!a || ev.button || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
      ev.preventDefault();
      const img = a.querySelector('img');
      big.src = a.href;
      big.alt = img ? img.alt : '';
      caption.textContent = img ? img.alt : '';
      opener = a;
      dlg.showModal();
    });
    dlg.addEventListener('click', (ev) => { if (ev.target === dlg) dlg.close(); });
    dlg.addEventListener('close', () => {
      big.removeAttribute('src');
      if (opener) opener.focus();
      opener = null;
    });
  }

  // Posting: fetch with inline errors; the plain form post still works.
  const form = $('[data-post-form]');
  if (!form) return;
  const nameIn = form.elements.namedItem('name');
  const textIn = form.elements.namedItem('text');
  const roomIn = form.elements.namedItem('room'); // on a room's page: its talk is the post's page
  const count = form.querySelector('[data-count]');
  const errBox = form.querySelector('[data-post-error]');
  const okBox = form.querySelector('[data-post-ok]');
  const button = form.querySelector('button[type="submit"]');
  const len = (s) => Array.from(s).length;
  const KEY = 'backchannel.name';
  try { nameIn.value = nameIn.value || localStorage.getItem(KEY) || ''; } catch (e) { /* storage off */ }

  function counted() {
    const n = len(textIn.value);
    count.textContent = n + ' / 500';
    count.classList.toggle('is-over', n > 500);
  }
  textIn.addEventListener('input', () => { counted(); if (!errBox.hidden) say(null); });
  counted();

  function say(box, msg) {
    errBox.hidden = true;
    okBox.hidden = true;
    if (!box) return;
    box.textContent = msg;
    box.hidden = false;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = nameIn.value.trim();
    const text = textIn.value.trim();
    if (!name || !text) return say(errBox, 'Please give your name and a message.');
    if (len(name) > 40) return say(errBox, 'Your name can be at most 40 characters.');
    if (len(text) > 500) return say(errBox, 'Your message can be at most 500 characters.');
    try { localStorage.setItem(KEY, name); } catch (e) { /* storage off */ }
    say(null);
    button.disabled = true;
    try {
      const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
      if (form.dataset.csrf) headers['X-CSRF-Token'] = form.dataset.csrf;
      const res = await fetch(form.action, { method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify(roomIn ? { name, text, room: roomIn.value } : { name, text }) });
      let body = {};
      try { body = await res.json(); } catch (e) { /* not JSON */ }
      if (res.status === 202) {
        textIn.value = '';
        say(okBox, 'Thanks! Your post is held for review and appears once a moderator approves it.');
      } else if (res.ok) {
        textIn.value = '';
        const item = body.item || (body.author ? body : null);
        if (item) stream.apply({ op: 'add', item }, true);
        // A tag or a speaker's name can place a post in another room's talk.
        say(okBox, item && accept && !accept(item) ? 'Posted, in another room: the page of all rooms shows it.' : 'Posted.');
      } else if (res.status === 429) {
        say(errBox, body.error || 'You are posting quickly; please wait a moment and try again.');
      } else {
        say(errBox, body.error || 'Your post could not be sent (error ' + res.status + ').');
      }
      counted();
    } catch (e) {
      say(errBox, 'Network problem: your post was not sent. Please try again.');
    } finally {
      button.disabled = false;
    }
  });
})();
