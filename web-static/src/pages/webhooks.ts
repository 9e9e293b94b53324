// Webhooks: signed deliveries of notifications to the organization's endpoints (WebhooksApi.cs), admins only
// (webhooks_manage). Each endpoint's signing secret is shown once, after creation or rotation; its delivery log opens
// in a dialog, where failed deliveries can be redelivered.
import { call, type Schemas } from '../api/client';
import { ApiError } from '../api/errors';
import { LIST_PAGE_SIZE, readAll } from '../api/paging';
import { copyField } from '../components/copyField';
import { confirmAction, confirmDelete, KEEP_OPEN, openDialog, type Dialog } from '../components/dialog';
import { clearProblem, field, formText, handleSubmit, selectControl, showProblem, toolbarField } from '../components/forms';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { actionsCell, cell } from '../components/table';
import { exactTime, timeEl } from '../components/time';
import { actionFailed, toast } from '../components/toast';
import { focusTarget, h, nextId, setChildren, withFocusKept } from '../lib/dom';
import { fmtElapsed, fmtInt, plural } from '../lib/format';
import type { PageContext } from './context';
import { NOTICE_KINDS, noticeKindLabel } from './notifications';

type Webhook = Schemas['WebhookView'];
type Delivery = Schemas['DeliveryView'];

export const WEBHOOKS_MAX = 20; // WebhooksApi.MaxEndpointsPerOrg
const DELIVERY_PAGE_SIZE = 50;
const DELIVERY_STATUS: Record<string, { label: string; kind: string; help: string }> = {
  pending: { label: 'Pending', kind: 'warning', help: 'Waiting for its next attempt.' },
  succeeded: { label: 'Succeeded', kind: 'success', help: 'The receiver answered 2xx.' },
  failed: { label: 'Failed', kind: 'danger', help: 'Every attempt failed. It can be redelivered.' },
};

/** A delivery's status as a badge shows it. */
export const deliveryStatusOf = (status: string): { label: string; kind: string; help: string | null } =>
  DELIVERY_STATUS[status] ?? { label: status, kind: 'neutral', help: null };

/** "3 endpoints of 20 · 1 inactive" ('' for none). */
export function webhookCountText(hooks: readonly Pick<Webhook, 'active'>[]): string {
  if (!hooks.length) return '';
  const inactive = hooks.filter((w) => !w.active).length;
  return `${plural(hooks.length, 'endpoint')} of ${WEBHOOKS_MAX}${inactive ? ` · ${fmtInt(inactive)} inactive` : ''}`;
}

/** "12 deliveries shown, more below" ('' for none). */
export const deliveryCountText = (shown: number, more: boolean): string =>
  shown ? `${plural(shown, 'delivery', 'deliveries')} shown${more ? ', more below' : ''}` : '';

/** The kinds the form offers: the known ones, then those an endpoint takes that the dashboard does not know. */
export function formKinds(taken: readonly string[]): { value: string; label: string; help: string }[] {
  const known = NOTICE_KINDS.map((k) => k.value);
  return [...NOTICE_KINDS, ...taken.filter((k) => !known.includes(k)).map((k) => ({ value: k, label: k, help: 'Set through the API.' }))];
}

function webhookKinds(w: Pick<Webhook, 'kinds'>): HTMLElement {
  return w.kinds.length
    ? h('span', { class: 'chips' }, w.kinds.map((k) => h('span', { class: 'chip', title: noticeKindLabel(k) }, k)))
    : h('span', { class: 'muted' }, 'Every kind');
}

