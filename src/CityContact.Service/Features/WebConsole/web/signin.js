import * as api from './api.js';
import { t, translate, setLanguage, browserLanguage } from './i18n.js';
import { homeFor } from './shell.js';

const form = document.getElementById('signin-form');
const message = document.getElementById('signin-message');

function go(me) {
  const next = new URLSearchParams(location.search).get('next');
  // Only a path of this site: never an address elsewhere.
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : homeFor(me.role);
  if (target) location.replace(target);
  else message.textContent = t('signin.noPage');
}

setLanguage(browserLanguage());
translate();

// Already signed in: straight to the page of the role.
api.me().then(go, () => document.getElementById('username').focus());

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  message.textContent = '';
  const button = document.getElementById('signin-submit');
  button.disabled = true;
  try {
    const me = await api.signIn(form.username.value.trim(), form.password.value);
    setLanguage(me.language);
    go(me);
  } catch (error) {
    message.textContent = error.status === 401 ? t('signin.refused') : t('error', { message: error.message });
    form.password.value = '';
    form.password.focus();
  } finally {
    button.disabled = false;
  }
});
