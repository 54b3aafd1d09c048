/* Backchannel wall (projector mode): the live stream through live-core.js,
   at most data-max items in the DOM so hours of running cost no memory, a
   highlight that advances every data-advance ms over the visible items, the
   event's wall settings (data-content: photos only or text only; data-speed:
   at most one new item every so many seconds; data-accent), and the
   spotlight: a moderator's "show on screen now" takes the screen for its
   seconds (only on this room's wall when it names a room). */
(function () {
  'use strict';
  const B = window.Backchannel;
  const root = document.querySelector('[data-wall]');
  if (!B || !root) return;
  const tf = B.timeFormats(root.dataset.tz);
  const list = root.querySelector('[data-stream]');
  const empty = root.querySelector('[data-empty]');
  const spot = root.querySelector('[data-spotlight]');
  const speed = (+root.dataset.speed || 0) * 1000;
  const photosOnly = root.dataset.content === 'photos';
  if (root.dataset.accent) document.body.style.setProperty('--accent', root.dataset.accent);
  const room = root.dataset.room || '';

  const stream = new B.Stream(list, {
    tf,
    max: +root.dataset.max || 50,
    accept: room ? (it) => (it.room || '') === room : null,
    // With a speed, new items queue and come out one at a time.
    hold: () => speed > 0,
    onChange: () => { empty.hidden = list.children.length > 0; },
    onSpotlight: show
  });
  if (speed > 0) {
    setInterval(() => {
      const seq = stream.pending.shift();
      if (seq === undefined) return;
      const rec = stream.recs.get(seq);
      if (!rec) return;
      rec.held = false;
      stream.fresh(rec.el);
      stream.place(seq, rec);
      stream.trim();
      stream.onChange();
    }, speed);
  }
  B.updateTimes(list, tf);
  // The questions panel shows the session happening now: when another one
  // starts, the page reloads to show its questions and its QR code.
  const panel = root.querySelector('[data-wall-qa]');
  const shownSession = panel ? panel.dataset.wallQa : '';
  let first = true;
  B.trackSessions(root, (live) => {
    if (!first && root.dataset.questions === 'on' && !live.has(shownSession) && (live.size > 0 || shownSession)) location.reload();
    first = false;
  });

  // The spotlight: the item, large, over the wall until its time is up or
  // a spotlight of 0 seconds ends it.
  let spotTimer = 0;
  function show(item, sp) {
    if (sp.room && sp.room !== (root.dataset.room || '')) return;
    clearTimeout(spotTimer);
    if (!sp.seconds) { hide(); return; }
    spot.replaceChildren(B.renderItem(item, tf));
    spot.dataset.seq = item.seq;
    spot.hidden = false;
    root.classList.add('is-spotlit');
    spotTimer = setTimeout(hide, sp.seconds * 1000);
  }
  function hide() {
    spot.hidden = true;
    spot.replaceChildren();
    delete spot.dataset.seq;
    root.classList.remove('is-spotlit');
  }

  // The highlight follows seq, not an element: updates replace elements.
  let current = 0;
  function advance() {
    const box = list.getBoundingClientRect();
    const seen = Array.from(list.children).filter((n) => n.getBoundingClientRect().bottom <= box.bottom + 1);
    for (const n of list.querySelectorAll('.is-current')) n.classList.remove('is-current');
    if (!seen.length) return;
    const i = seen.findIndex((n) => +n.dataset.seq === current);
    const next = seen[(i + 1) % seen.length];
    current = +next.dataset.seq;
    next.classList.add('is-current');
  }
  setInterval(advance, +root.dataset.advance || 8000);
  setInterval(() => B.updateTimes(list, tf), 30000);

  const fits = (it) => !photosOnly || (it.media || []).length > 0;
  B.follow(root.dataset.api, {
    epoch: root.dataset.epoch,
    head: root.dataset.head,
    onEntry: (e) => {
      if (e.op !== 'add' || !e.item || fits(e.item)) stream.apply(e);
      if (B.audienceEntry) B.audienceEntry(e);
    },
    onSnapshot: (items) => {
      stream.load(items.filter(fits));
      if (B.audienceReset) B.audienceReset();
    },
    onTransport: (name) => { root.dataset.transport = name; }
  });
})();
