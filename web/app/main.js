// Switchboard's operator inbox. Preact + htm from one vendored module; every
// text from a visitor or an operator is rendered as text (htm children),
// never as HTML.
import { html, render, useState, useEffect, useRef, useCallback, useMemo } from './vendor/htm-preact-3.1.1.js';
import { get, post, put, call, setCSRF, Socket } from './api.js';
import { relTime, shortID, snoozeChoices, senderLabel, eventLine, duration, slaCountdown, METRICS } from './format.js';
import { ServiceLevels } from './sla.js';
import { Contacts } from './contacts.js';
import { Reports } from './reports.js';
import { Composer, NoteItem, Notifications, TagChips, TagPicker, useTags, usePeople, loadPeople, setTags, notificationLine, personName } from './teamwork.js';

const VIEWS = [
  { id: 'mine', label: 'My Active', query: 'status=open&assignee_id=me' },
  { id: 'unclaimed', label: 'Unclaimed', query: 'status=open&assignee_id=none' },
  { id: 'all', label: 'All open', query: 'status=open', supervisor: true },
  { id: 'snoozed', label: 'Snoozed', query: 'status=snoozed' },
  { id: 'resolved', label: 'Resolved', query: 'status=resolved' },
  { id: 'team', label: 'Team', supervisor: true },
];
// The workspace's resolution types, read once and again after an admin
// changes them (archived ones too: resolved conversations name them).
let resolutionTypes = null;
const loadResolutionTypes = (fresh) => {
  if (fresh || !resolutionTypes) resolutionTypes = get('/resolution-types').then((r) => r.resolution_types);
  return resolutionTypes;
};
function useResolutionTypes() {
  const [types, setTypes] = useState([]);
  useEffect(() => { loadResolutionTypes().then(setTypes, () => {}); }, []);
  return types;
}
const resolutionName = (types, key) => (types.find((t) => t.key === key) || { name: key.replace(/_/g, ' ') }).name;

// The token of an invite or password-reset link (/invite#token=…): in the
// fragment, so it never reaches a server's logs.
const linkToken = () => new URLSearchParams(location.hash.slice(1)).get('token') || '';

function App() {
  const [me, setMe] = useState(undefined); // undefined: loading; null: logged out
  const [page, setPage] = useState(location.pathname);
  useEffect(() => {
    if (page !== '/') return;
    get('/me').then((r) => { setCSRF(r.csrf_token); setMe(r); }).catch(() => setMe(null));
  }, [page]);
  const home = () => { history.replaceState(null, '', '/'); setPage('/'); };
  const loggedIn = (r) => { setCSRF(r.csrf_token); setMe(r); };
  if (page === '/invite') return html`<${AcceptInvite} onDone=${home} />`;
  if (page === '/reset-password') return html`<${ResetPassword} onDone=${home} />`;
  if (me === undefined) return html`<p class="boot">Loading Switchboard…</p>`;
  if (me === null) return html`<${Login} onLogin=${loggedIn} />`;
  return html`<${Inbox} me=${me} setMe=${setMe} onLogout=${() => setMe(null)} />`;
}

// AcceptInvite: the invited person names themselves and picks a
// password; they are logged in.
function AcceptInvite({ onDone }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const token = linkToken();
  const submit = async (e) => {
    e.preventDefault();
    setError('');
    try {
      await post('/invites/accept', { token, name, password });
      onDone();
    } catch (err) {
      setError(err.code === 'invalid_token' ? 'This invitation was used, revoked or has expired. Ask for a new one.' : err.message);
    }
  };
  return html`
    <main class="login">
      <form class="card" onSubmit=${submit} aria-labelledby="invite-title">
        <h1 id="invite-title"><span class="logo" aria-hidden="true">◐</span> Join Switchboard</h1>
        <p class="muted">You were invited to a team's inbox. Tell them your name and choose a password.</p>
        ${!token && html`<p class="error" role="alert">This link has no invitation in it.</p>`}
        <label>Your name<input name="name" autocomplete="name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
        <label>Password<input type="password" name="new-password" autocomplete="new-password" required minlength="10"
          value=${password} onInput=${(e) => setPassword(e.target.value)} /></label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button class="primary" type="submit" disabled=${!token}>Join</button>
      </form>
    </main>`;
}

// ResetPassword: a new password from a reset link, then the login.
function ResetPassword({ onDone }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);
  const token = linkToken();
  const submit = async (e) => {
    e.preventDefault();
    setError('');
    try {
      await post('/password-resets/complete', { token, password });
      setDone(true);
    } catch (err) {
      setError(err.code === 'invalid_token' ? 'This link was used or has expired. Ask an admin for a new one.' : err.message);
    }
  };
  return html`
    <main class="login">
      <form class="card" onSubmit=${submit} aria-labelledby="reset-title">
        <h1 id="reset-title"><span class="logo" aria-hidden="true">◐</span> New password</h1>
        ${done
          ? html`<p>Your password is changed.</p><button class="primary" type="button" onClick=${onDone}>Sign in</button>`
          : html`
            <label>New password<input type="password" name="new-password" autocomplete="new-password" required minlength="10"
              value=${password} onInput=${(e) => setPassword(e.target.value)} /></label>
            ${error && html`<p class="error" role="alert">${error}</p>`}
            <button class="primary" type="submit" disabled=${!token}>Set password</button>`}
      </form>
    </main>`;
}

