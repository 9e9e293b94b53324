// One run, as a trace tool shows it: the summary, its input and output, and the waterfall of its events (a tree in
// causal order) with a side panel for the selected event. Subtrees collapse, a search marks matching spans and walks
// through them, "First error" jumps to the first failure, and j/k, h/l and e work from the keyboard. While the run
// is running the page follows it on live hints (a poll only while the live stream is down), keeping the selection,
// the collapsed subtrees and the search across redraws.
import { call, type Schemas } from '../api/client';
import { ApiError, SessionEnded } from '../api/errors';
import { badge, emptyState, errorPanel, loadingPanel } from '../components/panels';
import { exactTime } from '../components/time';
import { asChat, type ChatMessage } from '../lib/chat';
import { h, setChildren, type Child } from '../lib/dom';
import { fmtDuration, fmtInt, fmtMicros } from '../lib/format';
import { listHref } from '../lib/listMemory';
import { ancestors, failed, hiddenByCollapse, matches, step, subtreeEnd } from '../lib/trace';
import { place, waterfallScale } from '../lib/waterfall';
import type { PageContext } from './context';

type Run = Schemas['RunView'];
type Entry = Schemas['TimelineEntry'];
type Event = Schemas['EventView'];

/** Rows laid out at once: a few hundred rows lay out quickly, thousands slowly; the rest come on request. */
export const TIMELINE_STEP = 500;
/** While the run is running and the live stream is down, it is re-read this often. */
export const RUN_POLL_MS = 5_000;
/** Live hints re-read a running run at most this often. */
export const RUN_LIVE_MIN_MS = 2_000;

export const EVENT_TYPES: Record<string, { label: string; short: string; cls: string }> = {
  'run.start': { label: 'Run start', short: 'Start', cls: 'run' },
  'run.end': { label: 'Run end', short: 'End', cls: 'run' },
  span: { label: 'Span', short: 'Span', cls: 'span' },
  'llm.call': { label: 'LLM call', short: 'LLM', cls: 'llm' },
  'tool.call': { label: 'Tool call', short: 'Tool', cls: 'tool' },
  'external.action': { label: 'External action', short: 'Action', cls: 'action' },
  log: { label: 'Log', short: 'Log', cls: 'log' },
  error: { label: 'Error', short: 'Error', cls: 'error' },
  score: { label: 'Score', short: 'Score', cls: 'score' },
  'policy.decision': { label: 'Policy decision', short: 'Policy', cls: 'policy' },
  'approval.decision': { label: 'Approval decision', short: 'Approval', cls: 'approval' },
};
const eventType = (type: string) => EVENT_TYPES[type] ?? { label: type, short: type, cls: 'other' };

