// What operators add around a conversation, never shown to the visitor:
// private notes with @mentions, tags, and the notification inbox that
// says what needs me. Every text is rendered as text (htm children).
import { html, useState, useEffect, useRef } from './vendor/htm-preact-3.1.1.js';
import { get, post, call } from './api.js';
import { relTime } from './format.js';

// The workspace's people, read once: notes name their authors, the
// composer suggests whom to mention.
let people = null;
export const loadPeople = (fresh) => {
  if (fresh || !people) people = get('/operators').then((r) => r.operators, () => []);
  return people;
};
export function usePeople() {
  const [list, setList] = useState([]);
  useEffect(() => { loadPeople().then(setList); }, []);
  return list;
}
export const personName = (list, id) => (list.find((p) => p.id === id) || { name: 'Someone' }).name;

// The workspace's tags: read once, replaced whenever the socket says they
// changed (tags.changed carries the list), shared by every screen.
let tags = null;
const tagWatchers = new Set();
export function setTags(next) {
  tags = next;
  for (const fn of tagWatchers) fn(next);
}
export const loadTags = () => get('/tags').then((r) => { setTags(r.tags); return r.tags; });
export function useTags() {
  const [list, setList] = useState(tags || []);
  useEffect(() => {
    tagWatchers.add(setList);
    if (!tags) loadTags().catch(() => {});
    return () => tagWatchers.delete(setList);
  }, []);
  return list;
}

// TagChips shows tags by id, in the workspace's colours; with onRemove
// each has an ✕.
export function TagChips({ ids, all, onRemove }) {
  const shown = (ids || []).map((id) => all.find((t) => t.id === id)).filter(Boolean);
  if (!shown.length) return null;
  return html`<span class="tag-chips">${shown.map((t) => html`
    <span class="tag-chip" key=${t.id} style=${{ '--tag': t.color }}>
      <span class="tag-dot" aria-hidden="true"></span>${t.name}
      ${onRemove && html`<button class="chip-x" aria-label=${'Remove tag ' + t.name} title="Remove" onClick=${() => onRemove(t)}>✕</button>`}
    </span>`)}</span>`;
}

// TagPicker adds a tag to something: pick one of the workspace's, or type
// a new name and press Enter to make it.
export function TagPicker({ have, onAdd, toast }) {
  const all = useTags();
  const [text, setText] = useState('');
  const list = 'tag-options';
  const add = async () => {
    const name = text.trim();
    if (!name) return;
    let tag = all.find((t) => t.name.toLowerCase() === name.toLowerCase());
    try {
      if (!tag) {
        tag = (await post('/tags', { name })).tag;
        setTags([...all, tag].sort((a, b) => a.name.localeCompare(b.name)));
      }
      await onAdd(tag);
      setText('');
    } catch (err) { toast(err.message); }
  };
  return html`<form class="tag-picker" onSubmit=${(e) => { e.preventDefault(); add(); }}>
    <label class="sr-only" for="add-tag">Add a tag</label>
    <input id="add-tag" list=${list} placeholder="Add a tag…" value=${text} maxlength="50" autocomplete="off"
      onInput=${(e) => setText(e.target.value)} />
    <datalist id=${list}>${all.filter((t) => !(have || []).includes(t.id)).map((t) => html`<option key=${t.id} value=${t.name} />`)}</datalist>
  </form>`;
}

// mentionQuery is the @word being typed just before the caret, or null.
function mentionQuery(text, caret) {
  const m = /(^|[^\p{L}\p{N}_])@([\p{L}\p{N}_.-]{0,40})$/u.exec(text.slice(0, caret));
  return m ? m[2].toLowerCase() : null;
}

