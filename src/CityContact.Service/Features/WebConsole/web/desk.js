// The agent desk: my state, the call ringing or in progress with its screen pop, tickets during or after the call,
// wrap-up, and the tickets and callbacks assigned to me with their SLA countdown.
import * as api from './api.js';
import { t, translate, duration, dateTime } from './i18n.js';
import { startPage, el, say, errorText } from './shell.js';

const $ = (id) => document.getElementById(id);
let me = null;
let desk = null;
let mine = [];
let shownCallId = null;
let announced = null;

function stateText(agent) {
  const reason = agent.reason && agent.state !== 'offline' ? ` (${t('reason.' + agent.reason)})` : '';
  return t('state.' + agent.state) + reason;
}

function secondsSince(iso) { return (Date.now() - new Date(iso).getTime()) / 1000; }

function renderState() {
  const agent = desk.agent;
  $('state').textContent = stateText(agent);
  $('state').dataset.state = agent.state;
  $('state-since').textContent = agent.since ? `${t('desk.since')} ${duration(secondsSince(agent.since))}` : '';
  $('queues').textContent = agent.queues.length ? agent.queues.join(', ') : '—';
  const loggedOut = agent.state === 'logged_out' || agent.state === 'offline';
  $('login').disabled = !loggedOut;
  $('logout').disabled = loggedOut;
  $('pause').disabled = loggedOut || agent.state === 'paused';
  $('unpause').disabled = agent.state !== 'paused';
}

function renderCall() {
  const call = desk.call;
  $('no-call').hidden = !!call;
  $('call-details').hidden = !call;
  $('call-phase').textContent = call ? `— ${t('phase.' + call.phase)}` : '';
  $('call-phase').dataset.phase = call?.phase ?? '';
  $('wrapup-end').disabled = desk.agent.state !== 'wrap_up';
  $('wrapup-set').disabled = !call;
  if (!call) {
    shownCallId = null;
    announced = null;
    $('call-announce').textContent = '';
    return;
  }
  $('call-caller').textContent = call.callerNumber || '—';
  $('call-language').textContent = call.language || '—';
  $('call-queue').textContent = call.queueCode || '—';
  $('call-wait').textContent = duration(call.waitSeconds ?? 0);
  $('call-ivr').textContent = call.ivrPath?.length ? call.ivrPath.join(' → ') : '—';
  $('call-urgent').textContent = call.urgent ? `⚠ ${t('call.urgent')}` : t('call.notUrgent');
  $('call-urgent').className = call.urgent ? 'urgent' : '';
  const history = desk.history;
  $('history-calls').replaceChildren(history?.calls?.length
    ? el('table', {}, el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('history.when') }), el('th', { scope: 'col', text: t('call.queue') }),
        el('th', { scope: 'col', text: t('history.outcome') }))),
      el('tbody', {}, ...history.calls.map((c) => el('tr', {}, el('td', { text: dateTime(c.startedAt) }), el('td', { text: c.queueCode ?? '—' }), el('td', { text: c.outcome ?? '—' })))))
    : el('p', { class: 'muted', text: t('history.noCalls') }));
  $('history-tickets').replaceChildren(history?.openTickets?.length
    ? el('ul', { class: 'tickets' }, ...history.openTickets.map((k) => el('li', {}, el('strong', { text: k.number }), ` ${k.category ?? ''} · ${k.status} · ${t('mine.due')} ${dateTime(k.dueAt)}`)))
    : el('p', { class: 'muted', text: t('history.noTickets') }));
  if (call.callId !== shownCallId) {
    // A new call: the contact phone is the caller's number, and its open tickets can take a note.
    shownCallId = call.callId;
    $('ticket-phone').value = call.callerNumber || '';
    $('ticket-message').textContent = '';
    $('wrapup-code').value = call.wrapUpCode || '';
  }
  if (`${call.callId}/${call.phase}` !== announced) {
    announced = `${call.callId}/${call.phase}`;
    say($('call-announce'), `${t('phase.' + call.phase)}: ${call.callerNumber || ''} (${call.queueCode || ''})`);
  }
  renderNoteTickets();
}

function renderNoteTickets() {
  const open = [...(desk?.history?.openTickets ?? []), ...mine.map((k) => ({ id: k.id, number: k.number }))];
  const seen = new Set();
  const options = open.filter((k) => !seen.has(k.id) && seen.add(k.id)).map((k) => el('option', { value: k.id, text: k.number }));
  const selected = $('note-ticket').value;
  $('note-ticket').replaceChildren(...options);
  if (selected) $('note-ticket').value = selected;
  $('note-add').disabled = options.length === 0;
}

function slaText(ticket) {
  if (!ticket.dueAt) return t('ticket.noDue');
  const left = (new Date(ticket.dueAt).getTime() - Date.now()) / 1000;
  return left < 0 ? `⚠ ${t('mine.overdue', { time: duration(-left) })}` : t('mine.left', { time: duration(left) });
}

