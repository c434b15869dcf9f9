// The widget's frame: the launcher and the chat window, on Switchboard's
// origin inside the host page (widget.js). Preact + htm from one vendored
// module; every text from the visitor, an operator or the workspace is
// rendered as text (htm children), never as HTML.
import { html, render, useState, useEffect, useRef, useMemo } from './vendor/htm-preact-3.1.1.js';
import { Client } from './client.js';

const meta = (n) => document.querySelector(`meta[name="switchboard-${n}"]`)?.content || '';
// departments: what the inbox offers the visitor to pick from before the
// first message (its routing asks for the visitor's choice); none: no
// picker.
const departments = (() => {
  try {
    const list = JSON.parse(meta('departments') || '[]');
    return Array.isArray(list) ? list.filter((d) => d && typeof d.id === 'string' && typeof d.name === 'string') : [];
  } catch { return []; }
})();
const cfg = { inbox: meta('inbox'), workspace: meta('workspace'), name: meta('name') || 'Support', departments };

// The host page. The frame trusts one window, its parent, at the origin
// the parent's first hello came from (the browser fills e.origin; the
// server's frame-ancestors already limited which origins can be the
// parent), and posts only there.
const embedded = window.parent !== window;
let hostOrigin = null;
let onCommand = () => {};
const toHost = (msg) => { if (hostOrigin) window.parent.postMessage({ sb: 1, ...msg }, hostOrigin); };
let hostState = { open: false, unread: 0 };

addEventListener('message', (e) => {
  if (!embedded || e.source !== window.parent) return;
  const d = e.data;
  if (!d || d.sb !== 1) return;
  if (d.type === 'hello') {
    if (hostOrigin === null) hostOrigin = e.origin;
    if (e.origin !== hostOrigin) return;
    layout(d.full);
    toHost({ type: 'ready' });
    toHost({ type: 'state', open: hostState.open });
    toHost({ type: 'unread', count: hostState.unread });
    return;
  }
  if (e.origin !== hostOrigin) return;
  if (d.type === 'layout') layout(d.full);
  else if (d.type === 'command') onCommand(d.cmd, d.arg);
});

// layout: on a phone the window fills the screen.
const layout = (full) => document.documentElement.classList.toggle('full', !!full);

const LABELS = { visitor: 'You', operator: 'Operator', bot: 'Bot', system: 'Switchboard' };
const hhmm = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '');

function App() {
  const [state, setState] = useState(null);
  const [open, setOpen] = useState(!embedded);
  const client = useMemo(() => new Client({
    inbox: cfg.inbox, workspace: cfg.workspace, departments: cfg.departments,
    onChange: (s) => setState(s),
    onMessage: (m) => toHost({ type: 'message', message: { conversation_id: m.conversation_id, seq: m.seq, sender_type: m.sender_type, body: m.body, created_at: m.created_at } }),
  }), []);
  useEffect(() => { setState(client.state); client.boot(); }, []);

  onCommand = (cmd, arg) => {
    if (cmd === 'open') setOpen(true);
    else if (cmd === 'close') setOpen(embedded ? false : true);
    else if (cmd === 'identify') client.identify(arg).catch((err) => console.warn('Switchboard: identify failed:', err.message));
    else if (cmd === 'shutdown') { client.shutdown(); setOpen(!embedded); }
  };

  const s = state || client.state;
  const unread = open && document.visibilityState === 'visible' ? 0 : client.unread;
  useEffect(() => { if (open) client.markRead(); }, [open, s.messages]);
  useEffect(() => {
    const seen = () => { if (open && document.visibilityState === 'visible') client.markRead(); };
    document.addEventListener('visibilitychange', seen);
    return () => document.removeEventListener('visibilitychange', seen);
  }, [open]);
  useEffect(() => { hostState.open = open; toHost({ type: 'state', open }); }, [open]);
  useEffect(() => { hostState.unread = unread; toHost({ type: 'unread', count: unread }); }, [unread]);

  return open
    ? html`<${Chat} s=${s} client=${client} onClose=${embedded ? () => setOpen(false) : null} />`
    : html`<${Launcher} unread=${unread} onOpen=${() => setOpen(true)} />`;
}

