// The shell around the signed-in pages: the top bar (brand, organization, bell, person, role, theme, sign-out), the kill
// switch banner under it, and the side nav with its sections and badges. It draws what it is given; shell/app.ts says
// when. The DOM is built with textContent/properties only (lib/dom.ts), never innerHTML with data.
import type { Schemas } from '../api/client';
import { bellIcon, logo } from '../components/brand';
import { roleBadge } from '../components/roles';
import { timeEl } from '../components/time';
import { h, setChildren } from '../lib/dom';
import { fmtCount } from '../lib/format';
import { parseChoice, themeChoice, THEMES, type ThemeChoice } from '../lib/theme';
import { HOME_ROUTE } from '../pages/context';
import { navSections, shownInNav, type RouteKey } from './routes';
import type { Counts } from './watches';

/** NotificationService.UnreadCountCap: the server stops counting there. */
const UNREAD_CAP = 1000;

export interface ShellActions {
  signOut(): void;
  chooseTheme(choice: ThemeChoice): void;
}

type Holds = (permission: string) => boolean;

export class Shell {
  readonly root: HTMLDivElement;
  /** Where the pages draw. */
  readonly main: HTMLElement;
  private readonly links = new Map<RouteKey, HTMLAnchorElement>();
  private readonly orgName = h('span', { class: 'org-name' });
  private readonly email = h('span', { class: 'user-email' });
  private readonly roleSlot = h('span', { class: 'user-role' });
  private readonly killNavBadge = h('span', { class: 'nav-alert', hidden: true },
    h('span', { 'aria-hidden': 'true' }, 'On'), h('span', { class: 'sr-only' }, ' (kill switch on)'));
  private readonly approvalsNavBadge = h('span', { class: 'nav-count', hidden: true });
  // The dashboard is for people (API keys have no read state); hidden until the first count arrives.
  private readonly bellCount = h('span', { class: 'bell-count', 'aria-hidden': 'true', hidden: true });
  private readonly bell = h('a', { href: '#/notifications', class: 'bell', hidden: true, 'aria-label': 'Notifications' }, bellIcon(), this.bellCount);
  // Filled while the kill switch is on; a live region, so its appearance is announced on whatever page is open.
  private readonly banner = h('div', { class: 'kill-banner-slot', 'aria-live': 'assertive' });
  /** What the banner shows now ('' for nothing), so that it is redrawn only when that changes. */
  private bannerKey: string | null = null;

  constructor(actions: ShellActions) {
    const navBadges: Partial<Record<RouteKey, HTMLElement>> = { '/controls': this.killNavBadge, '/approvals': this.approvalsNavBadge };
    const navGroups = navSections().map((section) => {
      const items = section.items.map(({ path, label }) => {
        const link = h('a', { href: `#${path}`, class: 'nav-link' }, label, navBadges[path] ?? null);
        this.links.set(path, link);
        return h('li', {}, link);
      });
      const headingId = `nav-${section.id}`;
      return [h('p', { class: 'nav-heading', id: headingId }, section.label), h('ul', { 'aria-labelledby': headingId }, items)];
    });
    this.main = h('main', { id: 'main', class: 'content', tabindex: '-1' });
    this.root = h('div', { class: 'shell' },
      h('header', { class: 'topbar' },
        h('a', { href: `#${HOME_ROUTE}`, class: 'brand', 'aria-label': 'AgentOps home' }, logo(), h('span', { class: 'brand-name' }, 'AgentOps')),
        h('span', { class: 'divider', 'aria-hidden': 'true' }),
        h('div', { class: 'org' }, h('span', { class: 'sr-only' }, 'Organization: '), this.orgName),
        this.bell,
        h('div', { class: 'user' },
          h('span', { class: 'sr-only' }, 'Signed in as '), this.email, this.roleSlot, themeSelect(actions.chooseTheme),
          h('button', { type: 'button', class: 'btn secondary small', onclick: () => actions.signOut() }, 'Sign out'))),
      this.banner,
      h('div', { class: 'layout' },
        h('nav', { class: 'sidenav', 'aria-label': 'Main' }, navGroups),
        this.main));
  }