const RUN_STATUS: Record<string, [string, string]> = {
  running: ['Running', 'accent'], succeeded: ['Succeeded', 'success'], failed: ['Failed', 'danger'], cancelled: ['Cancelled', 'neutral'],
};
const OK_STATUSES = new Set(['ok', 'success', 'succeeded', 'completed', 'complete', 'done', 'allow', 'approved']);
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** 2026-11-22 14:03:07.123 UTC: timelines need the milliseconds. */
export function snippet(value: string | null | undefined, max = 90): string {
  if (!value) return '';
  const one = value.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** What a row is called: the model for a nameless call, the tool, the score, the run's outcome. */
export function eventTitle(e: Event): string {
  switch (e.type) {
    case 'llm.call': return e.name || e.model || 'LLM call';
    case 'tool.call': return e.tool_name && e.name && e.name !== e.tool_name ? `${e.name} (${e.tool_name})` : e.tool_name || e.name || 'Tool call';
    case 'score': return `${e.name ?? 'score'}: ${e.score}`;
    case 'run.start': return e.name ?? 'Run started';
    case 'run.end': return `Run ${e.status ?? 'ended'}`;
    case 'error': return e.name ? `${e.name}${e.error ? `: ${snippet(e.error, 70)}` : ''}` : snippet(e.error) || 'Error';
    default: return e.name || snippet(e.output ?? e.input ?? e.error) || eventType(e.type).label;
  }
}

/** A payload reference as a path under /api/v1 (its two segments encoded). */
const payloadPath = (ref: string) => `/payloads/${ref.split('/').map(encodeURIComponent).join('/')}`;

function formatBytes(text: string): string {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

function pretty(value: string): string {
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

const money = (e: { cost_micros: number | null }) => fmtMicros(e.cost_micros);

export function viewRun(main: HTMLElement, ctx: PageContext, id: string): void {
  // What the person chose, kept across live redraws.
  const hiddenTypes = new Set<string>();
  const collapsed = new Set<string>();
  const payloads = new Map<string, string>(); // ref → text, fetched once
  const rawView = new Set<string>(); // payload blocks shown as raw JSON instead of chat
  let selectedId: string | null = null;
  let query = '';
  let matchAt = -1;
  let shownCount = TIMELINE_STEP;
  let signature = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: { run: Run; timeline: Entry[]; truncated: boolean } | null = null;

  const title = h('h1', { id: 'page-title', tabindex: '-1' }, 'Run');
  const statusSlot = h('span', { class: 'title-status' });
  const refresh = h('button', { type: 'button', class: 'btn secondary', onclick: () => void load({ quiet: true, manual: true }) }, 'Refresh');
  const liveNote = h('p', { class: 'muted small live-note', role: 'status' });
  const body = h('div', { class: 'stack-lg' }, loadingPanel('Loading run…'));
  main.append(
    h('p', { class: 'back' }, h('a', { href: listHref('runs', '#/runs') }, '← Runs')),
    h('div', { class: 'page-header' },
      h('div', {}, title, h('div', { class: 'run-id-line' }, statusSlot, h('code', { class: 'mono', title: 'Run id' }, id))),
      h('div', { class: 'page-actions' }, h('div', { class: 'page-actions-inner center' }, refresh))),
    liveNote, body);

  ctx.live(['runs'], () => { if (current?.run.status === 'running') void load({ quiet: true }); }, RUN_LIVE_MIN_MS);
  ctx.keys((key) => trace?.key(key) ?? false);

  async function load({ quiet = false, manual = false } = {}): Promise<void> {
    clearTimeout(timer);
    if (manual) refresh.disabled = true;
    try {
      const detail = await call(ctx.transport, 'getRun', { path: { id } });
      if (!ctx.alive()) return;
      const { run, timeline } = detail;
      const sig = `${run.status}|${run.event_count}|${run.last_event_at}|${run.cost_micros}|${timeline.length}`;
      current = detail;
      if (sig !== signature) {
        signature = sig;
        draw(detail);
      }
      liveNote.textContent = quiet && run.status === 'running' ? `Updated ${timeOfDay.format(new Date())}` : '';
      schedule();
    } catch (error) {
      if (!ctx.alive() || error instanceof SessionEnded) return;
      if (quiet && signature) {
        liveNote.textContent = `Could not refresh: ${error instanceof ApiError ? error.detail : 'unexpected error.'}`;
        schedule(error instanceof ApiError && error.retryAfter ? error.retryAfter * 1000 : RUN_POLL_MS * 2);
      } else if (error instanceof ApiError && error.status === 404) {
        title.textContent = 'Run not found';
        setChildren(body, emptyState('No run with this id in your organization', id.includes('/')
          ? 'This id contains “/”, which GET /api/v1/runs/{id} cannot look up: find the run in the list instead.'
          : 'Its events may not have arrived yet, or they were deleted by retention.',
        h('a', { href: listHref('runs', '#/runs'), class: 'btn secondary' }, 'All runs')));
      } else {
        setChildren(body, errorPanel(error, () => void load(), ctx.onForbidden));
      }
    } finally {
      refresh.disabled = false;
    }
  }

  /** The fallback: polls a running run only while the live stream is down (hints re-read it otherwise). */
  function schedule(wait = RUN_POLL_MS): void {
    clearTimeout(timer);
    if (!ctx.alive() || current?.run.status !== 'running') return;
    timer = setTimeout(() => {
      if (!ctx.alive()) return;
      if (ctx.isLive() || document.visibilityState !== 'visible') schedule();
      else void load({ quiet: true });
    }, wait);
  }

  let trace: ReturnType<typeof traceView> | null = null;

  function draw({ run, timeline, truncated }: { run: Run; timeline: Entry[]; truncated: boolean }): void {
    title.textContent = run.name || 'Run';
    document.title = `${run.name || run.id} · Run · AgentOps`;
    const [label, kind] = RUN_STATUS[run.status] ?? [run.status, 'neutral'];
    setChildren(statusSlot, badge(label, kind));
    // A run keeps small inputs and outputs inline; large ones are on its run.start / run.end events as refs.
    const start = timeline.find((t) => t.event.type === 'run.start')?.event;
    const end = [...timeline].reverse().find((t) => t.event.type === 'run.end')?.event;
    const blocks = [
      payloadBlock('run', 'Input', run.input, start?.input_ref ?? null),
      payloadBlock('run', 'Output', run.output, end?.output_ref ?? null),
      run.metadata && Object.keys(run.metadata).length ? payloadBlock('run', 'Metadata', JSON.stringify(run.metadata), null) : null,
    ].filter(Boolean);
    const focused = document.activeElement instanceof HTMLElement && body.contains(document.activeElement) ? document.activeElement.dataset.focus : undefined;
    trace = traceView(run, timeline, truncated);
    setChildren(body,
      summary(run, timeline),
      run.error && h('div', { class: 'alert error run-error' }, h('p', { class: 'strong' }, 'Error'), pre('Error', run.error, true)),
      blocks.length ? h('section', { class: 'card payloads', 'aria-label': 'Input and output' }, blocks) : null,
      trace.element);
    if (focused) body.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
  }

  function summary(run: Run, timeline: Entry[]): HTMLElement {
    const stat = (label: string, value: string, sub: string | null = null) =>
      h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, h('span', { class: 'stat-value' }, value), sub && h('span', { class: 'stat-sub' }, sub)));
    const runningFor = run.status === 'running' ? Math.max(0, Date.now() - Date.parse(run.started_at)) : null;
    // The count the run keeps, or the failed events it shows when more (a failed run never reads "0 errors").
    const errors = Math.max(run.error_count, timeline.filter((t) => failed(t.event)).length);
    return h('section', { class: 'card run-summary', 'aria-label': 'Summary' },
      h('dl', { class: 'stats' },
        stat('Duration', fmtDuration(run.duration_ms ?? runningFor), run.duration_ms === null && runningFor !== null ? 'so far' : null),
        stat('Cost', fmtMicros(run.cost_micros), run.unpriced_calls ? `+ ${run.unpriced_calls} unpriced call${run.unpriced_calls === 1 ? '' : 's'}` : null),
        stat('Tokens in', fmtInt(run.tokens_in), run.tokens_cached ? `${fmtInt(run.tokens_cached)} cached` : null),
        stat('Tokens out', fmtInt(run.tokens_out)),
        stat('LLM calls', fmtInt(run.llm_calls), `${fmtInt(run.tool_calls)} tool call${run.tool_calls === 1 ? '' : 's'}`),
        stat('Errors', fmtInt(errors), `${fmtInt(run.event_count)} event${run.event_count === 1 ? '' : 's'}`)),
      h('dl', { class: 'details' },
        h('dt', {}, 'Agent'), h('dd', {}, run.agent_name
          ? h('a', { href: `#/agents/${encodeURIComponent(run.agent_id)}`, title: `${run.agent_name}: status, trends and runs` }, run.agent_name)
          : h('span', { class: 'mono' }, run.agent_id)),
        h('dt', {}, 'Started'), h('dd', {}, dateTime.format(new Date(run.started_at)), h('span', { class: 'muted' }, ` · ${exactTime(run.started_at)}`)),
        h('dt', {}, 'Ended'), h('dd', {}, run.ended_at
          ? [dateTime.format(new Date(run.ended_at)), h('span', { class: 'muted' }, ` · ${exactTime(run.ended_at)}`)]
          : h('span', { class: 'muted' }, run.status === 'running' ? 'Still running' : '—')),
        h('dt', {}, 'Models'), h('dd', {}, chips(run.models)),
        h('dt', {}, 'Tags'), h('dd', {}, chips(run.tags)),
        h('dt', {}, 'Environment'), h('dd', {}, run.environment ?? h('span', { class: 'muted' }, '—'))));
  }

  /** The waterfall with its toolbar and side panel; answers the page's keys. */
  function traceView(run: Run, timeline: Entry[], truncated: boolean) {
    const events = timeline.map((t) => t.event);
    const times = events.map((e) => Date.parse(e.timestamp));
    const scale = waterfallScale(
      { startedAt: Date.parse(run.started_at), endedAt: run.ended_at ? Date.parse(run.ended_at) : null, lastEventAt: Date.parse(run.last_event_at) },
      events.map((e, i) => ({ at: times[i]!, durationMs: e.duration_ms })));
    const rows = timeline.map((t) => ({ id: t.event.id, depth: t.depth }));
    const built: HTMLTableRowElement[] = [];
    const tbody = h('tbody', {});
    let collapsedHidden = hiddenByCollapse(rows, collapsed);
    let found: number[] = [];

    const shownAt = (i: number) => !collapsedHidden[i] && !hiddenTypes.has(events[i]!.type);
    const indexOf = (eventId: string | null) => (eventId === null ? -1 : events.findIndex((e) => e.id === eventId));

    function buildRow(i: number): HTMLTableRowElement {
      const entry = timeline[i]!;
      const e = entry.event;
      const type = eventType(e.type);
      const offset = times[i]! - scale.t0;
      // run.start spans the run: its children hang under it.
      const spanMs = e.type === 'run.start' ? Math.max(0, scale.end - times[i]!) : e.duration_ms;
      const caret = entry.children > 0
        ? h('button', {
          type: 'button', class: 'tl-caret', 'aria-expanded': String(!collapsed.has(e.id)), dataset: { focus: `caret:${e.id}` },
          title: `Collapse or expand the ${entry.children} event${entry.children === 1 ? '' : 's'} under it`, onclick: () => toggleCollapse(i),
        }, h('span', { class: 'sr-only' }, `Children of ${eventTitle(e)}`))
        : h('span', { class: 'tl-caret-space', 'aria-hidden': 'true' });
      const select = h('button', { type: 'button', class: 'tl-select', dataset: { focus: `event:${e.id}` }, onclick: () => selectAt(i) },
        h('span', { class: `ev-type ev-${type.cls}`, title: type.label }, type.short), h('span', { class: 'tl-name' }, eventTitle(e)));
      const policyId = e.type === 'policy.decision' ? metaString(e, 'policy_id') : null;
      const indent = h('div', { class: 'tl-indent' }, caret, select,
        e.model && e.type === 'llm.call' && e.name ? h('span', { class: 'chip' }, e.model) : null,
        policyId ? h('a', { class: 'small', href: `#/policies/${encodeURIComponent(policyId)}`, title: metaString(e, 'policy_name') ?? 'The policy that decided' }, 'policy') : null,
        entry.orphaned && badge('Orphan', 'warning', e.parent_id
          ? `Its parent (${e.parent_id}) is not in this run, so it is shown at the top level.`
          : 'Part of a parent cycle, so it is shown at the top level.'));
      if (entry.depth) indent.style.paddingLeft = `${Math.min(entry.depth, 16) * 16}px`; // CSSOM: allowed under the CSP
      const placed = place(scale, { at: times[i]!, durationMs: spanMs ?? null });
      const mark = placed.lane === 'after'
        ? h('div', { class: `tl-late ev-${type.cls}`, title: `${fmtDuration(placed.afterMs)} after the run ended` }, `+${fmtDuration(placed.afterMs)} after`)
        : h('div', { class: `${placed.width !== null ? 'tl-bar' : 'tl-tick'} ev-${type.cls}` });
      if (placed.lane === 'run') {
        mark.style.left = `${placed.left.toFixed(3)}%`;
        if (placed.width !== null) mark.style.width = `max(2px, ${placed.width.toFixed(3)}%)`;
      }
      return h('tr', { class: `tl-row${failed(e) ? ' failed' : ''}`, dataset: { type: e.type, id: e.id } },
        h('td', { 'data-label': 'Event', class: 'tl-event' }, indent),
        h('td', { 'data-label': 'Start', class: 'num tl-offset' }, `+${fmtDuration(offset)}`),
        h('td', { 'data-label': 'Duration', class: 'tl-when' }, h('div', { class: 'tl-track', 'aria-hidden': 'true' }, mark),
          h('span', { class: 'tl-dur' }, spanMs !== null && spanMs !== undefined ? fmtDuration(spanMs) : '—')),
        h('td', { 'data-label': 'Tokens', class: 'num tl-extra' }, e.tokens_in !== null || e.tokens_out !== null
          ? h('span', { title: `${fmtInt(e.tokens_in ?? 0)} in${e.tokens_cached ? ` (${fmtInt(e.tokens_cached)} cached)` : ''}, ${fmtInt(e.tokens_out ?? 0)} out` },
            `${fmtInt(e.tokens_in ?? 0)} / ${fmtInt(e.tokens_out ?? 0)}`)
          : null),
        h('td', { 'data-label': 'Cost', class: 'num tl-extra' }, e.cost_micros !== null
          ? h('span', { title: e.cost_source ? `Cost: ${e.cost_source}` : null }, money(e))
          : e.type === 'llm.call' ? unpricedLink(e) : null),
        h('td', { 'data-label': 'Status', class: 'tl-status tl-extra' }, statusOf(e)));
    }

    const showMore = h('div', { class: 'load-more tl-more' });
    function renderUpTo(n: number): void {
      shownCount = Math.min(timeline.length, Math.max(n, shownCount));
      for (let i = built.length; i < shownCount; i++) {
        const row = buildRow(i);
        built.push(row);
        tbody.append(row);
      }
      const left = timeline.length - built.length;
      setChildren(showMore, left > 0 ? [
        h('span', { class: 'muted small' }, `${fmtInt(built.length)} of ${fmtInt(timeline.length)} events shown.`),
        h('button', { type: 'button', class: 'btn secondary', onclick: () => { renderUpTo(built.length + TIMELINE_STEP); apply(); } }, `Show ${fmtInt(Math.min(left, TIMELINE_STEP))} more`),
        left > TIMELINE_STEP && h('button', { type: 'button', class: 'btn ghost', onclick: () => { renderUpTo(timeline.length); apply(); } }, `Show all ${fmtInt(timeline.length)}`),
      ] : null);
    }

    /** Shows the rows the type filter and the collapsed subtrees leave, marks the search's matches and the selection. */
    function apply(): void {
      collapsedHidden = hiddenByCollapse(rows, collapsed);
      const searching = query.trim().length > 0;
      const matchSet = new Set(found);
      built.forEach((row, i) => {
        row.hidden = !shownAt(i);
        row.classList.toggle('match', searching && matchSet.has(i));
        row.classList.toggle('dim', searching && !matchSet.has(i));
        row.classList.toggle('selected', events[i]!.id === selectedId);
        row.querySelector('.tl-select')?.setAttribute('aria-current', String(events[i]!.id === selectedId));
        const caret = row.querySelector('.tl-caret');
        if (caret) {
          const shut = collapsed.has(events[i]!.id);
          caret.setAttribute('aria-expanded', String(!shut));
          caret.setAttribute('data-hidden', shut ? `+${subtreeEnd(rows, i) - i - 1}` : '');
        }
      });
      matchCount.textContent = searching ? (found.length ? `${matchAt >= 0 ? `${matchAt + 1} of ` : ''}${fmtInt(found.length)} match${found.length === 1 ? '' : 'es'}` : 'No match') : '';
      for (const b of [prevMatch, nextMatch]) b.disabled = !found.length;
    }

    /** Makes row i visible (its collapsed ancestors opened, its type shown, its row laid out) and selects it. */
    function reveal(i: number, focus = true): void {
      for (const a of ancestors(rows, i)) collapsed.delete(events[a]!.id);
      hiddenTypes.delete(events[i]!.type);
      syncTypeToggles();
      renderUpTo(i + 1);
      selectAt(i, focus);
    }

    function selectAt(i: number, focus = true): void {
      selectedId = events[i]!.id;
      apply();
      drawPanel();
      const row = built[i];
      if (row && focus) {
        row.scrollIntoView({ block: 'nearest' });
        row.querySelector<HTMLElement>('.tl-select')?.focus({ preventScroll: true });
      }
    }

    function toggleCollapse(i: number, shut = !collapsed.has(events[i]!.id)): void {
      if (!timeline[i]!.children) return;
      if (shut) collapsed.add(events[i]!.id); else collapsed.delete(events[i]!.id);
      // A selection inside a subtree that closes moves to the subtree's root.
      const sel = indexOf(selectedId);
      if (shut && sel > i && sel < subtreeEnd(rows, i)) selectAt(i); else apply();
    }

    function search(text: string): void {
      query = text;
      found = text.trim() ? events.map((e, i) => (matches(e, text) ? i : -1)).filter((i) => i >= 0) : [];
      matchAt = -1;
      apply();
    }

    function goToMatch(direction: 1 | -1): void {
      if (!found.length) return;
      matchAt = (matchAt + direction + found.length) % found.length;
      reveal(found[matchAt]!, false);
    }

    function firstError(): void {
      const i = events.findIndex((e) => failed(e));
      if (i >= 0) reveal(i);
    }

    // The panel: the selected event's facts and payloads.
    const panel = h('aside', { class: 'tl-panel', 'aria-label': 'Selected event' });
    function drawPanel(): void {
      const i = indexOf(selectedId);
      // Beside the waterfall while an event is selected (its tokens, cost and status move from the table into it).
      panel.classList.toggle('open', i >= 0);
      panel.parentElement?.classList.toggle('with-panel', i >= 0);
      if (i < 0) {
        panel.replaceChildren();
        return;
      }
      setChildren(panel, eventPanel(timeline[i]!, times[i]! - scale.t0, (parentId) => { const p = indexOf(parentId); if (p >= 0) reveal(p); },
        () => { selectedId = null; apply(); drawPanel(); }));
    }

    // The toolbar: search, first error, collapse; the type toggles.
    const searchBox = h('input', { type: 'search', value: query, placeholder: 'Name, model, tool, input, output, metadata…', autocomplete: 'off', 'aria-label': 'Search events', class: 'tl-search' });
    const matchCount = h('span', { class: 'muted small tl-match-count', role: 'status' });
    const prevMatch = h('button', { type: 'button', class: 'btn ghost small', title: 'Previous match (Shift+Enter)', onclick: () => goToMatch(-1) }, '↑');
    const nextMatch = h('button', { type: 'button', class: 'btn ghost small', title: 'Next match (Enter)', onclick: () => goToMatch(1) }, '↓');
    prevMatch.setAttribute('aria-label', 'Previous match');
    nextMatch.setAttribute('aria-label', 'Next match');
    let typing: ReturnType<typeof setTimeout> | undefined;
    searchBox.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => search(searchBox.value), 150); });
    searchBox.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') { event.preventDefault(); clearTimeout(typing); if (query !== searchBox.value) search(searchBox.value); goToMatch(event.shiftKey ? -1 : 1); }
      if (event.key === 'Escape' && searchBox.value) { event.preventDefault(); searchBox.value = ''; search(''); }
    });
    const errorCount = events.filter((e) => failed(e)).length;
    const firstErrorButton = h('button', { type: 'button', class: 'btn secondary small', disabled: !errorCount, onclick: firstError,
      title: errorCount ? 'Select the first event that failed (e)' : 'No event in this run failed' }, errorCount ? `First error (${fmtInt(errorCount)})` : 'No errors');
    const parents = rows.map((_, i) => i).filter((i) => timeline[i]!.children > 0);

    const typeCounts = new Map<string, number>();
    for (const e of events) typeCounts.set(e.type, (typeCounts.get(e.type) ?? 0) + 1);
    const order = Object.keys(EVENT_TYPES);
    const typeToggles = [...typeCounts].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])).map(([type, n]) => {
      const info = eventType(type);
      return h('button', {
        type: 'button', class: 'type-toggle', 'aria-pressed': String(!hiddenTypes.has(type)), dataset: { focus: `type:${type}`, type },
        title: `Show or hide ${info.label.toLowerCase()} events`,
        onclick: () => { if (hiddenTypes.has(type)) hiddenTypes.delete(type); else hiddenTypes.add(type); syncTypeToggles(); apply(); },
      }, h('span', { class: `ev-dot ev-${info.cls}`, 'aria-hidden': 'true' }), `${info.label} `, h('span', { class: 'muted' }, fmtInt(n)));
    });
    function syncTypeToggles(): void {
      for (const b of typeToggles) b.setAttribute('aria-pressed', String(!hiddenTypes.has(b.dataset.type ?? '')));
    }

    renderUpTo(shownCount);
    search(query);

    const axis = h('div', { class: 'tl-scale', 'aria-hidden': 'true' }, h('span', {}, '0'), h('span', {}, fmtDuration(scale.total / 2)), h('span', {}, fmtDuration(scale.total)));
    const element = h('section', { class: 'card flush timeline', 'aria-labelledby': 'tl-heading' },
      h('div', { class: 'timeline-head' },
        h('div', {},
          h('h2', { id: 'tl-heading' }, 'Timeline'),
          h('p', { class: 'muted small' }, `${fmtInt(timeline.length)} event${timeline.length === 1 ? '' : 's'} in causal order (parents before children, then by time), scaled to the run; what came after its end has a lane of its own. Select an event for its input, output and metadata; `,
            h('kbd', {}, 'j'), '/', h('kbd', {}, 'k'), ' move, ', h('kbd', {}, 'h'), '/', h('kbd', {}, 'l'), ' collapse and expand, ', h('kbd', {}, 'e'), ' first error.')),
        h('div', { class: 'row-actions' },
          firstErrorButton,
          parents.length > 0 && h('button', { type: 'button', class: 'btn ghost small', onclick: () => { parents.forEach((i) => collapsed.add(events[i]!.id)); const s = indexOf(selectedId); if (s >= 0 && ancestors(rows, s).length) selectAt(ancestors(rows, s).at(-1)!, false); else apply(); } }, 'Collapse all'),
          parents.length > 0 && h('button', { type: 'button', class: 'btn ghost small', onclick: () => { collapsed.clear(); apply(); } }, 'Expand all'))),
      h('div', { class: 'tl-tools' },
        h('div', { class: 'tl-search-box', role: 'search' }, searchBox, prevMatch, nextMatch, matchCount),
        h('div', { class: 'type-toggles', role: 'group', 'aria-label': 'Event types shown' }, typeToggles)),
      truncated && h('div', { class: 'alert warning tl-truncated' },
        h('p', {}, `Only the first ${fmtInt(timeline.length)} of ${fmtInt(run.event_count)} events are shown (the timeline is truncated). `,
          'The rest can be read from ', h('code', {}, `GET /api/v1/events/${run.id}`), '.')),
      timeline.length
        ? h('div', { class: 'trace' },
          h('div', { class: 'trace-main' },
            h('div', { class: 'table-wrap' }, h('table', { class: 'table dense tl-table' },
              h('caption', { class: 'sr-only' }, 'Run timeline'),
              h('thead', {}, h('tr', {},
                h('th', { scope: 'col' }, 'Event'),
                h('th', { scope: 'col', class: 'num' }, 'Start'),
                h('th', { scope: 'col', class: 'tl-when-head' }, h('span', { class: 'sr-only' }, 'Duration'), axis),
                h('th', { scope: 'col', class: 'num tl-extra' }, 'Tokens in / out'),
                h('th', { scope: 'col', class: 'num tl-extra' }, 'Cost'),
                h('th', { scope: 'col', class: 'tl-extra' }, 'Status'))),
              tbody)),
            showMore),
          panel)
        : emptyState('No events yet', null));
    drawPanel();

    /** j/k: next/previous shown event; h/l: collapse/expand (h on a leaf goes to its parent); e: first error; Escape: close the panel. */
    function key(k: string): boolean {
      const sel = indexOf(selectedId);
      const shown = events.map((_, i) => shownAt(i));
      switch (k) {
        case 'j': case 'k': {
          const next = step(shown, sel >= 0 ? sel : null, k === 'j' ? 1 : -1);
          if (next !== null) reveal(next);
          return true;
        }
        case 'h': case 'l':
          if (sel < 0) return false;
          if (timeline[sel]!.children > 0 && collapsed.has(events[sel]!.id) === (k === 'l')) toggleCollapse(sel, k === 'h');
          else if (k === 'h' && ancestors(rows, sel).length) selectAt(ancestors(rows, sel)[0]!);
          return true;
        case 'e':
          firstError();
          return true;
        case 'Escape':
          if (sel < 0) return false;
          selectedId = null;
          apply();
          drawPanel();
          return true;
        default:
          return false;
      }
    }

    return { element, key };
  }

  /** The selected event: what it is, when, what it cost, and its payloads (chat messages when they are). */
  function eventPanel(entry: Entry, offset: number, selectParent: (id: string) => void, close: () => void): Child {
    const e = entry.event;
    const type = eventType(e.type);
    const facts: [string, ...Child[]][] = [];
    const add = (label: string, ...value: Child[]) => facts.push([label, ...value]);
    add('Event id', h('code', {}, e.id));
    if (e.parent_id) add('Parent', entry.orphaned
      ? [h('code', {}, e.parent_id), h('span', { class: 'muted' }, ' (not in this run)')]
      : h('button', { type: 'button', class: 'link-btn mono', onclick: () => selectParent(e.parent_id!) }, e.parent_id));
    add('Time', exactTime(e.timestamp), h('span', { class: 'muted block small' }, `+${fmtDuration(offset)} from the run’s start`));
    if (e.duration_ms !== null) add('Duration', fmtDuration(e.duration_ms));
    if (e.tool_name) add('Tool', h('code', {}, e.tool_name));
    if (e.model) add('Model', e.model, e.provider ? h('span', { class: 'muted' }, ` · ${e.provider}`) : null);
    else if (e.provider) add('Provider', e.provider);
    if (e.tokens_in !== null || e.tokens_out !== null) add('Tokens', `${fmtInt(e.tokens_in ?? 0)} in · ${fmtInt(e.tokens_out ?? 0)} out${e.tokens_cached ? ` · ${fmtInt(e.tokens_cached)} cached` : ''}`);
    if (e.cost_micros !== null) add('Cost', money(e), e.cost_source ? h('span', { class: 'muted' }, ` · ${e.cost_source}`) : null);
    else if (e.type === 'llm.call') add('Cost', unpricedLink(e));
    if (e.score !== null) add('Score', String(e.score));
    if (e.status) add('Status', statusOf(e));
    if (e.type === 'policy.decision') {
      const policyId = metaString(e, 'policy_id');
      if (policyId) add('Policy', h('a', { href: `#/policies/${encodeURIComponent(policyId)}` }, metaString(e, 'policy_name') ?? policyId));
      if (metaString(e, 'approval_id')) add('Approval', h('a', { href: '#/approvals?status=pending' }, 'Requested: see approvals'));
    }
    if (e.type === 'approval.decision') add('Decision', h('a', { href: `#/approvals?status=${encodeURIComponent(e.status ?? 'approved')}` }, `${e.status ?? 'decided'}: see approvals`));
    const blocks = [
      payloadBlock(e.id, 'Input', e.input, e.input_ref),
      payloadBlock(e.id, 'Output', e.output, e.output_ref),
      e.error ? h('div', { class: 'payload-block' }, h('h3', {}, 'Error'), pre('Error', e.error, true)) : null,
      e.metadata ? payloadBlock(e.id, 'Metadata', JSON.stringify(e.metadata), null) : null,
    ].filter(Boolean);
    return [
      h('div', { class: 'tl-panel-head' },
        h('h3', {}, h('span', { class: `ev-type ev-${type.cls}` }, type.short), ' ', eventTitle(e)),
        h('button', { type: 'button', class: 'btn ghost small', 'aria-label': 'Close the event panel', title: 'Close (Escape)', onclick: close }, '✕')),
      h('dl', { class: 'details compact' }, facts.map(([label, ...value]) => [h('dt', {}, label), h('dd', {}, value)])),
      blocks.length ? blocks : h('p', { class: 'muted small' }, 'No input, output or metadata recorded.'),
    ];
  }

  /**
   * An input, output or metadata: inline when the event carries it, else (larger than 16 KiB) a button that fetches it
   * from GET /payloads/<ref> with the session's token. A conversation shows as chat messages, with the raw JSON a
   * click away.
   */
  function payloadBlock(owner: string, label: string, value: string | null, ref: string | null): HTMLElement | null {
    const key = `${owner}|${label}`;
    const head = h('h3', {}, label);
    const box = h('div', { class: 'payload-block' }, head);
    const show = (text: string, note: Child = null) => {
      const chat = label === 'Metadata' ? null : asChat(text);
      const asRaw = !chat || rawView.has(key);
      const toggle = chat && h('button', {
        type: 'button', class: 'btn ghost small', 'aria-pressed': String(!asRaw),
        onclick: () => { if (rawView.has(key)) rawView.delete(key); else rawView.add(key); setChildren(box, head, ...contents()); },
      }, 'Chat');
      const contents = (): Child[] => {
        const raw = rawView.has(key) || !chat;
        toggle?.setAttribute('aria-pressed', String(!raw));
        return [note, raw ? pre(label, text) : chatView(label, chat!)];
      };
      setChildren(head, label, h('span', { class: 'muted small' }, ` ${formatBytes(text)}`), toggle ? h('span', { class: 'payload-view' }, toggle) : null);
      setChildren(box, head, ...contents());
    };
    if (value !== null && value !== undefined) {
      show(value);
      return box;
    }
    if (!ref) return null;
    const load = async (button: HTMLButtonElement) => {
      button.disabled = true;
      button.textContent = 'Loading…';
      try {
        const text = payloads.get(ref) ?? await ctx.text(payloadPath(ref));
        payloads.set(ref, text);
        show(text, h('p', { class: 'muted small' }, 'Stored separately (larger than 16 KiB).'));
      } catch (error) {
        if (error instanceof SessionEnded) return;
        button.disabled = false;
        button.textContent = `Load ${label.toLowerCase()}`;
        const detail = error instanceof ApiError && error.status === 404 ? 'The stored payload was not found.' : error instanceof ApiError ? error.detail : 'It could not be shown.';
        box.append(h('p', { class: 'field-error', role: 'alert' }, detail));
      }
    };
    const button = h('button', { type: 'button', class: 'btn secondary small', onclick: () => void load(button) }, `Load ${label.toLowerCase()}`);
    box.append(h('p', { class: 'muted small' }, 'Larger than 16 KiB, so stored separately. ', h('code', {}, ref)), button);
    if (payloads.has(ref)) void load(button);
    return box;
  }

  load();
}