function Launcher({ unread, onOpen }) {
  const ref = useRef(null);
  useEffect(() => { if (document.hasFocus()) ref.current?.focus({ preventScroll: true }); }, []);
  const label = unread ? `Open chat, ${unread} unread ${unread === 1 ? 'message' : 'messages'}` : 'Open chat';
  return html`
    <button ref=${ref} class="launcher" aria-label=${label} title="Chat with us" onClick=${onOpen}>
      <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true"><path fill="currentColor" d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z"/></svg>
      ${unread > 0 && html`<span class="badge" aria-hidden="true">${unread > 9 ? '9+' : unread}</span>`}
    </button>`;
}

function Chat({ s, client, onClose }) {
  const [draft, setDraft] = useState('');
  const input = useRef(null);
  const end = useRef(null);
  useEffect(() => { input.current?.focus({ preventScroll: true }); }, []);
  const items = timeline(s);
  const last = items.length ? items[items.length - 1].key : '';
  // The bot's buttons, under its last message while it is the last word.
  const tail = items.length ? items[items.length - 1] : null;
  const quick = tail && !tail.event && tail.m.sender_type === 'bot' && tail.m.quick_replies ? tail.m.quick_replies : [];
  useEffect(() => { end.current?.scrollIntoView({ block: 'end' }); }, [last, s.pending.length]);

  // Near the top, the page before the oldest message held comes in, and
  // what was on screen stays where it was.
  const older = (e) => {
    const el = e.currentTarget;
    if (el.scrollTop > 80 || !s.hasOlder) return;
    const before = el.scrollHeight;
    client.loadOlder().then((got) => {
      if (got) requestAnimationFrame(() => { el.scrollTop += el.scrollHeight - before; });
    });
  };
  const send = () => {
    const body = draft.trim();
    if (!body) return;
    setDraft('');
    client.send(body);
  };
  const resolved = s.conv && s.conv.status === 'resolved';
  const sub = s.conn === 'offline' ? 'Offline. Reconnecting…'
    : resolved ? 'Resolved. Write again any time.'
      : waitingLine(s) || 'We reply here as soon as we can.';

  return html`
    <section class="chat" role="dialog" aria-labelledby="sb-title" onKeyDown=${(e) => { if (e.key === 'Escape' && onClose) onClose(); }}>
      <header class="head">
        <span class="avatar" aria-hidden="true">${cfg.name.slice(0, 1).toUpperCase()}</span>
        <div class="title">
          <h1 id="sb-title">${cfg.name}</h1>
          <p class=${'sub ' + s.conn} role="status">${sub}</p>
        </div>
        ${onClose && html`<button class="icon" aria-label="Close chat" title="Close (Esc)" onClick=${onClose}>
          <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>
        </button>`}
      </header>
      <ol class="timeline" aria-label="Messages" aria-live="polite" onScroll=${older}>
        ${s.hasOlder
          ? html`<li class="event older"><span>Scroll up for earlier messages</span></li>`
          : html`<li class="hello">
              <p><strong>Hello!</strong> How can we help? Write below and someone from ${cfg.name} will answer here.</p>
            </li>`}
        ${items.map((it) => it.event
          ? html`<li key=${it.key} class="event"><span>${it.text}</span></li>`
          : html`<li key=${it.key} class=${'msg ' + it.m.sender_type + (it.first ? ' first' : '')}>
              ${it.first && html`<span class="who">${LABELS[it.m.sender_type] || it.m.sender_type}</span>`}
              <p class="body">${it.m.body}</p>
              ${it.last && html`<time datetime=${it.m.created_at}>${hhmm(it.m.created_at)}</time>`}
            </li>`)}
        ${quick.length > 0 && !s.pending.length && html`
          <li class="quick" key="quick" aria-label="Suggested answers">
            ${quick.map((q) => html`<button type="button" key=${q} onClick=${() => client.send(q)}>${q}</button>`)}
          </li>`}
        ${s.pending.map((p, i) => html`
          <li key=${'p' + p.key} class=${'msg visitor pending' + (p.failed ? ' failed' : '') + (i === 0 && lastSender(items) !== 'visitor' ? ' first' : '')}>
            ${i === 0 && lastSender(items) !== 'visitor' && html`<span class="who">You</span>`}
            <p class="body">${p.body}</p>
            ${p.failed
              ? html`<span class="state">Not sent yet. <button class="link" onClick=${() => client.retry(p.key)}>Retry</button> <button class="link" onClick=${() => client.discard(p.key)}>Delete</button></span>`
              : html`<span class="state">Sending…</span>`}
          </li>`)}
        <li ref=${end} class="end" aria-hidden="true"></li>
      </ol>
      ${!s.conv && !s.resuming && !s.blocked && cfg.departments.length > 0 && html`
        <${Picker} departments=${cfg.departments} chosen=${s.department}
          locked=${s.pending.some((p) => !p.failed)} onChoose=${(id) => client.choose(id)} />`}
      ${s.blocked
        ? html`<p class="blocked" role="alert">${s.blocked}</p>`
        : html`<form class="compose" onSubmit=${(e) => { e.preventDefault(); send(); }}>
            <label class="sr-only" for="sb-compose">Message</label>
            <textarea id="sb-compose" ref=${input} rows="1" placeholder="Write a message…" maxlength="10000" value=${draft}
              onInput=${(e) => setDraft(e.target.value)}
              onKeyDown=${(e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); } }}
              onKeyPress=${(e) => { if (e.key === 'Enter' && !e.shiftKey) e.preventDefault(); }}></textarea>
            <button class="send" type="submit" aria-label="Send" disabled=${!draft.trim()}>
              <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="currentColor" d="M3.4 20.4 21 12 3.4 3.6 3.3 10l12.2 2-12.2 2z"/></svg>
            </button>
          </form>`}
      <p class="hint" aria-hidden="true">Enter sends · Shift+Enter for a new line</p>
    </section>`;
}

