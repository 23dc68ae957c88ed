// What every signed-in page shares: who is signed in, the header (pages of the role, language, sign-out), small DOM helpers.
import * as api from './api.js';
import { t, translate, setLanguage, languages } from './i18n.js';

const pages = [
  { href: '/desk.html', key: 'nav.desk', roles: ['agent'] },
  { href: '/wallboard.html', key: 'nav.wallboard', roles: ['supervisor', 'admin'] },
  { href: '/accounts.html', key: 'nav.accounts', roles: ['admin'] },
];

export function homeFor(role) {
  return pages.find((p) => p.roles.includes(role))?.href ?? null;
}

/** Element builder: el('td', { class: 'x', text: 'y' }, child...). */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') element.textContent = value;
    else if (name === 'class') element.className = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.filter((c) => c !== null && c !== undefined));
  return element;
}

/** Says text in a live region (read by screen readers, visible on screen). */
export function say(region, text, kind = 'info') {
  region.textContent = text;
  region.dataset.kind = kind;
}

export function errorText(error) {
  const fields = error instanceof api.ApiError ? Object.values(error.fieldErrors) : [];
  return t('error', { message: fields.length ? fields.join('; ') : error.message });
}

/**
 * Signs the page in: the person (or back to sign-in), refused roles sent to their own page, the header drawn.
 * onLanguage re-renders the page's dynamic parts when the person switches language.
 */
export async function startPage(allowedRoles, onLanguage = () => {}) {
  let me;
  try {
    me = await api.me();
  } catch {
    return null; // api.js has sent the browser to sign-in
  }
  setLanguage(me.language);
  if (!allowedRoles.includes(me.role)) {
    location.replace(homeFor(me.role) ?? '/');
    return null;
  }
  drawHeader(me, onLanguage);
  translate();
  document.body.classList.add('ready');
  return me;
}

function drawHeader(me, onLanguage) {
  const header = document.querySelector('header.top');
  const nav = el('nav', { 'data-i18n-label': 'nav.label' },
    el('ul', {}, ...pages.filter((p) => p.roles.includes(me.role)).map((p) =>
      el('li', {}, el('a', { href: p.href, 'data-i18n': p.key, 'aria-current': location.pathname === p.href ? 'page' : null })))));
  const select = el('select', { id: 'language' }, ...languages.map((l) => el('option', { value: l, text: l.toUpperCase(), selected: l === me.language })));
  select.addEventListener('change', async () => {
    const updated = await api.setLanguage(select.value);
    setLanguage(updated.language);
    translate();
    document.getElementById('who').textContent = `${me.displayName} (${t('role.' + me.role)})`;
    onLanguage();
  });
  const signOut = el('button', { type: 'button', id: 'sign-out', 'data-i18n': 'signout' });
  signOut.addEventListener('click', async () => {
    try { await api.signOut(); } finally { location.assign('/'); }
  });
  header.replaceChildren(
    el('a', { class: 'skip', href: '#main', 'data-i18n': 'skip' }),
    el('span', { class: 'brand', 'data-i18n': 'app.name' }),
    nav,
    el('span', { class: 'who', text: `${me.displayName} (${t('role.' + me.role)})`, id: 'who' }),
    el('label', { for: 'language', 'data-i18n': 'lang.label' }), select,
    signOut);
}
