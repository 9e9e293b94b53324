// Policies: the list (priority, action, active, version), a new policy from a template or blank, an editor whose
// conditions are built visually or written as JSON, with the API's path-level errors shown on their rows, a test panel that runs the policy against a
// context (a dry run: nothing is recorded) and shows the evidence per condition, and the version history with a diff.
import { call, type Schemas } from '../api/client';
import { ApiError } from '../api/errors';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { conditionEditor, jsonError } from '../components/conditionBuilder';
import { canonicalJson, diffLines } from '../lib/diff';
import { h, setChildren, type Child } from '../lib/dom';
import type { PageContext } from './context';

type Policy = Schemas['PolicyView'];
type Template = Schemas['Template'];

const ACTIONS = ['allow', 'block', 'require_approval'] as const;
const ACTION_KIND: Record<string, string> = { allow: 'success', block: 'danger', require_approval: 'warning' };
const ACTION_LABEL: Record<string, string> = { allow: 'Allow', block: 'Block', require_approval: 'Require approval' };
const ROLES = [['admin', 'Admin'], ['team_lead', 'Team lead'], ['member', 'Member'], ['viewer', 'Viewer']] as const;
const at = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/** A context to try a new policy with (the fields a policy check sends). */
const SAMPLE_CONTEXT = { agent: { name: 'support-bot', team: 'support', environment: 'prod' }, action: { type: 'apply_discount', discount_percent: 15 } };

export const actionBadge = (action: string) => badge(ACTION_LABEL[action] ?? action, ACTION_KIND[action] ?? 'neutral');

/** The API's field errors split into those of the form's fields (by name) and those inside the conditions (by path). */
export function splitErrors(errors: Record<string, string[]>): { fields: Record<string, string>; conditions: { path: string; message: string }[] } {
  const fields: Record<string, string> = {};
  const conditions: { path: string; message: string }[] = [];
  for (const [path, messages] of Object.entries(errors)) {
    if (path === '$.conditions' || path.startsWith('$.conditions.') || path.startsWith('$.conditions[')) conditions.push({ path, message: messages.join(' ') });
    else fields[path.replace(/^\$\./, '')] = messages.join(' ');
  }
  return { fields, conditions };
}

/** Parses a JSON text; the error names the line and column. */
export function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: jsonError(text, e) };
  }
}

export function viewPolicies(main: HTMLElement, ctx: PageContext): void {
  const canWrite = ctx.holds('policies_write');
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading policies…'));
  const create = h('div', {});
  main.append(pageHeader('Policies', 'What agents may do: every check runs the active policies; the most severe match wins (block over approval over allow), then the lowest priority number.'),
    create, list);

  async function load(): Promise<void> {
    try {
      const page = await call(ctx.transport, 'listPolicies', { query: { limit: 200 } });
      if (!ctx.alive()) return;
      setChildren(list, page.items.length ? policyTable(page.items) : emptyState('No policies yet', canWrite ? 'Start from a template above.' : 'Admins create them.'));
    } catch (error) {
      if (ctx.alive()) setChildren(list, errorPanel(error, () => void load(), ctx.onForbidden));
    }
  }

  async function loadTemplates(): Promise<void> {
    if (!canWrite) { setChildren(create, h('p', { class: 'muted note' }, 'Only admins create and change policies; everyone may test them.')); return; }
    try {
      const templates = await call(ctx.transport, 'listPolicyTemplates');
      if (!ctx.alive()) return;
      const choose = h('select', { 'aria-label': 'Template' },
        h('option', { value: '' }, 'Blank policy'), templates.map((t) => h('option', { value: t.key }, t.name)));
      const editorSlot = h('div', {});
      const start = () => {
        const t = templates.find((x) => x.key === choose.value);
        setChildren(editorSlot, policyEditor(ctx, fromTemplate(t), async (saved) => { ctx.go(`/policies/${saved.id}`); }));
      };
      setChildren(create, h('section', { class: 'card wide-card', 'aria-labelledby': 'new-policy' },
        h('h2', { id: 'new-policy' }, 'New policy'),
        h('div', { class: 'toolbar' }, h('label', { class: 'toolbar-field' }, h('span', {}, 'Start from'), choose),
          h('button', { type: 'button', class: 'btn secondary', onclick: start }, 'Use')),
        editorSlot));
    } catch (error) {
      if (ctx.alive()) setChildren(create, errorPanel(error, () => void loadTemplates(), ctx.onForbidden));
    }
  }

  void loadTemplates();
  void load();
}