// Picker asks a new visitor which department they want, before their
// first message: a group of radio buttons (arrow keys move the pick); the
// pick goes with the message that starts the conversation, and the picker
// goes once it has started. Optional: without a pick the inbox's other
// rules decide.
function Picker({ departments, chosen, locked, onChoose }) {
  return html`
    <fieldset class="picker" disabled=${locked}>
      <legend>Who would you like to talk to?</legend>
      <div class="choices">
        ${departments.map((d) => html`
          <label key=${d.id} class="choice">
            <input type="radio" name="sb-department" value=${d.id} checked=${d.id === chosen}
              onChange=${(e) => { if (e.target.checked) onChoose(d.id); }} />
            <span>${d.name}</span>
          </label>`)}
      </div>
    </fieldset>`;
}

// timeline orders messages and lifecycle lines by seq: "An operator
// joined" before the first operator message, a sender's label on the
// first of a run of messages, the time under its last.
function timeline(s) {
  const out = [];
  const events = [...s.lifecycle].sort((a, b) => a.seq - b.seq);
  let e = 0;
  let joined = false;
  let prev = '';
  for (const m of s.messages) {
    while (e < events.length && events[e].seq < m.seq) {
      out.push({ event: true, key: 'e' + events[e].seq, text: events[e].text });
      e++;
      prev = '';
    }
    if (m.sender_type === 'operator' && !joined) {
      joined = true;
      out.push({ event: true, key: 'joined', text: 'An operator joined' });
      prev = '';
    }
    out.push({ key: 'm' + m.seq, m, first: m.sender_type !== prev });
    prev = m.sender_type;
  }
  for (; e < events.length; e++) out.push({ event: true, key: 'e' + events[e].seq, text: events[e].text });
  // The time goes under the last message of a run.
  out.forEach((it, i) => {
    const next = out[i + 1];
    it.last = !it.event && !(next && !next.event && next.m.sender_type === it.m.sender_type);
  });
  return out;
}

// waitingLine says where the visitor's conversation stands in line while
// it waits for a person: its place and, when the team's pace is known, a
// rough wait; outside the team's hours, when to expect an answer.
function waitingLine(s) {
  const q = s.queue;
  if (!q || !s.conv || !s.conv.waiting) return '';
  if (!q.open) return 'We are closed right now. We will answer here when we open.';
  const place = q.position === 1 ? 'You are next in line' : `You are number ${q.position} in line`;
  if (q.wait_seconds == null) return place + '.';
  const min = Math.max(1, Math.round(q.wait_seconds / 60));
  const hours = Math.round(min / 60);
  const about = min < 60 ? `${min} ${min === 1 ? 'minute' : 'minutes'}` : hours === 1 ? 'an hour' : `${hours} hours`;
  return `${place}, about ${about}.`;
}

const lastSender = (items) => (items.length && !items[items.length - 1].event ? items[items.length - 1].m.sender_type : '');

render(html`<${App} />`, document.getElementById('root'));
