// The widget's door to the server, no DOM: the visitor's session (its
// token kept in this frame's localStorage), the REST calls, the visitor
// socket (reconnect with backoff, catch up by seq), and an outbox that
// sends each message exactly once, whatever fails on the way (every send
// carries an idempotency key, kept until the server has answered).

const PAGE = 100;

export class APIError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || (status ? 'http_' + status : 'offline');
    this.field = e.field || '';
  }
}

// A retry may succeed: the network, a restart, a rate limit.
const retryable = (err) => err.status === 0 || err.status === 429 || err.status >= 500;

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

// storage is localStorage under one prefix, and survives its absence
// (storage disabled: the visitor is then forgotten on reload).
function storage(prefix) {
  const mem = new Map();
  const ls = (() => { try { return window.localStorage; } catch { return null; } })();
  return {
    get(k) { try { return ls ? ls.getItem(prefix + k) : mem.get(k) ?? null; } catch { return mem.get(k) ?? null; } },
    set(k, v) { mem.set(k, v); try { ls && ls.setItem(prefix + k, v); } catch { /* full or denied: memory only */ } },
    clear(keys) { for (const k of keys) { mem.delete(k); try { ls && ls.removeItem(prefix + k); } catch { /* nothing to clear */ } } },
  };
}

// Client holds the widget's state and tells onChange whenever it moves.
// state: conv ({id, status, last_seq} or null), messages (seq order, each
// seq once), pending (messages not yet accepted: {key, body, failed}),
// lifecycle ({seq, text}), conn ('idle' before any session, 'connecting',
// 'live', 'offline'), blocked ('' or why the visitor cannot write),
// department (the id the visitor picked of departments, '' for none; it
// goes with the message that starts the conversation), resuming (a
// returning visitor's conversation is still being read).
export class Client {
  constructor({ inbox, workspace, departments = [], onChange, onMessage }) {
    this.inbox = inbox;
    this.workspace = workspace;
    this.departments = departments;
    this.onChange = onChange;
    this.onMessage = onMessage; // a message from someone else arrived live
    this.store = storage(`switchboard.${inbox}.`);
    this.reset();
    this.state.pending = this.loadPending();
    addEventListener('online', () => { this.reconnectNow(); this.flush(); });
    addEventListener('offline', () => { if (this.ws) this.ws.close(4000, 'offline'); });
  }

  reset() {
    this.token = this.store.get('token');
    this.sessionPromise = null;
    this.identifying = null;
    this.stopped = false;
    this.attempt = 0;
    this.everLive = false;
    const picked = this.store.get('department') || '';
    this.state = {
      conv: null, messages: [], pending: [], lifecycle: [], conn: 'idle', blocked: '', hasOlder: false, readSeq: Number(this.store.get('read')) || 0,
      department: this.departments.some((d) => d.id === picked) ? picked : '', resuming: !!this.token,
    };
  }

  set(patch) {
    this.state = { ...this.state, ...patch };
    this.onChange(this.state);
  }

  // boot resumes a visitor who has written before; a new visitor gets a
  // session only when they write (or the site identifies them).
  async boot() {
    if (this.token || this.state.pending.length) {
      try {
        await this.session();
        await this.refresh();
      } catch (err) {
        this.fail(err);
      }
      this.set({ resuming: false });
      this.flush();
    }
  }

  // choose keeps the department the visitor picked (kept across a reload
  // until the conversation starts).
  choose(id) {
    const department = this.departments.some((d) => d.id === id) ? id : '';
    this.store.set('department', department);
    this.set({ department });
  }

