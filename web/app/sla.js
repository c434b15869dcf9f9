// Service levels in the admin's Settings: the workspace's business hours
// and its SLA policies (docs/SLA.md). Saved whole, as the API takes them;
// what the server refuses shows at the field it names.
import { html, useState, useEffect } from './vendor/htm-preact-3.1.1.js';
import { get, put, post } from './api.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEKDAYS = DAYS.slice(0, 5);
const METRICS = [
  ['first_response', 'First response'],
  ['next_response', 'Next response'],
  ['resolution', 'Resolution'],
];
// The target columns: every priority, then overrides for the pressing ones.
const COLUMNS = [['', 'Any priority'], ['high', 'High'], ['urgent', 'Urgent']];
const ACTIONS = [
  ['notify_assignee', 'Notify the assignee'],
  ['notify_supervisors', 'Notify supervisors'],
  ['raise_priority', 'Raise priority to urgent'],
  ['reassign', 'Reassign to someone online'],
];
const zones = () => (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : ['UTC']);

// errorAt is the server's message when it names this field (or a field
// inside it).
const errorAt = (err, field) => (err && err.field && (err.field === field || err.field.startsWith(field + '.') || err.field.startsWith(field + '[')) ? err.message : '');

export function ServiceLevels({ toast, departments }) {
  return html`
    <h2>Service levels</h2>
    <p class="muted">Business hours say when clocks count; a policy says how fast people answer and resolve, for which conversations. The first policy that matches applies.</p>
    <${BusinessHours} toast=${toast} />
    <${Policies} toast=${toast} departments=${departments} />`;
}

// BusinessHours edits the workspace's calendar: spans of days and hours,
// holidays; or always open.
function BusinessHours({ toast }) {
  const [cal, setCal] = useState(undefined); // undefined: loading; null: always open
  const [error, setError] = useState(null);
  useEffect(() => { get('/business-hours').then((r) => setCal(r.business_hours), (err) => toast(err.message)); }, []);
  if (cal === undefined) return html`<p class="muted">Loading…</p>`;
  const save = async (next) => {
    setError(null);
    try {
      const r = await put('/business-hours', { business_hours: next });
      setCal(r.business_hours);
      toast(next ? 'Business hours saved' : 'Always open');
    } catch (err) { setError(err); }
  };
  if (cal === null) {
    return html`<section class="card hours" aria-label="Business hours">
      <h3>Business hours</h3>
      <p class="muted">Always open: business-hours targets count around the clock.</p>
      <div class="row"><button type="button" id="hours-set" onClick=${() => setCal({
        time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
        hours: [{ days: WEEKDAYS, from: '09:00', to: '17:00' }], holidays: [],
      })}>Set business hours</button></div>
    </section>`;
  }
  const span = (i, patch) => setCal({ ...cal, hours: cal.hours.map((s, j) => (j === i ? { ...s, ...patch } : s)) });
  const toggleDay = (i, d) => {
    const days = cal.hours[i].days.includes(d) ? cal.hours[i].days.filter((x) => x !== d) : [...cal.hours[i].days, d];
    span(i, { days: DAYS.filter((x) => days.includes(x)) });
  };
  return html`<form class="card hours" aria-label="Business hours" onSubmit=${(e) => { e.preventDefault(); save(cal); }}>
    <h3>Business hours</h3>
    <label>Time zone<input id="hours-zone" list="zones" value=${cal.time_zone} onInput=${(e) => setCal({ ...cal, time_zone: e.target.value })}
      aria-invalid=${errorAt(error, 'business_hours.time_zone') ? 'true' : undefined} /></label>
    <datalist id="zones">${zones().map((z) => html`<option key=${z} value=${z} />`)}</datalist>
    ${errorAt(error, 'business_hours.time_zone') && html`<p class="field-error" role="alert">${error.message}</p>`}
    <ol class="plain spans">
      ${cal.hours.map((s, i) => html`<li key=${i} class="span-row">
        <span class="days" role="group" aria-label=${'Days of span ' + (i + 1)}>
          ${DAYS.map((d) => html`<label key=${d} class=${'day' + (s.days.includes(d) ? ' on' : '')}>
            <input type="checkbox" checked=${s.days.includes(d)} onChange=${() => toggleDay(i, d)} />${d[0].toUpperCase() + d.slice(1, 3)}</label>`)}
        </span>
        <label class="sr-only" for=${'span-from-' + i}>From</label>
        <input id=${'span-from-' + i} class="time" value=${s.from} maxlength="5" onInput=${(e) => span(i, { from: e.target.value })} />
        <span aria-hidden="true">–</span>
        <label class="sr-only" for=${'span-to-' + i}>To</label>
        <input id=${'span-to-' + i} class="time" value=${s.to} maxlength="5" onInput=${(e) => span(i, { to: e.target.value })} />
        <button type="button" class="icon" aria-label=${'Remove span ' + (i + 1)} disabled=${cal.hours.length === 1}
          onClick=${() => setCal({ ...cal, hours: cal.hours.filter((_, j) => j !== i) })}>✕</button>
        ${errorAt(error, `business_hours.hours[${i}]`) && html`<p class="field-error" role="alert">${error.message}</p>`}
      </li>`)}
    </ol>
    <div class="row"><button type="button" id="span-add" onClick=${() => setCal({ ...cal, hours: [...cal.hours, { days: WEEKDAYS, from: '13:00', to: '17:00' }] })}>Add hours</button></div>
    <label>Holidays<input id="hours-holidays" placeholder="2026-12-25, 2026-12-26" value=${(cal.holidays || []).join(', ')}
      onInput=${(e) => setCal({ ...cal, holidays: e.target.value.split(/[\s,]+/).filter(Boolean) })} /></label>
    ${errorAt(error, 'business_hours.holidays') && html`<p class="field-error" role="alert">${error.message}</p>`}
    ${error && !/^business_hours\.(time_zone|hours|holidays)/.test(error.field || '') && html`<p class="field-error" role="alert">${error.message}</p>`}
    <div class="row">
      <button class="primary" type="submit" id="hours-save">Save hours</button>
      <button type="button" class="ghost" onClick=${() => save(null)}>Always open</button>
    </div>
  </form>`;
}

