// The token console: every action goes through the clerk-m2m-edge package (WASM) in this page. Keys live in
// the `settings` object below only: never in storage, cookies or the URL. Everything shown is set with
// textContent, never parsed as HTML.
import {
  createClerkClient,
  version,
  ClerkAPIResponseError,
  ClerkConfigurationError,
  MachineTokenVerificationError,
} from '/pkg/index.js';

const $ = (id) => document.getElementById(id);

/** Builds an element: el('td', { class: 'x', dataset: { id } }, 'text', childNode, …). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'on') for (const [type, fn] of Object.entries(v)) node.addEventListener(type, fn);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

// ---- settings and clients ------------------------------------------------------------------------------------

const settings = { apiUrl: '', secretKey: '', machineSecretKey: '', authWith: 'instance' };
let clients = null; // { create, manage }

/** `sk_test_AbC…` → `sk_test_Ab…(52)`: enough to tell keys apart, never the key. */
function redact(key) {
  if (!key) return 'none';
  const prefix = key.match(/^(sk_(?:test|live)_|ak_|pk_(?:test|live)_)?/)[0];
  return `${prefix}${key.slice(prefix.length, prefix.length + 4)}…(${key.length} chars)`;
}

function applySettings() {
  hide('settings-error');
  const next = {
    apiUrl: $('api-url').value.trim(),
    secretKey: $('secret-key').value.trim(),
    machineSecretKey: $('machine-secret-key').value.trim(),
    authWith: document.querySelector('input[name="auth-with"]:checked').value,
  };
  try {
    const base = { apiUrl: next.apiUrl, secretKey: next.secretKey || undefined };
    // Creating needs the machine key; list/revoke/verify use the key chosen in the settings (a client given a
    // machine key always prefers it, so the instance-key client gets none).
    const create = createClerkClient({ ...base, machineSecretKey: next.machineSecretKey || undefined });
    const manage = next.authWith === 'machine' ? create : createClerkClient(base);
    Object.assign(settings, next);
    clients = { create, manage };
  } catch (e) {
    clients = null;
    showError('settings-error', e);
    $('settings-status').textContent = 'Not configured.';
    $('settings-status').classList.remove('ok');
    setEnabled(false);
    return;
  }
  const using = settings.authWith === 'machine' ? 'machine key' : 'instance key';
  $('settings-status').textContent =
    `Ready: ${settings.apiUrl} · instance ${redact(settings.secretKey)} · machine ${redact(settings.machineSecretKey)} · list/revoke/verify with the ${using}.`;
  $('settings-status').classList.add('ok');
  setEnabled(true);
}

function setEnabled(on) {
  for (const id of ['create-token', 'list-tokens', 'verify-button', 'list-machines', 'create-machine']) $(id).disabled = !on;
  if (!on) updatePager(null);
}

// ---- errors --------------------------------------------------------------------------------------------------

/** What to show for an error thrown by the package: its class and the fields that tell what went wrong. */
function describeError(e) {
  if (e instanceof ClerkAPIResponseError) {
    const codes = e.errors.map((x) => x.code).filter(Boolean);
    return {
      kind: e.name, code: codes.join(', ') || e.code, message: e.message, status: e.status ?? 'n/a',
      details: [
        ...e.errors.map((x) => [x.code || 'error', x.longMessage || x.message]),
        ...(e.clerkTraceId ? [['trace id', e.clerkTraceId]] : []),
        ...(e.retryAfter !== undefined ? [['retry after', `${e.retryAfter} s`]] : []),
      ],
    };
  }
  if (e instanceof MachineTokenVerificationError) {
    return { kind: e.name, code: e.code, message: e.message, status: e.status ?? 'n/a',
      details: [['reason', e.reason], ['action', e.action]].filter(([, v]) => v) };
  }
  if (e instanceof ClerkConfigurationError) return { kind: e.name, code: e.code, message: e.message, details: [] };
  if (e instanceof Error) return { kind: e.name, code: e.code, message: e.message, details: [] };
  return { kind: 'Error', message: String(e), details: [] };
}

