// Romanian and English, chosen per person (stored with the account; the sign-in page follows the browser).
const strings = {
  en: {
    'app.name': 'CityContact', 'nav.desk': 'Agent desk', 'nav.wallboard': 'Wallboard', 'nav.accounts': 'Accounts', 'nav.label': 'Pages',
    'lang.label': 'Language', 'signout': 'Sign out', 'skip': 'Skip to content',
    'signin.title': 'Sign in', 'signin.username': 'User name', 'signin.password': 'Password', 'signin.submit': 'Sign in',
    'signin.refused': 'Sign-in refused: the name or password is wrong, or the account is locked for a while after repeated failures.',
    'signin.noPage': 'Signed in. Your role has no page in the console; use the API.',
    'stream.live': 'Live', 'stream.reconnecting': 'Reconnecting…',
    'state.offline': 'Phone offline', 'state.logged_out': 'Logged out', 'state.available': 'Available', 'state.ringing': 'Ringing',
    'state.on_call': 'On a call', 'state.wrap_up': 'Wrap-up', 'state.paused': 'Paused',
    'reason.break': 'break', 'reason.lunch': 'lunch', 'reason.training': 'training', 'reason.back-office': 'back office',
    'reason.missed-calls': 'missed calls', 'reason.offline': 'phone offline',
    'desk.title': 'Agent desk', 'desk.noAgent': 'This account is not linked to an agent.',
    'desk.myState': 'My state', 'desk.since': 'since', 'desk.queues': 'My queues', 'desk.login': 'Log in to my queues',
    'desk.logout': 'Log out of my queues', 'desk.pauseReason': 'Pause reason', 'desk.pause': 'Pause', 'desk.unpause': 'Unpause',
    'desk.call': 'Call', 'desk.noCall': 'No call right now.', 'phase.ringing': 'Ringing', 'phase.talking': 'Talking', 'phase.wrap-up': 'Wrap-up',
    'call.caller': 'Caller', 'call.language': 'Language', 'call.queue': 'Queue', 'call.wait': 'Waited', 'call.ivrPath': 'IVR path',
    'call.urgent': 'URGENT', 'call.notUrgent': 'Not urgent', 'call.urgency': 'Urgency',
    'history.title': 'Earlier contact', 'history.calls': 'Earlier calls', 'history.noCalls': 'No earlier calls.',
    'history.tickets': 'Open tickets', 'history.noTickets': 'No open tickets.', 'history.when': 'When', 'history.outcome': 'Outcome',
    'ticket.new': 'New ticket', 'ticket.category': 'Category', 'ticket.kind': 'Kind', 'ticket.priority': 'Priority',
    'ticket.description': 'Description', 'ticket.contactName': 'Contact name', 'ticket.contactPhone': 'Contact phone',
    'ticket.contactEmail': 'Contact email', 'ticket.create': 'Create ticket',
    'ticket.created': 'Ticket {number} created; due {due}. Read the number to the citizen.', 'ticket.noDue': 'no due time',
    'kind.request': 'Request', 'kind.complaint': 'Complaint', 'kind.information': 'Information', 'kind.callback': 'Callback',
    'priority.low': 'Low', 'priority.normal': 'Normal', 'priority.high': 'High', 'priority.urgent': 'Urgent',
    'ticket.addTo': 'Add to an open ticket', 'ticket.which': 'Ticket', 'ticket.note': 'Note', 'ticket.addNote': 'Add note',
    'ticket.noteAdded': 'Note added to ticket {number}.',
    'wrapup.title': 'Wrap-up', 'wrapup.code': 'Wrap-up code', 'wrapup.set': 'Set code', 'wrapup.end': 'End wrap-up now',
    'wrapup.saved': 'Wrap-up code {code} saved.',
    'mine.title': 'My tickets and callbacks', 'mine.none': 'Nothing assigned to me.', 'mine.due': 'Due', 'mine.overdue': 'OVERDUE by {time}',
    'mine.left': '{time} left', 'mine.resolution': 'Resolution', 'mine.resolve': 'Resolve', 'mine.resolved': 'Ticket {number} resolved.',
    'wall.title': 'Wallboard', 'wall.queues': 'Queues', 'wall.agents': 'Agents', 'wall.large': 'Large-screen mode', 'wall.normal': 'Leave large-screen mode',
    'wall.queue': 'Queue', 'wall.waiting': 'Waiting', 'wall.longest': 'Longest wait', 'wall.offered': 'Offered', 'wall.answered': 'Answered',
    'wall.abandoned': 'Abandoned', 'wall.sl': 'Service level', 'wall.asa': 'Avg. answer', 'wall.callbacks': 'Callbacks', 'wall.status': 'Status',
    'status.ok': 'OK', 'status.amber': 'AMBER', 'status.red': 'RED',
    'why.longest-wait': 'long wait', 'why.abandon-rate': 'abandon rate', 'why.service-level': 'service level',
    'wall.agent': 'Agent', 'wall.state': 'State', 'wall.for': 'For', 'wall.calls': 'Calls today', 'wall.current': 'Current call',
    'wall.actions': 'Actions', 'wall.pause': 'Pause', 'wall.unpause': 'Unpause', 'wall.logout': 'Log out', 'wall.updated': 'Updated {time}',
    'accounts.title': 'Accounts', 'accounts.new': 'New account', 'accounts.username': 'User name', 'accounts.displayName': 'Name',
    'accounts.role': 'Role', 'accounts.agent': 'Agent (for the agent role)', 'accounts.noAgent': '— none —', 'accounts.language': 'Language',
    'accounts.password': 'Password (at least 10 characters)', 'accounts.create': 'Create account', 'accounts.created': 'Account {username} created.',
    'accounts.list': 'All accounts', 'accounts.state': 'State', 'accounts.active': 'active', 'accounts.disabled': 'disabled', 'accounts.locked': 'locked',
    'accounts.newPassword': 'New password for {username}', 'accounts.reset': 'Reset password', 'accounts.resetDone': 'Password of {username} reset; their sessions ended.',
    'accounts.disable': 'Disable', 'accounts.enable': 'Enable',
    'role.admin': 'admin', 'role.supervisor': 'supervisor', 'role.agent': 'agent', 'role.reporter': 'reporter',
    'error': 'Error: {message}',
  },
  ro: {
    'app.name': 'CityContact', 'nav.desk': 'Birou agent', 'nav.wallboard': 'Panou live', 'nav.accounts': 'Conturi', 'nav.label': 'Pagini',
    'lang.label': 'Limba', 'signout': 'Ieșire', 'skip': 'Salt la conținut',
    'signin.title': 'Autentificare', 'signin.username': 'Nume utilizator', 'signin.password': 'Parolă', 'signin.submit': 'Intră',
    'signin.refused': 'Autentificare refuzată: numele sau parola sunt greșite, ori contul e blocat temporar după încercări eșuate.',
    'signin.noPage': 'Autentificat. Rolul tău nu are o pagină în consolă; folosește API-ul.',
    'stream.live': 'În direct', 'stream.reconnecting': 'Reconectare…',
    'state.offline': 'Telefon deconectat', 'state.logged_out': 'Deconectat', 'state.available': 'Disponibil', 'state.ringing': 'Sună',
    'state.on_call': 'În convorbire', 'state.wrap_up': 'Finalizare', 'state.paused': 'În pauză',
    'reason.break': 'pauză', 'reason.lunch': 'masă', 'reason.training': 'instruire', 'reason.back-office': 'back-office',
    'reason.missed-calls': 'apeluri pierdute', 'reason.offline': 'telefon deconectat',
    'desk.title': 'Birou agent', 'desk.noAgent': 'Acest cont nu este legat de un agent.',
    'desk.myState': 'Starea mea', 'desk.since': 'din', 'desk.queues': 'Cozile mele', 'desk.login': 'Intră în cozile mele',
    'desk.logout': 'Ieși din cozile mele', 'desk.pauseReason': 'Motivul pauzei', 'desk.pause': 'Pauză', 'desk.unpause': 'Reia lucrul',
    'desk.call': 'Apel', 'desk.noCall': 'Niciun apel acum.', 'phase.ringing': 'Sună', 'phase.talking': 'În convorbire', 'phase.wrap-up': 'Finalizare',
    'call.caller': 'Apelant', 'call.language': 'Limba', 'call.queue': 'Coada', 'call.wait': 'A așteptat', 'call.ivrPath': 'Traseu IVR',
    'call.urgent': 'URGENT', 'call.notUrgent': 'Nu e urgent', 'call.urgency': 'Urgență',
    'history.title': 'Contacte anterioare', 'history.calls': 'Apeluri anterioare', 'history.noCalls': 'Niciun apel anterior.',
    'history.tickets': 'Tichete deschise', 'history.noTickets': 'Niciun tichet deschis.', 'history.when': 'Când', 'history.outcome': 'Rezultat',
    'ticket.new': 'Tichet nou', 'ticket.category': 'Categorie', 'ticket.kind': 'Tip', 'ticket.priority': 'Prioritate',
    'ticket.description': 'Descriere', 'ticket.contactName': 'Nume contact', 'ticket.contactPhone': 'Telefon contact',
    'ticket.contactEmail': 'Email contact', 'ticket.create': 'Creează tichetul',
    'ticket.created': 'Tichetul {number} a fost creat; termen {due}. Citiți numărul cetățeanului.', 'ticket.noDue': 'fără termen',
    'kind.request': 'Cerere', 'kind.complaint': 'Reclamație', 'kind.information': 'Informare', 'kind.callback': 'Apel înapoi',
    'priority.low': 'Scăzută', 'priority.normal': 'Normală', 'priority.high': 'Ridicată', 'priority.urgent': 'Urgentă',
    'ticket.addTo': 'Adaugă la un tichet deschis', 'ticket.which': 'Tichet', 'ticket.note': 'Notă', 'ticket.addNote': 'Adaugă nota',
    'ticket.noteAdded': 'Notă adăugată la tichetul {number}.',
    'wrapup.title': 'Finalizare', 'wrapup.code': 'Cod de finalizare', 'wrapup.set': 'Salvează codul', 'wrapup.end': 'Încheie finalizarea acum',
    'wrapup.saved': 'Codul de finalizare {code} a fost salvat.',
    'mine.title': 'Tichetele și apelurile mele înapoi', 'mine.none': 'Nimic atribuit mie.', 'mine.due': 'Termen', 'mine.overdue': 'DEPĂȘIT cu {time}',
    'mine.left': 'mai sunt {time}', 'mine.resolution': 'Rezolvare', 'mine.resolve': 'Rezolvă', 'mine.resolved': 'Tichetul {number} a fost rezolvat.',
    'wall.title': 'Panou live', 'wall.queues': 'Cozi', 'wall.agents': 'Agenți', 'wall.large': 'Mod ecran mare', 'wall.normal': 'Ieși din modul ecran mare',
    'wall.queue': 'Coada', 'wall.waiting': 'În așteptare', 'wall.longest': 'Cea mai lungă așteptare', 'wall.offered': 'Oferite', 'wall.answered': 'Preluate',
    'wall.abandoned': 'Abandonate', 'wall.sl': 'Nivel de serviciu', 'wall.asa': 'Timp mediu răspuns', 'wall.callbacks': 'Apeluri înapoi', 'wall.status': 'Stare',
    'status.ok': 'OK', 'status.amber': 'GALBEN', 'status.red': 'ROȘU',
    'why.longest-wait': 'așteptare lungă', 'why.abandon-rate': 'rată de abandon', 'why.service-level': 'nivel de serviciu',
    'wall.agent': 'Agent', 'wall.state': 'Stare', 'wall.for': 'De', 'wall.calls': 'Apeluri azi', 'wall.current': 'Apel curent',
    'wall.actions': 'Acțiuni', 'wall.pause': 'Pauză', 'wall.unpause': 'Reia', 'wall.logout': 'Deconectează', 'wall.updated': 'Actualizat {time}',
    'accounts.title': 'Conturi', 'accounts.new': 'Cont nou', 'accounts.username': 'Nume utilizator', 'accounts.displayName': 'Nume',
    'accounts.role': 'Rol', 'accounts.agent': 'Agent (pentru rolul agent)', 'accounts.noAgent': '— niciunul —', 'accounts.language': 'Limba',
    'accounts.password': 'Parolă (cel puțin 10 caractere)', 'accounts.create': 'Creează contul', 'accounts.created': 'Contul {username} a fost creat.',
    'accounts.list': 'Toate conturile', 'accounts.state': 'Stare', 'accounts.active': 'activ', 'accounts.disabled': 'dezactivat', 'accounts.locked': 'blocat',
    'accounts.newPassword': 'Parolă nouă pentru {username}', 'accounts.reset': 'Resetează parola', 'accounts.resetDone': 'Parola lui {username} a fost resetată; sesiunile sale s-au încheiat.',
    'accounts.disable': 'Dezactivează', 'accounts.enable': 'Activează',
    'role.admin': 'administrator', 'role.supervisor': 'supervizor', 'role.agent': 'agent', 'role.reporter': 'raportor',
    'error': 'Eroare: {message}',
  },
};

let language = 'en';

export const languages = Object.keys(strings);

export function setLanguage(value) {
  language = strings[value] ? value : 'en';
  document.documentElement.lang = language;
}

export function currentLanguage() { return language; }

export function browserLanguage() {
  return (navigator.language || 'en').toLowerCase().startsWith('ro') ? 'ro' : 'en';
}

/** The text of key in the person's language, with {name} placeholders filled. */
export function t(key, values = {}) {
  const text = strings[language][key] ?? strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

/** Fills every element marked data-i18n (text), data-i18n-label (aria-label) and data-i18n-title in root. */
export function translate(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-label]')) element.setAttribute('aria-label', t(element.dataset.i18nLabel));
  for (const element of root.querySelectorAll('[data-i18n-title]')) element.title = t(element.dataset.i18nTitle);
}

/** "4 min 05 s", "1 h 02 min", "12 s". */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86400)} d`;
}

export function dateTime(iso) {
  return iso ? new Date(iso).toLocaleString(language === 'ro' ? 'ro-RO' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' }) : '—';
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString(language === 'ro' ? 'ro-RO' : 'en-GB') : '—';
}