function fromTemplate(t: Template | undefined): Partial<Policy> {
  return t
    ? { name: t.name, description: t.description, action: t.action, priority: 100, active: false, approval_required_from: t.approval_required_from, timeout_minutes: t.timeout_minutes, conditions: t.conditions }
    : { name: '', action: 'block', priority: 100, active: false, approval_required_from: [], timeout_minutes: null, conditions: { all: [] } };
}

function policyTable(policies: readonly Policy[]): HTMLElement {
  const sorted = [...policies].sort((a, b) => Number(b.active) - Number(a.active) || a.priority - b.priority || a.name.localeCompare(b.name));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'mini-table' },
    h('caption', { class: 'sr-only' }, 'Policies'),
    h('thead', {}, h('tr', {}, ['Policy', 'Action', 'Priority', 'Active', 'Version', 'Changed'].map((c, i) => h('th', { scope: 'col', class: i === 2 || i === 4 ? 'num' : '' }, c)))),
    h('tbody', {}, sorted.map((p) => h('tr', { class: p.active ? '' : 'inactive' },
      h('td', {}, h('a', { href: `#/policies/${encodeURIComponent(p.id)}`, class: 'strong' }, p.name), p.description ? h('span', { class: 'muted small block' }, p.description) : null),
      h('td', {}, actionBadge(p.action)),
      h('td', { class: 'num' }, String(p.priority)),
      h('td', {}, p.active ? badge('Active', 'success') : badge('Off', 'neutral')),
      h('td', { class: 'num' }, `v${p.version}`),
      h('td', {}, at.format(new Date(p.updated_at))))))));
}