function Login({ onLogin }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await post('/auth/login', { email, password });
      onLogin(await get('/me'));
    } catch (err) {
      setError(err.code === 'invalid_credentials' ? 'Wrong email or password.' : err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main class="login">
      <form class="card" onSubmit=${submit} aria-labelledby="login-title">
        <h1 id="login-title"><span class="logo" aria-hidden="true">◐</span> Switchboard</h1>
        <p class="muted">Sign in to your inbox</p>
        <label>Email<input type="email" name="email" autocomplete="username" required autofocus
          value=${email} onInput=${(e) => setEmail(e.target.value)} /></label>
        <label>Password<input type="password" name="password" autocomplete="current-password" required
          value=${password} onInput=${(e) => setPassword(e.target.value)} /></label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button class="primary" type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>`;
}

function Inbox({ me, setMe, onLogout }) {
  const op = me.operator;
  const canSeeAll = me.role !== 'operator';
  const views = VIEWS.filter((v) => !v.supervisor || canSeeAll);
  const [view, setView] = useState('unclaimed');
  const [order, setOrder] = useState('newest');
  // A supervisor's or admin's department filter ('' = all), read by the
  // refresh through a ref: the socket's handler keeps the first refresh.
  const [dept, setDept] = useState('');
  const deptRef = useRef('');
  deptRef.current = dept;
  // The priority filter ('' = any), the same way.
  const [prio, setPrio] = useState('');
  const prioRef = useRef('');
  prioRef.current = prio;
  // The tag filter ('' = any), the same way.
  const [tag, setTag] = useState('');
  const tagRef = useRef('');
  tagRef.current = tag;
  const tags = useTags();
  // My notification inbox: the unread count (pushed live) and the last
  // item that arrived (an open panel reloads on it).
  const [unread, setUnread] = useState(0);
  const [lastItem, setLastItem] = useState('');
  // On the Team board, the person whose open conversations the list shows
  // ({id, name}; null: the waiting queue), to reassign them one by one.
  const [person, setPerson] = useState(null);
  const personRef = useRef(null);
  personRef.current = person;
  const [departments, setDepartments] = useState([]);
  const [lists, setLists] = useState({}); // view id -> conversations
  const [counts, setCounts] = useState(null); // the server's queue counts
  const [selected, setSelectedRaw] = useState(null);
  const [settings, setSettings] = useState(false);
  const isAdmin = me.role === 'admin' || me.role === 'owner';
  const designer = isAdmin || !!me.operator.flow_designer;
  // Opening a conversation leaves the settings.
  // The contacts screen, in place of the conversation, like the settings.
  const [people, setPeople] = useState(false);
  // The managers' report, likewise.
  const [reports, setReports] = useState(false);
  const setSelected = (id) => { setSettings(false); setPeople(false); setReports(false); setSelectedRaw(id); };
  const [conn, setConn] = useState('connecting');
  const [toast, setToast] = useState('');
  const [palette, setPalette] = useState(false);
  const paletteOpen = useRef(false);
  paletteOpen.current = palette;
  const [tick, setTick] = useState(0); // bumps when the server says something changed
  const convListeners = useRef(new Set());
  // Conversations offered to me (a department in the offer mode), by id:
  // what the socket said of them, until I answer or the offer lapses.
  const [offers, setOffers] = useState({});

  // Refreshes may overlap (events keep coming); an older one that answers
  // last must not put back what a newer one replaced.
  const generation = useRef(0);
  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    const next = {};
    get('/conversation-counts').then((r) => { if (mine === generation.current) setCounts(r.counts); }, () => {});
    const queries = views.filter((v) => v.query);
    if (personRef.current) queries.push({ id: 'person', query: `status=open&assignee_id=${personRef.current.id}` });
    await Promise.all(queries.map(async (v) => {
      try {
        const f = (deptRef.current ? `&department_id=${deptRef.current}` : '') + (prioRef.current ? `&priority=${prioRef.current}` : '')
          + (tagRef.current ? `&tag_id=${tagRef.current}` : '');
        const r = await get(`/conversations?${v.query}${f}&limit=100`);
        next[v.id] = r.conversations;
      } catch (err) {
        if (err.status === 401) onLogout();
      }
    }));
    if (mine === generation.current) setLists(next);
  }, [me.role]);

  useEffect(() => {
    if (canSeeAll) get('/departments').then((r) => setDepartments(r.departments), () => {});
  }, []);
  const firstFilter = useRef(true);
  useEffect(() => {
    if (firstFilter.current) { firstFilter.current = false; return; }
    refresh();
  }, [dept, prio, tag, person]);

  // Live: one socket; events refresh the lists (debounced) and reach the
  // open conversation.
  useEffect(() => {
    refresh();
    get('/notifications/unread-count').then((r) => setUnread(r.unread), () => {});
    let timer = 0;
    const soon = () => { clearTimeout(timer); timer = setTimeout(() => { refresh(); setTick((t) => t + 1); }, 120); };
    const socket = new Socket({
      onEvent: (frame) => {
        for (const fn of convListeners.current) fn(frame);
        if (frame.type === 'conversation.updated' && frame.data && frame.data.event) {
          const ev = frame.data.event;
          if (ev.type === 'escalated' && canSeeAll) {
            const c = frame.data.conversation || {};
            const min = Math.max(1, Math.round(((ev.data && ev.data.waited_seconds) || 0) / 60));
            setToast(`Unclaimed for ${min} min: ${c.subject || c.last_message_preview || 'a conversation'}`);
          }
          const mine = ev.type === 'offered' && ev.data && ev.data.operator_id === op.id;
          setOffers((o) => {
            if (mine) return { ...o, [frame.conversation_id]: { conv: frame.data.conversation, expiresAt: Date.parse(ev.data.expires_at) } };
            if (!o[frame.conversation_id]) return o;
            const next = { ...o };
            delete next[frame.conversation_id];
            return next;
          });
        }
        if (frame.type === 'notification.created' && frame.data) {
          const n = frame.data.notification;
          setUnread(frame.data.unread);
          if (n) {
            setLastItem(n.id);
            loadPeople().then((everyone) => setToast(notificationLine(n, everyone) + (n.preview ? ': ' + n.preview : '')));
          }
        } else if (frame.type === 'notifications.changed' && frame.data) {
          setUnread(frame.data.unread);
          setLastItem(String(Date.now()));
        } else if (frame.type === 'tags.changed' && frame.data) {
          setTags(frame.data.tags);
        }
        if (frame.type === 'message.created' || frame.type === 'conversation.updated' || frame.type === 'operator.status' || frame.type === 'tags.changed') soon();
      },
      onState: setConn,
      onResync: () => { soon(); for (const fn of convListeners.current) fn({ type: 'resync' }); },
      onClosed: () => onLogout(),
    });
    const online = () => socket.reconnectNow();
    window.addEventListener('online', online);
    return () => { socket.close(); clearTimeout(timer); window.removeEventListener('online', online); };
  }, []);

  const list = useMemo(() => {
    // The Team view lists the queue beside the board, the longest waiting first.
    const l = [...(lists[view === 'team' ? (person ? 'person' : 'unclaimed') : view] || [])];
    if (view === 'team' && !person) l.sort((a, b) => Date.parse(a.queued_at || a.created_at) - Date.parse(b.queued_at || b.created_at));
    else if (order === 'waiting') l.sort((a, b) => Date.parse(a.last_activity_at) - Date.parse(b.last_activity_at));
    return l;
  }, [lists, view, order, person]);

  // Keyboard first: j/k (or Alt+J/K) move, Enter opens, c claims, r replies.
  // The handler is registered once and reads the list as rendered now (a
  // ref), so a key pressed the moment a conversation appears finds it.
  const current = useRef({ list, selected });
  current.current = { list, selected };
  useEffect(() => {
    const onKey = (e) => {
      const { list, selected } = current.current;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setPalette((open) => !open);
        return;
      }
      // Esc closes the palette wherever the focus is (a key may come
      // before its input has it); the palette takes the other keys.
      if (paletteOpen.current) {
        if (e.key === 'Escape') { e.preventDefault(); setPalette(false); }
        return;
      }
      const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
      const key = e.key.toLowerCase();
      if (typing && !(e.altKey && (key === 'j' || key === 'k'))) {
        if (e.key === 'Escape') e.target.blur();
        return;
      }
      if (e.ctrlKey || e.metaKey) return;
      const idx = list.findIndex((c) => c.id === selected);
      if (key === 'j' || key === 'k') {
        e.preventDefault();
        const n = list.length;
        if (!n) return;
        const next = key === 'j' ? Math.min(n - 1, idx + 1) : Math.max(0, idx - 1);
        setSelected(list[next].id);
        document.getElementById('conv-' + list[next].id)?.focus();
      } else if (key === 'c') {
        document.getElementById('action-claim')?.click();
      } else if (key === 'r') {
        // Focused on key up, so the r itself is not typed into the reply.
        e.preventDefault();
        window.addEventListener('keyup', () => document.getElementById('compose')?.focus(), { once: true });
      } else if (key === 'e') {
        document.getElementById('action-resolve')?.click();
      } else if (key === 's') {
        document.getElementById('action-snooze')?.click();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const setStatus = async (status) => {
    try {
      const r = await put('/me/status', { status });
      setMe({ ...me, operator: r.operator });
    } catch (err) { setToast(err.message); }
  };
  const logout = async () => {
    try { await post('/auth/logout'); } catch { /* the session is gone either way */ }
    onLogout();
  };
  // The tabs' counts come from the server's counters (true past the 100
  // loaded); until they arrive, from the loaded lists.
  const count = (id) => {
    if (id === 'team') return '';
    if (prio || tag) {
      // No counter per priority or tag: what the filtered list holds.
    } else if (counts && dept) {
      const d = counts.departments.find((x) => x.department_id === dept) || { open: 0, unclaimed: 0, snoozed: 0 };
      const n = id === 'unclaimed' ? d.unclaimed : id === 'all' ? d.open : id === 'snoozed' ? d.snoozed : null;
      if (n !== null) return n.toLocaleString();
    } else if (counts) {
      const n = id === 'mine' ? counts.mine.open : id === 'unclaimed' ? counts.unclaimed : id === 'all' ? counts.all.open : id === 'snoozed' ? counts.all.snoozed : null;
      if (n !== null) return n.toLocaleString();
    }
    const n = (lists[id] || []).length;
    return n >= 100 ? '99+' : String(n);
  };

  // commands are what the palette offers, now: views, the open
  // conversation's actions, my status, and the conversations loaded.
  const commands = () => {
    const click = (id) => () => document.getElementById(id)?.click();
    const out = views.map((v) => ({ label: 'Go to ' + v.label, run: () => setView(v.id) }));
    if (selected) {
      out.push(
        { label: 'Claim this conversation', hint: 'c', run: click('action-claim') },
        { label: 'Reply', hint: 'r', run: () => document.getElementById('compose')?.focus() },
        { label: 'Snooze…', hint: 's', run: click('action-snooze') },
        { label: 'Resolve…', hint: 'e', run: click('action-resolve') },
        { label: 'Reopen', run: click('action-reopen') },
        { label: 'Wake now', run: click('action-wake') },
        { label: 'Transfer…', run: click('action-transfer') },
      );
    }
    for (const st of ['online', 'away', 'offline']) {
      out.push({ label: 'Set my status: ' + st[0].toUpperCase() + st.slice(1), run: () => setStatus(st) });
    }
    const seen = new Set();
    for (const v of views) {
      for (const c of lists[v.id] || []) {
        if (seen.has(c.id)) continue;
        seen.add(c.id);
        const name = c.subject || 'Visitor ' + shortID(c.visitor_id);
        out.push({ label: 'Open ' + name + ' — ' + (c.last_message_preview || ''), run: () => setSelected(c.id) });
      }
    }
    out.push({ label: 'Open contacts', run: () => { setSettings(false); setReports(false); setPeople(true); } });
    if (canSeeAll) out.push({ label: 'Open the service level report', run: () => { setSettings(false); setPeople(false); setReports(true); } });
    if (designer) out.push({ label: isAdmin ? 'Open settings: inboxes, departments, bot flows' : 'Open settings: bot flows', run: () => setSettings(true) });
    out.push({ label: 'Log out', run: logout });
    return out;
  };

  return html`
    <div class="shell">
      <header class="top">
        <span class="brand"><span class="logo" aria-hidden="true">◐</span> Switchboard</span>
        <span class=${'conn ' + conn} role="status" aria-live="polite">${conn === 'live' ? 'Live' : conn === 'connecting' ? 'Connecting…' : 'Offline, retrying…'}</span>
        <span class="spacer"></span>
        <${Notifications} unread=${unread} setUnread=${setUnread} lastItem=${lastItem} onOpen=${setSelected} toast=${setToast} />
        <label class="status-pick">
          <span class=${'dot ' + op.status} aria-hidden="true"></span>
          <select aria-label="My status" value=${op.status} onChange=${(e) => setStatus(e.target.value)}>
            <option value="online">Online</option>
            <option value="away">Away</option>
            <option value="offline">Offline</option>
          </select>
        </label>
        <button id="open-contacts" class="ghost" aria-pressed=${people} onClick=${() => { setSettings(false); setReports(false); setPeople(!people); }}>Contacts</button>
        ${canSeeAll && html`<button id="open-reports" class="ghost" aria-pressed=${reports} onClick=${() => { setSettings(false); setPeople(false); setReports(!reports); }}>Reports</button>`}
        ${designer && html`<button id="open-settings" class="ghost" aria-pressed=${settings} onClick=${() => { setPeople(false); setReports(false); setSettings(!settings); }}>Settings</button>`}
        <span class="who" title=${op.email}>${op.name}</span>
        <button class="ghost" onClick=${logout}>Log out</button>
      </header>
      <nav class="queue" aria-label="Conversations">
        <div class="tabs" role="tablist">
          ${views.map((v) => html`
            <button role="tab" aria-selected=${view === v.id} class=${view === v.id ? 'tab on' : 'tab'}
              onClick=${() => { setView(v.id); if (v.id === 'team') setSelected(null); }}>${v.label} <span class="count">${count(v.id)}</span></button>`)}
        </div>
        <div class="queue-tools">
          ${canSeeAll && departments.length > 0 && html`
            <label>Department <select id="department-filter" value=${dept} onChange=${(e) => setDept(e.target.value)}>
              <option value="">All</option>
              ${departments.map((d) => html`<option value=${d.id}>${d.name}</option>`)}
            </select></label>`}
          <label>Priority <select id="priority-filter" value=${prio} onChange=${(e) => setPrio(e.target.value)}>
            <option value="">Any</option>
            ${['urgent', 'high', 'normal', 'low'].map((p) => html`<option value=${p}>${p[0].toUpperCase() + p.slice(1)}</option>`)}
          </select></label>
          ${tags.length > 0 && html`<label>Tag <select id="tag-filter" value=${tag} onChange=${(e) => setTag(e.target.value)}>
            <option value="">Any</option>
            ${tags.map((t) => html`<option value=${t.id}>${t.name}</option>`)}
          </select></label>`}
          ${view !== 'team' && html`<label>Order <select value=${order} onChange=${(e) => setOrder(e.target.value)}>
            <option value="newest">Newest activity</option>
            <option value="waiting">Longest waiting</option>
          </select></label>`}
        </div>
        ${view === 'team' && (person
          ? html`<p class="list-note muted">${person.name}'s open conversations · <button class="link" id="show-queue" onClick=${() => setPerson(null)}>Show the queue</button></p>`
          : html`<p class="list-note muted">Waiting, the longest first</p>`)}
        <ul class="list">
          ${list.length === 0 && html`<li class="empty">Nothing here. New conversations appear on their own.</li>`}
          ${list.map((c) => html`
            <li key=${c.id}>
              <button id=${'conv-' + c.id} class=${'item' + (c.id === selected ? ' on' : '')}
                aria-current=${c.id === selected ? 'true' : undefined} onClick=${() => setSelected(c.id)}>
                <span class="line1">
                  <span class="name">${c.subject || 'Visitor ' + shortID(c.visitor_id)}</span>
                  <time datetime=${c.last_activity_at}>${relTime(c.last_activity_at)}</time>
                </span>
                <span class="preview">${c.last_message_preview || 'No messages yet'}</span>
                <span class="tags">
                  ${c.priority !== 'normal' && html`<span class=${'pill ' + c.priority}>${c.priority}</span>`}
                  ${c.status === 'open' && c.phase === 'bot' && html`<span class="pill bot">with the bot</span>`}
                  ${c.assignee_id === op.id && html`<span class="pill mine">Mine</span>`}
                  <${SLAPill} sla=${c.status === 'resolved' ? null : c.sla} />
                  ${c.status !== 'open' && html`<span class="pill">${c.status}</span>`}
                  <${TagChips} ids=${c.tag_ids} all=${tags} />
                </span>
              </button>
            </li>`)}
        </ul>
      </nav>
      ${settings
        ? html`<${Settings} toast=${setToast} admin=${isAdmin} />`
        : reports
        ? html`<${Reports} toast=${setToast} onOpen=${setSelected} />`
        : people
        ? html`<${Contacts} toast=${setToast}
            renderProfile=${(ct, onContact) => html`<${ContactProfile} key=${ct.id} contact=${ct} me=${op} toast=${setToast} onContact=${onContact} />`} />`
        : selected
        ? html`<${Conversation} key=${selected} id=${selected} me=${op} manager=${canSeeAll} tick=${tick} listeners=${convListeners.current} toast=${setToast} onOpen=${setSelected} />`
        : view === 'team'
        ? html`<${Board} tick=${tick} toast=${setToast} onOpenQueue=${(id) => { setPerson(null); setDept(id); }}
            onShowPerson=${(p) => setPerson({ id: p.id, name: p.name })} />`
        : html`<main class="pane placeholder"><p>Select a conversation, press <kbd>j</kbd> and <kbd>k</kbd> to move through the queue, or <kbd>Ctrl</kbd> <kbd>K</kbd> for commands.</p></main>`}
      ${Object.keys(offers).length > 0 && html`<${Offers} offers=${offers} toast=${setToast}
        onAnswered=${(id, accepted) => {
          setOffers((o) => { const next = { ...o }; delete next[id]; return next; });
          if (accepted) setSelected(id);
        }} />`}
      ${toast && html`<div class="toast" role="alert" onClick=${() => setToast('')}>${toast}</div>`}
      ${palette && html`<${Palette} close=${() => setPalette(false)} commands=${commands()} />`}
    </div>`;
}

// Offers are the conversations offered to me, each with the time left to
// answer: Accept makes it mine and opens it; Decline passes it on.
function Offers({ offers, toast, onAnswered }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const answer = async (id, verb) => {
    try {
      await post(`/conversations/${id}/offer/${verb}`);
      onAnswered(id, verb === 'accept');
    } catch (err) { toast(err.message); onAnswered(id, false); }
  };
  const live = Object.entries(offers).filter(([, o]) => o.expiresAt > now);
  if (!live.length) return null;
  return html`
    <aside class="offers" aria-label="Offered to you">
      ${live.map(([id, o]) => html`
        <section class="offer card" key=${id} aria-label="Offered conversation">
          <p class="what"><strong>${o.conv.subject || 'A visitor'}</strong> is waiting for you</p>
          <p class="preview">${o.conv.last_message_preview || 'No messages yet'}</p>
          <div class="row">
            <button class="primary accept-offer" onClick=${() => answer(id, 'accept')}>Accept</button>
            <button class="decline-offer" onClick=${() => answer(id, 'decline')}>Decline</button>
            <span class="muted left" aria-live="off">${Math.max(0, Math.ceil((o.expiresAt - now) / 1000))} s</span>
          </div>
        </section>`)}
    </aside>`;
}

// Palette is the command palette (Ctrl/⌘+K): type to filter, arrows to
// move, Enter to run, Esc to close. Every label is text.
function Palette({ close, commands }) {
  const [query, setQuery] = useState('');
  const [at, setAt] = useState(0);
  const input = useRef(null);
  useEffect(() => { input.current?.focus(); }, []);

  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  // Best first: a label that starts with what was typed, then one with a
  // word that does, then any that contains it.
  const score = (label) => {
    const l = label.toLowerCase();
    const q = words.join(' ');
    if (!q || l.startsWith(q)) return 0;
    return l.split(/\s+/).some((w) => w.startsWith(words[0])) ? 1 : 2;
  };
  const shown = commands
    .filter((c) => words.every((w) => c.label.toLowerCase().includes(w)))
    .map((c, i) => ({ c, i, s: score(c.label) }))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .map((x) => x.c)
    .slice(0, 12);
  const pick = Math.min(at, Math.max(0, shown.length - 1));
  const run = (c) => { close(); if (c) c.run(); };
  const onKey = (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); setAt(Math.min(pick + 1, shown.length - 1)); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); setAt(Math.max(pick - 1, 0)); }
    else if (e.key === 'Enter') { e.preventDefault(); run(shown[pick]); }
  };
  return html`
    <div class="palette-back" onClick=${close}>
      <div class="palette" role="dialog" aria-modal="true" aria-label="Command palette" onClick=${(e) => e.stopPropagation()}>
        <input ref=${input} id="palette-input" type="text" placeholder="Type a command or a conversation…"
          aria-label="Command" aria-controls="palette-list" aria-activedescendant=${shown.length ? 'palette-' + pick : undefined}
          value=${query} onInput=${(e) => { setQuery(e.target.value); setAt(0); }} onKeyDown=${onKey} />
        <ul id="palette-list" role="listbox" aria-label="Commands">
          ${shown.length === 0 && html`<li class="empty">No command matches.</li>`}
          ${shown.map((c, i) => html`
            <li key=${c.label} id=${'palette-' + i} role="option" aria-selected=${i === pick}
              class=${i === pick ? 'on' : ''} onMouseMove=${() => setAt(i)} onClick=${() => run(c)}>
              <span>${c.label}</span>${c.hint && html`<kbd>${c.hint}</kbd>`}
            </li>`)}
        </ul>
      </div>
    </div>`;
}

const drafts = new Map();

function Conversation({ id, me, manager, tick, listeners, toast, onOpen }) {
  const [conv, setConv] = useState(null);
  const [events, setEvents] = useState([]);
  const [messages, setMessages] = useState([]);
  const [missing, setMissing] = useState(false);
  const [menu, setMenu] = useState('');
  const [draft, setDraft] = useState(drafts.get(id) || '');
  const [contact, setContact] = useState(null);
  const [side, setSide] = useState('context'); // the right pane's tab
  const [notes, setNotes] = useState([]); // private notes, by seq
  const [mode, setMode] = useState(''); // the composer's: reply or note ('' until chosen)
  const types = useResolutionTypes();
  const tags = useTags();
  const everyone = usePeople();
  const admin = me.role === 'admin' || me.role === 'owner';
  const bottom = useRef(null);
  const lastSeq = useRef(0);

  const [hasOlder, setHasOlder] = useState(false);
  const loadingOlder = useRef(false);
  const PAGE = 100;

  // Opening reads the last page of history; later loads catch up on what
  // came after the newest message held.
  const loadMessages = useCallback(async (c) => {
    if (lastSeq.current === 0) {
      const r = await get(`/conversations/${id}/messages?before_seq=${c.last_seq + 1}&limit=${PAGE}`);
      setHasOlder(r.messages.length === PAGE && r.messages[0].seq > 1);
      if (r.messages.length) lastSeq.current = r.messages[r.messages.length - 1].seq;
      setMessages((old) => merge(old, r.messages));
    }
    for (;;) {
      const r = await get(`/conversations/${id}/messages?after_seq=${lastSeq.current}&limit=${PAGE}`);
      if (!r.messages.length) return;
      lastSeq.current = r.messages[r.messages.length - 1].seq;
      setMessages((old) => merge(old, r.messages));
      if (r.messages.length < PAGE) return;
    }
  }, [id]);
  const load = useCallback(async () => {
    try {
      const r = await get(`/conversations/${id}`);
      setConv(r.conversation);
      setEvents(r.events || []);
      const n = await get(`/conversations/${id}/notes?after_seq=0&limit=500`);
      setNotes(n.notes.map((x) => ({ ...x, note: true })));
      await loadMessages(r.conversation);
    } catch (err) {
      if (err.status === 404) setMissing(true); else toast(err.message);
    }
  }, [id]);
  // Scrolling near the top fetches the page before the oldest message
  // held, keeping what is on screen where it was.
  const onScroll = async (e) => {
    const el = e.currentTarget;
    if (el.scrollTop > 120 || !hasOlder || loadingOlder.current || !messages.length) return;
    loadingOlder.current = true;
    try {
      const r = await get(`/conversations/${id}/messages?before_seq=${messages[0].seq}&limit=${PAGE}`);
      const before = el.scrollHeight;
      setHasOlder(r.messages.length === PAGE && r.messages[0].seq > 1);
      setMessages((old) => merge(old, r.messages));
      requestAnimationFrame(() => { el.scrollTop += el.scrollHeight - before; });
    } catch (err) {
      toast(err.message);
    } finally {
      loadingOlder.current = false;
    }
  };

  useEffect(() => { load(); }, [id, tick]);
  // The customer, when the site vouched for who the visitor is.
  const contactID = conv && conv.contact_id;
  useEffect(() => {
    setContact(null);
    if (contactID) get(`/contacts/${contactID}`).then((r) => setContact(r.contact)).catch(() => {});
  }, [contactID]);
  useEffect(() => {
    const fn = (frame) => {
      if (frame.type === 'resync') { load(); return; }
      if (frame.conversation_id !== id) return;
      if (frame.type === 'message.created' && frame.data) {
        setMessages((old) => merge(old, [frame.data]));
        lastSeq.current = Math.max(lastSeq.current, frame.data.seq);
        // Counted once: a repeated event carries a seq already seen.
        setConv((c) => (c && frame.data.seq > c.last_seq
          ? { ...c, last_seq: frame.data.seq, message_count: c.message_count + 1 } : c));
      } else if (frame.type === 'conversation.updated' && frame.data) {
        setConv(frame.data.conversation);
        if (frame.data.event) setEvents((old) => merge(old, [frame.data.event]));
      } else if ((frame.type === 'note.created' || frame.type === 'note.updated') && frame.data) {
        setNotes((old) => merge(old, [{ ...frame.data, note: true }]));
      } else if (frame.type === 'note.deleted' && frame.data) {
        setNotes((old) => old.filter((x) => x.id !== frame.data.id));
      }
    };
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, [id]);
  // Follow the newest message, not a page of older ones coming in.
  const newest = messages.length ? messages[messages.length - 1].seq : 0;
  useEffect(() => { bottom.current?.scrollIntoView({ block: 'end' }); }, [newest, events.length, notes.length]);

  if (missing) return html`<main class="pane placeholder"><p>This conversation is not visible to you any more.</p></main>`;
  if (!conv) return html`<main class="pane placeholder"><p>Loading…</p></main>`;

  const mine = conv.assignee_id === me.id;
  const act = async (path, body) => {
    setMenu('');
    try {
      const r = await post(`/conversations/${id}/${path}`, body);
      if (r && r.conversation) setConv(r.conversation);
    } catch (err) { toast(err.message); }
  };
  const send = async () => {
    const body = draft.trim();
    if (!body) return;
    setDraft('');
    drafts.delete(id);
    try {
      const r = await post(`/conversations/${id}/messages`, { body, idempotency_key: crypto.randomUUID() });
      setMessages((old) => merge(old, [r.message]));
    } catch (err) {
      setDraft(body);
      toast(err.message);
    }
  };
  const addNote = async () => {
    const body = draft.trim();
    if (!body) return;
    setDraft('');
    drafts.delete(id);
    try {
      const r = await post(`/conversations/${id}/notes`, { body, idempotency_key: crypto.randomUUID() });
      setNotes((old) => merge(old, [{ ...r.note, note: true }]));
    } catch (err) {
      setDraft(body);
      toast(err.message);
    }
  };
  const tagOn = async (t, add) => {
    try {
      const r = await call(add ? 'PUT' : 'DELETE', `/conversations/${id}/tags/${t.id}`);
      setConv(r.conversation);
      if (r.event) setEvents((old) => merge(old, [r.event]));
    } catch (err) { toast(err.message); }
  };
  const canReply = mine && conv.status !== 'resolved';
  const writing = canReply ? mode || 'reply' : 'note';
  const timeline = merge(merge(messages, events.map((e) => ({ ...e, event: true }))), notes);
  // The bot's last handoff: its reason, note and what it gathered, and the
  // nodes it passed, where people can hand the conversation back.
  const handoff = [...events].reverse().find((e) => e.type === 'handed_off' && e.data && e.data.flow_id);
  const backNodes = conv.flow_id && conv.status === 'open' && conv.phase !== 'bot' && handoff
    ? [...new Set([...(handoff.data.path || [])].reverse())] : [];
  const fields = Object.entries(conv.fields || {});
  const times = conv.times || {};
  const setPriority = (p) => { if (p !== conv.priority) act('priority', { priority: p }); };

  return html`
    <main class="pane conversation" aria-label="Conversation">
      <header class="conv-head">
        <div>
          <h2>${conv.subject || (contact && contact.name) || 'Visitor ' + shortID(conv.visitor_id)}</h2>
          <p class="muted">${conv.status}${conv.phase === 'bot' && conv.status === 'open' ? ' · with the bot' : conv.assignee_id ? (mine ? ' · assigned to you' : ' · assigned') : ' · unclaimed'}</p>
        </div>
        <div class="actions">
          ${conv.status === 'open' && !mine && html`<button id="action-claim" class="primary" onClick=${() => act('claim')}>${conv.phase === 'bot' ? 'Take over' : 'Claim'} <kbd>c</kbd></button>`}
          ${backNodes.length > 0 && html`
            <span class="menu-wrap">
              <button id="action-hand-back" aria-haspopup="menu" aria-expanded=${menu === 'back'} onClick=${() => setMenu(menu === 'back' ? '' : 'back')}>Back to bot</button>
              ${menu === 'back' && html`<div class="menu" role="menu" aria-label="Hand back to the bot at">
                <p class="menu-title muted">The bot goes on at</p>
                ${backNodes.map((n) => html`<button role="menuitem" key=${n} onClick=${() => act('hand-back', { node: n })}>${n}</button>`)}
              </div>`}
            </span>`}
          ${conv.status === 'open' && html`
            <span class="menu-wrap">
              <button id="action-snooze" aria-haspopup="menu" aria-expanded=${menu === 'snooze'} onClick=${() => setMenu(menu === 'snooze' ? '' : 'snooze')}>Snooze <kbd>s</kbd></button>
              ${menu === 'snooze' && html`<${SnoozeMenu} onPick=${(body) => act('snooze', body)} onClose=${() => setMenu('')} />`}
            </span>
            <span class="menu-wrap">
              <button id="action-resolve" aria-haspopup="dialog" aria-expanded=${menu === 'resolve'} onClick=${() => setMenu(menu === 'resolve' ? '' : 'resolve')}>Resolve <kbd>e</kbd></button>
              ${menu === 'resolve' && html`<${ResolveForm} onResolve=${(body) => act('resolve', body)} onClose=${() => setMenu('')} />`}
            </span>`}
          ${conv.status !== 'resolved' && manager && html`
            <span class="menu-wrap">
              <button id="action-transfer" aria-haspopup="dialog" aria-expanded=${menu === 'transfer'} onClick=${() => setMenu(menu === 'transfer' ? '' : 'transfer')}>Transfer</button>
              ${menu === 'transfer' && html`<${TransferForm} conv=${conv} toast=${toast} onTransfer=${(body) => act('transfer', body)} onClose=${() => setMenu('')} />`}
            </span>`}
          ${conv.status === 'snoozed' && html`<button id="action-wake" onClick=${() => act('wake')}>Wake now</button>`}
          ${conv.status === 'resolved' && html`<button id="action-reopen" onClick=${() => act('reopen')}>Reopen</button>`}
        </div>
      </header>
      <ol class="timeline" aria-live="polite" onScroll=${onScroll}>
        ${hasOlder && html`<li class="event">Scroll up for older messages</li>`}
        ${timeline.map((item) => item.note
          ? html`<${NoteItem} key=${'n' + item.id} note=${item} convID=${id} me=${me} admin=${admin} everyone=${everyone} toast=${toast} />`
          : item.event
          ? html`<li key=${'e' + item.seq} class="event">${eventLine(item)} · <time datetime=${item.created_at}>${relTime(item.created_at)}</time></li>`
          : html`<li key=${'m' + item.seq} class=${'msg ' + item.sender_type + (item.sender_id === me.id ? ' me' : '')}>
              <span class="who">${senderLabel(item, me)}</span>
              <p class="body">${item.body}</p>
              ${item.quick_replies && html`<p class="quick">${item.quick_replies.map((q) => html`<span key=${q}>${q}</span>`)}</p>`}
              <time datetime=${item.created_at}>${relTime(item.created_at)}</time>
            </li>`)}
        <li ref=${bottom} class="end" aria-hidden="true"></li>
      </ol>
      <${Composer} mode=${writing} setMode=${setMode} canReply=${canReply} draft=${draft}
        setDraft=${(v) => { setDraft(v); drafts.set(id, v); }} onSend=${send} onNote=${addNote} />
    </main>
    <aside class="pane context" aria-label=${side === 'context' ? 'Context' : 'Customer'}>
      <div class="side-tabs" role="tablist" aria-label="Conversation details">
        <button role="tab" id="tab-context" aria-selected=${side === 'context'} class=${side === 'context' ? 'on' : ''} onClick=${() => setSide('context')}>Context</button>
        <button role="tab" id="tab-customer" aria-selected=${side === 'customer'} class=${side === 'customer' ? 'on' : ''} onClick=${() => setSide('customer')}>Customer</button>
      </div>
      ${side === 'customer'
        ? html`<${Customer} conv=${conv} contact=${contact} me=${me} tick=${tick} types=${types} toast=${toast} onOpen=${onOpen}
            onContact=${setContact} />`
        : html`<div role="tabpanel" aria-labelledby="tab-context">
      ${conv.sla && conv.status !== 'resolved' && html`<${SLAClocks} sla=${conv.sla} />`}
      <dl>
        <dt>Status</dt><dd>${conv.status}${conv.snoozed_until ? ' until ' + new Date(conv.snoozed_until).toLocaleString() : ''}${conv.snooze_until_reply ? ' until the customer replies' : ''}</dd>
        <dt><label for="priority">Priority</label></dt>
        <dd>${conv.status === 'resolved' ? conv.priority : html`<select id="priority" class=${'priority ' + conv.priority} value=${conv.priority}
          onChange=${(e) => setPriority(e.target.value)}>
          ${['low', 'normal', 'high', 'urgent'].map((p) => html`<option value=${p} selected=${p === conv.priority}>${p}</option>`)}
        </select>`}</dd>
        <dt>Tags</dt><dd class="tags-cell">
          <${TagChips} ids=${conv.tag_ids} all=${tags} onRemove=${(t) => tagOn(t, false)} />
          <${TagPicker} have=${conv.tag_ids} onAdd=${(t) => tagOn(t, true)} toast=${toast} />
        </dd>
        <dt>Phase</dt><dd>${conv.phase}</dd>
        <dt>Messages</dt><dd>${conv.message_count}</dd>
        <dt>Started</dt><dd>${new Date(conv.created_at).toLocaleString()}</dd>
        ${conv.resolution && html`<dt>Resolution</dt><dd>${resolutionName(types, conv.resolution)}</dd>`}
        ${conv.status === 'open' && conv.phase === 'queued' && conv.queued_at && html`<dt>Waiting</dt><dd class="waiting-now">${duration((Date.now() - Date.parse(conv.queued_at)) / 1000)}</dd>`}
        ${times.wait_seconds != null && html`<dt>Waited</dt><dd>${duration(times.wait_seconds)}</dd>`}
        ${times.first_response_seconds != null && html`<dt>First reply</dt><dd>${duration(times.first_response_seconds)}</dd>`}
        ${times.handle_seconds != null && html`<dt>Handled in</dt><dd>${duration(times.handle_seconds)}</dd>`}
        ${conv.resolution_notes && html`<dt>Notes</dt><dd>${conv.resolution_notes}</dd>`}
        ${contact && html`<dt>Customer</dt><dd class="customer">${contact.name || contact.external_id}${contact.email && html`<br /><span class="muted">${contact.email}</span>`}</dd>`}
        <dt>Visitor</dt><dd class="mono">${shortID(conv.visitor_id)}</dd>
      </dl>
      ${(handoff || fields.length > 0) && html`
        <h3>From the bot</h3>
        <dl class="bot-card">
          ${handoff && html`<dt>Handoff</dt><dd>${(handoff.reason || '').replace(/_/g, ' ')}</dd>`}
          ${handoff && handoff.data.note && html`<dt>Note</dt><dd>${handoff.data.note}</dd>`}
          ${fields.map(([k, v]) => html`<dt key=${'k' + k}>${k}</dt><dd key=${'v' + k}>${v}</dd>`)}
        </dl>`}
      </div>`}
    </aside>`;
}

// useNow re-renders every `every` ms while on, for countdowns.
function useNow(on, every = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return undefined;
    const t = setInterval(() => setNow(Date.now()), every);
    return () => clearInterval(t);
  }, [on, every]);
  return now;
}

// SLAPill is a queue row's service level: a red badge once a clock has
// breached, else the time left on the next deadline (amber when short).
function SLAPill({ sla }) {
  const now = useNow(!!(sla && !sla.breached && sla.next_deadline), 15000);
  if (!sla) return null;
  if (sla.breached) return html`<span class="pill sla late" title=${'SLA breached · ' + sla.policy_name}>SLA breached</span>`;
  const next = (sla.clocks || []).find((c) => c.deadline && c.deadline === sla.next_deadline);
  if (!next) return null;
  const cd = slaCountdown(next, now);
  return html`<span class=${'pill sla ' + cd.tone} title=${`${METRICS[next.metric]} · ${sla.policy_name}`}>SLA ${cd.text.replace(' left', '')}</span>`;
}

// SLAClocks is the context card's service level: each running clock of
// the conversation's policy counting down, live.
function SLAClocks({ sla }) {
  const clocks = sla.clocks || [];
  const now = useNow(clocks.some((c) => c.deadline || c.breached_at));
  return html`<section class="sla-card" aria-label=${'Service level: ' + sla.policy_name}>
    <h3>Service level <span class="muted">· ${sla.policy_name}</span></h3>
    <ul class="sla-clocks">
    ${clocks.map((c) => {
      const cd = slaCountdown(c, now);
      return html`<li key=${c.metric + c.cycle} class=${'sla-clock ' + cd.tone}>
        <span class="metric">${METRICS[c.metric] || c.metric}${c.business_hours ? html` <abbr title="Counted in business hours">BH</abbr>` : ''}</span>
        <span class="left">${cd.text}</span>
        <span class="bar" aria-hidden="true"><span style=${`width:${Math.round(100 * cd.used)}%`}></span></span>
      </li>`;
    })}
    </ul>
  </section>`;
}

// Customer is the right pane's second tab: who the customer is (their
// contact, or an anonymous visitor), the admins' CS notes on them, and
// their other conversations, newest first, to open.
function Customer({ conv, contact, me, tick, types, toast, onOpen, onContact }) {
  const [history, setHistory] = useState(null);
  useEffect(() => {
    get(`/conversations/${conv.id}/history`).then((r) => setHistory(r.conversations), () => setHistory([]));
  }, [conv.id, tick]);
  return html`
    <div role="tabpanel" aria-labelledby="tab-customer" class="customer-tab">
      ${contact
        ? html`<${ContactProfile} key=${contact.id} contact=${contact} me=${me} toast=${toast} onContact=${onContact} />`
        : html`<p class="muted">An anonymous visitor (${shortID(conv.visitor_id)}): the site has not told us who they are.</p>`}
      <h3>Past conversations</h3>
      ${history === null && html`<p class="muted">Loading…</p>`}
      ${history && history.length === 0 && html`<p class="muted">None before this one.</p>`}
      ${history && history.length > 0 && html`
        <ul class="history">
          ${history.map((c) => html`
            <li key=${c.id}>
              <button class="history-item" onClick=${() => onOpen(c.id)}>
                <span class="line1"><span class="name">${c.subject || c.last_message_preview || 'No messages'}</span>
                  <time datetime=${c.created_at}>${new Date(c.created_at).toLocaleDateString()}</time></span>
                <span class="muted">${[
                  c.status === 'resolved' ? 'Resolved' : c.status[0].toUpperCase() + c.status.slice(1),
                  c.resolution && resolutionName(types, c.resolution),
                  `${c.message_count} ${c.message_count === 1 ? 'message' : 'messages'}`,
                ].filter(Boolean).join(' · ')}</span>
              </button>
            </li>`)}
        </ul>`}
    </div>`;
}

// ContactProfile is who a customer is: the profile, attributes and tags,
// the team's comments, and the admins' CS notes. The Customer tab and the
// contacts screen show it.
function ContactProfile({ contact, me, toast, onContact }) {
  const [notes, setNotes] = useState(null); // null: unchanged from the contact's
  const admin = me.role === 'admin' || me.role === 'owner';
  const tags = useTags();
  // The workspace's attribute names, for the profile's labels.
  const [defs, setDefs] = useState([]);
  useEffect(() => { get('/contact-attributes').then((r) => setDefs(r.attributes), () => {}); }, []);
  const attrName = (k) => (defs.find((d) => d.key === k) || { name: k.replace(/_/g, ' ') }).name;
  const tagContact = async (t, add) => {
    try {
      const r = await call(add ? 'PUT' : 'DELETE', `/contacts/${contact.id}/tags/${t.id}`);
      onContact(r.contact);
    } catch (err) { toast(err.message); }
  };
  const saveNotes = async (e) => {
    e.preventDefault();
    try {
      const r = await call('PATCH', `/contacts/${contact.id}`, { cs_notes: notes });
      onContact(r.contact);
      setNotes(null);
      toast('Notes saved');
    } catch (err) { toast(err.message); }
  };
  return html`
    <dl>
      <dt>Name</dt><dd>${contact.name || '—'}</dd>
      ${contact.email && html`<dt>Email</dt><dd class="wrap">${contact.email}</dd>`}
      ${contact.phone && html`<dt>Phone</dt><dd class="wrap">${contact.phone}</dd>`}
      ${contact.external_id && html`<dt>Their id</dt><dd class="mono wrap">${contact.external_id}</dd>`}
      <dt>Customer since</dt><dd>${new Date(contact.created_at).toLocaleDateString()}</dd>
      ${contact.last_seen_at && html`<dt>Last seen</dt><dd>${relTime(contact.last_seen_at)}</dd>`}
      ${Object.entries(contact.attributes || {}).map(([k, v]) => html`<dt key=${'ak' + k}>${attrName(k)}</dt><dd key=${'av' + k} class="wrap">${String(v)}</dd>`)}
      <dt>Tags</dt><dd class="tags-cell">
        <${TagChips} ids=${contact.tag_ids} all=${tags} onRemove=${(t) => tagContact(t, false)} />
        <${TagPicker} have=${contact.tag_ids} onAdd=${(t) => tagContact(t, true)} toast=${toast} />
      </dd>
    </dl>
    <${Comments} contact=${contact} me=${me} admin=${admin} toast=${toast} />
    ${admin && html`
      <form class="cs-notes" onSubmit=${saveNotes}>
        <label for="cs-notes">CS notes <span class="muted">(admins only)</span></label>
        <textarea id="cs-notes" rows="4" maxlength="10000" value=${notes ?? contact.cs_notes ?? ''} onInput=${(e) => setNotes(e.target.value)}></textarea>
        <button type="submit" disabled=${notes === null}>Save notes</button>
      </form>`}`;
}

// Comments are the team's notes on a customer, beyond one conversation;
// @name mentions a colleague, as in a private note.
function Comments({ contact, me, admin, toast }) {
  const everyone = usePeople();
  const [list, setList] = useState(null);
  const [text, setText] = useState('');
  const load = () => get(`/contacts/${contact.id}/comments`).then((r) => setList(r.comments), () => setList([]));
  useEffect(() => { load(); }, [contact.id]);
  const add = async (e) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    try {
      await post(`/contacts/${contact.id}/comments`, { body });
      setText('');
      load();
    } catch (err) { toast(err.message); }
  };
  const remove = async (c) => {
    try { await call('DELETE', `/contacts/${contact.id}/comments/${c.id}`); load(); } catch (err) { toast(err.message); }
  };
  return html`<section class="comments" aria-label="Comments on the customer">
    <h3>Comments</h3>
    ${list && list.length === 0 && html`<p class="muted">None yet.</p>`}
    ${list && list.length > 0 && html`<ol class="comment-list">${list.map((c) => html`<li key=${c.id} class="comment">
      <span class="who">${c.author_id === me.id ? 'You' : personName(everyone, c.author_id)}</span>
      <p class="body">${c.body}</p>
      <span class="note-foot"><time datetime=${c.created_at}>${relTime(c.created_at)}</time>${c.edited_at && ' · edited'}
        ${(c.author_id === me.id || admin) && html`<button class="link danger-link" onClick=${() => remove(c)}>Delete</button>`}</span>
    </li>`)}</ol>`}
    <form class="comment-form" onSubmit=${add}>
      <label class="sr-only" for="contact-comment">Comment on the customer</label>
      <textarea id="contact-comment" rows="2" maxlength="10000" placeholder="A comment for the team; @name mentions someone" value=${text}
        onInput=${(e) => setText(e.target.value)}></textarea>
      <button type="submit" disabled=${!text.trim()}>Comment</button>
    </form>
  </section>`;
}

function SnoozeMenu({ onPick, onClose }) {
  const first = useRef(null);
  const [when, setWhen] = useState('');
  useEffect(() => { first.current?.focus(); }, []);
  // A chosen time, in the operator's own zone (datetime-local has none).
  const chosen = when ? new Date(when) : null;
  const valid = chosen && !Number.isNaN(chosen.getTime()) && chosen > new Date();
  return html`
    <div class="menu" role="menu" onKeyDown=${(e) => { if (e.key === 'Escape') onClose(); }}>
      ${snoozeChoices(new Date()).map((c, i) => html`
        <button role="menuitem" ref=${i === 0 ? first : undefined} onClick=${() => onPick(c.body)}>${c.label}</button>`)}
      <form class="snooze-at" onSubmit=${(e) => { e.preventDefault(); if (valid) onPick({ until: chosen.toISOString() }); }}>
        <label>Until<input id="snooze-at" type="datetime-local" value=${when} onInput=${(e) => setWhen(e.target.value)} /></label>
        <button type="submit" disabled=${!valid}>Snooze</button>
      </form>
    </div>`;
}

function ResolveForm({ onResolve, onClose }) {
  const offered = useResolutionTypes().filter((t) => !t.archived);
  const [picked, setResolution] = useState('');
  const resolution = picked || (offered[0] || {}).key || '';
  const [notes, setNotes] = useState('');
  const first = useRef(null);
  useEffect(() => { first.current?.focus(); }, [offered.length > 0]);
  return html`
    <form class="menu resolve" role="dialog" aria-label="Resolve" onKeyDown=${(e) => { if (e.key === 'Escape') onClose(); }}
      onSubmit=${(e) => { e.preventDefault(); if (resolution) onResolve({ resolution, notes }); }}>
      <label>Resolution<select id="resolution" ref=${first} value=${resolution} onChange=${(e) => setResolution(e.target.value)}>
        ${offered.map((t) => html`<option key=${t.key} value=${t.key}>${t.name}</option>`)}
      </select></label>
      <label>Notes <span class="muted">(optional)</span><textarea rows="3" maxlength="5000" value=${notes} onInput=${(e) => setNotes(e.target.value)}></textarea></label>
      <button class="primary" type="submit" disabled=${!resolution}>Resolve</button>
    </form>`;
}

// ResolutionTypes is the admin's list of how a conversation may end:
// renamed, reordered, added, removed (archived: resolved conversations
// keep their name), then saved as a whole.
function ResolutionTypes({ toast }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [added, setAdded] = useState('');
  const load = (fresh) => loadResolutionTypes(fresh).then((list) => setRows(list.filter((t) => !t.archived)), (err) => toast(err.message));
  useEffect(() => { load(false); }, []);
  if (!rows) return html`<h2>Resolution types</h2><p class="muted">Loading…</p>`;
  const edit = (i, name) => setRows(rows.map((r, j) => (j === i ? { ...r, name } : r)));
  const move = (i, by) => {
    const next = rows.slice();
    [next[i], next[i + by]] = [next[i + by], next[i]];
    setRows(next);
  };
  const save = async (list) => {
    setError(null);
    try {
      await put('/resolution-types', { resolution_types: list.map((r) => ({ key: r.key || '', name: r.name })) });
      await load(true);
      toast('Resolution types saved');
    } catch (err) { setError(err); }
  };
  const add = () => {
    if (!added.trim()) return;
    setRows([...rows, { key: '', name: added.trim() }]);
    setAdded('');
  };
  const at = (i) => error && error.field && error.field.startsWith(`resolution_types[${i}]`) ? error.message : '';
  return html`
    <h2>Resolution types</h2>
    <p class="muted">What an operator picks when resolving. Removing one keeps it on the conversations resolved with it.</p>
    <form class="card resolution-types" aria-label="Resolution types"
      onSubmit=${(e) => { e.preventDefault(); if (document.activeElement && document.activeElement.id === 'rt-new') add(); else save(rows); }}>
      <ol class="plain">
        ${rows.map((r, i) => html`
          <li key=${r.key || 'new' + i} class="rt-row">
            <label class="sr-only" for=${'rt-' + i}>Resolution type ${i + 1}</label>
            <input id=${'rt-' + i} class="rt-name" value=${r.name} maxlength="60" aria-invalid=${at(i) ? 'true' : undefined}
              onInput=${(e) => edit(i, e.target.value)} />
            <button type="button" class="icon" aria-label=${'Move ' + r.name + ' up'} disabled=${i === 0} onClick=${() => move(i, -1)}>↑</button>
            <button type="button" class="icon" aria-label=${'Move ' + r.name + ' down'} disabled=${i === rows.length - 1} onClick=${() => move(i, 1)}>↓</button>
            <button type="button" class="icon" aria-label=${'Remove ' + r.name} disabled=${rows.length === 1}
              onClick=${() => setRows(rows.filter((_, j) => j !== i))}>✕</button>
            ${at(i) && html`<p class="field-error" role="alert">${at(i)}</p>`}
          </li>`)}
      </ol>
      ${error && !/^resolution_types\[/.test(error.field || '') && html`<p class="field-error" role="alert">${error.message}</p>`}
      <div class="row">
        <label class="sr-only" for="rt-new">New resolution type</label>
        <input id="rt-new" placeholder="New type, e.g. Refund issued" maxlength="60" value=${added} onInput=${(e) => setAdded(e.target.value)} />
        <button type="button" disabled=${!added.trim()} onClick=${add}>Add</button>
        <button class="primary" type="submit" id="rt-save">Save</button>
      </div>
    </form>`;
}

// Settings is the admin's screen: the workspace's inboxes (a website's
// widget: its allowed origins and the snippet to paste) and departments.
// A flow designer who is no admin sees the flows only.
function Settings({ toast, admin }) {
  return admin
    ? html`<${AdminSettings} toast=${toast} />`
    : html`<main class="pane settings" aria-label="Settings"><${Flows} toast=${toast} /></main>`;
}

function AdminSettings({ toast }) {
  const [inboxes, setInboxes] = useState(null);
  const [departments, setDepartments] = useState([]);
  const [name, setName] = useState('');
  const [origins, setOrigins] = useState('');
  const [deptName, setDeptName] = useState('');
  const [people, setPeople] = useState([]); // for the departments' members
  const load = () => {
    get('/inboxes').then((r) => setInboxes(r.inboxes), (err) => toast(err.message));
    get('/departments').then((r) => setDepartments(r.departments), () => {});
    get('/operators').then((r) => setPeople(r.operators.filter((p) => p.active)), () => {});
  };
  useEffect(load, []);
  // An inbox saved by its card: the card's routing editor sees it at once.
  const replaceInbox = (next) => setInboxes((list) => list.map((x) => (x.id === next.id ? next : x)));
  const createInbox = async (e) => {
    e.preventDefault();
    const list = origins.split(/[\s,]+/).filter(Boolean);
    try {
      await post('/inboxes', { name, allowed_origins: list });
      setName(''); setOrigins(''); load();
    } catch (err) { toast(err.message); }
  };
  const [flows, setFlows] = useState([]);
  useEffect(() => { get('/flows').then((r) => setFlows(r.flows), () => {}); }, []);
  const setInboxFlow = async (inbox, flowID) => {
    try { await call('PATCH', `/inboxes/${inbox.id}`, { flow_id: flowID || null }); load(); } catch (err) { toast(err.message); }
  };
  const createDepartment = async (e) => {
    e.preventDefault();
    try { await post('/departments', { name: deptName }); setDeptName(''); load(); } catch (err) { toast(err.message); }
  };
  const snippet = (id) => '<script>window.Switchboard=window.Switchboard||function(){(Switchboard.q=Switchboard.q||[]).push(arguments)};</script>\n'
    + '<script async src="' + location.origin + '/widget.js" data-inbox="' + id + '"></script>';
  return html`
    <main class="pane settings" aria-label="Settings">
      <h2>Inboxes</h2>
      <p class="muted">An inbox is a website's chat widget. Only the origins listed may show it; paste its snippet into the site's pages.</p>
      ${inboxes === null && html`<p class="muted">Loading…</p>`}
      ${inboxes && inboxes.length === 0 && html`<p class="muted">No inbox yet.</p>`}
      ${inboxes && inboxes.map((i) => html`
        <section class="card inbox" key=${i.id} aria-label=${'Inbox ' + i.name}>
          <h3>${i.name}</h3>
          <p class="muted">${i.allowed_origins.length ? i.allowed_origins.join(', ') : 'Any site may show it (no origins listed)'}</p>
          <label>Snippet<textarea class="snippet" readonly rows="4" value=${snippet(i.id)} onFocus=${(e) => e.target.select()}></textarea></label>
          <label>Bot flow<select class="inbox-flow" value=${i.flow_id || ''} onChange=${(e) => setInboxFlow(i, e.target.value)}>
            <option value="">None: conversations start with people</option>
            ${flows.map((f) => html`<option value=${f.id} selected=${f.id === i.flow_id}>${f.name}${f.live_version ? '' : ' (not published)'}</option>`)}
          </select></label>
          <${InboxDepartments} inbox=${i} departments=${departments} onSaved=${replaceInbox} onStale=${load} />
          <${RoutingRules} inbox=${i} departments=${departments} toast=${toast} />
        </section>`)}
      <form class="card" onSubmit=${createInbox} aria-label="New inbox">
        <h3>New inbox</h3>
        <label>Name<input id="inbox-name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
        <label>Allowed origins<input id="inbox-origins" placeholder="https://www.example.com" value=${origins} onInput=${(e) => setOrigins(e.target.value)} /></label>
        <button class="primary" type="submit">Create inbox</button>
      </form>
      <h2>Departments</h2>
      <p class="muted">Dispatch hands a department's waiting conversations to its online people, the longest waiting first, up to the number each may hold at once. Manual leaves them in Unclaimed for people to claim.</p>
      <ul class="plain">
        ${departments.length === 0 && html`<li class="muted">No department yet: conversations are unrouted and everyone sees them.</li>`}
        ${departments.map((d) => html`<${DepartmentRow} key=${d.id} d=${d} all=${departments} people=${people} toast=${toast} onChange=${load} />`)}
      </ul>
      <form class="card inline" onSubmit=${createDepartment} aria-label="New department">
        <label>New department<input id="department-name" required value=${deptName} onInput=${(e) => setDeptName(e.target.value)} /></label>
        <button type="submit">Add</button>
      </form>
      <${ResolutionTypes} toast=${toast} />
      <${ServiceLevels} toast=${toast} departments=${departments} />
      <${People} toast=${toast} departments=${departments} />
      <${APITokens} toast=${toast} />
      <${Flows} toast=${toast} onChange=${(list) => setFlows(list)} />
    </main>`;
}

// InboxDepartments sets which of the workspace's departments work an
// inbox and its default, where a new conversation goes when no routing
// rule sends it elsewhere. Saved together (the default must be one of the
// ticked); what the server refuses shows at the field it names.
function InboxDepartments({ inbox, departments, onSaved, onStale }) {
  const stored = () => ({ ids: inbox.department_ids, def: inbox.default_department_id || '' });
  const [form, setForm] = useState(stored);
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const box = useRef(null);
  // The inbox as the server last gave it: edits stay while the list is
  // merely reloaded, a saved change replaces them.
  const storedKey = JSON.stringify([[...inbox.department_ids].sort(), inbox.default_department_id || '']);
  useEffect(() => setForm(stored()), [storedKey]);
  useEffect(() => {
    if (error && error.field === 'department_ids') box.current?.querySelector('input[type="checkbox"]')?.focus();
    if (error && error.field === 'default_department_id') box.current?.querySelector('select')?.focus();
  }, [error]);
  // Only the departments still listed count: one deleted meanwhile has
  // no tick left to take off.
  const known = (id) => departments.some((d) => d.id === id);
  const ids = form.ids.filter(known);
  const def = known(form.def) ? form.def : '';
  const edit = (next) => { setForm(next); setSaved(false); setError(null); };
  const tick = (id, on) => {
    // The default follows the ticks: the first department ticked becomes
    // it, and unticking it leaves none.
    let next = def;
    if (!on && next === id) next = '';
    if (on && !next && ids.length === 0) next = id;
    edit({ ids: on ? [...ids, id] : ids.filter((x) => x !== id), def: next });
  };
  const changed = JSON.stringify([[...ids].sort(), def]) !== storedKey;
  const save = async () => {
    setSaving(true);
    try {
      const r = await call('PATCH', `/inboxes/${inbox.id}`, { department_ids: ids, default_department_id: def || null });
      setError(null); setSaved(true); onSaved(r.inbox);
    } catch (err) {
      setError(err);
      // A department gone since the list was read: read it again.
      if (err.field === 'department_ids') onStale();
    } finally { setSaving(false); }
  };
  const id = `inbox-${inbox.id}-`;
  const bad = (field) => error && error.field === field;
  const message = (field) => bad(field) && html`<span class="field-error" id=${id + field + '-error'}>${error.message}</span>`;
  const invalid = (field) => ({ 'aria-invalid': bad(field) ? 'true' : undefined, 'aria-describedby': bad(field) ? id + field + '-error' : undefined });
  const ticked = departments.filter((d) => ids.includes(d.id));
  return html`
    <div class="inbox-depts" ref=${box} role="group" aria-labelledby=${id + 'departments'}>
      <h4 id=${id + 'departments'}>Departments</h4>
      ${departments.length === 0
        ? html`<p class="muted">No department yet: add one under Departments below, then tick it here.</p>`
        : html`
        <fieldset class="dept-checks">
          <legend>Who works this inbox</legend>
          <div class="chips">
            ${departments.map((d) => html`
              <label class="dept-check" key=${d.id}>
                <input type="checkbox" value=${d.id} checked=${ids.includes(d.id)} ...${invalid('department_ids')}
                  onChange=${(e) => tick(d.id, e.target.checked)} />${d.name}
              </label>`)}
          </div>
          ${message('department_ids')}
        </fieldset>
        <div class="row">
          <label for=${id + 'default'}>Default department, when no routing rule matches
            <select id=${id + 'default'} class="inbox-default" value=${def} ...${invalid('default_department_id')}
              onChange=${(e) => edit({ ids, def: e.target.value })}>
              <option value="" selected=${!def}>None: unrouted, everyone sees them</option>
              ${ticked.map((d) => html`<option value=${d.id} selected=${d.id === def}>${d.name}</option>`)}
            </select>${message('default_department_id')}</label>
          <span class="save-line">
            <button type="button" class="primary save-departments" disabled=${saving || !changed} onClick=${save}>Save departments</button>
            ${saved && !changed && html`<span class="muted" role="status">Saved.</span>`}
            ${changed && html`<span class="muted">Unsaved changes</span>`}
          </span>
        </div>
        ${error && !bad('department_ids') && !bad('default_department_id') && html`<p class="field-error" role="alert">${error.message}</p>`}`}
    </div>`;
}

// RULE_KINDS are what a routing rule matches on.
const RULE_KINDS = [
  ['keywords', 'Words in the first message'],
  ['field', 'A form answer or flow variable'],
  ['visitor_choice', "The visitor's pick in the widget"],
  ['always', 'Always'],
];

let ruleKeys = 0;

// editableRule is a stored rule as the editor holds it: phrases as one
// comma-separated text, a key that stays with the rule as it moves.
const editableRule = (r) => ({
  key: ++ruleKeys, name: r.name || '', kind: r.kind || 'keywords', phrases: (r.phrases || []).join(', '),
  field: r.field || '', value: r.value || '', department_id: r.department_id || '',
});

// ruleBody is what the API takes of an edited rule: only its kind's fields.
function ruleBody(r) {
  const out = { name: r.name, kind: r.kind };
  if (r.kind === 'keywords') out.phrases = r.phrases.split(',').map((p) => p.trim()).filter(Boolean);
  if (r.kind === 'field') { out.field = r.field; out.value = r.value; }
  if (r.kind !== 'visitor_choice') out.department_id = r.department_id || null;
  return out;
}

// RoutingRules edits an inbox's routing rules: in order, the first that
// matches a new conversation sends it to its department; none does, the
// inbox's default department. The list is saved whole; what the server
// refuses shows at the field it names (rules[2].phrases).
function RoutingRules({ inbox, departments, toast }) {
  const [rules, setRules] = useState(null);
  const [stored, setStored] = useState('');
  const [error, setError] = useState(null); // {index, field, message}
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const box = useRef(null);
  const path = `/inboxes/${inbox.id}/routing-rules`;
  const take = (list) => {
    const next = list.map(editableRule);
    setRules(next); setStored(JSON.stringify(next.map(ruleBody)));
  };
  useEffect(() => { get(path).then((r) => take(r.rules), (err) => toast(err.message)); }, [inbox.id]);
  // The field the server named takes the focus, its message beside it.
  useEffect(() => {
    if (error && error.index >= 0) box.current?.querySelector(`[data-rule="${error.index}"] [data-field="${error.field}"]`)?.focus();
  }, [error]);
  if (rules === null) return html`<div class="routing muted">Loading routing rules…</div>`;

  const edit = (i, change) => {
    setRules(rules.map((r, j) => (j === i ? { ...r, ...change } : r)));
    setSaved(false);
    if (error && error.index === i) setError(null);
  };
  const move = (i, by) => {
    const next = [...rules];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    setRules(next); setSaved(false); setError(null);
  };
  const remove = (i) => { setRules(rules.filter((_, j) => j !== i)); setSaved(false); setError(null); };
  const own = departments.filter((d) => inbox.department_ids.includes(d.id));
  const others = departments.filter((d) => !inbox.department_ids.includes(d.id));
  const add = () => {
    const dept = inbox.default_department_id || (own[0] && own[0].id) || '';
    setRules([...rules, editableRule({ name: '', kind: 'keywords', department_id: dept })]);
    setSaved(false);
    requestAnimationFrame(() => box.current?.querySelector('li.rule:last-child [data-field="name"]')?.focus());
  };
  const changed = JSON.stringify(rules.map(ruleBody)) !== stored;
  const save = async () => {
    setSaving(true);
    try {
      const r = await put(path, { rules: rules.map(ruleBody) });
      take(r.rules); setError(null); setSaved(true);
    } catch (err) {
      const m = /^rules\[(\d+)\]\.(\w+)$/.exec(err.field || '');
      setError(m ? { index: Number(m[1]), field: m[2], message: err.message } : { index: -1, field: err.field, message: err.message });
    } finally { setSaving(false); }
  };
  // at gives a rule's input its label's target, and the server's message
  // when it is the field at fault.
  const at = (i, field) => {
    const bad = error && error.index === i && error.field === field;
    const id = `rule-${inbox.id}-${rules[i].key}-${field}`;
    return {
      attrs: { id, 'data-field': field, 'aria-invalid': bad ? 'true' : undefined, 'aria-describedby': bad ? id + '-error' : undefined },
      message: bad && html`<span class="field-error" id=${id + '-error'}>${error.message}</span>`,
    };
  };
  const names = own.map((d) => d.name).join(', ');
  return html`
    <div class="routing" ref=${box} aria-label=${'Routing rules of ' + inbox.name} role="group">
      <h4>Routing</h4>
      <p class="muted">The first rule that matches a new conversation sends it to its department; when none does, it goes to the inbox's default.</p>
      ${rules.length === 0 && html`<p class="muted">No rules.</p>`}
      <ol class="rules">
        ${rules.map((r, i) => {
          const name = at(i, 'name'), kind = at(i, 'kind'), phrases = at(i, 'phrases'), field = at(i, 'field'), value = at(i, 'value'), dept = at(i, 'department_id');
          return html`
          <li class="rule" key=${r.key} data-rule=${i} aria-label=${'Rule ' + (i + 1) + (r.name ? ': ' + r.name : '')}>
            <label class="rule-name">Name<input ...${name.attrs} maxlength="200" value=${r.name} onInput=${(e) => edit(i, { name: e.target.value })} />${name.message}</label>
            <label>When<select ...${kind.attrs} value=${r.kind} onChange=${(e) => edit(i, { kind: e.target.value })}>
              ${RULE_KINDS.map(([v, text]) => html`<option value=${v} selected=${v === r.kind}>${text}</option>`)}
            </select>${kind.message}</label>
            <span class="rule-tools">
              <button type="button" class="ghost" aria-label="Move up" title="Move up" disabled=${i === 0} onClick=${() => move(i, -1)}>↑</button>
              <button type="button" class="ghost" aria-label="Move down" title="Move down" disabled=${i === rules.length - 1} onClick=${() => move(i, 1)}>↓</button>
              <button type="button" class="ghost" aria-label="Delete rule" title="Delete rule" onClick=${() => remove(i)}>✕</button>
            </span>
            ${r.kind === 'keywords' && html`<label class="rule-wide">Words or phrases, comma-separated
              <input ...${phrases.attrs} placeholder="refund, invoice, money back" value=${r.phrases} onInput=${(e) => edit(i, { phrases: e.target.value })} />${phrases.message}</label>`}
            ${r.kind === 'field' && html`<span class="rule-pair">
              <label>Field<input ...${field.attrs} placeholder="topic" value=${r.field} onInput=${(e) => edit(i, { field: e.target.value })} />${field.message}</label>
              <label>equals<input ...${value.attrs} placeholder="billing" value=${r.value} onInput=${(e) => edit(i, { value: e.target.value })} />${value.message}</label>
            </span>`}
            ${r.kind === 'visitor_choice'
              ? html`<p class="rule-wide muted">Goes where the visitor picks. The widget asks them to pick one of this inbox's departments${names ? ': ' + names : ' (it has none yet)'}.</p>`
              : html`<label class="rule-dept">Goes to<select ...${dept.attrs} value=${r.department_id} onChange=${(e) => edit(i, { department_id: e.target.value })}>
                  <option value="" selected=${!r.department_id}>Pick a department</option>
                  ${own.map((d) => html`<option value=${d.id} selected=${d.id === r.department_id}>${d.name}</option>`)}
                  ${others.length > 0 && html`<optgroup label="Not working this inbox">
                    ${others.map((d) => html`<option value=${d.id} selected=${d.id === r.department_id}>${d.name}</option>`)}
                  </optgroup>`}
                </select>${dept.message}</label>`}
          </li>`;
        })}
      </ol>
      ${error && error.index < 0 && html`<p class="field-error" role="alert">${error.message}</p>`}
      <div class="row">
        <button type="button" class="add-rule" onClick=${add}>Add rule</button>
        <button type="button" class="primary save-rules" disabled=${saving || !changed} onClick=${save}>Save rules</button>
        ${saved && !changed && html`<span class="muted" role="status">Saved.</span>`}
        ${changed && html`<span class="muted">Unsaved changes</span>`}
      </div>
    </div>`;
}

// DISPATCH_MODES are how a department's queue reaches its people.
const DISPATCH_MODES = [
  ['manual', 'Manual: the Unclaimed queue'],
  ['round_robin', 'Round robin'],
  ['least_loaded', 'Least loaded'],
  ['offer', 'Offer, one at a time'],
];

// DepartmentRow is one department in settings: how its conversations
// reach its online people, and how many each carries at once.
// LADDER_TIMES are the choices for a ladder step's time, in seconds.
const LADDER_TIMES = [[null, 'Never'], [60, '1 min'], [120, '2 min'], [300, '5 min'], [600, '10 min'], [1800, '30 min'], [3600, '1 h']];

function DepartmentRow({ d, all, people, toast, onChange }) {
  const [capacity, setCapacity] = useState(String(d.max_concurrent));
  useEffect(() => setCapacity(String(d.max_concurrent)), [d.max_concurrent]);
  const patch = async (body) => {
    try { await call('PATCH', `/departments/${d.id}`, body); onChange(); } catch (err) { toast(err.message); onChange(); }
  };
  const saveCapacity = () => {
    const n = Number(capacity);
    if (n !== d.max_concurrent) patch({ max_concurrent: n });
  };
  return html`
    <li class="department" aria-label=${'Department ' + d.name}>
      <span class="name">${d.name}</span>
      <label>Dispatch<select class="dispatch-mode" value=${d.dispatch_mode} onChange=${(e) => patch({ dispatch_mode: e.target.value })}>
        ${DISPATCH_MODES.map(([v, label]) => html`<option value=${v} selected=${v === d.dispatch_mode}>${label}</option>`)}
      </select></label>
      <label>Each holds at most<input class="capacity" type="number" min="1" max="1000" value=${capacity}
        onInput=${(e) => setCapacity(e.target.value)} onBlur=${saveCapacity}
        onKeyDown=${(e) => { if (e.key === 'Enter') { e.preventDefault(); saveCapacity(); } }} /></label>
      ${d.dispatch_mode === 'offer' && html`
        <label class="offer-timeout">Seconds to accept an offer<select value=${String(d.offer_timeout_seconds)}
          onChange=${(e) => patch({ offer_timeout_seconds: Number(e.target.value) })}>
          ${[...new Set([15, 30, 45, 60, 120, d.offer_timeout_seconds])].sort((a, b) => a - b).map((n) => html`<option value=${String(n)} selected=${n === d.offer_timeout_seconds}>${n}</option>`)}
        </select></label>`}
      <${LadderRow} d=${d} all=${all} patch=${patch} />
      <label class="reply-within">When someone goes away, their conversations
        <select class="away-policy" value=${d.away_policy} onChange=${(e) => patch({ away_policy: e.target.value })}>
          <option value="keep" selected=${d.away_policy === 'keep'}>stay theirs</option>
          <option value="requeue" selected=${d.away_policy === 'requeue'}>go back to the queue</option>
        </select></label>
      <label class="reply-within">Back to the queue if the first reply takes more than
        <select value=${String(d.reply_within_seconds ?? '')} onChange=${(e) => patch({ reply_within_seconds: Number(e.target.value || 0) })}>
          ${[[null, 'No limit'], [60, '1 min'], [120, '2 min'], [300, '5 min'], [600, '10 min'], [1800, '30 min']]
            .map(([v, text]) => html`<option value=${v == null ? '' : String(v)} selected=${(v ?? null) === (d.reply_within_seconds ?? null)}>${text}</option>`)}
        </select></label>
      <${Members} d=${d} people=${people} toast=${toast} />
    </li>`;
}

// Members are a department's people, in its settings row: removed with
// their ✕, added from the workspace's other people. Dispatch sees the
// change at once (a newcomer online gets waiting work).
function Members({ d, people, toast }) {
  const [members, setMembers] = useState(null);
  const [pick, setPick] = useState('');
  const load = () => get(`/departments/${d.id}/members`).then((r) => setMembers(r.members.filter((m) => m.active)), (err) => toast(err.message));
  useEffect(() => { load(); }, [d.id]);
  const change = async (method, id) => {
    try { await call(method, `/departments/${d.id}/members/${id}`); setPick(''); load(); } catch (err) { toast(err.message); }
  };
  if (!members) return html`<div class="members muted">Loading members…</div>`;
  const inside = new Set(members.map((m) => m.operator_id));
  const others = people.filter((p) => !inside.has(p.id));
  return html`
    <div class="members" role="group" aria-label=${'Members of ' + d.name}>
      <span class="members-label">Members</span>
      ${members.length === 0 && html`<span class="muted">Nobody yet: its conversations wait in Unclaimed for admins.</span>`}
      ${members.map((m) => html`<span key=${m.operator_id} class="chip">${m.name}
        <button type="button" class="chip-x" aria-label=${'Remove ' + m.name + ' from ' + d.name} onClick=${() => change('DELETE', m.operator_id)}>✕</button></span>`)}
      ${others.length > 0 && html`<label class="sr-only" for=${'add-member-' + d.id}>Add someone to ${d.name}</label>
        <select id=${'add-member-' + d.id} class="add-member" value=${pick} onChange=${(e) => { setPick(e.target.value); if (e.target.value) change('PUT', e.target.value); }}>
          <option value="">Add someone…</option>
          ${others.map((p) => html`<option key=${p.id} value=${p.id}>${p.name} (${p.role})</option>`)}
        </select>`}
    </div>`;
}

// LadderRow sets what happens to a conversation left unclaimed: its
// supervisors hear of it, its priority rises, it widens to another
// department, each after a time.
function LadderRow({ d, all, patch }) {
  const l = d.unclaimed_ladder || {};
  const set = (change) => {
    const next = { ...l, ...change };
    if (next.widen_after_seconds == null) next.fallback_department_id = null;
    else if (!next.fallback_department_id) {
      const other = all.find((x) => x.id !== d.id);
      if (other) next.fallback_department_id = other.id; else next.widen_after_seconds = null;
    }
    patch({ unclaimed_ladder: next });
  };
  const time = (field, label) => html`
    <label>${label}<select class=${'ladder-' + field} value=${String(l[field] ?? '')}
      onChange=${(e) => set({ [field]: e.target.value === '' ? null : Number(e.target.value) })}>
      ${[...LADDER_TIMES, ...(l[field] && !LADDER_TIMES.some(([v]) => v === l[field]) ? [[l[field], l[field] + ' s']] : [])]
        .map(([v, text]) => html`<option value=${v == null ? '' : String(v)} selected=${(v ?? null) === (l[field] ?? null)}>${text}</option>`)}
    </select></label>`;
  return html`
    <div class="ladder" aria-label=${'Unclaimed ladder of ' + d.name}>
      <span class="muted">Unclaimed:</span>
      ${time('notify_after_seconds', 'Tell supervisors after')}
      ${time('raise_after_seconds', 'Raise priority after')}
      ${time('widen_after_seconds', 'Widen after')}
      ${l.widen_after_seconds != null && html`
        <label>to<select class="ladder-fallback" value=${l.fallback_department_id || ''}
          onChange=${(e) => set({ fallback_department_id: e.target.value || null })}>
          ${all.filter((x) => x.id !== d.id).map((x) => html`<option value=${x.id} selected=${x.id === l.fallback_department_id}>${x.name}</option>`)}
        </select></label>`}
    </div>`;
}

// People: the workspace's operators (role, flow designer) and invitations:
// an invite gives a link to send the person, shown once.
function People({ toast, departments }) {
  const [people, setPeople] = useState([]);
  const [invites, setInvites] = useState([]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('operator');
  const [dept, setDept] = useState('');
  const [link, setLink] = useState('');
  const load = () => {
    get('/operators').then((r) => setPeople(r.operators), (err) => toast(err.message));
    get('/invites').then((r) => setInvites(r.invites), () => {});
  };
  useEffect(load, []);
  const invite = async (e) => {
    e.preventDefault();
    try {
      const r = await post('/invites', { email, role, department_ids: dept ? [dept] : [] });
      setLink(location.origin + r.invite_url); setEmail(''); load();
    } catch (err) { toast(err.message); }
  };
  const designer = async (p, on) => {
    try { await call('PATCH', `/operators/${p.id}`, { flow_designer: on }); load(); } catch (err) { toast(err.message); }
  };
  const pending = invites; // the list holds open invitations only
  return html`
    <h2>People</h2>
    <ul class="plain people">
      ${people.map((p) => html`<li key=${p.id}>
        <span class="person"><strong>${p.name}</strong> <span class="muted">${p.email}</span></span>
        <span class="pill">${p.role}</span>
        ${p.active === false && html`<span class="pill">deactivated</span>`}
        ${p.role !== 'owner' && p.role !== 'admin' && html`<label class="check"><input type="checkbox" checked=${!!p.flow_designer}
          onChange=${(e) => designer(p, e.target.checked)} /> Flow designer</label>`}
      </li>`)}
      ${pending.map((i) => html`<li key=${i.id} class="muted"><span class="person">${i.email}</span><span class="pill">invited · ${i.role}</span></li>`)}
    </ul>
    <form class="card invite" onSubmit=${invite} aria-label="Invite someone">
      <h3>Invite someone</h3>
      <div class="row">
        <label>Email<input id="invite-email" type="email" required value=${email} onInput=${(e) => setEmail(e.target.value)} /></label>
        <label>Role<select id="invite-role" value=${role} onChange=${(e) => setRole(e.target.value)}>
          <option value="operator">Operator</option><option value="supervisor">Supervisor</option><option value="admin">Admin</option>
        </select></label>
        ${departments.length > 0 && html`<label>Department<select value=${dept} onChange=${(e) => setDept(e.target.value)}>
          <option value="">None</option>
          ${departments.map((d) => html`<option value=${d.id}>${d.name}</option>`)}
        </select></label>`}
      </div>
      <button class="primary" type="submit">Create invitation</button>
      ${link && html`<label>Send them this link (shown once)<input id="invite-link" readonly value=${link} onFocus=${(e) => e.target.select()} /></label>`}
    </form>`;
}

// APITokens is the admin's list of the workspace's API tokens (for the
// public REST API): create one with a role not above their own, see the
// token once, revoke it (its next request is a 401).
function APITokens({ toast }) {
  const [tokens, setTokens] = useState(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState('operator');
  const [made, setMade] = useState(null); // {name, token}: shown once
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState(null);
  const load = () => get('/api-tokens').then((r) => setTokens(r.api_tokens), (err) => toast(err.message));
  useEffect(() => { load(); }, []);
  const create = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await post('/api-tokens', { name, role });
      setMade({ name: r.api_token.name, token: r.token });
      setName('');
      load();
    } catch (err) { setError(err); }
  };
  const revoke = async (t) => {
    setConfirm('');
    try { await call('DELETE', `/api-tokens/${t.id}`); toast(`${t.name} revoked`); load(); } catch (err) { toast(err.message); }
  };
  const copy = async () => {
    try { await navigator.clipboard.writeText(made.token); toast('Token copied'); } catch { document.getElementById('token-value')?.select(); }
  };
  const live = (tokens || []).filter((t) => !t.revoked_at);
  const revoked = (tokens || []).filter((t) => t.revoked_at);
  return html`
    <h2>API tokens</h2>
    <p class="muted">For the REST API: send one as <code>Authorization: Bearer …</code>. It acts with its role in this workspace.</p>
    ${tokens === null && html`<p class="muted">Loading…</p>`}
    ${tokens && live.length === 0 && html`<p class="muted">No token yet.</p>`}
    <ul class="plain tokens">
      ${live.map((t) => html`<li key=${t.id} aria-label=${'Token ' + t.name}>
        <span class="person"><strong>${t.name}</strong> <span class="mono muted">${t.prefix}…</span></span>
        <span class="pill">${t.role}</span>
        <span class="muted small">${t.last_used_at ? 'used ' + relTime(t.last_used_at) : 'never used'}</span>
        ${confirm === t.id
          ? html`<span class="confirm">Revoke? <button class="danger" onClick=${() => revoke(t)}>Yes, revoke</button>
              <button class="ghost" onClick=${() => setConfirm('')}>No</button></span>`
          : html`<button class="ghost" aria-label=${'Revoke ' + t.name} onClick=${() => setConfirm(t.id)}>Revoke</button>`}
      </li>`)}
      ${revoked.map((t) => html`<li key=${t.id} class="muted"><span class="person">${t.name} <span class="mono">${t.prefix}…</span></span>
        <span class="pill">revoked ${relTime(t.revoked_at)}</span></li>`)}
    </ul>
    <form class="card token-form" onSubmit=${create} aria-label="New API token">
      <h3>New token</h3>
      <div class="row">
        <label>Name<input id="token-name" required maxlength="200" placeholder="e.g. CRM sync" value=${name}
          aria-invalid=${error && error.field === 'name' ? 'true' : undefined} onInput=${(e) => setName(e.target.value)} /></label>
        <label>Role<select id="token-role" value=${role} onChange=${(e) => setRole(e.target.value)}>
          <option value="operator">Operator</option><option value="supervisor">Supervisor</option><option value="admin">Admin</option>
        </select></label>
      </div>
      ${error && html`<p class="field-error" role="alert">${error.message}</p>`}
      <button class="primary" type="submit">Create token</button>
      ${made && html`<div class="token-once" role="status">
        <label for="token-value">The token for ${made.name}: copy it now, it is not shown again</label>
        <div class="row"><input id="token-value" class="mono" readonly value=${made.token} onFocus=${(e) => e.target.select()} />
          <button type="button" onClick=${copy}>Copy</button></div>
      </div>`}
    </form>`;
}

const NEW_FLOW = JSON.stringify({
  start: 'greet',
  nodes: [
    { id: 'greet', kind: 'message', text: 'Hi! How can we help?', next: 'route' },
    { id: 'route', kind: 'keywords', routes: [{ phrases: ['billing', 'invoice'], next: 'people' }], fallback: 'people' },
    { id: 'people', kind: 'handoff', note: 'From the bot' },
  ],
}, null, 2);

// Flows is the designer's screen: a workspace's bot flows, each edited as
// its JSON document, validated on save (the problems name their node),
// tried with simulate, published and rolled back.
function Flows({ toast, onChange }) {
  const [flows, setFlows] = useState(null);
  const [open, setOpen] = useState(null); // a flow, or {} for a new one
  const [name, setName] = useState('');
  const [doc, setDoc] = useState('');
  const [problems, setProblems] = useState([]);
  const [inputs, setInputs] = useState('');
  const [sim, setSim] = useState(null);
  const [versions, setVersions] = useState([]);
  const load = () => get('/flows').then((r) => { setFlows(r.flows); if (onChange) onChange(r.flows); }, (err) => toast(err.message));
  useEffect(() => { load(); }, []);
  const edit = (f) => {
    setOpen(f); setProblems([]); setSim(null);
    setName(f.name || ''); setDoc(f.draft ? JSON.stringify(f.draft, null, 2) : NEW_FLOW);
    setVersions([]);
    if (f.id) get(`/flows/${f.id}/versions`).then((r) => setVersions(r.versions), () => {});
  };
  const parsed = () => { try { return JSON.parse(doc); } catch (err) { toast('The document is not JSON: ' + err.message); return null; } };
  const failed = (err) => {
    if (err.problems) setProblems(err.problems);
    else toast(err.message);
  };
  const save = async () => {
    const document = parsed();
    if (!document) return null;
    try {
      const r = open.id ? await put(`/flows/${open.id}`, { name, document }) : await post('/flows', { name, document });
      setProblems([]); setOpen(r.flow); load();
      return r.flow;
    } catch (err) { failed(err); return null; }
  };
  const publish = async () => {
    const f = await save();
    if (!f) return;
    try {
      const r = await post(`/flows/${f.id}/publish`);
      toast(`Published version ${r.version.version}`);
      load(); edit({ ...f, live_version: r.version.version });
    } catch (err) { failed(err); }
  };
  const rollback = async (v) => {
    try {
      const r = await post(`/flows/${open.id}/rollback`, { version: v });
      toast(`Version ${v} is live again, as version ${r.version.version}`);
      load(); edit({ ...open, live_version: r.version.version });
    } catch (err) { failed(err); }
  };
  const simulate = async () => {
    const document = parsed();
    if (!document) return;
    try {
      const r = await post('/flows/simulate', { document, inputs: inputs.split('\n').filter((l) => l.trim()).map((text) => ({ text })) });
      setSim(r.result); setProblems(r.problems);
    } catch (err) { failed(err); }
  };
  return html`
    <h2>Bot flows</h2>
    <p class="muted">A flow answers first and hands the conversation to people when it should. Pick one for an inbox above once it is published.</p>
    <ul class="plain flows">
      ${flows && flows.length === 0 && html`<li class="muted">No flow yet.</li>`}
      ${flows && flows.map((f) => html`<li key=${f.id}>
        <button class="link" onClick=${() => edit(f)}>${f.name}</button>
        <span class=${'pill' + (f.live_version ? ' live' : '')}>${f.live_version ? 'live: version ' + f.live_version : 'draft'}</span>
      </li>`)}
    </ul>
    ${!open && html`<button id="new-flow" onClick=${() => edit({})}>New flow</button>`}
    ${open && html`
      <section class="card flow-editor" aria-label="Flow editor">
        <label>Name<input id="flow-name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
        <label>Document <span class="muted">(JSON: nodes with ids and edges; see docs/FLOWS.md)</span>
          <textarea id="flow-document" class="snippet" rows="16" spellcheck="false" value=${doc} onInput=${(e) => setDoc(e.target.value)}></textarea></label>
        ${problems.length > 0 && html`<ul class="problems" role="alert" aria-label="Problems">
          ${problems.map((p, i) => html`<li key=${i}><strong>${p.node || 'flow'}</strong>${p.field ? ' · ' + p.field : ''}: ${p.message}</li>`)}
        </ul>`}
        <div class="row">
          <button id="flow-save" onClick=${save}>Save draft</button>
          <button id="flow-publish" class="primary" onClick=${publish}>Save and publish</button>
          <button class="ghost" onClick=${() => setOpen(null)}>Close</button>
        </div>
        <label>Try it: what the visitor writes, a line each
          <textarea id="flow-inputs" rows="3" value=${inputs} onInput=${(e) => setInputs(e.target.value)}></textarea></label>
        <div class="row"><button id="flow-simulate" onClick=${simulate}>Simulate</button></div>
        ${sim && html`<ol class="transcript" aria-label="Simulation">
          ${transcript(sim, inputs).map((l, i) => html`<li key=${i} class=${l.who}>${l.text}</li>`)}
        </ol>`}
        ${versions.length > 0 && html`<div class="versions">
          <h3>Versions</h3>
          <ul class="plain">${versions.map((v) => html`<li key=${v.version}>
            Version ${v.version}${v.copied_from ? ' (version ' + v.copied_from + ' again)' : ''} · ${new Date(v.published_at).toLocaleString()}
            ${v.version !== open.live_version ? html` <button class="link" onClick=${() => rollback(v.version)}>Make live again</button>` : html` <span class="pill live">live</span>`}
          </li>`)}</ul>
        </div>`}
      </section>`}`;
}

// transcript interleaves a simulation's replies with the inputs they
// answer, and says how it ended.
function transcript(sim, inputs) {
  const said = inputs.split('\n').filter((l) => l.trim());
  const out = [];
  const replies = sim.replies || [];
  for (let i = -1; i < said.length; i++) {
    if (i >= 0) out.push({ who: 'visitor', text: said[i] });
    for (const r of replies) if (r.input === i) out.push({ who: 'bot', text: r.text + (r.quick_replies ? '  [' + r.quick_replies.join('] [') + ']' : '') });
  }
  if (sim.handoff) out.push({ who: 'end', text: `Handed off (${sim.handoff.reason.replace(/_/g, ' ')})${sim.handoff.note ? ': ' + sim.handoff.note : ''}` });
  else if (sim.ended) out.push({ who: 'end', text: 'The flow ended.' });
  else out.push({ who: 'end', text: 'Waiting for ' + sim.awaiting + '.' });
  return out;
}

// Board is the supervisor's view, in the centre: each department's queue
// (waiting, the longest wait, who is online and how many places are free)
// with Distribute, and the people with what they hold against what they
// may, with Return to queue. Read again whenever the socket says
// something changed (tick), so it stays live.
const MODE_NAMES = { manual: 'Manual', round_robin: 'Round robin', least_loaded: 'Least loaded', offer: 'Offer' };

function Board({ tick, toast, onOpenQueue, onShowPerson }) {
  const [team, setTeam] = useState(null);
  const [busy, setBusy] = useState('');
  const [confirm, setConfirm] = useState('');
  const [, setNow] = useState(0);
  const load = () => get('/team').then((r) => setTeam(r.team), (err) => toast(err.message));
  useEffect(() => { load(); }, [tick]);
  // Waits grow by themselves: redraw every 15 s.
  useEffect(() => { const t = setInterval(() => setNow((n) => n + 1), 15000); return () => clearInterval(t); }, []);
  if (!team) return html`<main class="pane board" aria-label="Team"><p class="muted">Loading…</p></main>`;
  const deptName = new Map(team.departments.map((d) => [d.id, d.name]));
  const rank = { online: 0, away: 1, offline: 2 };
  const people = [...team.operators].sort((a, b) => (rank[a.status] ?? 3) - (rank[b.status] ?? 3) || a.name.localeCompare(b.name));
  const distribute = async (d) => {
    setBusy(d.id);
    try {
      const r = await post(`/departments/${d.id}/distribute`);
      toast(r.assigned ? `${r.assigned} ${r.assigned === 1 ? 'conversation' : 'conversations'} handed out in ${d.name}` : `Nobody in ${d.name} has room right now`);
      load();
    } catch (err) { toast(err.message); } finally { setBusy(''); }
  };
  const release = async (p) => {
    setConfirm('');
    setBusy(p.id);
    try {
      const r = await post(`/operators/${p.id}/release`);
      toast(r.released ? `${r.released} of ${p.name}'s conversations back in the queue` : `${p.name} holds nothing to give back`);
      load();
    } catch (err) { toast(err.message); } finally { setBusy(''); }
  };
  return html`
    <main class="pane board" aria-label="Team">
      <h2>Queues</h2>
      ${team.departments.length === 0 && html`<p class="muted">No department yet.</p>`}
      <div class="queues">
        ${team.departments.map((d) => html`
          <section key=${d.id} class=${'queue-card' + (d.waiting && !d.free ? ' stuck' : '')} aria-label=${'Queue ' + d.name}>
            <header><h3>${d.name}</h3><span class="pill">${MODE_NAMES[d.dispatch_mode] || d.dispatch_mode}</span></header>
            <p class="waiting"><strong class=${d.waiting ? 'hot' : ''}>${d.waiting}</strong> waiting${d.oldest_queued_at && html`<span class="muted"> · longest ${duration((Date.now() - Date.parse(d.oldest_queued_at)) / 1000)}</span>`}</p>
            <p class="muted roster">${d.online} online · ${d.free} ${d.free === 1 ? 'place' : 'places'} free</p>
            <div class="row">
              <button class="ghost" onClick=${() => onOpenQueue(d.id)} disabled=${!d.waiting}>Show queue</button>
              <button id=${'distribute-' + d.id} class="primary" disabled=${!d.waiting || !d.free || busy === d.id}
                title="Hand the waiting conversations to the online people with room, the least loaded first"
                onClick=${() => distribute(d)}>Distribute</button>
            </div>
          </section>`)}
      </div>
      <h2>People</h2>
      <table class="people-load">
        <thead><tr><th scope="col">Operator</th><th scope="col">Departments</th><th scope="col">Holds</th><th scope="col">Offers</th><th scope="col">Snoozed</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          ${people.map((p) => {
            const full = p.capacity && p.open + p.offers >= p.capacity;
            const pct = p.capacity ? Math.min(100, Math.round(((p.open + p.offers) / p.capacity) * 100)) : 0;
            return html`<tr key=${p.id} class="person" aria-label=${p.name}>
              <th scope="row"><span class=${'dot ' + p.status} aria-hidden="true"></span>
                <button class="link person-name" title=${'Show ' + p.name + "'s open conversations, to reassign them"} onClick=${() => onShowPerson(p)}>${p.name}</button>
                <span class="muted"> ${p.status}</span></th>
              <td class="muted">${p.department_ids.map((id) => deptName.get(id)).filter(Boolean).join(', ') || '—'}</td>
              <td class="load"><span class="holds">${p.open}</span><span class="muted"> / ${p.capacity}</span>
                <span class=${'bar' + (full ? ' full' : '')} role="presentation"><span style=${'width:' + pct + '%'}></span></span></td>
              <td>${p.offers}</td>
              <td>${p.snoozed}</td>
              <td class="actions">${p.open > 0 && (confirm === p.id
                ? html`<span class="confirm">Give back ${p.open}?
                    <button class="danger" onClick=${() => release(p)}>Yes</button>
                    <button class="ghost" onClick=${() => setConfirm('')}>No</button></span>`
                : html`<button class="ghost" aria-label=${'Return ' + p.name + "'s conversations to the queue"} disabled=${busy === p.id}
                    onClick=${() => setConfirm(p.id)}>Return to queue</button>`)}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </main>`;
}

// TransferForm moves the conversation to a department, to its queue or to
// one of its people (supervisors of the conversation's department and
// admins may; the server says no to anyone else).
function TransferForm({ conv, toast, onTransfer, onClose }) {
  const [departments, setDepartments] = useState(null);
  const [dept, setDept] = useState('');
  const [members, setMembers] = useState([]);
  const [assignee, setAssignee] = useState('');
  const [note, setNote] = useState('');
  const first = useRef(null);
  useEffect(() => {
    get('/departments').then((r) => {
      const others = r.departments.filter((d) => d.id !== conv.department_id);
      setDepartments(r.departments);
      setDept((others[0] || r.departments[0] || {}).id || '');
    }, (err) => toast(err.message));
  }, []);
  useEffect(() => { first.current?.focus(); }, [departments]);
  useEffect(() => {
    setAssignee('');
    setMembers([]);
    if (!dept) return;
    get(`/departments/${dept}/members`).then((r) => setMembers(r.members.filter((m) => m.active)), () => {});
  }, [dept]);
  if (departments === null) return html`<div class="menu resolve" role="dialog" aria-label="Transfer"><p class="muted">Loading departments…</p></div>`;
  if (departments.length === 0) {
    return html`<div class="menu resolve" role="dialog" aria-label="Transfer" onKeyDown=${(e) => { if (e.key === 'Escape') onClose(); }}>
      <p class="muted">No departments yet: an admin creates them.</p>
      <button ref=${first} onClick=${onClose}>Close</button></div>`;
  }
  return html`
    <form class="menu resolve" role="dialog" aria-label="Transfer" onKeyDown=${(e) => { if (e.key === 'Escape') onClose(); }}
      onSubmit=${(e) => { e.preventDefault(); onTransfer({ department_id: dept, assignee_id: assignee || null, note: note.trim() }); }}>
      <label>Department<select id="transfer-department" ref=${first} value=${dept} onChange=${(e) => setDept(e.target.value)}>
        ${departments.map((d) => html`<option value=${d.id}>${d.name}${d.id === conv.department_id ? ' (now)' : ''}</option>`)}
      </select></label>
      <label>To<select id="transfer-assignee" value=${assignee} onChange=${(e) => setAssignee(e.target.value)}>
        <option value="">Its queue</option>
        ${members.map((m) => html`<option value=${m.operator_id}>${m.name} · ${m.status}</option>`)}
      </select></label>
      <label>Note for them<textarea id="transfer-note" rows="2" maxlength="1000" placeholder="Optional: what they should know"
        value=${note} onInput=${(e) => setNote(e.target.value)}></textarea></label>
      <button class="primary" type="submit">Transfer</button>
    </form>`;
}

// merge adds items to a seq-ordered list, each seq once.
function merge(old, items) {
  const key = (m) => (m.event ? 'e' : m.note ? 'n' : 'm') + m.seq;
  const bySeq = new Map(old.map((m) => [key(m), m]));
  for (const m of items) bySeq.set(key(m), m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

render(html`<${App} />`, document.getElementById('root'));
