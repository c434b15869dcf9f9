// Formatting helpers of the inbox: pure functions, no DOM.

export function shortID(id) { return (id || '').slice(-6); }

export function relTime(iso) {
  if (!iso) return '';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 45) return 'now';
  if (s < 3600) return Math.round(s / 60) + 'm';
  if (s < 86400) return Math.round(s / 3600) + 'h';
  return new Date(iso).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export function senderLabel(m, me) {
  if (m.sender_type === 'operator') return m.sender_id === me.id ? 'You' : 'Operator';
  if (m.sender_type === 'bot') return 'Bot';
  if (m.sender_type === 'system') return 'System';
  return 'Visitor';
}

const EVENTS = {
  claimed: 'Claimed', assigned: 'Assigned', unassigned: 'Unassigned', snoozed: 'Snoozed', woken: 'Woke up',
  resolved: 'Resolved', reopened: 'Reopened', transferred: 'Transferred', started: 'Started',
  priority_changed: 'Priority changed', handed_off: 'Handed off to people',
  offered: 'Offered', offer_declined: 'Offer declined', offer_expired: 'Offer expired',
  escalated: 'Supervisors told', routed: 'Routed',
};

export const METRICS = {
  first_response: 'First response', next_response: 'Next response',
  resolution: 'Resolution', periodic_update: 'Periodic update',
};

const SLA_EVENTS = {
  activated: 'clock started', paused: 'clock paused', resumed: 'clock resumed', warned: 'due soon',
  breached: 'breached', fulfilled: 'met', cancelled: 'no longer measured',
};

// slaLine says an SLA event of the timeline: the metric, what happened,
// and for a ladder step what it did.
function slaLine(t, e) {
  const d = e.data || {};
  const metric = METRICS[d.metric] || d.metric || 'SLA';
  const cycle = d.metric === 'next_response' && d.cycle > 1 ? ` #${d.cycle}` : '';
  if (t === 'escalated') {
    const acts = (d.actions || []).map((a) => a.replace(/_/g, ' ')).join(', ');
    const when = d.moment === 'warning' ? 'due soon' : d.after_seconds ? `breached ${duration(d.after_seconds)} ago` : 'breached';
    return `SLA escalation: ${metric}${cycle} ${when}${acts ? ` — ${acts}` : ''}`;
  }
  return `SLA: ${metric}${cycle} ${SLA_EVENTS[t] || t}`;
}

export function eventLine(e) {
  const t = (e.type || '').replace(/^conversation\./, '');
  if (t.startsWith('sla.')) return slaLine(t.slice(4), e);
  const base = EVENTS[t] || t;
  if (t.startsWith('offer')) return base;
  if (t === 'tag_added' || t === 'tag_removed') return `${t === 'tag_added' ? 'Tagged' : 'Untagged'} “${(e.data && e.data.name) || 'a tag'}”`;
  if (t === 'transferred' && e.data && e.data.note) return `${base}: “${e.data.note}”`;
  if (e.reason === 'dispatch') {
    if (e.data && e.data.mode === 'distributed') return `${base} by a supervisor's Distribute`;
    const mode = e.data && e.data.mode ? ` (${e.data.mode.replace(/_/g, ' ')})` : '';
    return `${base} by dispatch${mode}`;
  }
  if (e.reason === 'sla_escalation') return `${base} by the SLA ladder`;
  if (e.reason === 'released') return `${base}: given back to the queue by a supervisor`;
  return e.reason ? `${base} (${e.reason.replace(/_/g, ' ')})` : base;
}

// duration says a number of seconds the way a person would: 45 s, 3 min,
// 1 h 20 min, 2 d 3 h.
export function duration(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

// snoozeChoices are the snooze menu's entries at now: 1 hour, tomorrow
// 9:00, next Monday 9:00, until the customer replies.
export function snoozeChoices(now) {
  const hour = new Date(now.getTime() + 3600e3);
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  const monday = new Date(now);
  monday.setDate(now.getDate() + ((8 - now.getDay()) % 7 || 7));
  monday.setHours(9, 0, 0, 0);
  return [
    { label: '1 hour', body: { until: hour.toISOString() } },
    { label: 'Tomorrow 9:00', body: { until: tomorrow.toISOString() } },
    { label: 'Next week', body: { until: monday.toISOString() } },
    { label: 'Until the customer replies', body: { until_reply: true } },
  ];
}

// slaCountdown says where an SLA clock stands at now: "12 min left",
// "due Mon 09:30" (a business-hours deadline beyond today's hours),
// "paused · 8 min left", "breached 5 min ago"; tone is ok, warn (warned,
// or under a fifth of the target left), late or paused; used is the share
// of the target gone (0 to 1), for a bar.
export function slaCountdown(clock, now) {
  const target = clock.target_seconds || 1;
  if (clock.breached_at) {
    return { text: `breached ${duration(Math.max(0, (now - Date.parse(clock.breached_at)) / 1000))} ago`, tone: 'late', used: 1 };
  }
  if (clock.paused || !clock.deadline) {
    const left = Math.max(0, target - clock.elapsed_seconds);
    return { text: `paused · ${duration(left)} left`, tone: 'paused', used: Math.min(1, clock.elapsed_seconds / target) };
  }
  const wall = (Date.parse(clock.deadline) - now) / 1000;
  if (wall <= 0) return { text: 'breaching now', tone: 'late', used: 1 };
  // The time to the deadline, at most the target: a business-hours clock
  // whose deadline lies past closed hours says when instead.
  const left = Math.min(wall, target);
  const used = Math.max(0, Math.min(1, 1 - left / target));
  const tone = clock.warned_at || left < target / 5 ? 'warn' : 'ok';
  if (clock.business_hours && wall > left + 60) {
    const d = new Date(clock.deadline);
    const when = d.toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
    return { text: `due ${when}`, tone, used };
  }
  return { text: `${duration(left)} left`, tone, used };
}
