/* Backchannel admin, questions console: keys beside admin.js's j/k (move)
   and h (hide or unhide). a approves, n marks "answering now", d answered,
   o reopens, m merges into the question chosen in the row's picker. Each
   key submits the same form a click would. */
(function () {
  'use strict';
  if (!document.querySelector('[data-questions]')) return;
  const KEYS = new Set(['a', 'n', 'd', 'o', 'm']);
  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || !KEYS.has(ev.key)) return;
    const t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    const it = document.activeElement && document.activeElement.closest ? document.activeElement.closest('article.item') : null;
    if (!it) return;
    const form = it.querySelector('form[data-key="' + ev.key + '"]');
    if (!form) return;
    ev.preventDefault();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();
