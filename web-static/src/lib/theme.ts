// Light or dark: the system's choice unless the person picked one (kept in this browser). The resolved theme goes on
// <html data-theme>, and styles.css changes only its variables for it; charts read those variables when they draw.

export const THEMES = [['system', 'Auto'], ['light', 'Light'], ['dark', 'Dark']] as const;
export type ThemeChoice = (typeof THEMES)[number][0];

const KEY = 'agentops.theme';
const DARK = '(prefers-color-scheme: dark)';

export function parseChoice(value: string | null): ThemeChoice {
  return value === 'light' || value === 'dark' ? value : 'system';
}

export const resolveTheme = (choice: ThemeChoice, systemDark: boolean): 'light' | 'dark' =>
  choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;

export function themeChoice(): ThemeChoice {
  try { return parseChoice(localStorage.getItem(KEY)); } catch { return 'system'; }
}

/** Applies the choice (and remembers it); calls changed() whenever the resolved theme changes, the system's included. */
export function startTheme(changed: () => void): { choose(choice: ThemeChoice): void } {
  const media = window.matchMedia?.(DARK);
  let choice = themeChoice();
  const apply = () => {
    const next = resolveTheme(choice, media?.matches ?? false);
    if (document.documentElement.dataset.theme === next) return;
    document.documentElement.dataset.theme = next;
    changed();
  };
  media?.addEventListener('change', apply);
  document.documentElement.dataset.theme = resolveTheme(choice, media?.matches ?? false);
  return {
    choose(next) {
      choice = next;
      try { if (next === 'system') localStorage.removeItem(KEY); else localStorage.setItem(KEY, next); } catch { /* storage off: this page only */ }
      apply();
    },
  };
}