// Composer is the conversation's writing box: a reply to the customer
// (#compose, only when the conversation is mine) or a private note
// (#note-compose, with @mention suggestions) for the team. Enter sends,
// Shift+Enter breaks the line; in the suggestions, arrows move and Enter
// or Tab picks.
export function Composer({ mode, setMode, canReply, draft, setDraft, onSend, onNote }) {
  const everyone = usePeople();
  const area = useRef(null);
  const [query, setQuery] = useState(null);
  const [pick, setPick] = useState(0);
  const note = mode === 'note';
  const matches = note && query !== null
    ? everyone.filter((p) => p.active && (p.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(query))
        || p.name.toLowerCase().startsWith(query) || p.email.startsWith(query))).slice(0, 6)
    : [];
  const track = (el) => setQuery(mentionQuery(el.value, el.selectionStart));
  const choose = (p) => {
    const el = area.current;
    const caret = el.selectionStart;
    const before = el.value.slice(0, caret).replace(/@[\p{L}\p{N}_.-]*$/u, '@' + p.name + ' ');
    const next = before + el.value.slice(caret);
    // The box takes the name and the caret at once, before the next key:
    // the re-render finds the same value and leaves both alone.
    el.value = next;
    el.focus();
    el.setSelectionRange(before.length, before.length);
    setDraft(next);
    setQuery(null);
  };
  const submit = () => (note ? onNote() : onSend());
  const onKey = (e) => {
    if (matches.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setPick((i) => (i + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); choose(matches[Math.min(pick, matches.length - 1)]); return; }
      if (e.key === 'Escape') { e.preventDefault(); setQuery(null); return; }
    }
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); submit(); }
  };
  return html`<form class=${'compose' + (note ? ' note-mode' : '')} onSubmit=${(e) => { e.preventDefault(); submit(); }}>
    <div class="compose-modes" role="tablist" aria-label="Write">
      ${canReply && html`<button type="button" role="tab" id="mode-reply" aria-selected=${!note} class=${note ? '' : 'on'} onClick=${() => setMode('reply')}>Reply</button>`}
      <button type="button" role="tab" id="mode-note" aria-selected=${note} class=${note ? 'on' : ''} onClick=${() => setMode('note')}>Private note</button>
      ${!canReply && html`<span class="muted compose-why">Claim the conversation to reply to the customer.</span>`}
    </div>
    <div class="compose-row">
      <label class="sr-only" for=${note ? 'note-compose' : 'compose'}>${note ? 'Private note' : 'Reply'}</label>
      <textarea id=${note ? 'note-compose' : 'compose'} ref=${area} rows="3" value=${draft} aria-autocomplete=${note ? 'list' : undefined}
        placeholder=${note ? 'A note only your team sees. Type @ to mention someone.' : 'Reply… (Enter sends, Shift+Enter for a new line)'}
        onInput=${(e) => { setDraft(e.target.value); track(e.target); setPick(0); }}
        onClick=${(e) => track(e.target)} onKeyDown=${onKey} onBlur=${() => setTimeout(() => setQuery(null), 150)}></textarea>
      <button class="primary" type="submit">${note ? 'Add note' : 'Send'}</button>
      ${matches.length > 0 && html`<ul class="mentions" role="listbox" aria-label="Mention">
        ${matches.map((p, i) => html`<li key=${p.id} role="option" aria-selected=${i === pick} class=${i === pick ? 'on' : ''}
          onMouseDown=${(e) => { e.preventDefault(); choose(p); }}>
          <strong>${p.name}</strong> <span class="muted">${p.email}</span></li>`)}
      </ul>`}
    </div>
  </form>`;
}

// NoteItem is a private note in the timeline: its author, when, and for
// its author (or an admin) edit and delete.
export function NoteItem({ note, convID, me, admin, everyone, toast }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(note.body);
  const mayChange = note.author_id === me.id || admin;
  const save = async () => {
    const body = text.trim();
    if (!body) return;
    try {
      await call('PATCH', `/conversations/${convID}/notes/${note.id}`, { body });
      setEditing(false);
    } catch (err) { toast(err.message); }
  };
  const remove = async () => {
    if (!confirm('Delete this note for everyone?')) return;
    try { await call('DELETE', `/conversations/${convID}/notes/${note.id}`); } catch (err) { toast(err.message); }
  };
  return html`<li class="note" id=${'note-' + note.id}>
    <span class="who">${note.author_id === me.id ? 'You' : personName(everyone, note.author_id)} · private note</span>
    ${editing
      ? html`<form class="note-edit" onSubmit=${(e) => { e.preventDefault(); save(); }}>
          <label class="sr-only" for=${'edit-' + note.id}>Edit note</label>
          <textarea id=${'edit-' + note.id} rows="3" value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
          <span class="row"><button type="button" class="ghost" onClick=${() => { setText(note.body); setEditing(false); }}>Cancel</button>
          <button class="primary" type="submit">Save</button></span>
        </form>`
      : html`<p class="body">${note.body}</p>`}
    <span class="note-foot">
      <time datetime=${note.created_at}>${relTime(note.created_at)}</time>${note.edited_at && html` · edited`}
      ${mayChange && !editing && html`
        <button class="link" onClick=${() => setEditing(true)}>Edit</button>
        <button class="link danger-link" onClick=${remove}>Delete</button>`}
    </span>
  </li>`;
}