function renderMine() {
  $('mine-list').replaceChildren(...(mine.length ? mine.map((ticket) => {
    const input = el('input', { id: `resolution-${ticket.id}`, autocomplete: 'off' });
    const form = el('form', { class: 'inline', novalidate: true },
      el('label', { for: input.id, text: `${t('mine.resolution')} (${ticket.number})` }), input,
      el('button', { type: 'submit', text: t('mine.resolve') }));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await api.tickets.resolve(ticket.id, input.value);
        say($('mine-message'), t('mine.resolved', { number: ticket.number }));
        await loadMine();
      } catch (error) {
        say($('mine-message'), errorText(error), 'error');
        input.focus();
      }
    });
    const overdue = ticket.dueAt && new Date(ticket.dueAt) < new Date();
    return el('li', { class: overdue ? 'overdue' : '' },
      el('p', {}, el('strong', { text: ticket.number }), ` ${t('kind.' + ticket.kind)} · ${ticket.subject}`),
      el('p', { class: 'sla', 'data-due': ticket.dueAt ?? '', text: `${t('mine.due')} ${dateTime(ticket.dueAt)} — ${slaText(ticket)}` }),
      form);
  }) : [el('li', { class: 'muted', text: t('mine.none') })]));
}

async function loadMine() {
  mine = await api.tickets.assignedTo(me.agentId);
  renderMine();
  renderNoteTickets();
}

function render() {
  if (!desk) return;
  renderState();
  renderCall();
}

async function act(action, region = $('state-message')) {
  try {
    await action();
    region.textContent = '';
  } catch (error) {
    say(region, errorText(error), 'error');
  }
}

async function loadCategories() {
  const categories = await api.tickets.categories();
  $('ticket-category').replaceChildren(...categories.map((c) => el('option', { value: c.id, text: c.name })));
}

function wire() {
  const id = me.agentId;
  $('login').addEventListener('click', () => act(() => api.desk.login(id)));
  $('logout').addEventListener('click', () => act(() => api.desk.logout(id)));
  $('pause').addEventListener('click', () => act(() => api.desk.pause(id, $('pause-reason').value)));
  $('unpause').addEventListener('click', () => act(() => api.desk.unpause(id)));
  $('ticket-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const call = desk?.call;
    try {
      const ticket = await api.tickets.create({
        kind: $('ticket-kind').value, channel: 'phone', priority: $('ticket-priority').value,
        categoryId: Number($('ticket-category').value) || null, description: $('ticket-description').value,
        citizenName: $('ticket-name').value || null, citizenPhone: $('ticket-phone').value || null, citizenEmail: $('ticket-email').value || null,
        callId: call?.callRowId ?? null,
      });
      say($('ticket-message'), t('ticket.created', { number: ticket.number, due: ticket.dueAt ? dateTime(ticket.dueAt) : t('ticket.noDue') }), 'success');
      $('ticket-message').dataset.number = ticket.number;
      $('ticket-description').value = '';
      desk.history ??= { calls: [], openTickets: [] };
      desk.history.openTickets = [...(desk.history.openTickets ?? []), { id: ticket.id, number: ticket.number, status: ticket.status, dueAt: ticket.dueAt }];
      renderCall();
    } catch (error) {
      say($('ticket-message'), errorText(error), 'error');
    }
  });
  $('note-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const option = $('note-ticket').selectedOptions[0];
    await act(async () => {
      await api.tickets.addNote(Number(option.value), $('note-text').value);
      say($('note-message'), t('ticket.noteAdded', { number: option.textContent }), 'success');
      $('note-text').value = '';
    }, $('note-message'));
  });
  $('wrapup-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const code = $('wrapup-code').value.trim();
    await act(async () => {
      await api.desk.wrapUp(id, code);
      say($('wrapup-message'), t('wrapup.saved', { code }), 'success');
    }, $('wrapup-message'));
  });
  $('wrapup-end').addEventListener('click', () => act(() => api.desk.endWrapUp(id), $('wrapup-message')));
}

me = await startPage(['agent'], () => { render(); renderMine(); });
if (me) {
  if (!me.agentId) {
    say($('state-message'), t('desk.noAgent'), 'error');
  } else {
    wire();
    await loadCategories().catch((error) => say($('ticket-message'), errorText(error), 'error'));
    api.desk.follow(me.agentId, (next) => { desk = next; render(); document.body.dataset.deskState = next.agent.state; },
      (status) => say($('stream-status'), t('stream.' + status)));
    loadMine().catch((error) => say($('mine-message'), errorText(error), 'error'));
    setInterval(() => { if (desk) renderState(); for (const p of document.querySelectorAll('.sla')) updateSla(p); }, 1000);
    setInterval(() => loadMine().catch(() => {}), 30000);
  }
  translate();
}

function updateSla(p) {
  const ticket = mine.find((k) => (k.dueAt ?? '') === p.dataset.due);
  if (ticket) p.textContent = `${t('mine.due')} ${dateTime(ticket.dueAt)} — ${slaText(ticket)}`;
}
