/* Backchannel reactions: sends a session's reactions and shows its last
   minutes' counts from the log's reactions entries (a minute's totals so
   far: the greatest wins), fed by Backchannel.reactionEntry. */
(function () {
  'use strict';
  const B = window.Backchannel;
  if (!B) return;

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  const KINDS = ['applause', 'insight', 'love', 'confused', 'disagree'];
  const MINUTES = 10;

  function minuteKey(d) { return d.toISOString().slice(0, 16) + ':00Z'; }

  // A total per kind on each button and a bar per minute.
  class Reactions {
    constructor(root) {
      this.root = root;
      this.session = root.dataset.session;
      this.api = root.dataset.api;
      this.msg = root.querySelector('[data-react-msg]');
      this.chart = root.querySelector('[data-react-chart]');
      try { this.counts = JSON.parse(root.dataset.reactions || '{}') || {}; } catch (e) { this.counts = {}; }
      root.addEventListener('click', (ev) => {
        const b = ev.target.closest('[data-kind]');
        if (b) this.send(b);
      });
      this.render();
      setInterval(() => this.render(), 15000);
    }

    apply(e) {
      if (e.op !== 'reactions' || e.session !== this.session || !e.minute) return;
      const now = this.counts[e.minute] || {};
      for (const k of KINDS) if (e.counts && e.counts[k] > (now[k] || 0)) now[k] = +e.counts[k];
      this.counts[e.minute] = now;
      this.render();
    }

    render() {
      const minutes = [];
      const end = new Date(Math.floor(Date.now() / 60000) * 60000);
      for (let i = MINUTES - 1; i >= 0; i--) minutes.push(minuteKey(new Date(end - i * 60000)));
      for (const m of Object.keys(this.counts)) if (m < minutes[0]) delete this.counts[m];
      const sum = {};
      let max = 1;
      for (const m of minutes) {
        let t = 0;
        for (const k of KINDS) { const n = (this.counts[m] || {})[k] || 0; sum[k] = (sum[k] || 0) + n; t += n; }
        max = Math.max(max, t);
      }
      for (const k of KINDS) {
        const n = this.root.querySelector('[data-react-n="' + k + '"]');
        if (n) n.textContent = sum[k] || 0;
      }
      if (!this.chart) return;
      this.chart.replaceChildren(...minutes.map((m) => {
        const col = el('span', 'react-col');
        col.title = m.slice(11, 16) + ' UTC';
        for (const k of KINDS) {
          const n = (this.counts[m] || {})[k] || 0;
          if (!n) continue;
          const seg = el('span', 'react-seg react-' + k);
          seg.style.height = (100 * n / max) + '%';
          col.appendChild(seg);
        }
        return col;
      }));
    }

    async send(b) {
      b.disabled = true;
      try {
        const res = await fetch(this.api, {
          method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ kind: b.dataset.kind })
        });
        let body = {};
        try { body = await res.json(); } catch (e) { /* not JSON */ }
        if (res.status === 202) {
          this.say('Thanks! Your reaction counts.');
          b.classList.add('is-sent');
          setTimeout(() => b.classList.remove('is-sent'), 600);
        } else {
          this.say(body.error || 'Your reaction was not counted (error ' + res.status + ').');
        }
      } catch (e) {
        this.say('Network problem: your reaction was not sent.');
      } finally {
        setTimeout(() => { b.disabled = false; }, 300);
      }
    }

    say(msg) { if (this.msg) this.msg.textContent = msg; }
  }

  const bars = Array.from(document.querySelectorAll('[data-react]')).map((r) => new Reactions(r));
  B.reactionEntry = (e) => { for (const r of bars) r.apply(e); };
})();
