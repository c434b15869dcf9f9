// The managers' SLA report: over a date range and the filters (department,
// priority, policy), per metric how many clocks were met and breached, the
// breach rate, the median and 90th percentile of the times; a chart of
// each day's met and breached; the breached conversations with what
// happened when. Everything exports as CSV.
import { html, useState, useEffect, useRef } from './vendor/htm-preact-3.1.1.js';
import { get } from './api.js';
import { duration, eventLine, METRICS, shortID } from './format.js';

const day = (d) => d.toISOString().slice(0, 10);

export function Reports({ toast, onOpen }) {
  const today = new Date();
  const [from, setFrom] = useState(day(new Date(today.getTime() - 29 * 864e5)));
  const [to, setTo] = useState(day(today));
  const [dept, setDept] = useState('');
  const [priority, setPriority] = useState('');
  const [policy, setPolicy] = useState('');
  const [departments, setDepartments] = useState([]);
  const [policies, setPolicies] = useState([]);
  const [report, setReport] = useState(null);
  const [breaches, setBreaches] = useState(null);
  const [open, setOpen] = useState(null);
  const generation = useRef(0);
  useEffect(() => {
    get('/departments').then((r) => setDepartments(r.departments), () => {});
    get('/sla-policies').then((r) => setPolicies(r.policies), () => {});
  }, []);
  const query = () => new URLSearchParams({
    from, to, ...(dept ? { department_id: dept } : {}), ...(priority ? { priority } : {}), ...(policy ? { policy_id: policy } : {}),
  }).toString();
  useEffect(() => {
    const mine = ++generation.current;
    Promise.all([get('/sla/report?' + query()), get('/sla/breaches?limit=50&' + query())]).then(([r, b]) => {
      if (mine !== generation.current) return;
      setReport(r);
      setBreaches(b.breaches);
    }, (err) => toast(err.message));
  }, [from, to, dept, priority, policy]);

  const shown = report ? report.metrics.filter((m) => m.met + m.breached + m.running > 0) : [];
  return html`<main class="pane reports" aria-label="Service level report">
    <div class="row report-tools">
      <h2>Service levels</h2>
      <label>From <input id="report-from" type="date" value=${from} max=${to} onChange=${(e) => setFrom(e.target.value)} /></label>
      <label>To <input id="report-to" type="date" value=${to} min=${from} onChange=${(e) => setTo(e.target.value)} /></label>
      <label>Department <select id="report-department" value=${dept} onChange=${(e) => setDept(e.target.value)}>
        <option value="">All</option>
        ${departments.map((d) => html`<option value=${d.id}>${d.name}</option>`)}
      </select></label>
      <label>Priority <select id="report-priority" value=${priority} onChange=${(e) => setPriority(e.target.value)}>
        <option value="">All</option>
        ${['low', 'normal', 'high', 'urgent'].map((p) => html`<option value=${p}>${p}</option>`)}
      </select></label>
      ${policies.length > 1 && html`<label>Policy <select id="report-policy" value=${policy} onChange=${(e) => setPolicy(e.target.value)}>
        <option value="">All</option>
        ${policies.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
      </select></label>`}
      <span class="spacer"></span>
      <a class="button" id="report-csv" href=${'/api/v1/sla/report?format=csv&' + query()} download="sla-report.csv">Export CSV</a>
    </div>
    ${report === null && html`<p class="muted">Loading…</p>`}
    ${report && shown.length === 0 && html`<p class="muted empty-report">No SLA clock started in this range. Clocks start when a conversation reaches people under a policy (Settings → Service levels).</p>`}
    ${shown.length > 0 && html`<section class="metric-cards">
      ${shown.map((m) => html`<article key=${m.metric} class="metric-card" id=${'metric-' + m.metric}>
        <h3>${METRICS[m.metric]}</h3>
        <p class=${'rate ' + (m.breach_rate == null ? '' : m.breach_rate > 0.2 ? 'bad' : m.breach_rate > 0.05 ? 'warn' : 'good')}>
          ${m.breach_rate == null ? '—' : `${(100 * (1 - m.breach_rate)).toFixed(m.breach_rate === 0 || m.breach_rate === 1 ? 0 : 1)} %`}
          <span class="muted"> on time</span></p>
        <dl>
          <dt>Met</dt><dd>${m.met}</dd>
          <dt>Breached</dt><dd>${m.breached + m.running_breached}${m.running_breached ? html` <span class="muted">(${m.running_breached} still open)</span>` : ''}</dd>
          <dt>Running</dt><dd>${m.running}</dd>
          <dt>Median</dt><dd>${m.median_seconds == null ? '—' : duration(m.median_seconds)}</dd>
          <dt>90th pct</dt><dd>${m.p90_seconds == null ? '—' : duration(m.p90_seconds)}</dd>
        </dl>
      </article>`)}
    </section>
    <${DayChart} days=${report.days} />`}
    ${breaches && breaches.length > 0 && html`<section class="breaches">
      <div class="row breaches-head"><h3>Breaches</h3><span class="spacer"></span>
        <a class="button" id="breaches-csv" href=${'/api/v1/sla/breaches?format=csv&limit=500&' + query()} download="sla-breaches.csv">Export CSV</a></div>
      <table class="breach-table">
        <thead><tr><th scope="col">Conversation</th><th scope="col">Metric</th><th scope="col">Policy</th><th scope="col">Priority</th>
          <th scope="col">Breached</th><th scope="col">Late by</th><th scope="col"></th></tr></thead>
        <tbody>${breaches.map((b) => {
          const key = b.conversation_id + b.metric + b.cycle;
          const late = Math.max(0, b.elapsed_seconds - b.target_seconds);
          return html`<tr key=${key} class=${open === key ? 'on' : ''}>
            <th scope="row"><button class="link" onClick=${() => onOpen(b.conversation_id)}>…${shortID(b.conversation_id)}</button></th>
            <td>${METRICS[b.metric]}${b.cycle > 1 ? ` #${b.cycle}` : ''}</td><td>${b.policy_name}</td><td>${b.priority}</td>
            <td>${new Date(b.breached_at).toLocaleString()}</td><td>${b.met_at ? duration(late) : html`<span class="pill sla late">open</span>`}</td>
            <td><button class="link history-toggle" aria-expanded=${open === key} onClick=${() => setOpen(open === key ? null : key)}>History</button></td>
          </tr>
          ${open === key && html`<tr class="history"><td colspan="7"><ol>
            ${b.events.map((e) => html`<li key=${e.seq}><time>${new Date(e.data && e.data.at ? e.data.at : e.created_at).toLocaleTimeString()}</time> ${eventLine(e)}</li>`)}
          </ol></td></tr>`}`;
        })}</tbody>
      </table>
    </section>`}
  </main>`;
}

// DayChart draws each day's clocks closed in time and late as stacked
// bars (SVG, no library).
function DayChart({ days }) {
  const max = Math.max(1, ...days.map((d) => d.met + d.breached));
  const w = 100 / days.length;
  if (days.every((d) => d.met + d.breached === 0)) {
    return html`<figure class="day-chart empty"><figcaption>No clock was met or closed late in this range yet: the chart fills as clocks close.</figcaption></figure>`;
  }
  return html`<figure class="day-chart">
    <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img"
      aria-label=${`Clocks met and breached per day, ${days[0].day} to ${days[days.length - 1].day}`}>
      ${days.map((d, i) => {
        const hm = (36 * d.met) / max;
        const hb = (36 * d.breached) / max;
        return html`<g key=${d.day}><title>${d.day}: ${d.met} met, ${d.breached} breached</title>
          <rect x=${i * w + w * 0.15} width=${w * 0.7} y=${40 - hm} height=${hm} class="met" />
          <rect x=${i * w + w * 0.15} width=${w * 0.7} y=${40 - hm - hb} height=${hb} class="late" /></g>`;
      })}
    </svg>
    <figcaption><span class="key met"></span> met <span class="key late"></span> breached · ${days[0].day} – ${days[days.length - 1].day}</figcaption>
  </figure>`;
}