  /** The person, the organization and the role in the top bar; the nav entries this person may not use hidden. */
  showSession(user: Schemas['UserView'], org: Schemas['OrgView'] | null, role: string, holds: Holds): void {
    this.orgName.textContent = org?.name ?? '';
    this.email.textContent = user.email;
    this.email.title = user.name || user.email;
    setChildren(this.roleSlot, roleBadge(role));
    this.showNavEntries(holds);
  }

  /** Marks the nav entry of the page shown (`current`: its route, or the list an item's page belongs to). */
  markCurrent(current: string, holds: Holds): void {
    this.showNavEntries(holds);
    for (const [path, link] of this.links) {
      if (path === current) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
    if (current === '/notifications') this.bell.setAttribute('aria-current', 'page'); else this.bell.removeAttribute('aria-current');
  }

  private showNavEntries(holds: Holds): void {
    for (const [path, link] of this.links) {
      if (link.parentElement) link.parentElement.hidden = !shownInNav(path, holds);
    }
  }

  /**
   * The red banner under the top bar, on every page, while the switch is on (and its nav badge); redrawn only when it
   * changes. `lifted`: it was on and is now off (said to screen readers).
   */
  showKillSwitch(status: Schemas['ControlStatus'] | null, lifted: boolean, mayOpenControls: boolean): void {
    const s = status?.killed ? status : null;
    this.killNavBadge.hidden = !s;
    const key = s ? `${s.killed_at}|${s.killed_reason}|${mayOpenControls}` : '';
    if (key === this.bannerKey) return;
    this.bannerKey = key;
    if (!s) {
      setChildren(this.banner, lifted ? h('p', { class: 'sr-only' }, 'The kill switch was lifted.') : null);
      return;
    }
    setChildren(this.banner, h('section', { class: 'kill-banner', 'aria-label': 'Kill switch' },
      h('span', { class: 'kill-banner-icon', 'aria-hidden': 'true' }, '!'),
      h('div', { class: 'kill-banner-text' },
        h('p', { class: 'strong' }, 'Kill switch on: every agent of the organization is paused and ingest refuses their events.'),
        h('p', {},
          s.killed_reason ? [h('span', { class: 'kill-banner-label' }, 'Reason: '), h('span', { class: 'kill-banner-reason' }, s.killed_reason), ' · '] : null,
          'Since ', timeEl(s.killed_at, { withTime: true }), '.')),
      mayOpenControls && h('a', { href: '#/controls', class: 'btn kill-banner-link' }, 'Open Controls')));
  }

  /** The pending approvals on the nav badge and the unread notifications on the bell (shown to a person only). */
  showCounts({ pending, pendingMore, unread }: Counts, person: boolean): void {
    const navBadge = this.approvalsNavBadge;
    navBadge.hidden = !pending;
    setChildren(navBadge, pending ? [h('span', { 'aria-hidden': 'true' }, fmtCount(pending, pendingMore)),
      h('span', { class: 'sr-only' }, ` (${fmtCount(pending, pendingMore)} pending)`)] : null);
    this.bell.hidden = unread === null || !person;
    const shown = unread ? fmtCount(Math.min(unread, UNREAD_CAP), unread >= UNREAD_CAP) : '';
    this.bellCount.hidden = !unread;
    this.bellCount.textContent = shown;
    this.bell.setAttribute('aria-label', unread ? `Notifications: ${shown} unread` : 'Notifications: none unread');
    this.bell.title = unread ? `${shown} unread notifications` : 'Notifications';
  }
}

function themeSelect(choose: (choice: ThemeChoice) => void): HTMLSelectElement {
  const choice = themeChoice();
  const select: HTMLSelectElement = h('select', {
    class: 'theme-select', 'aria-label': 'Theme', title: 'Theme: Auto follows the system', onchange: () => choose(parseChoice(select.value)),
  }, THEMES.map(([value, label]) => h('option', { value, selected: value === choice }, label)));
  return select;
}
