/* Backchannel audience: a session's questions (ask, upvote, live order) on
   the Q&A page, the speaker view and the wall (reactions.js does the
   reactions). Every audience entry of the live log
   carries absolute values (a question as it stands, a vote count, a minute's
   totals so far), so applying one twice or after a fresh list is harmless.
   On the Q&A page and the speaker view this script follows the live log
   itself; the wall feeds it its entries through Backchannel.audienceEntry. Markup matches views/audience.templ. */
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

  const PUBLIC = new Set(['open', 'answering', 'answered']);

  // order: answered last, then most votes, then oldest (realtime.CompareQuestions).
  function order(a, b) {
    const aa = a.state === 'answered', ba = b.state === 'answered';
    if (aa !== ba) return aa ? 1 : -1;
    if (a.votes !== b.votes) return b.votes - a.votes;
    return a.id - b.id;
  }

  // Board keeps one list of a session's questions current. mode "qa" votes,
  // "speaker" and "wall" show the one being answered then the top open ones.
  class Board {
    constructor(list) {
      this.list = list;
      this.mode = list.dataset.mode || 'qa';
      this.session = list.dataset.session;
      this.api = list.dataset.questionsApi;
      this.top = +list.dataset.top || 0;
      this.empty = list.parentElement.querySelector('[data-q-empty]');
      this.qs = new Map();
      this.els = new Map();
      for (const n of list.querySelectorAll('.question[data-qid]')) {
        const name = n.querySelector('.q-name');
        const vote = n.querySelector('[data-vote]');
        const q = {
          id: +n.dataset.qid, votes: +n.dataset.votes || 0, state: n.dataset.state,
          text: n.querySelector('.q-text').textContent,
          name: name && name.textContent !== 'Anonymous' ? name.textContent : null,
          voted: !!vote && vote.getAttribute('aria-pressed') === 'true'
        };
        this.qs.set(q.id, q);
        this.els.set(q.id, n);
      }
      if (this.mode === 'qa') list.addEventListener('click', (ev) => this.click(ev));
      this.render();
    }

    set(q) {
      if (!PUBLIC.has(q.state)) {
        this.qs.delete(q.id);
        return;
      }
      const old = this.qs.get(q.id);
      this.qs.set(q.id, Object.assign({}, old || {}, q, { voted: q.voted != null ? !!q.voted : !!(old && old.voted) }));
    }

    apply(e) {
      if (e.session !== this.session) return false;
      switch (e.op) {
        case 'question':
        case 'qa_state':
          if (!e.question) return false;
          this.set(e.question);
          break;
        case 'votes': {
          const q = this.qs.get(+e.target);
          if (!q || e.votes == null) return false;
          q.votes = +e.votes;
          break;
        }
        default:
          return false;
      }
      this.render();
      return true;
    }

    // load replaces every question with the API's list (after a reset).
    async load() {
      try {
        const res = await fetch(this.api, { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } });
        if (!res.ok) return;
        const body = await res.json();
        this.qs.clear();
        for (const q of body.questions || []) this.set(q);
        this.render();
      } catch (e) { /* the next entry or reset tries again */ }
    }

    shown() {
      const all = Array.from(this.qs.values()).sort(order);
      if (this.mode === 'qa') return all;
      const out = all.filter((q) => q.state === 'answering');
      return out.concat(all.filter((q) => q.state === 'open').slice(0, this.top || 5));
    }

    card(q) {
      const li = el('li', 'question');
      li.dataset.qid = q.id;
      if (this.mode === 'qa') {
        const b = el('button', 'vote');
        b.type = 'button';
        b.dataset.vote = '';
        const arrow = el('span', '', '▲');
        arrow.setAttribute('aria-hidden', 'true');
        const n = el('span', 'vote-n');
        n.dataset.votesN = '';
        b.append(arrow, n);
        li.appendChild(b);
      } else {
        const v = el('span', 'votes');
        const n = el('span', 'vote-n');
        n.dataset.votesN = '';
        v.append(n, el('span', 'vote-unit', 'votes'));
        li.appendChild(v);
      }
      const body = el('div', 'q-body');
      body.appendChild(el('p', 'q-text', q.text));
      const meta = el('p', 'q-meta');
      meta.appendChild(el('span', 'q-name', q.name || 'Anonymous'));
      body.appendChild(meta);
      li.appendChild(body);
      return li;
    }

    update(li, q) {
      li.dataset.votes = q.votes;
      li.dataset.state = q.state;
      li.classList.toggle('is-answering', q.state === 'answering');
      li.classList.toggle('is-answered', q.state === 'answered');
      li.querySelector('[data-votes-n]').textContent = q.votes;
      const b = li.querySelector('[data-vote]');
      if (b) {
        b.setAttribute('aria-pressed', q.voted ? 'true' : 'false');
        b.setAttribute('aria-label', (q.voted ? 'Take back your vote (' : 'Upvote (') + q.votes + ' votes)');
      }
      const text = li.querySelector('.q-text');
      if (text.textContent !== q.text) text.textContent = q.text;
      const meta = li.querySelector('.q-meta');
      let st = meta.querySelector('.q-state');
      const label = q.state === 'answering' ? 'Answering now' : q.state === 'answered' ? 'Answered' : '';
      if (label && !st) st = meta.appendChild(el('span', 'q-state'));
      if (st) { if (label) st.textContent = label; else st.remove(); }
    }

    // render puts the shown questions in order, reusing their elements.
    render() {
      const shown = this.shown();
      const keep = new Set(shown.map((q) => q.id));
      for (const [id, n] of this.els) {
        if (!keep.has(id)) { n.remove(); this.els.delete(id); }
      }
      let prev = null;
      for (const q of shown) {
        let li = this.els.get(q.id);
        if (!li) {
          li = this.card(q);
          li.classList.add('is-new');
          li.addEventListener('animationend', () => li.classList.remove('is-new'), { once: true });
          this.els.set(q.id, li);
        }
        this.update(li, q);
        const want = prev ? prev.nextSibling : this.list.firstChild;
        if (want !== li) this.list.insertBefore(li, want);
        prev = li;
      }
      if (this.empty) this.empty.hidden = shown.length > 0;
    }

    async click(ev) {
      const b = ev.target.closest('[data-vote]');
      if (!b || b.disabled) return;
      const li = b.closest('.question');
      const q = this.qs.get(+li.dataset.qid);
      if (!q) return;
      b.disabled = true;
      try {
        const res = await fetch(this.api + '/' + q.id + '/vote', {
          method: q.voted ? 'DELETE' : 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' }
        });
        let body = {};
        try { body = await res.json(); } catch (e) { /* not JSON */ }
        if (res.ok) {
          q.votes = +body.votes;
          q.voted = !!body.voted;
        } else if (res.status === 404) {
          this.qs.delete(q.id);
        } else {
          notify(body.error || 'Your vote could not be counted (error ' + res.status + ').');
        }
      } catch (e) {
        notify('Network problem: your vote was not sent. Please try again.');
      } finally {
        b.disabled = false;
        this.render();
      }
    }
  }

  function notify(msg) {
    const box = document.querySelector('[data-ask-error]');
    if (box) { box.textContent = msg; box.hidden = false; }
  }

  const boards = Array.from(document.querySelectorAll('[data-questions-list]')).map((l) => new Board(l));

  // audienceEntry applies one live-log entry to every board and reaction bar.
  B.audienceEntry = (e) => {
    for (const b of boards) b.apply(e);
    if (B.reactionEntry) B.reactionEntry(e);
  };
  // audienceReset reloads the boards after the log was reset.
  B.audienceReset = () => { for (const b of boards) b.load(); };

  // The ask form: fetch with inline errors.
  const form = document.querySelector('[data-ask-form]');
  if (form) {
    const textIn = form.elements.namedItem('text');
    const nameIn = form.elements.namedItem('name');
    const count = form.querySelector('[data-count]');
    const errBox = form.querySelector('[data-ask-error]');
    const okBox = form.querySelector('[data-ask-ok]');
    const button = form.querySelector('button[type="submit"]');
    const len = (s) => Array.from(s).length;
    const say = (box, msg) => {
      errBox.hidden = true;
      okBox.hidden = true;
      if (!box) return;
      box.textContent = msg;
      box.hidden = false;
    };
    const counted = () => {
      const n = len(textIn.value.trim());
      count.textContent = n + ' / 300';
      count.classList.toggle('is-over', n > 300);
    };
    textIn.addEventListener('input', counted);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const text = textIn.value.trim();
      const name = nameIn.value.trim();
      if (!text) return say(errBox, 'Please write your question.');
      if (len(text) > 300) return say(errBox, 'Your question can be at most 300 characters.');
      say(null);
      button.disabled = true;
      try {
        const res = await fetch(form.action, {
          method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify(name ? { text, name } : { text })
        });
        let body = {};
        try { body = await res.json(); } catch (e) { /* not JSON */ }
        if (res.status === 202) {
          textIn.value = '';
          say(okBox, 'Thanks! Your question is held for review and appears once a moderator approves it.');
        } else if (res.ok) {
          textIn.value = '';
          if (body.id) B.audienceEntry({ op: 'question', session: body.session, question: body });
          say(okBox, 'Asked. Others can upvote it now.');
        } else {
          say(errBox, body.error || 'Your question could not be sent (error ' + res.status + ').');
        }
      } catch (e) {
        say(errBox, 'Network problem: your question was not sent. Please try again.');
      } finally {
        button.disabled = false;
        counted();
      }
    });
    counted();
  }

  // The Q&A page and the speaker view follow the live log themselves.
  const root = document.querySelector('[data-audience]');
  if (!root) return;
  const conn = root.querySelector('[data-conn]');
  B.follow(root.dataset.api, {
    epoch: root.dataset.epoch,
    head: root.dataset.head,
    onEntry: B.audienceEntry,
    onSnapshot: B.audienceReset,
    onTransport: (name) => { root.dataset.transport = name; },
    onStatus: (up) => {
      if (!conn) return;
      conn.hidden = up;
      conn.textContent = up ? '' : 'Reconnecting… (showing the last questions received)';
      conn.classList.toggle('is-down', !up);
    }
  });
})();