/** The form for a new policy or a change to one; saves through the API and shows its errors where they belong. */
function policyEditor(ctx: PageContext, initial: Partial<Policy>, saved: (policy: Policy) => Promise<void> | void, id?: string): HTMLElement {
  const error = (name: string) => h('p', { class: 'field-error', id: `pol-${name}-error`, hidden: true });
  const name = h('input', { id: 'pol-name', value: initial.name ?? '', maxlength: 200, required: true });
  const description = h('input', { id: 'pol-description', value: initial.description ?? '', maxlength: 2000 });
  const action = h('select', { id: 'pol-action' }, ACTIONS.map((a) => h('option', { value: a, selected: a === initial.action }, ACTION_LABEL[a])));
  const priority = h('input', { id: 'pol-priority', type: 'number', value: String(initial.priority ?? 100), min: '0', step: '1' });
  const active = h('input', { id: 'pol-active', type: 'checkbox', checked: !!initial.active });
  const roles = ROLES.map(([value, label]) => h('label', { class: 'checkbox' },
    h('input', { type: 'checkbox', name: 'approval_required_from', value, checked: initial.approval_required_from?.includes(value) ?? false }), ` ${label}`));
  const timeout = h('input', { id: 'pol-timeout', type: 'number', min: '1', step: '1', value: initial.timeout_minutes ? String(initial.timeout_minutes) : '' });
  const approval = h('fieldset', { class: 'approval-fields' }, h('legend', {}, 'Who approves'), roles,
    h('label', { for: 'pol-timeout' }, 'Expires after (minutes)'), timeout, error('approval_required_from'), error('timeout_minutes'));
  const conditions = conditionEditor(initial.conditions ?? { all: [] });
  const problem = h('p', { class: 'alert error', role: 'alert', hidden: true });
  const syncApproval = () => { approval.hidden = action.value !== 'require_approval'; };
  action.addEventListener('change', syncApproval);
  syncApproval();

  const fieldErrors: Record<string, HTMLElement> = {
    name: error('name'), description: error('description'), action: error('action'), priority: error('priority'), active: error('active'),
  };
  const field = (label: string, control: HTMLElement, key: string) => h('div', { class: 'field' }, h('label', { for: control.id }, label), control, fieldErrors[key]);

  const form = h('form', {
    class: 'policy-editor', novalidate: true,
    onsubmit: async (event: Event) => {
      event.preventDefault();
      for (const el of [...Object.values(fieldErrors), ...form.querySelectorAll<HTMLElement>('.approval-fields .field-error')]) el.hidden = true;
      conditions.clearErrors();
      problem.hidden = true;
      const parsed = conditions.read();
      if ('error' in parsed) { conditions.showErrors([{ path: '$.conditions', message: parsed.error }]); return; }
      const body = {
        name: name.value.trim(), description: description.value.trim() || null, action: action.value, priority: Number(priority.value),
        active: active.checked, conditions: parsed.value as Schemas['JsonElement'],
        approval_required_from: action.value === 'require_approval' ? roles.map((r) => r.querySelector('input')!).filter((c) => c.checked).map((c) => c.value) : null,
        timeout_minutes: action.value === 'require_approval' && timeout.value ? Number(timeout.value) : null,
      };
      const submit = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
      submit.disabled = true;
      try {
        await saved(id
          ? await call(ctx.transport, 'updatePolicy', { path: { id }, body })
          : await call(ctx.transport, 'createPolicy', { body }));
      } catch (e) {
        if (e instanceof ApiError && e.errors) {
          const split = splitErrors(e.errors);
          for (const [key, message] of Object.entries(split.fields)) {
            const slot = fieldErrors[key] ?? form.querySelector<HTMLElement>(`#pol-${key}-error`);
            if (slot) { slot.textContent = message; slot.hidden = false; } else split.conditions.push({ path: `$.${key}`, message });
          }
          if (split.conditions.length) conditions.showErrors(split.conditions);
        } else {
          problem.textContent = e instanceof ApiError ? e.detail : 'Something went wrong.';
          problem.hidden = false;
        }
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('div', { class: 'policy-fields' },
    field('Name', name, 'name'), field('Description', description, 'description'), field('Action', action, 'action'),
    field('Priority (lower wins among equals)', priority, 'priority'),
    h('div', { class: 'field' }, h('label', { class: 'checkbox' }, active, ' Active (checked on every policy check)'), fieldErrors.active)),
  approval,
  conditions.element,
  problem,
  h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, id ? 'Save' : 'Create policy')));
  return form;
}

export function viewPolicy(main: HTMLElement, ctx: PageContext, id: string): void {
  const canWrite = ctx.holds('policies_write');
  const title = h('h1', { id: 'page-title', tabindex: '-1' }, 'Policy');
  const header = h('div', { class: 'page-header' }, h('div', {}, h('p', { class: 'crumbs' }, h('a', { href: '#/policies' }, 'Policies')), title));
  const body = h('div', {}, loadingPanel('Loading the policy…'));
  main.append(header, body);

  async function load(): Promise<void> {
    let detail: Schemas['PolicyDetail'];
    try {
      detail = await call(ctx.transport, 'getPolicy', { path: { id } });
    } catch (error) {
      if (!ctx.alive()) return;
      if (error instanceof ApiError && error.status === 404) {
        title.textContent = 'Policy not found';
        setChildren(body, emptyState('No policy with this id in your organization', 'It may have been deleted.', h('a', { href: '#/policies', class: 'btn secondary' }, 'All policies')));
      } else setChildren(body, errorPanel(error, () => void load(), ctx.onForbidden));
      return;
    }
    if (!ctx.alive()) return;
    const p = detail.policy;
    document.title = `${p.name} · Policies · AgentOps`;
    setChildren(title, p.name, ' ', actionBadge(p.action), ' ', p.active ? badge('Active', 'success') : badge('Off', 'neutral'));
    setChildren(body,
      h('div', { class: 'overview-lists' },
        h('section', { class: 'card', 'aria-labelledby': 'pol-edit' }, h('h2', { id: 'pol-edit' }, canWrite ? `Edit (version ${p.version})` : `Version ${p.version}`),
          canWrite ? policyEditor(ctx, p, async () => { await load(); }, p.id) : h('pre', { class: 'payload' }, canonicalJson(p))),
        testPanel(ctx, p)),
      versions(detail.versions),
      canWrite ? deleteButton(ctx, p) : null);
  }

  void load();
}

function testPanel(ctx: PageContext, p: Policy): HTMLElement {
  const context = h('textarea', { id: 'pol-context', rows: 10, class: 'mono', spellcheck: 'false' }, JSON.stringify(SAMPLE_CONTEXT, null, 2));
  const result = h('div', { role: 'status' });
  const run = async () => {
    const parsed = parseJson(context.value);
    if ('error' in parsed) { setChildren(result, h('p', { class: 'field-error' }, parsed.error)); return; }
    try {
      const r = await call(ctx.transport, 'evaluatePolicy', { path: { id: p.id }, body: { context: parsed.value as Schemas['JsonElement'] } });
      setChildren(result, evaluation(r));
    } catch (error) {
      setChildren(result, h('p', { class: 'field-error' }, error instanceof ApiError ? `${error.detail}${error.errors ? ` ${Object.entries(error.errors).map(([k, v]) => `${k}: ${v.join(' ')}`).join('; ')}` : ''}` : 'Something went wrong.'));
    }
  };
  return h('section', { class: 'card', 'aria-labelledby': 'pol-test' },
    h('h2', { id: 'pol-test' }, 'Test'),
    h('p', { class: 'muted small' }, 'Runs this policy against a context, as a policy check would; nothing is recorded.'),
    h('label', { for: 'pol-context' }, 'Context (agent, run, action, context)'), context,
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn secondary', onclick: () => void run() }, 'Evaluate')),
    result);
}

function evaluation(r: Schemas['EvaluateResponse']): HTMLElement {
  return h('div', { class: 'evaluation' },
    h('p', {}, r.matches ? 'Matches: ' : 'Does not match: ', actionBadge(r.decision)),
    r.evidence.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'mini-table' },
        h('caption', {}, 'Conditions that held'),
        h('thead', {}, h('tr', {}, ['Where', 'Field', 'Operator', 'Value', 'Actual'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, r.evidence.map((e) => h('tr', {},
          h('td', { class: 'mono small' }, e.path), h('td', { class: 'mono' }, e.field), h('td', {}, e.operator),
          h('td', { class: 'mono' }, JSON.stringify(e.value ?? null)), h('td', { class: 'mono' }, JSON.stringify(e.actual ?? null)))))))
      : h('p', { class: 'muted small' }, 'No condition held.'));
}

