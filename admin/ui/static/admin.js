// Backchannel admin: the moderation console.
// j / k move between items; a approves, r rejects, h hides or unhides, p pins
// or unpins, s puts the item on the walls, b bans its poster or author. Each
// shortcut submits the same form a mouse click would. Where the console
// follows the live log (data-tail), forms are sent in the background and
// the log brings the changed item back within a second; elsewhere the
// stream is refreshed every 5 s.
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
  function tailList() {
    var list = document.querySelector("[data-testid=stream][data-tail]");
    return list;
  }
  function say(msg) {
    var status = document.getElementById("refresh-status");
    if (status) status.textContent = msg;
  }
  // In a following console, an item's forms are sent with fetch: the page
  // (and the focus) stays, and the live log shows the result.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!tailList() || !form.closest || !form.closest("[data-testid=stream] article.item")) return;
    ev.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    var btn = ev.submitter;
    if (btn && btn.name) body.set(btn.name, btn.value);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": body.get("_csrf") || "" } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) throw new Error(j.error || ("status " + r.status));
          say(j.message || (j.op ? "Item " + j.seq + ": " + j.op + " done." : "Done."));
        });
      })
      .catch(function (e) { say("Not done: " + e.message); });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    switch (ev.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": case "r": case "h": case "p": case "s": case "b": submit(ev.key); break;
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

  // follow long-polls the console's tail: new items go on top, changed
  // items are replaced where they are, and the counts and the moderators
  // online are kept current.
  function follow(list) {
    var head = Number(list.dataset.head || 0);
    var show = list.dataset.show || "all";
    function place(it) {
      var old = list.querySelector("article.item[data-seq='" + it.seq + "']");
      var keep = show === "all" || (show === "visible") === it.visible;
      if (old) {
        var li = old.closest("li");
        if (!keep) { li.remove(); return; }
        var hadFocus = document.activeElement === old;
        li.innerHTML = it.html;
        if (hadFocus) li.querySelector("article.item").focus({ preventScroll: true });
        return;
      }
      if (!keep) return;
      var node = document.createElement("li");
      node.innerHTML = it.html;
      var before = null;
      list.querySelectorAll("article.item").forEach(function (a) {
        if (!before && Number(a.dataset.seq) < it.seq) before = a.closest("li");
      });
      list.insertBefore(node, before);
    }
    function count(testid, n) {
      var a = document.querySelector("[data-testid=" + testid + "]");
      if (!a) return;
      a.hidden = n === 0;
      a.querySelector("[data-count]").textContent = String(n);
    }
    function poll(delay) {
      setTimeout(function () {
        fetch(list.dataset.tail + "?after=" + head, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
          .then(function (a) {
            if (a.reset) { location.reload(); return; }
            head = a.head;
            a.items.forEach(place);
            count("pending", a.pending);
            count("reported", a.reported);
            var on = document.querySelector("[data-online]");
            if (on) on.textContent = a.online.join(", ");
            list.dataset.head = String(head);
            poll(0);
          })
          .catch(function () { say("The live log could not be read; trying again."); poll(2000); });
      }, delay);
    }
    poll(0);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var tl = tailList();
    if (tl) follow(tl);
    var seq = null;
    try { seq = sessionStorage.getItem("bc-admin-seq"); } catch (e) { /* private mode */ }
    if (!seq) return;
    var el = document.querySelector("[data-testid=stream] article.item[data-seq='" + seq + "']");
    if (el) el.focus();
  });
})();