export function viewWebhooks(main: HTMLElement, ctx: PageContext): void {
  if (!ctx.holds('webhooks_manage')) {
    main.append(pageHeader('Webhooks', null), h('div', { class: 'card' },
      emptyState('Only admins can manage webhooks.', 'Webhooks send the organization’s notifications to other systems. Ask an admin to add an endpoint.')));
    return;
  }
  let hooks: Webhook[] = [];
  const create = h('button', { type: 'button', class: 'btn primary', onclick: () => openWebhookForm(null) }, 'Add endpoint');
  const countLine = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading webhooks…'));
  main.append(
    pageHeader('Webhooks', 'Notifications sent as signed HTTPS POST requests to your endpoints, retried for about 21 hours. Each endpoint has its own signing secret, shown once.', create),
    h('div', { class: 'toolbar toolbar-meta' },
      h('p', { class: 'muted' }, 'Verify each delivery’s AgentOps-Signature header with the endpoint’s secret (see docs/notifications.md).'),
      countLine),
    list);

  const load = (): void => void loadHooks();

  async function loadHooks(): Promise<void> {
    if (list.querySelector('table')) list.setAttribute('aria-busy', 'true');
    try {
      const page = await readAll((cursor) => call(ctx.transport, 'listWebhooks', { query: { limit: LIST_PAGE_SIZE, ...(cursor ? { cursor } : {}) } }));
      if (!ctx.alive()) return;
      list.removeAttribute('aria-busy');
      hooks = page.items;
      withFocusKept(list, draw);
    } catch (e) {
      if (!ctx.alive()) return;
      list.removeAttribute('aria-busy');
      setChildren(list, errorPanel(e, load, ctx.onForbidden));
    }
  }

  function draw(): void {
    create.disabled = hooks.length >= WEBHOOKS_MAX;
    create.title = create.disabled ? `An organization has at most ${WEBHOOKS_MAX} endpoints: delete one first.` : '';
    countLine.textContent = webhookCountText(hooks);
    if (!hooks.length) {
      setChildren(list, emptyState('No webhook endpoints yet', 'Add an HTTPS endpoint to receive approvals waiting and budget alerts in your own systems (chat, paging, ticketing).',
        h('button', { type: 'button', class: 'btn primary', onclick: () => openWebhookForm(null) }, 'Add endpoint')));
      return;
    }
    const table = h('table', { class: 'table dense webhook-table' },
      h('caption', { class: 'sr-only' }, 'Webhook endpoints. Select an endpoint for its delivery log.'),
      h('thead', {}, h('tr', {},
        ['Endpoint', 'Kinds', 'Status', 'Secret'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, hooks.map(hookRow)));
    setChildren(list, h('div', { class: 'table-wrap' }, table));
  }

  function hookRow(w: Webhook): HTMLTableRowElement {
    return h('tr', { class: w.active ? null : 'inactive' },
      cell('Endpoint', h('div', { class: 'who' },
        h('button', { type: 'button', class: 'link-btn strong', title: 'Show its delivery log', dataset: { focus: `name:${w.id}` }, onclick: () => openDeliveries(w) }, w.name),
        h('code', { class: 'small muted webhook-url', title: w.url }, w.url))),
      cell('Kinds', webhookKinds(w)),
      cell('Status', w.active ? badge('Active', 'success') : badge('Inactive', 'neutral', 'Nothing is sent to it'),
        h('span', { class: 'muted small block' }, 'changed ', timeEl(w.updated_at, { rel: true }))),
      cell('Secret', h('code', { class: 'prefix', title: 'The end of the signing secret: the secret itself is shown only when it is created or rotated' }, w.secret_hint)),
      actionsCell(h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Deliveries of ${w.name}`, dataset: { focus: `deliveries:${w.id}` }, onclick: () => openDeliveries(w) }, 'Deliveries'),
        h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Edit ${w.name}`, dataset: { focus: `edit:${w.id}` }, onclick: () => openWebhookForm(w) }, 'Edit'),
        h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Rotate the secret of ${w.name}`, dataset: { focus: `rotate:${w.id}` }, onclick: () => rotateSecret(w) }, 'Rotate secret'),
        h('button', { type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Delete ${w.name}`, dataset: { focus: `delete:${w.id}` }, onclick: () => deleteHook(w) }, 'Delete'))));
  }

  const returnTo = (key: string) => (): HTMLElement | null => focusTarget(list, key);

  function openWebhookForm(w: Webhook | null): void {
    const kindBoxes = formKinds(w?.kinds ?? []).map((k) => {
      const id = nextId('kind');
      return h('div', { class: 'checkbox scope-option' },
        h('input', { type: 'checkbox', id, name: 'kinds', value: k.value, checked: !!w?.kinds.includes(k.value), 'aria-describedby': `${id}-help` }),
        h('label', { for: id }, h('span', { class: 'strong' }, k.label), ' ', h('code', { class: 'small muted' }, k.value),
          h('span', { class: 'muted small block', id: `${id}-help` }, k.help)));
    });
    const kindsError = nextId('kinds-error');
    const kindsHint = nextId('kinds-hint');
    const kindSet = h('fieldset', { class: 'fieldset', 'aria-describedby': `${kindsHint} ${kindsError}`, dataset: { path: '$.kinds', label: 'Kinds' } },
      h('legend', {}, 'Notification kinds'),
      h('p', { class: 'hint', id: kindsHint }, 'None checked: every kind, including kinds added later. Test deliveries reach the endpoint whatever it takes.'),
      kindBoxes,
      h('p', { class: 'field-error', id: kindsError, hidden: true }));
    const activeId = nextId('active');
    const form = h('form', { class: 'stack' },
      h('div', { class: 'problem-slot' }),
      field({ label: 'Name', name: 'name', value: w?.name ?? '', autocomplete: 'off', required: true, attrs: { maxlength: 200 }, hint: 'What receives it, e.g. “Ops pager” or “Slack bridge”.' }),
      field({
        label: 'URL', name: 'url', type: 'url', value: w?.url ?? '', autocomplete: 'off', required: true, attrs: { maxlength: 2000, spellcheck: 'false', class: 'mono', placeholder: 'https://' },
        hint: 'https:// only, reachable on a public address: private, loopback and link-local addresses are refused.',
      }),
      kindSet,
      h('div', { class: 'checkbox', dataset: { path: '$.active', label: 'Active' } },
        h('input', { type: 'checkbox', id: activeId, name: 'active', checked: w ? w.active : true, 'aria-describedby': `${activeId}-help` }),
        h('label', { for: activeId }, h('span', { class: 'strong' }, 'Active'),
          h('span', { class: 'muted small block', id: `${activeId}-help` }, 'Inactive endpoints receive nothing; deliveries queued for them fail.'))),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn secondary', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, w ? 'Save' : 'Add endpoint')));
    const dialog = openDialog({ title: w ? `Edit ${w.name}` : 'Add a webhook endpoint', content: form });
    if (w) dialog.returnFocus = returnTo(`edit:${w.id}`);
    handleSubmit(form, async (data) => {
      const body = {
        name: formText(data, 'name'), url: formText(data, 'url'),
        kinds: data.getAll('kinds').filter((k): k is string => typeof k === 'string'), active: data.get('active') === 'on',
      };
      if (w) {
        const saved = await call(ctx.transport, 'updateWebhook', { path: { id: w.id }, body });
        dialog.close(true);
        toast(`Endpoint “${saved.name}” saved.`);
      } else {
        const result = await call(ctx.transport, 'createWebhook', { body });
        showWebhookSecret(dialog, result, { rotated: false });
      }
      if (ctx.alive()) load();
    }, {
      codePaths: { webhook_limit_reached: '$.name' },
      onError: (e) => { if (e instanceof ApiError && e.status === 404) load(); },
    });
  }

  function rotateSecret(w: Webhook): void {
    const dialog = confirmAction({
      title: 'Rotate signing secret',
      message: `Replace the signing secret of “${w.name}”? The current secret (${w.secret_hint}) stops working at once: every delivery from now on, retries included, is signed with the new one.`,
      details: h('p', { class: 'muted' }, 'Update the receiver with the new secret right away, or it will refuse the deliveries.'),
      confirmLabel: 'Rotate secret',
      action: async () => {
        let result: Schemas['WebhookWithSecret'];
        try {
          result = await call(ctx.transport, 'rotateWebhookSecret', { path: { id: w.id } });
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) load();
          throw e;
        }
        if (ctx.alive()) load();
        showWebhookSecret(dialog, result, { rotated: true });
        return KEEP_OPEN;
      },
    });
    dialog.returnFocus = returnTo(`rotate:${w.id}`);
  }

  function deleteHook(w: Webhook): void {
    confirmDelete({
      title: 'Delete webhook endpoint',
      message: `Delete “${w.name}”? Nothing more is sent to ${w.url}, and its delivery log is deleted with it.`,
      confirmLabel: 'Delete endpoint',
      remove: () => call(ctx.transport, 'deleteWebhook', { path: { id: w.id } }),
      done: `Endpoint “${w.name}” deleted.`,
      reload: () => { if (ctx.alive()) load(); },
    });
  }

  async function sendTest(w: Webhook, after: () => void): Promise<void> {
    try {
      await call(ctx.transport, 'testWebhook', { path: { id: w.id } });
      toast(`Test delivery queued for “${w.name}”. Its result appears in the delivery log.`, 'info');
      after();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && ctx.alive()) load();
      actionFailed('Could not send a test', e);
    }
  }

  function openDeliveries(w: Webhook): void {
    let deliveries: Delivery[] = [];
    let cursor: string | null = null;
    let token = 0;
    const status = selectControl([{ value: '', label: 'Any status' },
      ...Object.entries(DELIVERY_STATUS).map(([value, s]) => ({ value, label: s.label }))], '');
    const countLine = h('p', { class: 'muted toolbar-count', 'aria-live': 'polite' });
    const slot = h('div', { class: 'table-wrap bordered' }, loadingPanel('Loading deliveries…'));
    const more = h('div', { class: 'load-more' });
    const content = h('div', { class: 'stack' },
      h('p', { class: 'muted' }, webhookKinds(w), ' · ', h('code', { class: 'webhook-url', title: w.url }, w.url)),
      h('div', { class: 'problem-slot' }),
      h('div', { class: 'toolbar' },
        toolbarField('Status', status),
        h('button', { type: 'button', class: 'btn secondary', onclick: () => void loadDeliveries() }, 'Refresh'),
        h('button', {
          type: 'button', class: 'btn secondary', disabled: !w.active, title: w.active ? 'Queue a webhook.test delivery to this endpoint' : 'Activate the endpoint first',
          onclick: () => void sendTest(w, () => void loadDeliveries()),
        }, 'Send test'),
        countLine),
      slot, more,
      h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => dialog.close() }, 'Close')));
    const dialog = openDialog({ title: `Deliveries: ${w.name}`, wide: true, content, initialFocus: status });
    dialog.returnFocus = returnTo(`deliveries:${w.id}`);
    status.addEventListener('change', () => void loadDeliveries());

    async function loadDeliveries({ append = false } = {}): Promise<void> {
      const mine = ++token;
      if (!append) slot.setAttribute('aria-busy', 'true');
      try {
        const page = await call(ctx.transport, 'listWebhookDeliveries', {
          path: { id: w.id },
          query: { limit: DELIVERY_PAGE_SIZE, ...(status.value ? { status: status.value } : {}), ...(append && cursor ? { cursor } : {}) },
        });
        if (mine !== token || !content.isConnected) return;
        slot.removeAttribute('aria-busy');
        deliveries = append ? [...deliveries, ...page.items] : page.items;
        cursor = page.next_cursor;
        withFocusKept(content, drawDeliveries);
      } catch (e) {
        if (mine !== token || !content.isConnected) return;
        slot.removeAttribute('aria-busy');
        if (e instanceof ApiError && e.status === 404) load();
        setChildren(slot, errorPanel(e, () => void loadDeliveries(), ctx.onForbidden));
      }
    }

    function drawDeliveries(): void {
      countLine.textContent = deliveryCountText(deliveries.length, !!cursor);
      setChildren(more, cursor ? h('button', { type: 'button', class: 'btn secondary', onclick: () => void loadDeliveries({ append: true }) }, 'Load more') : null);
      if (!deliveries.length) {
        setChildren(slot, emptyState(status.value ? 'No delivery with this status.' : 'No deliveries yet',
          'Each notification of a kind the endpoint takes is delivered and logged here. Send test queues one now.'));
        return;
      }
      setChildren(slot, h('table', { class: 'table dense delivery-table' },
        h('caption', { class: 'sr-only' }, `Delivery log of ${w.name}, newest first`),
        h('thead', {}, h('tr', {},
          ['Created', 'Kind', 'Status', 'Last attempt', 'Error'].map((c) => h('th', { scope: 'col' }, c)),
          h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, deliveries.map(deliveryRow))));
    }

    function deliveryRow(d: Delivery): HTMLTableRowElement {
      const s = deliveryStatusOf(d.status);
      const when = d.status === 'pending' && d.next_attempt_at ? ['next ', timeEl(d.next_attempt_at, { rel: true })]
        : d.delivered_at ? ['delivered ', timeEl(d.delivered_at, { rel: true })] : null;
      return h('tr', {},
        cell('Created', timeEl(d.created_at, { withTime: true })),
        cell('Kind', h('code', { class: 'chip' }, d.kind)),
        cell('Status', badge(s.label, s.kind, s.help), h('span', { class: 'muted small block' }, plural(d.attempts, 'attempt')), when && h('span', { class: 'muted small block' }, when)),
        cell('Last attempt', d.last_attempt_at
          ? [h('span', { class: 'block' }, d.last_status_code ? `HTTP ${d.last_status_code}` : h('span', { class: 'muted' }, 'No answer')),
            h('span', { class: 'muted small block' }, fmtElapsed(d.last_duration_ms), ' · ', timeEl(d.last_attempt_at, { rel: true }))]
          : h('span', { class: 'muted' }, 'Not yet')),
        cell('Error', d.last_error ? h('span', { class: 'small clamp danger-text', title: d.last_error }, d.last_error) : h('span', { class: 'muted' }, '—')),
        actionsCell(d.status === 'failed'
          ? h('button', { type: 'button', class: 'btn ghost small', 'aria-label': `Redeliver the ${d.kind} delivery of ${exactTime(d.created_at)}`, dataset: { focus: `redeliver:${d.id}` }, onclick: () => void redeliver(d) }, 'Redeliver')
          : null));
    }

    async function redeliver(d: Delivery): Promise<void> {
      clearProblem(content);
      try {
        await call(ctx.transport, 'redeliverWebhookDelivery', { path: { id: d.id } });
        toast('Delivery queued again, with a fresh series of attempts.', 'info');
      } catch (e) {
        if (content.isConnected) showProblem(content, e);
      }
      if (content.isConnected) void loadDeliveries();
    }

    void loadDeliveries();
  }

  load();
}

