// The contacts screen: every customer the workspace knows, searched by a
// piece of the name, email, phone or external id, filtered by tag,
// exported as CSV; a click opens the profile with its attributes, tags
// and the team's comments.
import { html, useState, useEffect, useRef } from './vendor/htm-preact-3.1.1.js';
import { get } from './api.js';
import { relTime } from './format.js';
import { TagChips, useTags } from './teamwork.js';

export function Contacts({ toast, renderProfile }) {
  const tags = useTags();
  const [q, setQ] = useState('');
  const [tag, setTag] = useState('');
  const [list, setList] = useState(null);
  const [next, setNext] = useState('');
  const [open, setOpen] = useState(null);
  const generation = useRef(0);
  const query = () => new URLSearchParams({ ...(q.trim() ? { q: q.trim() } : {}), ...(tag ? { tag_id: tag } : {}) }).toString();
  const load = async (cursor) => {
    const mine = ++generation.current;
    try {
      const r = await get('/contacts?limit=50&' + query() + (cursor ? '&cursor=' + cursor : ''));
      if (mine !== generation.current) return; // a newer search answered first
      setList((old) => (cursor ? [...old, ...r.contacts] : r.contacts));
      setNext(r.next_cursor || '');
    } catch (err) { toast(err.message); }
  };
  // Search as you type, a moment after the last key.
  useEffect(() => {
    const t = setTimeout(() => load(''), 200);
    return () => clearTimeout(t);
  }, [q, tag]);
  return html`<main class="pane contacts-view" aria-label="Contacts">
    <section class="contact-list">
      <div class="row contact-tools">
        <label class="sr-only" for="contact-search">Search contacts</label>
        <input id="contact-search" type="search" placeholder="Search by name, email, phone or id" value=${q} onInput=${(e) => setQ(e.target.value)} />
        ${tags.length > 0 && html`<label class="sr-only" for="contact-tag">Tag</label>
          <select id="contact-tag" value=${tag} onChange=${(e) => setTag(e.target.value)}>
            <option value="">Any tag</option>
            ${tags.map((t) => html`<option value=${t.id}>${t.name}</option>`)}
          </select>`}
        <a class="button" id="contacts-export" href=${'/api/v1/contacts?format=csv&' + query()} download="contacts.csv">Export CSV</a>
      </div>
      ${list === null && html`<p class="muted">Loading…</p>`}
      ${list && list.length === 0 && html`<p class="muted">${q || tag ? 'No contact matches.' : 'No contacts yet: they appear when visitors identify, or through the API.'}</p>`}
      ${list && list.length > 0 && html`<table class="contacts-table">
        <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Last seen</th><th scope="col">Tags</th></tr></thead>
        <tbody>${list.map((c) => html`<tr key=${c.id} class=${open && open.id === c.id ? 'on' : ''}>
          <th scope="row"><button class="link contact-open" onClick=${() => setOpen(c)}>${c.name || c.email || c.external_id || 'Unnamed'}</button></th>
          <td>${c.email}</td><td>${c.phone}</td><td>${c.last_seen_at ? relTime(c.last_seen_at) : ''}</td>
          <td><${TagChips} ids=${c.tag_ids} all=${tags} /></td>
        </tr>`)}</tbody>
      </table>`}
      ${next && html`<button id="contacts-more" onClick=${() => load(next)}>More</button>`}
    </section>
    <aside class="contact-profile" aria-label="Contact">
      ${open ? renderProfile(open, (ct) => { setOpen(ct); setList((l) => l.map((x) => (x.id === ct.id ? ct : x))); })
        : html`<p class="muted">Pick a contact to see their profile, attributes and the team's comments.</p>`}
    </aside>
  </main>`;
}