const KIND_LINES = {
  mention: (who) => `${who} mentioned you`,
  assigned: (who) => (who ? `${who} assigned you a conversation` : 'A conversation was assigned to you'),
  follow_up: () => 'A snoozed conversation of yours is back',
  offered: () => 'A conversation was offered to you',
  sla_warning: () => 'An SLA clock is due soon',
  sla_breach: () => 'An SLA clock breached',
  ticket_update: () => 'A ticket changed',
};
export const notificationLine = (n, everyone) => (KIND_LINES[n.kind] || (() => n.kind))(n.actor_id ? personName(everyone, n.actor_id) : '');

// Notifications is the bell in the top bar: my unread count, live, and
// the panel of items: all, unread or archived; read, unread, archive;
// mark all read. Opening an item reads it and opens what it is about.
export function Notifications({ unread, setUnread, lastItem, onOpen, toast }) {
  const everyone = usePeople();
  const [open, setOpen] = useState(false);
  const [filter, setFilter] = useState('all');
  const [items, setItems] = useState(null);
  const load = async (f = filter) => {
    try {
      const r = await get('/notifications?filter=' + f + '&limit=50');
      setItems(r.notifications);
      setUnread(r.unread);
    } catch (err) { toast(err.message); }
  };
  useEffect(() => { if (open) load(filter); }, [open, filter, lastItem]);
  const act = async (n, what) => {
    try {
      await post(`/notifications/${n.id}/${what}`);
      load();
    } catch (err) { toast(err.message); }
  };
  const openItem = async (n) => {
    if (!n.read_at) act(n, 'read');
    setOpen(false);
    if (n.conversation_id) onOpen(n.conversation_id);
  };
  const readAll = async () => {
    try { await post('/notifications/read-all'); load(); } catch (err) { toast(err.message); }
  };
  return html`<span class="menu-wrap bell-wrap">
    <button id="open-notifications" class="ghost bell" aria-haspopup="dialog" aria-expanded=${open}
      aria-label=${unread ? `Notifications, ${unread} unread` : 'Notifications'} onClick=${() => setOpen(!open)}>
      <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
        <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" /><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" /></svg>${unread > 0 && html`<span class="badge" id="unread-count">${unread > 99 ? '99+' : unread}</span>`}
    </button>
    ${open && html`<div class="menu notifications" role="dialog" aria-label="Notifications">
      <header>
        <div class="seg" role="tablist">
          ${['all', 'unread', 'archived'].map((f) => html`<button key=${f} role="tab" aria-selected=${filter === f} class=${filter === f ? 'on' : ''}
            onClick=${() => setFilter(f)}>${f[0].toUpperCase() + f.slice(1)}</button>`)}
        </div>
        <button class="link" id="read-all" onClick=${readAll} disabled=${!unread}>Mark all read</button>
      </header>
      <ul>
        ${items === null && html`<li class="empty">Loading…</li>`}
        ${items && items.length === 0 && html`<li class="empty">${filter === 'unread' ? 'All caught up.' : filter === 'archived' ? 'Nothing archived.' : 'Nothing needs you yet.'}</li>`}
        ${items && items.map((n) => html`<li key=${n.id} class=${'notification' + (n.read_at ? '' : ' unread')}>
          <button class="open" onClick=${() => openItem(n)}>
            <span class="line1"><strong>${notificationLine(n, everyone)}</strong><time datetime=${n.created_at}>${relTime(n.created_at)}</time></span>
            ${n.preview && html`<span class="preview">${n.preview}</span>`}
          </button>
          <span class="item-actions">
            ${!n.archived_at && html`<button class="link" onClick=${() => act(n, n.read_at ? 'unread' : 'read')}>${n.read_at ? 'Mark unread' : 'Mark read'}</button>`}
            <button class="link" onClick=${() => act(n, n.archived_at ? 'unarchive' : 'archive')}>${n.archived_at ? 'Unarchive' : 'Archive'}</button>
          </span>
        </li>`)}
      </ul>
    </div>`}
  </span>`;
}