let fresh = 0;
const blank = () => ({
  key: 'new' + ++fresh, name: 'New policy', enabled: true, warn_at_percent: 80, business: true,
  conditions: {}, pauses: { snoozed: true, waiting_on_customer: false },
  targets: [{ metric: 'first_response', seconds: 3600, business_hours: true }], ladder: [],
});

// Policies edits the ordered list of SLA policies.
function Policies({ toast, departments }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const take = (list) => setRows(list.map((p) => ({ ...p, key: p.id, business: p.targets.some((t) => t.business_hours) })));
  useEffect(() => { get('/sla-policies').then((r) => take(r.policies), (err) => toast(err.message)); }, []);
  if (!rows) return html`<p class="muted">Loading…</p>`;
  const patch = (i, next) => setRows(rows.map((r, j) => (j === i ? { ...r, ...next } : r)));
  const save = async () => {
    setError(null);
    try {
      const policies = rows.map(({ key, business, ...p }) => ({
        ...p, targets: p.targets.map((t) => ({ ...t, business_hours: business })),
        ladder: p.ladder.filter((s) => s.metric),
      }));
      const r = await put('/sla-policies', { policies });
      take(r.policies);
      toast('Policies saved');
    } catch (err) { setError(err); }
  };
  return html`<form class="policies" aria-label="SLA policies" onSubmit=${(e) => { e.preventDefault(); save(); }}>
    ${rows.length === 0 && html`<p class="muted">No policy yet: no clock runs.</p>`}
    ${rows.map((p, i) => html`<${Policy} key=${p.key} p=${p} i=${i} n=${rows.length} departments=${departments} error=${error}
      onChange=${(next) => patch(i, next)}
      onMove=${(by) => { const next = rows.slice(); [next[i], next[i + by]] = [next[i + by], next[i]]; setRows(next); }}
      onRemove=${() => setRows(rows.filter((_, j) => j !== i))} />`)}
    ${error && !/^policies\[/.test(error.field || '') && html`<p class="field-error" role="alert">${error.message}</p>`}
    <div class="row">
      <button type="button" id="policy-add" onClick=${() => setRows([...rows, blank()])}>Add policy</button>
      <button class="primary" type="submit" id="policies-save">Save policies</button>
    </div>
  </form>`;
}

