// Model prices: the public list every organization's costs use and the organization's own prices (which win), with a
// form to add one. An LLM call whose model matches no price is "unpriced": its cost counts as 0 until a price exists
// (a reindex job recomputes past costs). Every "unpriced" warning links here, with ?model= to start the form.
import { call, type Schemas } from '../api/client';
import { ApiError } from '../api/errors';
import { badge, emptyState, errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { h, setChildren } from '../lib/dom';
import type { PageContext } from './context';

type Price = Schemas['PriceView'];

/** The list is read whole (public list and overrides: hundreds), in pages of the API's largest size. */
export const PRICES_PAGE = 200;
export const PRICES_MAX = 5000;

const usd = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 });
const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** Prices in force now, the organization's first, then by provider and model; a search matches model, alias or provider. */
export function visiblePrices(prices: readonly Price[], search: string, now: Date): Price[] {
  const q = search.trim().toLowerCase();
  return prices
    .filter((p) => !p.effective_to || Date.parse(p.effective_to) > now.getTime())
    .filter((p) => !q || [p.model, p.provider, ...p.aliases].some((name) => name.toLowerCase().includes(q)))
    .sort((a, b) => Number(a.public) - Number(b.public) || a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
}

export function viewPrices(main: HTMLElement, ctx: PageContext): void {
  const canWrite = ctx.holds('org_write');
  const search = h('input', { type: 'search', value: ctx.params.get('model') ?? '', placeholder: 'gpt-4o, claude, openai…', autocomplete: 'off', 'aria-label': 'Search models' });
  const list = h('div', { class: 'card flush' }, loadingPanel('Loading prices…'));
  const count = h('p', { class: 'muted small', role: 'status' });
  main.append(
    pageHeader('Model prices', 'What each model costs per million tokens. Your organization\'s prices win over the public list; a call whose model has no price costs 0 and is counted as unpriced.'),
    canWrite ? priceForm(ctx, ctx.params.get('model') ?? '', () => void load()) : h('p', { class: 'muted note' }, 'Only admins add or remove prices.'),
    h('div', { class: 'toolbar' }, h('label', { class: 'toolbar-field grow' }, h('span', {}, 'Search'), search), count),
    list);

  let prices: Price[] = [];
  search.addEventListener('input', () => draw());

  async function load(): Promise<void> {
    try {
      const items: Price[] = [];
      let cursor: string | null = null;
      do {
        const page: Schemas['PageOfPriceView'] = await call(ctx.transport, 'listPrices', { query: { limit: PRICES_PAGE, ...(cursor ? { cursor } : {}) } });
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && items.length < PRICES_MAX);
      if (!ctx.alive()) return;
      prices = items;
      draw();
    } catch (error) {
      if (ctx.alive()) setChildren(list, errorPanel(error, () => void load(), ctx.onForbidden));
    }
  }

  function draw(): void {
    const shown = visiblePrices(prices, search.value, new Date());
    count.textContent = `${shown.length} of ${prices.length} prices`;
    if (!shown.length) {
      setChildren(list, emptyState(search.value ? `No price for “${search.value}”` : 'No prices', search.value && canWrite ? 'Add one above: calls to it are unpriced until then.' : null));
      return;
    }
    setChildren(list, h('div', { class: 'table-wrap' }, h('table', { class: 'mini-table prices' },
      h('caption', { class: 'sr-only' }, 'Model prices'),
      h('thead', {}, h('tr', {},
        ['Model', 'Provider', 'Input', 'Cached input', 'Output', 'In force', 'Source'].map((c, i) => h('th', { scope: 'col', class: i >= 2 && i <= 4 ? 'num' : '' }, c)),
        canWrite ? h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
      h('tbody', {}, shown.map((p) => h('tr', {},
        h('td', {}, h('span', { class: 'mono' }, p.model), p.public ? null : [' ', badge('Your organization', 'accent')],
          p.aliases.length ? h('span', { class: 'muted small block' }, `also ${p.aliases.join(', ')}`) : null),
        h('td', {}, p.provider),
        h('td', { class: 'num' }, usd.format(p.input_per_mtok_usd)),
        h('td', { class: 'num' }, p.cached_input_per_mtok_usd === null ? '—' : usd.format(p.cached_input_per_mtok_usd)),
        h('td', { class: 'num' }, usd.format(p.output_per_mtok_usd)),
        h('td', {}, `from ${day.format(new Date(p.effective_from))}`, p.effective_to ? ` to ${day.format(new Date(p.effective_to))}` : ''),
        h('td', { class: 'muted small' }, p.source),
        canWrite ? h('td', {}, p.public ? null : h('button', {
          type: 'button', class: 'btn ghost small danger-text', 'aria-label': `Remove the price of ${p.model}`,
          onclick: async (event: Event) => {
            const button = event.currentTarget as HTMLButtonElement;
            button.disabled = true;
            try {
              await call(ctx.transport, 'deletePrice', { path: { id: p.id } });
              await load();
            } catch (error) {
              button.disabled = false;
              button.title = error instanceof ApiError ? error.detail : 'Could not remove it.';
            }
          },
        }, 'Remove')) : null))))));
  }

  void load();
}

/** Adds the organization's own price; the API's field errors land next to their fields. */
function priceForm(ctx: PageContext, model: string, added: () => void): HTMLElement {
  const input = (name: string, label: string, attrs: Record<string, unknown> = {}) => {
    const control = h('input', { name, id: `price-${name}`, autocomplete: 'off', ...attrs });
    const error = h('p', { class: 'field-error', id: `price-${name}-error`, hidden: true });
    return { control, error, field: h('div', { class: 'field' }, h('label', { for: `price-${name}` }, label), control, error) };
  };
  const fields = {
    model: input('model', 'Model', { value: model, required: true, maxlength: 128, spellcheck: 'false' }),
    provider: input('provider', 'Provider', { value: 'openai', required: true, maxlength: 64 }),
    input_per_mtok_usd: input('input_per_mtok_usd', 'Input, USD per 1M tokens', { type: 'number', min: '0', step: 'any', required: true }),
    output_per_mtok_usd: input('output_per_mtok_usd', 'Output, USD per 1M tokens', { type: 'number', min: '0', step: 'any', required: true }),
    cached_input_per_mtok_usd: input('cached_input_per_mtok_usd', 'Cached input, USD per 1M (optional)', { type: 'number', min: '0', step: 'any' }),
  };
  const problem = h('p', { class: 'alert error', role: 'alert', hidden: true });
  const done = h('p', { class: 'muted small', role: 'status' });
  const number = (f: { control: HTMLInputElement }) => (f.control.value.trim() === '' ? null : Number(f.control.value));
  const form = h('form', {
    class: 'card price-form', novalidate: true,
    onsubmit: async (event: Event) => {
      event.preventDefault();
      for (const f of Object.values(fields)) { f.error.hidden = true; f.control.removeAttribute('aria-invalid'); }
      problem.hidden = true;
      const submit = form.querySelector('button[type=submit]') as HTMLButtonElement;
      submit.disabled = true;
      try {
        const created = await call(ctx.transport, 'createPrice', {
          body: {
            model: fields.model.control.value.trim(), provider: fields.provider.control.value.trim(),
            input_per_mtok_usd: number(fields.input_per_mtok_usd), output_per_mtok_usd: number(fields.output_per_mtok_usd),
            cached_input_per_mtok_usd: number(fields.cached_input_per_mtok_usd),
          },
        });
        done.textContent = `Added: ${created.model} (${created.provider}). New calls use it; past calls keep their cost until a reindex job.`;
        // The provider stays for the next one (prices often come in families).
        for (const f of [fields.model, fields.input_per_mtok_usd, fields.output_per_mtok_usd, fields.cached_input_per_mtok_usd]) f.control.value = '';
        added();
      } catch (error) {
        if (error instanceof ApiError && error.errors) {
          for (const [path, messages] of Object.entries(error.errors)) {
            const f = fields[path.replace(/^\$\./, '') as keyof typeof fields];
            if (!f) continue;
            f.error.textContent = messages.join(' ');
            f.error.hidden = false;
            f.control.setAttribute('aria-invalid', 'true');
            f.control.setAttribute('aria-describedby', f.error.id);
          }
        } else {
          problem.textContent = error instanceof ApiError ? error.detail : 'Something went wrong.';
          problem.hidden = false;
        }
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h2', {}, 'Add a price'),
  h('div', { class: 'price-fields' }, Object.values(fields).map((f) => f.field)),
  problem,
  h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Add price'), done));
  return form;
}
