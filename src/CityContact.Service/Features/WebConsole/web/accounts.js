// Accounts for admins: create people's accounts (an agent account linked to its agent), reset a password (audited,
// lifts a lock-out, ends the person's sessions), disable or enable.
import * as api from './api.js';
import { t, translate } from './i18n.js';
import { startPage, el, say, errorText } from './shell.js';

const $ = (id) => document.getElementById(id);
let accounts = [];
let agents = [];

function stateOf(a) {
  return [a.disabled ? t('accounts.disabled') : t('accounts.active'), a.locked ? t('accounts.locked') : null].filter(Boolean).join(', ');
}

function renderAgents() {
  const linked = new Set(accounts.map((a) => a.agentId).filter(Boolean));
  $('account-agent').replaceChildren(el('option', { value: '', text: t('accounts.noAgent') }),
    ...agents.filter((a) => !linked.has(a.id)).map((a) => el('option', { value: a.id, text: `${a.name} (${a.endpoint ?? a.id})` })));
  $('account-agent').disabled = $('account-role').value !== 'agent';
}

function renderList() {
  $('accounts').tBodies[0].replaceChildren(...accounts.map((a) => {
    const password = el('input', { type: 'password', id: `reset-${a.id}`, autocomplete: 'new-password', minlength: 10,
      'aria-label': t('accounts.newPassword', { username: a.username }) });
    const reset = el('form', { class: 'inline', novalidate: true }, password, el('button', { type: 'submit', text: t('accounts.reset') }));
    reset.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await api.accounts.resetPassword(a.id, password.value);
        say($('list-message'), t('accounts.resetDone', { username: a.username }), 'success');
        await load();
      } catch (error) { say($('list-message'), errorText(error), 'error'); }
    });
    const toggle = el('button', { type: 'button', text: a.disabled ? t('accounts.enable') : t('accounts.disable'),
      'aria-label': `${a.disabled ? t('accounts.enable') : t('accounts.disable')}: ${a.username}`,
      onclick: async () => {
        try { await api.accounts.update(a.id, { disabled: !a.disabled }); await load(); } catch (error) { say($('list-message'), errorText(error), 'error'); }
      } });
    return el('tr', { 'data-account': a.username },
      el('th', { scope: 'row', text: a.username }), el('td', { text: a.displayName }),
      el('td', { text: t('role.' + a.role) + (a.agentId ? ` #${a.agentId}` : '') }), el('td', { text: stateOf(a) }),
      el('td', {}, reset), el('td', {}, toggle));
  }));
}

async function load() {
  [accounts, agents] = await Promise.all([api.accounts.list(), api.agents.list()]);
  renderList();
  renderAgents();
}

const me = await startPage(['admin'], () => { renderList(); renderAgents(); });
if (me) {
  $('account-role').addEventListener('change', renderAgents);
  $('account-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const role = $('account-role').value;
    try {
      const created = await api.accounts.create({
        username: $('account-username').value.trim(), displayName: $('account-name').value.trim(), role,
        agentId: role === 'agent' && $('account-agent').value ? Number($('account-agent').value) : null,
        language: $('account-language').value, password: $('account-password').value,
      });
      say($('account-message'), t('accounts.created', { username: created.username }), 'success');
      $('account-form').reset();
      await load();
      $('account-username').focus();
    } catch (error) {
      say($('account-message'), errorText(error), 'error');
    }
  });
  await load().catch((error) => say($('list-message'), errorText(error), 'error'));
  translate();
}
