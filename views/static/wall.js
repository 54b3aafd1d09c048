/* Backchannel wall (projector mode): the live stream through live-core.js,
   at most data-max items in the DOM so hours of running cost no memory, and
   a highlight that advances every data-advance ms over the visible items. */
(function () {
  'use strict';
  const B = window.Backchannel;
  const root = document.querySelector('[data-wall]');
  if (!B || !root) return;
  const tf = B.timeFormats(root.dataset.tz);
  const list = root.querySelector('[data-stream]');
  const empty = root.querySelector('[data-empty]');
  const stream = new B.Stream(list, {
    tf,
    max: +root.dataset.max || 50,
    onChange: () => { empty.hidden = list.children.length > 0; }
  });
  B.updateTimes(list, tf);
  B.trackSessions(root);

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

  B.follow(root.dataset.api, {
    epoch: root.dataset.epoch,
    head: root.dataset.head,
    onEntry: (e) => stream.apply(e),
    onSnapshot: (items) => stream.load(items),
    onTransport: (name) => { root.dataset.transport = name; }
  });
})();
