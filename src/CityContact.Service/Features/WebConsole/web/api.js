// The console's one data layer: every page talks to the service through these functions only, with the same API
// and roles as any REST client. A session cookie (HttpOnly, set by sign-in) authenticates; every change carries the
// session's CSRF token in X-CSRF-Token.

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  /** The first message per field of a validation problem, e.g. { description: "..." }. */
  get fieldErrors() {
    const errors = this.problem.errors || {};
    return Object.fromEntries(Object.entries(errors).map(([field, messages]) => [field, messages[0]]));
  }
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && path !== '/api/auth/signin') {
      signedOut();
    }
    throw new ApiError(response.status, json);
  }
  return json;
}

function signedOut() {
  csrfToken = null;
  if (location.pathname !== '/' && location.pathname !== '/index.html') {
    location.assign('/?next=' + encodeURIComponent(location.pathname + location.search));
  }
}

/**
 * Follows a server-sent event stream (`event: <name>` + JSON data). EventSource reconnects by itself; onStatus hears
 * 'live' or 'reconnecting' so the page can say so. Returns a function that closes the stream.
 */
function follow(path, eventName, onData, onStatus = () => {}) {
  const source = new EventSource(path, { withCredentials: true });
  source.addEventListener(eventName, (event) => onData(JSON.parse(event.data)));
  source.addEventListener('open', () => onStatus('live'));
  source.addEventListener('error', async () => {
    onStatus('reconnecting');
    if (source.readyState === EventSource.CLOSED) {
      // Closed for good (e.g. 401 after the session ended): find out whether we are still signed in.
      try { await me(); setTimeout(() => { source.close(); follow(path, eventName, onData, onStatus); }, 2000); } catch { /* redirected */ }
    }
  });
  return () => source.close();
}

export async function me() {
  const who = await request('GET', '/api/me');
  csrfToken = who.csrfToken;
  return who;
}

export async function signIn(username, password) {
  const who = await request('POST', '/api/auth/signin', { username, password });
  csrfToken = who.csrfToken;
  return who;
}

export const signOut = () => request('POST', '/api/auth/signout');
export const setLanguage = async (language) => { const who = await request('PUT', '/api/me/language', { language }); csrfToken = who.csrfToken; return who; };

export const desk = {
  get: (agentId) => request('GET', `/api/agents/${agentId}/desk`),
  follow: (agentId, onDesk, onStatus) => follow(`/api/agents/${agentId}/desk/stream`, 'desk', onDesk, onStatus),
  login: (agentId) => request('POST', `/api/agents/${agentId}/login`),
  logout: (agentId) => request('POST', `/api/agents/${agentId}/logout`),
  pause: (agentId, reason) => request('POST', `/api/agents/${agentId}/pause`, { reason }),
  unpause: (agentId) => request('POST', `/api/agents/${agentId}/unpause`),
  wrapUp: (agentId, code) => request('POST', `/api/agents/${agentId}/wrapup`, { code }),
  endWrapUp: (agentId) => request('POST', `/api/agents/${agentId}/wrapup/end`),
};

export const wallboard = {
  get: () => request('GET', '/api/wallboard'),
  follow: (onBoard, onStatus) => follow('/api/wallboard/stream', 'board', onBoard, onStatus),
};

export const agents = {
  list: async () => (await request('GET', '/api/agents')).items,
};

export const tickets = {
  categories: async () => (await request('GET', '/api/ticket-categories?limit=500')).items.filter((c) => c.active),
  create: (ticket) => request('POST', '/api/tickets', ticket),
  addNote: (id, note) => request('POST', `/api/tickets/${id}/notes`, { note }),
  resolve: (id, resolution) => request('POST', `/api/tickets/${id}/resolve`, { resolution }),
  /** Open tickets assigned to the agent (callbacks among them), soonest due first. */
  assignedTo: async (agentId) => {
    const page = await request('GET', '/api/tickets?status=new,assigned,in_progress&limit=500');
    return page.items.filter((t) => t.assignedAgentId === agentId)
      .sort((a, b) => (a.dueAt || '9999').localeCompare(b.dueAt || '9999'));
  },
};

export const accounts = {
  list: () => request('GET', '/api/accounts'),
  create: (account) => request('POST', '/api/accounts', account),
  update: (id, change) => request('PUT', `/api/accounts/${id}`, change),
  resetPassword: (id, password) => request('POST', `/api/accounts/${id}/password`, { password }),
};
