// Sign-in, sign-up and accepting an invitation: the pages outside the shell (AuthApi.cs). They call the /auth endpoints
// without a session (GuestContext.transport) and hand the session they answer to the shell (GuestContext.signedIn).
// Passwords and invitation tokens stay in the forms: an invitation token that came in the link leaves the address bar
// and the history at once.
import { call } from '../api/client';
import { ApiError } from '../api/errors';
import { logo } from '../components/brand';
import { field, formText, handleSubmit } from '../components/forms';
import { roleLabel } from '../components/roles';
import { h, type Child } from '../lib/dom';
import { HOME_ROUTE, type GuestContext } from './context';

/** The card every guest page shows: the mark, the title, the one-time notice (if any), then the page's content. */
function authCard(ctx: GuestContext, title: string, subtitle: string | null, ...content: Child[]): HTMLDivElement {
  const notice = ctx.takeFlash();
  return h('div', { class: 'auth-card' },
    h('div', { class: 'auth-brand' }, logo(), h('span', { class: 'brand-name' }, 'AgentOps')),
    h('h1', { id: 'page-title', tabindex: '-1' }, title),
    subtitle && h('p', { class: 'page-desc' }, subtitle),
    notice && h('div', { class: `alert ${notice.kind}`, role: notice.kind === 'error' ? 'alert' : 'status' }, notice.text),
    content);
}

/** The password as typed (never trimmed). */
const password = (data: FormData): string => {
  const v = data.get('password');
  return typeof v === 'string' ? v : '';
};

export function viewLogin(main: HTMLElement, ctx: GuestContext): void {
  const submit = h('button', { type: 'submit', class: 'btn primary block' }, 'Sign in');
  const orgDetails = h('details', { class: 'disclosure' },
    h('summary', {}, 'Sign in to a specific organization'),
    field({
      label: 'Organization ID', name: 'org_id', optional: true, autocomplete: 'off',
      hint: 'Only if you belong to several organizations. Find it under Organization once signed in.',
      attrs: { spellcheck: 'false', class: 'mono' },
    }));
  const form = h('form', { class: 'stack', 'aria-label': 'Sign in' },
    h('div', { class: 'problem-slot' }),
    field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'username', required: true }),
    field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    orgDetails,
    submit);
  handleSubmit(form, async (data) => {
    const orgId = formText(data, 'org_id');
    const result = await call(ctx.transport, 'logIn', {
      body: { email: formText(data, 'email'), password: password(data), ...(orgId ? { org_id: orgId } : {}) },
    });
    void ctx.signedIn(result);
  }, {
    codePaths: { invalid_credentials: '$.password', no_membership: '$.email' },
    onError: (e) => { if (e instanceof ApiError && e.errors?.['$.org_id']) orgDetails.open = true; },
  });
  main.append(authCard(ctx, 'Sign in', 'Use your AgentOps account.', form,
    h('div', { class: 'auth-links' },
      h('p', {}, 'New to AgentOps? ', h('a', { href: '#/signup' }, 'Create an organization')),
      h('p', {}, 'Were you invited? ', h('a', { href: '#/accept-invite' }, 'Accept an invitation')))));
}

export function viewSignup(main: HTMLElement, ctx: GuestContext): void {
  const form = h('form', { class: 'stack', 'aria-label': 'Create an organization' },
    h('div', { class: 'problem-slot' }),
    field({ label: 'Organization name', name: 'org_name', autocomplete: 'organization', required: true }),
    field({ label: 'Your name', name: 'name', autocomplete: 'name', optional: true }),
    field({ label: 'Work email', name: 'email', type: 'email', autocomplete: 'email', required: true }),
    field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'new-password', required: true, hint: 'At least 12 characters, and not your email address.' }),
    h('button', { type: 'submit', class: 'btn primary block' }, 'Create organization'));
  handleSubmit(form, async (data) => {
    const result = await call(ctx.transport, 'signUp', {
      body: { org_name: formText(data, 'org_name'), name: formText(data, 'name'), email: formText(data, 'email'), password: password(data) },
    });
    void ctx.signedIn(result, `Welcome to AgentOps. ${result.organization.name} is ready.`);
  }, { codePaths: { email_taken: '$.email' } });
  main.append(authCard(ctx, 'Create an organization', 'You will be its first admin and can invite your team next.', form,
    h('div', { class: 'auth-links' }, h('p', {}, 'Already have an account? ', h('a', { href: '#/login' }, 'Sign in')))));
}

export function viewAcceptInvite(main: HTMLElement, ctx: GuestContext): void {
  const token = ctx.params.get('token') ?? '';
  if (token) {
    // Keep the one-time token out of the address bar and history once it is in the form.
    history.replaceState(null, '', '#/accept-invite');
  }
  const me = ctx.me();
  const form = h('form', { class: 'stack', 'aria-label': 'Accept invitation' },
    h('div', { class: 'problem-slot' }),
    field({
      label: 'Invitation token', name: 'token', value: token, autocomplete: 'off', required: true,
      hint: 'Starts with aoi_. It is in the link or message you were sent.', attrs: { spellcheck: 'false', class: 'mono' },
    }),
    field({ label: 'Your name', name: 'name', autocomplete: 'name', optional: true, hint: 'Used only when this creates a new account.' }),
    field({
      label: 'Password', name: 'password', type: 'password', autocomplete: 'new-password', required: true,
      hint: 'New to AgentOps: choose a password (at least 12 characters). Already have an account: enter its password.',
    }),
    h('button', { type: 'submit', class: 'btn primary block' }, 'Join organization'));
  handleSubmit(form, async (data) => {
    const body = { token: formText(data, 'token'), password: password(data), name: formText(data, 'name') };
    // Switching accounts in this tab: the previous session ends on the server too, once the new one has started.
    const endPrevious = ctx.replacedSession();
    const result = await call(ctx.transport, 'acceptInvite', { body });
    endPrevious?.();
    void ctx.signedIn(result, `You joined ${result.organization.name} as ${roleLabel(result.role)}.`);
  }, { codePaths: { invitation_not_found: '$.token', invitation_expired: '$.token', invalid_credentials: '$.password' } });
  const current = me
    ? h('div', { class: 'alert info', role: 'status' }, `You are signed in as ${me.email}. Accepting signs this tab in with the invited account instead.`)
    : null;
  main.append(authCard(ctx, 'Accept your invitation', 'Join the organization that invited you.', current, form,
    h('div', { class: 'auth-links' },
      me
        ? h('p', {}, h('a', { href: `#${HOME_ROUTE}` }, 'Back to the dashboard'))
        : h('p', {}, 'Already a member? ', h('a', { href: '#/login' }, 'Sign in')))));
}