// minutes shows a target in minutes ('' for none).
const minutes = (p, metric, priority) => {
  const t = p.targets.find((x) => x.metric === metric && (x.priority || '') === priority);
  return t ? String(Math.round(t.seconds / 60)) : '';
};

function Policy({ p, i, n, departments, error, onChange, onMove, onRemove }) {
  const field = `policies[${i}]`;
  const setTarget = (metric, priority, value) => {
    const rest = p.targets.filter((x) => !(x.metric === metric && (x.priority || '') === priority));
    const mins = parseFloat(value);
    const next = value.trim() === '' || !(mins > 0) ? rest
      : [...rest, { metric, seconds: Math.round(mins * 60), ...(priority ? { priority } : {}), business_hours: p.business }];
    onChange({ targets: next });
  };
  const depts = p.conditions.department_ids || [];
  const toggleDept = (id) => onChange({ conditions: { ...p.conditions, department_ids: depts.includes(id) ? depts.filter((x) => x !== id) : [...depts, id] } });
  const prios = p.conditions.priorities || [];
  const togglePrio = (x) => onChange({ conditions: { ...p.conditions, priorities: prios.includes(x) ? prios.filter((y) => y !== x) : [...prios, x] } });
  const step = (j, next) => onChange({ ladder: p.ladder.map((s, k) => (k === j ? { ...s, ...next } : s)) });
  const msg = errorAt(error, field);
  return html`<section class="card policy" aria-label=${'Policy ' + p.name}>
    <div class="row policy-head">
      <label class="grow">Name<input class="policy-name" value=${p.name} maxlength="100" onInput=${(e) => onChange({ name: e.target.value })} /></label>
      <label class="check"><input type="checkbox" checked=${p.enabled} onChange=${(e) => onChange({ enabled: e.target.checked })} /> On</label>
      <button type="button" class="icon" aria-label=${'Move ' + p.name + ' up'} disabled=${i === 0} onClick=${() => onMove(-1)}>↑</button>
      <button type="button" class="icon" aria-label=${'Move ' + p.name + ' down'} disabled=${i === n - 1} onClick=${() => onMove(1)}>↓</button>
      <button type="button" class="icon" aria-label=${'Remove ' + p.name} onClick=${onRemove}>✕</button>
    </div>
    <fieldset><legend>Applies to</legend>
      <div class="chips">
        ${departments.length > 0 && departments.map((d) => html`<label key=${d.id} class=${'chip-check' + (depts.includes(d.id) ? ' on' : '')}>
          <input type="checkbox" checked=${depts.includes(d.id)} onChange=${() => toggleDept(d.id)} />${d.name}</label>`)}
        ${['low', 'normal', 'high', 'urgent'].map((x) => html`<label key=${x} class=${'chip-check' + (prios.includes(x) ? ' on' : '')}>
          <input type="checkbox" checked=${prios.includes(x)} onChange=${() => togglePrio(x)} />${x}</label>`)}
      </div>
      <p class="muted hint">${depts.length || prios.length ? 'Conversations in any ticked department, of any ticked priority.' : 'Every conversation.'}</p>
    </fieldset>
    <table class="targets">
      <caption class="sr-only">Targets in minutes</caption>
      <thead><tr><th scope="col">Target, minutes</th>${COLUMNS.map(([, label]) => html`<th scope="col" key=${label}>${label}</th>`)}</tr></thead>
      <tbody>${METRICS.map(([metric, label]) => html`<tr key=${metric}><th scope="row">${label}</th>
        ${COLUMNS.map(([prio, col]) => html`<td key=${col}><input class="minutes" inputmode="decimal" aria-label=${label + ', ' + col}
          id=${`target-${i}-${metric}-${prio || 'any'}`} value=${minutes(p, metric, prio)} placeholder="–"
          onChange=${(e) => setTarget(metric, prio, e.target.value)} /></td>`)}
      </tr>`)}</tbody>
    </table>
    <div class="row options">
      <label class="check"><input type="checkbox" checked=${p.business} onChange=${(e) => onChange({ business: e.target.checked })} /> Count in business hours</label>
      <label class="check"><input type="checkbox" checked=${p.pauses.snoozed} onChange=${(e) => onChange({ pauses: { ...p.pauses, snoozed: e.target.checked } })} /> Pause while snoozed</label>
      <label class="check"><input type="checkbox" checked=${p.pauses.waiting_on_customer} onChange=${(e) => onChange({ pauses: { ...p.pauses, waiting_on_customer: e.target.checked } })} /> Pause resolution while waiting on the customer</label>
      <label class="inline">Warn at <input class="percent" type="number" min="0" max="99" value=${p.warn_at_percent}
        onInput=${(e) => onChange({ warn_at_percent: parseInt(e.target.value, 10) || 0 })} /> %</label>
    </div>
    <fieldset><legend>Escalation</legend>
      ${p.ladder.map((s, j) => html`<div class="row step" key=${j}>
        <select aria-label="Metric" value=${s.metric} onChange=${(e) => step(j, { metric: e.target.value })}>
          ${METRICS.map(([m, label]) => html`<option value=${m} selected=${m === s.metric}>${label}</option>`)}
        </select>
        <select aria-label="When" value=${s.at} onChange=${(e) => step(j, { at: e.target.value })}>
          <option value="warning" selected=${s.at === 'warning'}>at the warning</option>
          <option value="breach" selected=${s.at === 'breach'}>at the breach</option>
        </select>
        <select aria-label="Action" value=${s.actions[0].kind}
          onChange=${(e) => step(j, { actions: [e.target.value === 'raise_priority' ? { kind: e.target.value, priority: 'urgent' } : { kind: e.target.value }] })}>
          ${ACTIONS.map(([k, label]) => html`<option value=${k} selected=${k === s.actions[0].kind}>${label}</option>`)}
        </select>
        <button type="button" class="icon" aria-label="Remove step" onClick=${() => onChange({ ladder: p.ladder.filter((_, k) => k !== j) })}>✕</button>
      </div>`)}
      <button type="button" class="link step-add" onClick=${() => onChange({ ladder: [...p.ladder, { metric: 'first_response', at: 'breach', actions: [{ kind: 'notify_supervisors' }] }] })}>Add a step</button>
    </fieldset>
    ${msg && html`<p class="field-error" role="alert">${error.message}</p>`}
    <${WhatIf} p=${p} i=${i} />
  </section>`;
}