function chatView(label: string, messages: ChatMessage[]): HTMLElement {
  return h('ol', { class: 'chat', 'aria-label': `${label} as messages` }, messages.map((m) =>
    h('li', { class: `chat-msg role-${/^[a-z_]+$/.test(m.role) ? m.role : 'other'}` },
      h('span', { class: 'chat-role' }, m.role, m.toolCallId ? h('span', { class: 'muted' }, ` · ${m.toolCallId}`) : null),
      m.text && h('div', { class: 'chat-text' }, m.text),
      m.toolCalls.map((c) => h('div', { class: 'chat-tool' },
        h('span', { class: 'chat-tool-name' }, `→ ${c.name}`, c.id ? h('span', { class: 'muted' }, ` · ${c.id}`) : null),
        h('pre', { class: 'payload', tabindex: '0' }, pretty(c.arguments)))))));
}

function pre(label: string, value: string, error = false): HTMLPreElement {
  return h('pre', { class: `payload${error ? ' error' : ''}`, tabindex: '0', role: 'region', 'aria-label': label }, pretty(value));
}

function chips(values: readonly string[]): Child {
  return values.length ? h('span', { class: 'chips' }, values.map((v) => h('span', { class: 'chip' }, v))) : h('span', { class: 'muted' }, '—');
}

function metaString(e: Event, key: string): string | null {
  const m = e.metadata as Record<string, unknown> | null;
  const v = m && typeof m === 'object' ? m[key] : null;
  return typeof v === 'string' && v ? v : null;
}

function unpricedLink(e: Event): HTMLElement {
  return h('a', { class: 'muted', title: 'No price is known for this model: add one', href: `#/prices${e.model ? `?model=${encodeURIComponent(e.model)}` : ''}` }, 'unpriced');
}

function statusOf(e: Event): Child {
  const status = (e.status ?? '').toLowerCase();
  if (e.error) return h('span', { class: 'status-stack' }, badge('Error', 'danger'), h('span', { class: 'small danger-text clamp', title: e.error }, snippet(e.error, 80)));
  if (!status) return e.type === 'error' ? badge('Error', 'danger') : null;
  if (failed(e)) return badge(e.status!, 'danger');
  if (e.type === 'policy.decision' && status !== 'allow') return badge(e.status!, status === 'block' ? 'danger' : 'warning');
  if (OK_STATUSES.has(status)) return badge(e.status!, 'success');
  return badge(e.status!, 'neutral');
}
