// Forms and the API's problems: labelled fields with hint and error slots, and a problem (RFC 9457) shown where it
// belongs. Field errors land next to their field, found by the JSON path the API names (`$.name`, or `from` for a
// query parameter), and anything else in the form's .problem-slot.
import { ApiError, SessionEnded } from '../api/errors';
import { h, nextId, type Child } from '../lib/dom';
import { reportForbidden } from '../lib/forbidden';

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface FieldOptions {
  label: string;
  name: string;
  /** The JSON path the API uses for it in `errors`. */
  path?: string;
  type?: string;
  value?: string | number;
  hint?: string;
  optional?: boolean;
  /** A control built by the caller (a select) instead of an input. */
  control?: Control;
  autocomplete?: string;
  required?: boolean;
  attrs?: Record<string, unknown>;
  /** Placed right after the control (a datalist). */
  after?: Child;
}

/** A labelled input with hint and error slots. */
export function field({ label, name, path = `$.${name}`, type = 'text', value = '', hint, optional, control, autocomplete, required, attrs = {}, after }: FieldOptions): HTMLDivElement {
  const id = nextId(name);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const input = control ?? h('input', { type, value, autocomplete, required, ...attrs });
  input.id = id;
  input.name = name;
  input.dataset.path = path;
  input.dataset.label = label;
  input.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  const shown = type === 'password' && !control && input instanceof HTMLInputElement ? passwordControl(input) : input;
  return h('div', { class: 'field' },
    h('label', { for: id }, label, optional && h('span', { class: 'optional' }, ' (optional)')),
    shown,
    after,
    hint && h('p', { class: 'hint', id: hintId }, hint),
    h('p', { class: 'field-error', id: errorId, hidden: true }));
}

function passwordControl(input: HTMLInputElement): HTMLDivElement {
  const toggle = h('button', {
    type: 'button', class: 'btn ghost small reveal', 'aria-pressed': 'false', 'aria-label': 'Show password',
    onclick: () => {
      const show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      toggle.setAttribute('aria-pressed', String(show));
      toggle.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
      toggle.textContent = show ? 'Hide' : 'Show';
    },
  }, 'Show');
  return h('div', { class: 'input-with-button' }, input, toggle);
}

export interface SelectOption {
  value: string;
  label: string;
}

export function selectControl(options: readonly SelectOption[], selected: string): HTMLSelectElement {
  return h('select', {}, options.map((o) => h('option', { value: o.value, selected: o.value === selected }, o.label)));
}

/** A labelled toolbar control; `path` is the key the API uses for it in `errors` (query parameters have no `$.`). */
export function toolbarField(label: string, control: HTMLElement, { path = null, grow = false, hint = null }: { path?: string | null; grow?: boolean; hint?: string | null } = {}): HTMLDivElement {
  control.id ||= nextId('filter');
  if (path) { control.dataset.path = path; control.dataset.label = label; }
  return h('div', { class: `toolbar-field field${grow ? ' grow' : ''}` },
    h('label', { for: control.id }, label),
    control,
    hint && h('p', { class: 'hint' }, hint),
    h('p', { class: 'field-error', hidden: true }));
}

/** A form value as text, trimmed ('' when absent). */
export function formText(data: FormData, name: string): string {
  const v = data.get(name);
  return typeof v === 'string' ? v.trim() : '';
}

/** Server field messages are fragments ("is required."); prefix them with the field's label. */
export function sentence(label: string | undefined, message: string): string {
  if (!message) return '';
  return label && /^[a-z]/.test(message) ? `${label} ${message}` : message;
}

/** The element that shows errors for a JSON path: exact match, else without array indexes, else the nearest parent path. */
function findPathTarget(container: Element, path: string): HTMLElement | null {
  const targets = [...container.querySelectorAll<HTMLElement>('[data-path]')];
  const candidates = [path, path.replace(/\[\d+\]/g, '')];
  let p = candidates[1] ?? path;
  while (p.includes('.') && p.lastIndexOf('.') > 1) {
    p = p.slice(0, p.lastIndexOf('.'));
    candidates.push(p);
  }
  for (const candidate of candidates) {
    const found = targets.find((t) => t.dataset.path === candidate);
    if (found) return found;
  }
  return null;
}

function setFieldError(target: HTMLElement, message: string): void {
  const box = target.closest('.field, fieldset');
  const slot = box?.querySelector('.field-error');
  if (slot instanceof HTMLElement) {
    slot.textContent = message;
    slot.hidden = false;
  }
  box?.classList.add('invalid');
  target.setAttribute('aria-invalid', 'true');
}

/** The countdown of a shown 429, stopped when its problem goes. */
const countdowns = new WeakMap<Element, () => void>();

export function clearProblem(container: Element): void {
  for (const el of container.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of container.querySelectorAll('.invalid')) el.classList.remove('invalid');
  for (const el of container.querySelectorAll<HTMLElement>('.field-error')) { el.textContent = ''; el.hidden = true; }
  for (const el of container.querySelectorAll('.problem')) { countdowns.get(el)?.(); el.remove(); }
}

