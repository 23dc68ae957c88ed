// The supervisor wallboard: per queue live figures with amber/red thresholds (said in words and symbols too), per
// agent state with pause / unpause / log-out actions, and a large-screen mode for a wall display (?wall=1).
import * as api from './api.js';
import { t, translate, duration, time } from './i18n.js';
import { startPage, el, say, errorText } from './shell.js';

const $ = (id) => document.getElementById(id);
let board = null;
const symbols = { ok: '✓', amber: '▲', red: '■' };

function secondsSince(iso) { return (Date.now() - new Date(iso).getTime()) / 1000; }

function percent(value) { return value === null || value === undefined ? '—' : `${Math.round(value * 100)}%`; }

function figure(label, value, name) {
  return el('div', { class: 'figure', 'data-figure': name }, el('dt', { text: label }), el('dd', { text: String(value) }));
}

function renderQueues() {
  $('queues').replaceChildren(...board.queues.map((q) => {
    const why = q.reasons.length ? ` (${q.reasons.map((r) => t('why.' + r)).join(', ')})` : '';
    return el('article', { class: `tile status-${q.status}`, 'data-queue': q.code, 'aria-labelledby': `queue-${q.id}` },
      el('h3', { id: `queue-${q.id}` }, el('span', { text: q.name }), ' ',
        el('span', { class: 'status', 'data-status': q.status, text: `${symbols[q.status]} ${t('status.' + q.status)}${why}` })),
      el('dl', {},
        figure(t('wall.waiting'), q.waiting, 'waiting'),
        figure(t('wall.longest'), duration(q.longestWaitSeconds), 'longest'),
        figure(t('wall.offered'), q.offered, 'offered'),
        figure(t('wall.answered'), q.answered, 'answered'),
        figure(t('wall.abandoned'), q.abandoned, 'abandoned'),
        figure(t('wall.sl'), percent(q.serviceLevel), 'service-level'),
        figure(t('wall.asa'), q.averageSpeedOfAnswerSeconds === null ? '—' : duration(q.averageSpeedOfAnswerSeconds), 'asa'),
        figure(t('wall.callbacks'), q.callbacksPending, 'callbacks')));
  }));
}

function actions(agent) {
  const loggedOut = agent.state === 'logged_out' || agent.state === 'offline';
  const run = (label, action) => el('button', {
    type: 'button', text: label, 'aria-label': `${label}: ${agent.name}`, disabled: false,
    onclick: async () => {
      try { await action(); say($('wall-message'), ''); } catch (error) { say($('wall-message'), errorText(error), 'error'); }
    },
  });
  return [
    agent.state === 'paused'
      ? run(t('wall.unpause'), () => api.desk.unpause(agent.id))
      : loggedOut ? null : run(t('wall.pause'), () => api.desk.pause(agent.id, $('wall-pause-reason').value)),
    loggedOut ? null : run(t('wall.logout'), () => api.desk.logout(agent.id)),
  ];
}

function renderAgents() {
  // Re-drawn in place row by row, so a focused action button keeps its focus across updates.
  const body = $('agents').tBodies[0];
  const focusedId = document.activeElement?.closest?.('tr')?.dataset.agent;
  const focusedLabel = document.activeElement?.getAttribute?.('aria-label');
  body.replaceChildren(...board.agents.map((a) => {
    const reason = a.reason && a.state !== 'offline' ? ` (${t('reason.' + a.reason)})` : '';
    const current = a.currentCall ? `${a.currentCall.queueCode ?? '—'} · ${duration(secondsSince(a.currentCall.since))}` : '—';
    return el('tr', { 'data-agent': a.id, 'data-state': a.state },
      el('th', { scope: 'row', text: a.name }),
      el('td', {}, el('span', { class: 'state', 'data-state': a.state, text: t('state.' + a.state) + reason })),
      el('td', { class: 'since', 'data-since': a.since ?? '', text: a.since ? duration(secondsSince(a.since)) : '—' }),
      el('td', { text: String(a.callsToday) }),
      el('td', { text: current }),
      el('td', { class: 'act' }, ...actions(a)));
  }));
  if (focusedId) {
    const button = [...body.querySelectorAll(`tr[data-agent="${focusedId}"] button`)].find((b) => b.getAttribute('aria-label') === focusedLabel)
      ?? body.querySelector(`tr[data-agent="${focusedId}"] button`);
    button?.focus();
  }
}

function render() {
  if (!board) return;
  renderQueues();
  renderAgents();
  $('updated').textContent = t('wall.updated', { time: time(board.at) });
}

function setLarge(on) {
  document.body.classList.toggle('wall', on);
  $('large-screen').setAttribute('aria-pressed', String(on));
  $('large-screen').dataset.i18n = on ? 'wall.normal' : 'wall.large';
  $('large-screen').textContent = t(on ? 'wall.normal' : 'wall.large');
  const url = new URL(location.href);
  if (on) url.searchParams.set('wall', '1'); else url.searchParams.delete('wall');
  history.replaceState(null, '', url);
}

const me = await startPage(['supervisor', 'admin'], render);
if (me) {
  setLarge(new URLSearchParams(location.search).get('wall') === '1');
  $('large-screen').addEventListener('click', () => setLarge(!document.body.classList.contains('wall')));
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape' && document.body.classList.contains('wall')) setLarge(false); });
  api.wallboard.follow((next) => { board = next; render(); document.body.dataset.boardAt = next.at; },
    (status) => say($('stream-status'), t('stream.' + status)));
  setInterval(() => {
    for (const cell of document.querySelectorAll('td.since[data-since]')) {
      if (cell.dataset.since) cell.textContent = duration(secondsSince(cell.dataset.since));
    }
  }, 1000);
  translate();
}