  // session starts or resumes the visitor's session, once at a time.
  session() {
    if (this.sessionPromise) return this.sessionPromise;
    this.sessionPromise = (async () => {
      const body = { workspace_id: this.workspace, inbox_id: this.inbox };
      if (this.token) body.visitor_token = this.token;
      const r = await this.request('POST', '/widget/sessions', body, false);
      if (r.visitor_id !== this.store.get('visitor')) {
        // Another visitor (the old token expired): nothing of the old one.
        this.store.clear(['conv', 'read']);
        this.set({ conv: null, messages: [], lifecycle: [], readSeq: 0 });
      }
      this.token = r.token;
      this.store.set('token', r.token);
      this.store.set('visitor', r.visitor_id);
      return r.token;
    })();
    this.sessionPromise.catch(() => { this.sessionPromise = null; });
    return this.sessionPromise;
  }

  async request(method, path, body, auth = true) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth) headers.Authorization = 'Bearer ' + await this.session();
    let res;
    try {
      res = await fetch('/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
    } catch {
      throw new APIError(0, { error: { code: 'offline', message: 'Cannot reach the server' } });
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (res.status === 401 && auth && data?.error?.code === 'invalid_visitor_token') {
      // Expired or forgotten by the server: start afresh, once.
      this.token = null;
      this.sessionPromise = null;
      this.store.clear(['token']);
      return this.request(method, path, body, auth);
    }
    if (!res.ok) throw new APIError(res.status, data);
    return data;
  }

  fail(err) {
    if (err.code === 'identity_required') {
      this.set({ blocked: 'Please sign in on this site to chat with us.' });
    }
  }

  // refresh reads the visitor's newest conversation and its latest
  // messages, then keeps the socket open.
  async refresh() {
    const r = await this.request('GET', '/widget/conversations');
    const conv = r.conversations[0] || null;
    const held = () => this.state.conv && this.state.conv.id === conv.id;
    if (conv && !held()) {
      const page = await this.request('GET', `/widget/conversations/${conv.id}/messages?before_seq=${conv.last_seq + 1}&limit=${PAGE}`);
      // What arrived meanwhile (the socket, a send) is kept: merged by seq.
      const same = held();
      this.set({
        conv: same ? this.state.conv : conv,
        messages: merge(same ? this.state.messages : [], page.messages),
        lifecycle: same ? this.state.lifecycle : conv.status === 'resolved' ? [{ seq: conv.last_seq, text: 'Resolved' }] : [],
        hasOlder: page.messages.length === PAGE && page.messages[0].seq > 1,
      });
      this.store.set('conv', conv.id);
    }
    this.connect();
  }

  // loadOlder reads the page of history just before the oldest message
  // held (the visitor scrolled to the top).
  async loadOlder() {
    const conv = this.state.conv;
    if (!conv || !this.state.hasOlder || this.loadingOlder || !this.state.messages.length) return false;
    this.loadingOlder = true;
    try {
      const oldest = this.state.messages[0].seq;
      const page = await this.request('GET', `/widget/conversations/${conv.id}/messages?before_seq=${oldest}&limit=${PAGE}`);
      this.set({
        messages: merge(this.state.messages, page.messages),
        hasOlder: page.messages.length === PAGE && page.messages[0].seq > 1,
      });
      return page.messages.length > 0;
    } catch (err) {
      return false; // the next scroll tries again
    } finally {
      this.loadingOlder = false;
    }
  }

  // Messages.

  send(body) {
    const item = { key: newKey(), body, failed: false };
    this.set({ pending: [...this.state.pending, item] });
    this.savePending();
    this.flush();
  }

  retry(key) {
    this.set({ pending: this.state.pending.map((p) => (p.key === key ? { ...p, failed: false } : p)) });
    this.flush();
  }

  discard(key) {
    this.set({ pending: this.state.pending.filter((p) => p.key !== key) });
    this.savePending();
  }

  // flush sends the pending messages in order, one at a time: the first
  // starts the conversation, the rest wait for its id. A failure stops the
  // line; a retryable one is tried again after a pause, with the same key,
  // so the server stores each message once however often it is sent.
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    clearTimeout(this.flushTimer);
    try {
      await this.identifying;
      for (;;) {
        const item = this.state.pending.find((p) => !p.failed);
        if (!item) return;
        try {
          let message;
          if (!this.state.conv) {
            const start = { message: item.body, idempotency_key: item.key };
            if (this.state.department) start.department_id = this.state.department;
            let r;
            try {
              r = await this.request('POST', '/widget/conversations', start);
            } catch (err) {
              if (err.status !== 422 || err.field !== 'department_id') throw err;
              // The department stopped working this inbox since the page
              // loaded: the inbox's other rules and default decide.
              this.choose('');
              continue;
            }
            this.set({ conv: r.conversation, queue: r.queue || null, blocked: '', department: '' });
            this.store.clear(['department']);
            this.store.set('conv', r.conversation.id);
            message = r.message;
            this.connect();
          } else {
            const r = await this.request('POST', `/widget/conversations/${this.state.conv.id}/messages`, { body: item.body, idempotency_key: item.key });
            message = r.message;
          }
          this.accept([message]);
          this.flushAttempt = 0;
        } catch (err) {
          this.fail(err);
          this.set({ pending: this.state.pending.map((p) => (p.key === item.key ? { ...p, failed: true, error: err.message } : p)) });
          if (retryable(err)) {
            const delay = Math.min(15000, 1000 * 2 ** (this.flushAttempt || 0));
            this.flushAttempt = (this.flushAttempt || 0) + 1;
            this.flushTimer = setTimeout(() => this.retry(item.key), delay);
          }
          return;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  // accept merges messages from the server, each seq once; a message that
  // carries a pending item's key is that item, now stored.
  accept(messages, live = false) {
    if (!messages.length) return;
    const keys = new Set(messages.map((m) => m.idempotency_key).filter(Boolean));
    const had = new Set(this.state.messages.map((m) => m.seq));
    const pending = this.state.pending.filter((p) => !keys.has(p.key));
    const sent = pending.length !== this.state.pending.length;
    const conv = this.state.conv;
    const top = Math.max(...messages.map((m) => m.seq));
    this.set({
      messages: merge(this.state.messages, messages), pending,
      conv: conv && top > conv.last_seq ? { ...conv, last_seq: top } : conv,
    });
    if (sent) this.savePending();
    if (live) for (const m of messages) if (!had.has(m.seq) && m.sender_type !== 'visitor') this.onMessage(m);
  }

  get unread() {
    return this.state.messages.filter((m) => m.sender_type !== 'visitor' && m.seq > this.state.readSeq).length;
  }

  markRead() {
    const top = this.state.messages.length ? this.state.messages[this.state.messages.length - 1].seq : 0;
    if (top > this.state.readSeq) {
      this.store.set('read', String(top));
      this.set({ readSeq: top });
    }
  }

  loadPending() {
    try { return (JSON.parse(this.store.get('outbox') || '[]') || []).map((p) => ({ key: String(p.key), body: String(p.body), failed: false })); } catch { return []; }
  }

  savePending() {
    this.store.set('outbox', JSON.stringify(this.state.pending.map(({ key, body }) => ({ key, body }))));
  }

  // Socket.

  connect() {
    if (this.stopped || !this.token || (this.ws && this.ws.readyState <= 1)) return;
    clearTimeout(this.timer);
    this.set({ conn: 'connecting' });
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/ws/widget?token=${encodeURIComponent(this.token)}`);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.set({ conn: 'live' });
      clearInterval(this.beat);
      // Presence, and a keep-alive through proxies.
      this.beat = setInterval(() => { if (ws.readyState === 1) ws.send('{"type":"heartbeat"}'); }, 25000);
      ws.send('{"type":"heartbeat"}');
      // Whatever happened while the socket was not open, read it now.
      this.catchUp();
      if (this.everLive) this.flush();
      this.everLive = true;
    };
    ws.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch { return; }
      this.onFrame(f);
    };
    ws.onclose = (e) => {
      clearInterval(this.beat);
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (e.code === 4004) {
        this.set({ conn: 'offline', blocked: 'Please sign in on this site to chat with us.' });
        return;
      }
      this.set({ conn: 'offline' });
      if (!navigator.onLine) return; // 'online' reconnects
      const delay = Math.min(10000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
      this.attempt++;
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  reconnectNow() {
    if (this.stopped || !this.token) return;
    if (this.ws && this.ws.readyState <= 1) return;
    this.attempt = 0;
    this.connect();
  }

  onFrame(f) {
    if (f.type === 'message.created' && f.data) {
      if (!this.state.conv) {
        // Started on another device of the same contact.
        this.refresh().catch(() => {});
        return;
      }
      if (f.conversation_id === this.state.conv.id) this.accept([f.data], true);
    } else if (f.type === 'conversation.updated' && f.data && f.data.conversation) {
      if (this.state.conv && f.conversation_id === this.state.conv.id) this.status(f.data.conversation, f.seq);
    } else if (f.type === 'queue.position' && f.data && this.state.conv && f.data.conversation_id === this.state.conv.id) {
      // Where the conversation stands in line, as the queue moves.
      this.set({ queue: f.data.queue });
    }
  }

  // status records a change of the conversation's status as a quiet line
  // at the seq it happened; a snooze is the operator's business.
  status(next, seq) {
    const prev = this.state.conv;
    const lifecycle = [...this.state.lifecycle];
    const was = prev.status === 'resolved';
    const is = next.status === 'resolved';
    if (!was && is) lifecycle.push({ seq, text: 'Resolved' });
    if (was && !is) lifecycle.push({ seq, text: 'Reopened' });
    this.set({ conv: { ...prev, ...next, last_seq: Math.max(prev.last_seq, next.last_seq) }, lifecycle });
  }

  // catchUp reads every message after the newest one held, and the
  // conversation's status: nothing missed, nothing twice (merge by seq).
  async catchUp() {
    try {
      if (!this.state.conv) {
        await this.refresh();
        return;
      }
      const id = this.state.conv.id;
      for (;;) {
        const after = this.state.messages.length ? this.state.messages[this.state.messages.length - 1].seq : 0;
        const r = await this.request('GET', `/widget/conversations/${id}/messages?after_seq=${after}&limit=${PAGE}`);
        if (!this.state.conv || this.state.conv.id !== id) return;
        this.accept(r.messages, true);
        if (r.messages.length < PAGE) break;
      }
      const c = await this.request('GET', `/widget/conversations/${id}`);
      if (this.state.conv && this.state.conv.id === id && c.conversation.status !== this.state.conv.status) this.status(c.conversation, c.conversation.last_seq);
      if (this.state.conv && this.state.conv.id === id) {
        this.set({ conv: { ...this.state.conv, waiting: c.conversation.waiting }, queue: c.queue || null });
      }
    } catch (err) {
      this.fail(err);
    }
  }

  // Identity and forgetting.

  // identify tells the server who the visitor is. Messages wait for it:
  // a conversation started meanwhile would miss the contact.
  identify(claims) {
    const p = (async () => {
      await this.identifying;
      await this.session();
      const r = await this.request('POST', '/widget/identify', claims);
      // A verified contact may have conversations from its other devices.
      await this.refresh();
      return r;
    })();
    this.identifying = p.catch(() => {});
    return p;
  }

  // shutdown forgets the visitor on this browser: the socket closes, the
  // storage is cleared, and the next message starts a new visitor.
  shutdown() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.flushTimer);
    clearInterval(this.beat);
    if (this.ws) { const ws = this.ws; this.ws = null; ws.close(1000, 'shutdown'); }
    this.store.clear(['token', 'visitor', 'conv', 'read', 'outbox', 'department']);
    this.reset();
    this.onChange(this.state);
  }
}

// merge adds messages to a seq-ordered list, each seq once.
export function merge(old, items) {
  const bySeq = new Map(old.map((m) => [m.seq, m]));
  for (const m of items) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
