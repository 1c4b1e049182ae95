// HTTP client for the v1 API (docs/api.md). Keeps the CSRF token in memory only.

let csrfToken = null;
let onUnauthorized = () => {};

export function setCsrf(token) { csrfToken = token || null; }
export function csrf() { return csrfToken; } // for uploads, which go through XMLHttpRequest (progress)
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export class ApiError extends Error {
  constructor(status, code, message, { field = null, retryAfter = null } = {}) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

const STATUS_CODES = {
  400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict',
  413: 'too_large', 429: 'rate_limited', 503: 'unavailable',
};

async function raw(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.');
  }
  let data = null;
  if ((res.headers.get('content-type') || '').includes('json')) {
    data = await res.json().catch(() => null);
  }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const retry = Number(res.headers.get('Retry-After'));
    throw new ApiError(res.status, err.code || STATUS_CODES[res.status] || 'internal',
      err.message || `The server answered ${res.status}.`,
      { field: err.field || null, retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null });
  }
  return data;
}

/**
 * Calls the API. A 401 ends the session (except on the login call itself); a 403 `csrf`
 * refreshes the token from /auth/me once and retries.
 */
export async function api(method, path, body, { auth = true } = {}) {
  try {
    return await raw(method, path, body);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403 && err.code === 'csrf' && auth) {
      const me = await raw('GET', '/api/v1/auth/me').catch(() => null);
      if (me && me.csrf_token) {
        setCsrf(me.csrf_token);
        return raw(method, path, body);
      }
    }
    if (err instanceof ApiError && err.status === 401 && auth) onUnauthorized();
    throw err;
  }
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);

export function userFrom(data) {
  if (!data) return null;
  return data.user || data.agent || (data.id != null ? data : null);
}