function errorBox(e) {
  const d = describeError(e);
  return el('div', { class: 'error', role: 'alert' },
    el('div', { class: 'error-head' },
      el('span', { class: 'badge bad', 'data-testid': 'error-class' }, d.kind),
      d.code ? el('code', { class: 'error-code', 'data-testid': 'error-code' }, d.code) : null,
      d.status !== undefined ? el('span', { class: 'pill', 'data-testid': 'error-status' }, `status ${d.status}`) : null),
    el('p', { class: 'error-message', 'data-testid': 'error-message' }, d.message || '(no message)'),
    d.details.length ? el('dl', { class: 'meta' }, d.details.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])) : null);
}

function showError(id, e) {
  const box = $(id);
  box.replaceChildren(errorBox(e));
  box.hidden = false;
}

const hide = (id) => { $(id).hidden = true; };

/** Runs an action with its button busy, showing any error in `errorId` (null: `fn` shows its own errors). */
async function busy(button, errorId, fn) {
  if (!clients) return;
  if (errorId) hide(errorId);
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await fn();
  } catch (e) {
    if (errorId) showError(errorId, e);
    else throw e;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// ---- formatting ----------------------------------------------------------------------------------------------

const pretty = (v) => JSON.stringify(v, null, 2);

function when(ms) {
  if (ms === null || ms === undefined) return 'never';
  const diff = ms - Date.now();
  const abs = Math.abs(diff);
  const [n, unit] = abs < 60_000 ? [Math.round(abs / 1000), 's'] : abs < 3_600_000 ? [Math.round(abs / 60_000), 'min']
    : abs < 86_400_000 ? [Math.round(abs / 3_600_000), 'h'] : [Math.round(abs / 86_400_000), 'd'];
  return diff >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

const timeCell = (ms) => (ms === null || ms === undefined ? el('span', { class: 'muted' }, 'never')
  : el('time', { datetime: new Date(ms).toISOString(), title: new Date(ms).toLocaleString() }, when(ms)));

function statusBadge(t) {
  if (t.revoked) return el('span', { class: 'badge bad', title: t.revocationReason ?? '' }, 'revoked');
  if (t.expired) return el('span', { class: 'badge warn' }, 'expired');
  return el('span', { class: 'badge ok' }, 'active');
}

const scopesCell = (scopes) => (scopes?.length ? scopes.map((s) => el('code', { class: 'chip' }, s)) : el('span', { class: 'muted' }, 'none'));

// ---- create --------------------------------------------------------------------------------------------------

let createdToken = null;

function readCreateParams() {
  const tokenFormat = document.querySelector('input[name="format"]:checked').value;
  const expires = $('expires-in').value.trim();
  const claimsText = $('claims').value.trim();
  let claims;
  if (claimsText) {
    try {
      claims = JSON.parse(claimsText);
    } catch (e) {
      throw new TypeError(`Claims are not valid JSON: ${e.message}`);
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new TypeError('Claims must be a JSON object');
  }
  return { tokenFormat, secondsUntilExpiration: expires === '' ? null : Number(expires), ...(claims ? { claims } : {}) };
}

async function createToken() {
  const params = readCreateParams(); // bad input keeps the last result on screen
  hide('create-result');
  const t = await clients.create.m2m.createToken(params);
  createdToken = t.token;
  $('created-format').textContent = params.tokenFormat === 'jwt' ? 'JWT' : 'opaque';
  $('created-token').textContent = t.token;
  $('created-meta').replaceChildren(...[
    ['id', el('code', {}, t.id)],
    ['subject', el('code', {}, t.subject)],
    ['scopes', scopesCell(t.scopes)],
    ['claims', t.claims ? el('code', {}, JSON.stringify(t.claims)) : el('span', { class: 'muted' }, 'none')],
    ['expires', timeCell(t.expiration)],
  ].flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('create-result').hidden = false;
  // The list needs a subject: the machine that just created a token is the natural one.
  if (!$('list-subject').value.trim()) $('list-subject').value = t.subject;
}

// ---- list, paginate, revoke ----------------------------------------------------------------------------------

let lastPage = null; // { params, totalCount, count }

function readListParams() {
  const num = (id, fallback) => {
    const v = $(id).value.trim();
    return v === '' ? fallback : Number(v);
  };
  return {
    subject: $('list-subject').value.trim(),
    revoked: $('list-revoked').checked,
    expired: $('list-expired').checked,
    limit: num('list-limit', 10),
    offset: num('list-offset', 0),
  };
}

async function listTokens(params = readListParams()) {
  $('list-offset').value = String(params.offset);
  let page;
  try {
    page = await clients.manage.m2m.list(params);
  } catch (e) {
    // Rows of an earlier query next to this error would be misleading.
    lastPage = null;
    $('tokens-body').replaceChildren();
    $('tokens-empty').hidden = false;
    $('tokens-empty').textContent = 'The last list call failed.';
    updatePager(null);
    throw e;
  }
  lastPage = { params, totalCount: page.totalCount, count: page.data.length };
  $('tokens-body').replaceChildren(...page.data.map(tokenRow));
  $('tokens-empty').hidden = page.data.length > 0;
  $('tokens-empty').textContent = 'No tokens match. JWT-format tokens are not stored by Clerk and never appear here.';
  updatePager(lastPage);
}

function tokenRow(t) {
  const revoke = el('button', {
    type: 'button', class: 'danger small', 'data-testid': `revoke-${t.id}`, 'aria-label': `Revoke ${t.id}`, disabled: t.revoked,
    on: { click: (ev) => busy(ev.currentTarget, 'list-error', () => revokeToken(t.id)) },
  }, t.revoked ? 'Revoked' : 'Revoke');
  return el('tr', { dataset: { tokenId: t.id }, 'data-testid': 'token-row', class: t.revoked ? 'is-revoked' : t.expired ? 'is-expired' : '' },
    el('td', {}, el('code', { class: 'id' }, t.id)),
    el('td', {}, statusBadge(t)),
    el('td', {}, scopesCell(t.scopes)),
    el('td', {}, t.claims ? el('code', { class: 'claims', title: pretty(t.claims) }, JSON.stringify(t.claims)) : el('span', { class: 'muted' }, '—')),
    el('td', {}, timeCell(t.createdAt)),
    el('td', {}, timeCell(t.expiration)),
    el('td', { class: 'actions' }, revoke));
}

function updatePager(page) {
  if (!page) {
    $('list-prev').disabled = $('list-next').disabled = true;
    $('list-summary').textContent = '';
    return;
  }
  const { params, totalCount, count } = page;
  $('list-summary').textContent = count === 0 ? `0 of ${totalCount}` : `${params.offset + 1}–${params.offset + count} of ${totalCount}`;
  $('list-prev').disabled = params.offset <= 0;
  $('list-next').disabled = params.offset + count >= totalCount;
}

function showListStatus(text) {
  $('list-status').textContent = text;
  $('list-status').hidden = false;
}

async function revokeToken(id) {
  const t = await clients.manage.m2m.revokeToken({ m2mTokenId: id, revocationReason: 'revoked in the token console' });
  showListStatus(`Revoked ${t.id}${t.revocationReason ? ` (${t.revocationReason})` : ''}.`);
  if (lastPage) await listTokens(lastPage.params);
}

// ---- machines: list, create, scope matrix, rotate -----------------------------------------------------------

/** Secrets seen in this tab (create and rotate results), by machine id: shown redacted only. */
const machineSecrets = new Map();

function machinesStatus(text) {
  $('machines-status').textContent = text;
  $('machines-status').hidden = false;
}

async function loadMachines() {
  // The machines routes take the instance key only: the instance-key client, whatever the settings choose.
  const manage = createClerkClient({ apiUrl: settings.apiUrl, secretKey: settings.secretKey || undefined });
  const { data, totalCount } = await manage.machines.list({ limit: 100, orderBy: '+created_at' });
  $('machines-head').replaceChildren(el('tr', {},
    el('th', { scope: 'col' }, `Machine (${totalCount})`),
    data.map((m) => el('th', { scope: 'col', class: 'col', title: m.id }, m.name)),
    el('th', { scope: 'col' }, 'Secret key'), el('th', { scope: 'col' }, el('span', { class: 'sr-only' }, 'Actions'))));
  $('machines-body').replaceChildren(...data.map((m) => machineRow(m, data)));
  $('machines-empty').hidden = data.length > 0;
  $('machines-empty').textContent = 'No machines.';
}

function machineRow(m, all) {
  const scoped = new Set(m.scopedMachines.map((x) => x.id));
  const cells = all.map((to) => {
    if (to.id === m.id) return el('td', { class: 'cell self' }, '—');
    const box = el('input', {
      type: 'checkbox', checked: scoped.has(to.id), 'data-testid': `scope-${m.id}-${to.id}`,
      'aria-label': `${m.name} may call ${to.name}`,
      on: { change: (ev) => toggleScope(ev.currentTarget, m, to) },
    });
    return el('td', { class: 'cell' }, box);
  });
  const secret = machineSecrets.get(m.id);
  const rotate = el('button', {
    type: 'button', class: 'small', 'data-testid': `rotate-${m.id}`, 'aria-label': `Rotate the secret key of ${m.name}`,
    on: { click: (ev) => busy(ev.currentTarget, 'machines-error', () => rotateKey(m)) },
  }, 'Rotate key');
  return el('tr', { dataset: { machineId: m.id }, 'data-testid': 'machine-row' },
    el('th', { scope: 'row' }, el('div', {}, m.name), el('code', { class: 'id' }, m.id)),
    cells,
    el('td', {}, el('code', { class: 'secret', 'data-testid': `secret-${m.id}` }, secret ? redact(secret) : '—')),
    el('td', { class: 'actions' }, rotate));
}

const machinesApi = () => createClerkClient({ apiUrl: settings.apiUrl, secretKey: settings.secretKey || undefined }).machines;

async function toggleScope(box, from, to) {
  const on = box.checked;
  hide('machines-error');
  box.disabled = true;
  box.setAttribute('aria-busy', 'true');
  try {
    if (on) await machinesApi().createScope(from.id, to.id);
    else await machinesApi().deleteScope(from.id, to.id);
    machinesStatus(`${from.name} ${on ? 'may now call' : 'may no longer call'} ${to.name}.`);
  } catch (e) {
    box.checked = !on;
    showError('machines-error', e);
  } finally {
    box.disabled = false;
    box.removeAttribute('aria-busy');
  }
}

async function createMachine() {
  const name = $('machine-name').value.trim();
  const m = await machinesApi().create({ name });
  if (m.secretKey) machineSecrets.set(m.id, m.secretKey);
  machinesStatus(`Created ${m.name} (${m.id}), secret key ${redact(m.secretKey)}.`);
  $('machine-name').value = '';
  await loadMachines();
}

async function rotateKey(m) {
  const ttl = $('previous-token-ttl').value.trim();
  const previousTokenTtl = ttl === '' ? 0 : Number(ttl);
  const { secret } = await machinesApi().rotateSecretKey({ machineId: m.id, previousTokenTtl });
  machineSecrets.set(m.id, secret);
  machinesStatus(`Rotated the key of ${m.name}: new key ${redact(secret)}; the previous one works for ${previousTokenTtl} s.`);
  $(`machines-body`).querySelector(`[data-testid="secret-${m.id}"]`).textContent = redact(secret);
}

// ---- verify and decode ---------------------------------------------------------------------------------------

/** Base64url-decodes and parses a JWT's header and payload, for display only. Throws for anything else. */
function decodeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not a JWT (${parts.length} part${parts.length === 1 ? '' : 's'}, a JWT has 3)`);
  const decode = (part, what) => {
    try {
      const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (e) {
      throw new Error(`the ${what} is not base64url-encoded JSON (${e.message})`);
    }
  };
  return { header: decode(parts[0], 'header'), payload: decode(parts[1], 'payload') };
}

function renderDecoded(token) {
  const box = $('jwt-decoded');
  if (!token.includes('.')) {
    box.replaceChildren(el('p', { class: 'empty' }, token.startsWith('mt_') ? 'An opaque token: there is nothing inside it to decode; only Clerk knows what it stands for.'
      : 'Not a JWT: nothing to decode.'));
    return;
  }
  let decoded;
  try {
    decoded = decodeJwt(token);
  } catch (e) {
    box.replaceChildren(el('p', { class: 'notice bad', 'data-testid': 'jwt-decode-error' }, `Cannot decode: ${e.message}.`));
    return;
  }
  const times = ['iat', 'nbf', 'exp'].filter((k) => typeof decoded.payload[k] === 'number')
    .map((k) => [el('dt', {}, k), el('dd', {}, `${new Date(decoded.payload[k] * 1000).toLocaleString()} (${when(decoded.payload[k] * 1000)})`)]);
  box.replaceChildren(
    el('h4', {}, 'Header'), el('pre', { class: 'json', 'data-testid': 'jwt-header' }, pretty(decoded.header)),
    el('h4', {}, 'Payload'), el('pre', { class: 'json', 'data-testid': 'jwt-payload' }, pretty(decoded.payload)),
    times.length ? el('dl', { class: 'meta' }, times) : null);
}

async function verifyToken() {
  const token = $('verify-token').value.trim();
  const audience = $('verify-audience').value.trim();
  renderDecoded(token);
  const box = $('verify-result');
  box.replaceChildren(el('p', { class: 'empty' }, 'Verifying…'));
  try {
    const t = await clients.manage.m2m.verify({ token, ...(audience ? { audience } : {}) });
    box.replaceChildren(
      el('div', { class: 'result-head' }, el('span', { class: 'badge ok', 'data-testid': 'verify-ok' }, 'Valid'),
        el('span', { class: 'pill' }, `subject ${t.subject}`)),
      el('pre', { class: 'json', 'data-testid': 'verify-json' }, pretty(t)));
  } catch (e) {
    box.replaceChildren(errorBox(e));
  }
}

// ---- wiring --------------------------------------------------------------------------------------------------

function onSubmit(formId, handler) {
  $(formId).addEventListener('submit', (ev) => {
    ev.preventDefault(); // method="dialog" and no input names: nothing would ever be submitted anyway
    handler(ev);
  });
}

onSubmit('settings-form', applySettings);
onSubmit('create-form', () => busy($('create-token'), 'create-error', createToken));
onSubmit('list-form', () => busy($('list-tokens'), 'list-error', () => {
  $('list-status').hidden = true;
  return listTokens();
}));
$('list-machines').addEventListener('click', (ev) => busy(ev.currentTarget, 'machines-error', () => {
  $('machines-status').hidden = true;
  return loadMachines();
}));
onSubmit('machines-form', () => busy($('create-machine'), 'machines-error', createMachine));
onSubmit('verify-form', () => busy($('verify-button'), null, verifyToken));

const page = (delta) => async () => {
  await busy(delta < 0 ? $('list-prev') : $('list-next'), 'list-error', async () => {
    $('list-status').hidden = true;
    const params = { ...(lastPage?.params ?? readListParams()) };
    params.offset = Math.max(0, params.offset + delta * params.limit);
    await listTokens(params);
  });
  updatePager(lastPage); // busy() re-enabled the button; whether there is a page further is the pager's call
};
$('list-prev').addEventListener('click', page(-1));
$('list-next').addEventListener('click', page(+1));

for (const input of document.querySelectorAll('input[name="format"]')) {
  input.addEventListener('change', () => {
    const jwt = $('format-jwt').checked;
    $('jwt-hint').hidden = !jwt;
    if (jwt && !$('expires-in').value) $('expires-in').value = '600';
  });
}

$('verify-created').addEventListener('click', () => {
  if (!createdToken) return;
  $('verify-token').value = createdToken;
  $('verify').scrollIntoView({ behavior: 'smooth', block: 'start' });
  $('verify-token').focus();
});
$('copy-created').addEventListener('click', async () => {
  if (!createdToken) return;
  try {
    await navigator.clipboard.writeText(createdToken);
    $('copy-created').textContent = 'Copied';
  } catch {
    $('copy-created').textContent = 'Copy failed';
  }
  setTimeout(() => { $('copy-created').textContent = 'Copy'; }, 1500);
});

// The Backend API URL (never a key) may come from the query string: the demo prints such a link.
const apiUrlParam = new URLSearchParams(location.search).get('apiUrl');
if (apiUrlParam) $('api-url').value = apiUrlParam;

$('pkg-version').textContent = `v${version()} · WASM loaded`;
document.body.dataset.ready = 'true';