const pct = (o) => (o.breach_rate == null ? '—' : `${(100 * o.breach_rate).toFixed(1)} %`);

// WhatIf measures the policy as edited (not saved) against the last 30
// days: the breach rate it would have had beside the actual one.
function WhatIf({ p, i }) {
  const [res, setRes] = useState(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState('');
  const run = async () => {
    setBusy(true);
    setErr('');
    try {
      const { key, business, ...policy } = p;
      const body = { ...policy, targets: policy.targets.map((t) => ({ ...t, business_hours: business })), ladder: policy.ladder.filter((s) => s.metric) };
      const r = await post('/sla/what-if', { policy: body, days: 30 });
      setRes(r.what_if);
    } catch (e) { setErr(e.message); }
    setBusy(false);
  };
  return html`<div class="what-if">
    <button type="button" class="link what-if-run" id=${'what-if-' + i} disabled=${busy} onClick=${run}>${busy ? 'Measuring…' : 'What if this policy had applied for the last 30 days?'}</button>
    ${err && html`<p class="field-error" role="alert">${err}</p>`}
    ${res && html`<table class="what-if-table">
      <caption>${res.conversations} conversation${res.conversations === 1 ? '' : 's'} it covers${res.sampled ? ' (the most recent)' : ''}, replayed</caption>
      <thead><tr><th scope="col">Breached</th><th scope="col">This policy</th><th scope="col">Actually</th></tr></thead>
      <tbody>${res.metrics.map((m) => html`<tr key=${m.metric}>
        <th scope="row">${(METRICS.find(([k]) => k === m.metric) || [m.metric, m.metric])[1]}</th>
        <td class="candidate">${pct(m.candidate)} <span class="muted">(${m.candidate.breached} of ${m.candidate.met + m.candidate.breached})</span></td>
        <td>${pct(m.actual)} <span class="muted">(${m.actual.breached} of ${m.actual.met + m.actual.breached})</span></td>
      </tr>`)}</tbody>
    </table>`}
  </div>`;
}