function versions(list: readonly Schemas['VersionView'][]): Child {
  const sorted = [...list].sort((a, b) => b.version - a.version);
  if (sorted.length < 2) return h('section', { class: 'card wide-card', 'aria-labelledby': 'pol-versions' }, h('h2', { id: 'pol-versions' }, 'History'), h('p', { class: 'muted' }, 'One version so far.'));
  const option = (v: Schemas['VersionView'], selected: boolean) => h('option', { value: String(v.version), selected }, `v${v.version} · ${at.format(new Date(v.created_at))}`);
  const from = h('select', { 'aria-label': 'Compare from' }, sorted.map((v, i) => option(v, i === 1)));
  const to = h('select', { 'aria-label': 'Compare to' }, sorted.map((v, i) => option(v, i === 0)));
  const out = h('pre', { class: 'diff', 'aria-label': 'Changes between the two versions' });
  const draw = () => {
    const snapshot = (n: string) => canonicalJson(sorted.find((v) => String(v.version) === n)?.snapshot ?? {});
    setChildren(out, diffLines(snapshot(from.value), snapshot(to.value)).map((l) =>
      h('span', { class: `diff-${l.kind}` }, `${l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '- ' : '  '}${l.text}\n`)));
  };
  from.addEventListener('change', draw);
  to.addEventListener('change', draw);
  draw();
  return h('section', { class: 'card wide-card', 'aria-labelledby': 'pol-versions' }, h('h2', { id: 'pol-versions' }, 'History'),
    h('div', { class: 'toolbar' }, h('label', { class: 'toolbar-field' }, h('span', {}, 'From'), from), h('label', { class: 'toolbar-field' }, h('span', {}, 'To'), to)),
    out);
}

function deleteButton(ctx: PageContext, p: Policy): HTMLElement {
  const confirmBox = h('span', { hidden: true }, ' Delete it? Its versions are kept. ',
    h('button', { type: 'button', class: 'btn danger small', onclick: async () => {
      try { await call(ctx.transport, 'deletePolicy', { path: { id: p.id } }); ctx.go('/policies'); } catch (e) { confirmBox.append(h('span', { class: 'field-error' }, e instanceof ApiError ? e.detail : 'Failed.')); }
    } }, 'Delete policy'));
  return h('p', {}, h('button', { type: 'button', class: 'btn ghost danger-text', onclick: () => { confirmBox.hidden = false; } }, 'Delete…'), confirmBox);
}
