// Backchannel admin: keyboard shortcuts for the moderation console.
// j / k move between items, h hides or unhides, p pins or unpins the
// current item. Each shortcut submits the same form a mouse click would.
(function () {
  "use strict";
  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-testid=stream] article.item"));
  }
  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("article.item") : null;
  }
  function move(step) {
    var list = items();
    if (list.length === 0) return;
    var i = list.indexOf(current());
    i = i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + step));
    list[i].focus();
    list[i].scrollIntoView({ block: "nearest" });
    try { sessionStorage.setItem("bc-admin-seq", list[i].dataset.seq); } catch (e) { /* private mode */ }
  }
  function submit(key) {
    var it = current();
    if (!it) return;
    var form = it.querySelector("form[data-key=" + key + "]");
    if (form) form.requestSubmit ? form.requestSubmit() : form.submit();
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    switch (ev.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "h": submit("h"); break;
      case "p": submit("p"); break;
      case "m": var sel = current() && current().querySelector("select[data-key=m]"); if (sel) sel.focus(); break;
      default: return;
    }
    ev.preventDefault();
  });
  // Refresh the stream every 5 s while the box is ticked, keeping the item
  // that has focus, and announce how many new items arrived.
  function refresh() {
    var box = document.getElementById("autorefresh");
    var list = document.querySelector("[data-testid=stream]");
    if (!box || !box.checked || !list || document.hidden) return;
    var focused = current();
    var seq = focused ? focused.dataset.seq : null;
    var top = list.querySelector("article.item");
    var topSeq = top ? Number(top.dataset.seq) : 0;
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-testid=stream]");
        if (!fresh) return;
        list.innerHTML = fresh.innerHTML;
        var n = 0;
        list.querySelectorAll("article.item").forEach(function (a) { if (Number(a.dataset.seq) > topSeq) n++; });
        var status = document.getElementById("refresh-status");
        if (status && n > 0 && topSeq > 0) status.textContent = n + (n === 1 ? " new item" : " new items");
        if (seq) {
          var el = list.querySelector("article.item[data-seq='" + seq + "']");
          if (el) el.focus({ preventScroll: true });
        }
      })
      .catch(function () { /* try again at the next tick */ });
  }
  setInterval(refresh, 5000);
  document.addEventListener("DOMContentLoaded", function () {
    var seq = null;
    try { seq = sessionStorage.getItem("bc-admin-seq"); } catch (e) { /* private mode */ }
    if (!seq) return;
    var el = document.querySelector("[data-testid=stream] article.item[data-seq='" + seq + "']");
    if (el) el.focus();
  });
})();
