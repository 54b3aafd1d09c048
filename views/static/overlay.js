/* Backchannel overlay: a transparent lower third for OBS and other
   streaming software. It shows the newest item, and a spotlighted one
   while its spotlight lasts (only this room's when the page names one). */
(function () {
  'use strict';
  const B = window.Backchannel;
  const root = document.querySelector('[data-overlay]');
  if (!B || !root) return;
  const tf = B.timeFormats(root.dataset.tz);
  const box = root.querySelector('[data-lower-third]');
  if (root.dataset.accent) document.body.style.setProperty('--accent', root.dataset.accent);
  let newest = null;
  let spotUntil = 0;
  let spotTimer = 0;
  const shownSeq = () => { const n = box.querySelector('[data-seq]'); return n ? +n.dataset.seq : 0; };
  function render(item) {
    if (!item) { box.replaceChildren(); return; }
    box.replaceChildren(B.renderItem(item, tf));
  }
  function onEntry(e) {
    if (e.op === 'spotlight' && e.item && e.spotlight) {
      const sp = e.spotlight;
      if (sp.room && sp.room !== (root.dataset.room || '')) return;
      clearTimeout(spotTimer);
      if (!sp.seconds) { spotUntil = 0; render(newest); return; }
      spotUntil = Date.now() + sp.seconds * 1000;
      render(e.item);
      root.dataset.spotlight = e.item.seq;
      spotTimer = setTimeout(() => { spotUntil = 0; delete root.dataset.spotlight; render(newest); }, sp.seconds * 1000);
      return;
    }
    if ((e.op === 'add' || e.op === 'approve' || e.op === 'unhide') && e.item && !e.item.hidden && !e.item.held) {
      if (!newest || +e.item.seq >= +newest.seq) newest = e.item;
    } else if (B.Takedown(e.op) && newest && +e.target === +newest.seq) {
      newest = null;
      if (Date.now() >= spotUntil || shownSeq() === +e.target) box.replaceChildren();
      return;
    } else {
      return;
    }
    if (Date.now() >= spotUntil) render(newest);
  }
  B.follow(root.dataset.api, {
    epoch: root.dataset.epoch,
    head: root.dataset.head,
    onEntry,
    onSnapshot: (items) => {
      newest = null;
      for (const it of items) if (!it.hidden && !it.held && (!newest || +it.seq > +newest.seq)) newest = it;
      if (Date.now() >= spotUntil) render(newest);
    },
    onTransport: (name) => { root.dataset.transport = name; }
  });
})();