export interface ProblemOptions {
  /** Attaches coded problems without `errors` to a field (e.g. budget_exists → $.name). */
  codePaths?: Record<string, string>;
  /** Disabled during a 429's countdown. */
  submit?: HTMLButtonElement | null;
}

/**
 * Shows a problem inside a form or panel: field errors next to their fields (by JSON path), the detail otherwise,
 * a countdown for 429, a reference for server errors.
 */
export function showProblem(container: Element, error: unknown, { codePaths = {}, submit = null }: ProblemOptions = {}): void {
  clearProblem(container);
  if (error instanceof SessionEnded) return;
  const err = error instanceof ApiError ? error : new ApiError({
    status: -1, code: 'client_error', title: 'Error', detail: 'Something went wrong in the dashboard. Reload the page and try again.',
  });
  const entries: [string, string[]][] = Object.entries(err.errors ?? {}).map(([path, messages]) => [path, Array.isArray(messages) ? messages : [String(messages)]]);
  const codePath = !entries.length ? codePaths[err.code] : undefined;
  if (codePath) entries.push([codePath, [err.detail]]);

  let first: HTMLElement | null = null;
  const unmatched: string[] = [];
  for (const [path, messages] of entries) {
    const target = findPathTarget(container, path);
    if (target) {
      setFieldError(target, messages.map((m) => sentence(target.dataset.label, m)).join(' '));
      first ??= target;
    } else {
      unmatched.push(`${path.replace(/^\$\./, '')} ${messages.join(' ')}`);
    }
  }

  let lines: string[] = [];
  let kind = 'error';
  if (err.status === 429) {
    kind = 'warning';
    lines = [err.detail];
  } else if (first && !unmatched.length) {
    if (entries.length > 1) lines = ['Please correct the highlighted fields.'];
  } else if (unmatched.length) {
    lines = [first ? 'Please correct the highlighted fields.' : err.detail, ...unmatched];
  } else if (err.status === 403) {
    lines = [`Not allowed: ${err.detail}`];
    reportForbidden();
  } else if (err.status === 404 && err.code === 'not_found') {
    lines = [err.detail, 'Someone may have changed it meanwhile; the list has been refreshed.'];
  } else {
    lines = [err.detail || err.title];
  }
  if (err.status >= 500 && err.traceId) lines.push(`Reference: ${err.traceId}`);

  if (lines.length) {
    const box = h('div', { class: `problem alert ${kind}`, role: 'alert', tabindex: '-1' }, lines.map((l) => h('p', {}, l)));
    if (err.status === 429) startRetryCountdown(box, err.retryAfter, submit);
    const anchor = container.querySelector('.problem-slot');
    if (anchor) anchor.append(box); else container.prepend(box);
    if (!first) box.focus();
  }
  first?.focus();
}

function startRetryCountdown(box: HTMLElement, seconds: number | null, submit: HTMLButtonElement | null): void {
  const line = h('p', { class: 'countdown' });
  box.append(line);
  if (!seconds) { line.textContent = 'Wait a little before trying again.'; return; }
  let left = seconds;
  const tick = () => {
    if (left <= 0) {
      line.textContent = 'You can try again now.';
      if (submit) submit.disabled = false;
      clearInterval(timer);
      return;
    }
    const m = Math.floor(left / 60);
    line.textContent = `Try again in ${m ? `${m} min ` : ''}${left % 60} s.`;
    left -= 1;
  };
  if (submit) submit.disabled = true;
  const timer = setInterval(tick, 1000);
  tick();
  countdowns.set(box, () => { clearInterval(timer); if (submit) submit.disabled = false; });
}

export interface SubmitOptions extends Omit<ProblemOptions, 'submit'> {
  /** Called after a failure has been shown (e.g. a 404: reload the list). */
  onError?: (error: unknown) => void;
}

/** Wires a form: prevents native submission, shows the busy state, routes failures to showProblem. */
export function handleSubmit(form: HTMLFormElement, handler: (data: FormData) => Promise<unknown>, options: SubmitOptions = {}): void {
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    const submit = form.querySelector<HTMLButtonElement>('[type=submit]');
    clearProblem(form);
    form.setAttribute('aria-busy', 'true');
    if (submit) submit.disabled = true;
    let failure: unknown = null;
    try {
      await handler(new FormData(form));
    } catch (e) {
      failure = e;
    } finally {
      form.removeAttribute('aria-busy');
      if (submit) submit.disabled = false;
    }
    if (failure && form.isConnected) showProblem(form, failure, { ...options, submit });
    if (failure && options.onError) options.onError(failure);
  });
}

/** Errors found before asking the API (by JSON path), as the API's 422 would name them: shown at their fields. */
export function validationFailed(errors: Record<string, string[]>): ApiError {
  return new ApiError({ status: 422, code: 'validation_failed', title: 'Validation failed', detail: 'Please correct the highlighted fields.', errors });
}
