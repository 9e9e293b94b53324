// Organization: its profile (name and time zone: the calendar of costs and budgets) and its id (OrgsApi.cs). Admins
// change the profile (org_write); everyone else reads it. The shell shows the name it reads or saves.
import { call, type Schemas } from '../api/client';
import { copyField } from '../components/copyField';
import { clearProblem, field, formText, handleSubmit } from '../components/forms';
import { errorPanel, loadingPanel, pageHeader } from '../components/panels';
import { timeEl } from '../components/time';
import { toast } from '../components/toast';
import { h, nextId, setChildren } from '../lib/dom';
import type { PageContext } from './context';

type Org = Schemas['OrgView'];

/** The browser's IANA time zones for the suggestions, UTC first (only UTC where the browser cannot list them). */
export function timeZones(supported: () => readonly string[] = () => Intl.supportedValuesOf('timeZone')): string[] {
  let zones: readonly string[] = [];
  try { zones = supported(); } catch { zones = []; }
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}

/** The fields of the profile form that differ from the organization's (empty: nothing to save). */
export function profilePatch(org: Pick<Org, 'name' | 'timezone'>, form: { name: string; timezone: string }): { name?: string; timezone?: string } {
  const patch: { name?: string; timezone?: string } = {};
  if (form.name !== org.name) patch.name = form.name;
  if (form.timezone !== org.timezone) patch.timezone = form.timezone;
  return patch;
}

export function viewOrganization(main: HTMLElement, ctx: PageContext): void {
  const body = h('div', { class: 'stack-lg' }, loadingPanel('Loading organization…'));
  main.append(pageHeader('Organization', 'Your organization’s profile.'), body);

  const load = async (): Promise<void> => {
    setChildren(body, loadingPanel('Loading organization…'));
    try {
      const org = await call(ctx.transport, 'getOrgProfile');
      if (!ctx.alive()) return;
      ctx.setOrg(org);
      draw(org);
    } catch (e) {
      if (ctx.alive()) setChildren(body, errorPanel(e, () => void load(), ctx.onForbidden));
    }
  };

  function draw(org: Org): void {
    const profile = ctx.holds('org_write') ? profileForm(org) : profileReadOnly(org);
    const details = h('section', { class: 'card', 'aria-labelledby': 'org-details-title' },
      h('h2', { id: 'org-details-title' }, 'Details'),
      copyField({ label: 'Organization ID', value: org.id, hint: 'Needed to sign in to this organization when your account belongs to several.' }),
      h('dl', { class: 'details' },
        h('dt', {}, 'Created'), h('dd', {}, timeEl(org.created_at, { withTime: true })),
        h('dt', {}, 'Last changed'), h('dd', {}, timeEl(org.updated_at, { withTime: true }))));
    setChildren(body, profile, details);
  }

  function profileReadOnly(org: Org): HTMLElement {
    return h('section', { class: 'card', 'aria-labelledby': 'org-profile-title' },
      h('h2', { id: 'org-profile-title' }, 'Profile'),
      h('dl', { class: 'details' },
        h('dt', {}, 'Name'), h('dd', {}, org.name),
        h('dt', {}, 'Time zone'), h('dd', {}, org.timezone)),
      h('p', { class: 'muted' }, 'Only admins can change the organization profile.'));
  }

  function profileForm(org: Org): HTMLFormElement {
    const listId = nextId('tz');
    const save = h('button', { type: 'submit', class: 'btn primary', disabled: true }, 'Save changes');
    const reset = h('button', { type: 'reset', class: 'btn secondary', disabled: true }, 'Discard');
    const form = h('form', { class: 'card stack', 'aria-labelledby': 'org-profile-title' },
      h('h2', { id: 'org-profile-title' }, 'Profile'),
      h('div', { class: 'problem-slot' }),
      field({ label: 'Name', name: 'name', value: org.name, autocomplete: 'organization', required: true }),
      field({
        label: 'Time zone', name: 'timezone', value: org.timezone, autocomplete: 'off', required: true,
        hint: 'An IANA time zone such as Europe/Paris or UTC.', attrs: { list: listId, spellcheck: 'false' },
      }),
      h('datalist', { id: listId }, timeZones().map((z) => h('option', { value: z }))),
      h('div', { class: 'form-actions start' }, save, reset));
    const edited = (data: FormData): ReturnType<typeof profilePatch> =>
      profilePatch(org, { name: formText(data, 'name'), timezone: formText(data, 'timezone') });
    const changed = (): void => {
      const dirty = Object.keys(edited(new FormData(form))).length > 0;
      save.disabled = !dirty;
      reset.disabled = !dirty;
    };
    form.addEventListener('input', changed);
    form.addEventListener('reset', () => setTimeout(() => { clearProblem(form); changed(); }));
    handleSubmit(form, async (data) => {
      const patch = edited(data);
      if (!Object.keys(patch).length) return;
      const updated = await call(ctx.transport, 'updateOrgProfile', { body: patch });
      if (!ctx.alive()) return;
      ctx.setOrg(updated);
      document.title = `Organization · ${updated.name} · AgentOps`;
      toast('Organization profile saved.');
      draw(updated);
    });
    return form;
  }

  void load();
}