/** The signing secret, shown once (after creation or rotation); cleared from the page when the dialog closes. */
function showWebhookSecret(dialog: Dialog, result: Schemas['WebhookWithSecret'], { rotated }: { rotated: boolean }): void {
  let copied = false;
  const secretField = copyField({ label: 'Signing secret', value: result.secret, secret: true });
  const warning = h('p', { class: 'guard-warning', role: 'alert', hidden: true }, 'You have not copied the secret. Close again to discard it: it cannot be shown again.');
  secretField.input.addEventListener('copied', () => { copied = true; warning.hidden = true; });
  dialog.setTitle(rotated ? 'Signing secret rotated' : 'Webhook endpoint added');
  dialog.guard = () => {
    if (copied || !warning.hidden) return true;
    warning.hidden = false;
    return false;
  };
  const w = result.webhook;
  dialog.setContent(h('div', { class: 'stack' },
    h('div', { class: 'alert warning' },
      h('p', { class: 'strong' }, 'Copy this signing secret now. You will not be able to see it again.'),
      h('p', {}, rotated
        ? 'The previous secret has stopped working. Give this one to the receiver: it verifies each delivery’s AgentOps-Signature header with it.'
        : 'The receiver verifies each delivery’s AgentOps-Signature header with it. Later only its last characters are shown; if it is lost, rotate it.')),
    secretField,
    h('dl', { class: 'details compact' },
      h('dt', {}, 'Name'), h('dd', {}, w.name),
      h('dt', {}, 'URL'), h('dd', {}, h('code', {}, w.url)),
      h('dt', {}, 'Kinds'), h('dd', {}, webhookKinds(w)),
      h('dt', {}, 'Shown later as'), h('dd', {}, h('code', {}, w.secret_hint))),
    warning,
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => dialog.close() }, 'I have stored the secret'))));
  secretField.input.focus();
  const wipe = (): void => { secretField.input.value = ''; };
  dialog.body.closest('dialog')?.addEventListener('close', wipe, { once: true });
}
