// The themes' text colours against their surfaces meet WCAG AA (4.5:1 for body text), read from styles.css itself, so
// a colour changed there cannot quietly fall below it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('../styles.css', import.meta.url), 'utf8');

function variables(selector: string): Record<string, string> {
  const start = css.indexOf(`${selector} {`);
  const block = css.slice(start, css.indexOf('}', start));
  return Object.fromEntries([...block.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)].map((m) => [m[1]!, m[2]!]));
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

const ratio = (a: string, b: string) => {
  const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
  return (x! + 0.05) / (y! + 0.05);
};

const light = variables(':root');
const dark = { ...light, ...variables(':root[data-theme="dark"]') };
const PAIRS: [string, string][] = [
  ['text', 'bg'], ['text', 'surface'], ['text-muted', 'surface'], ['text-muted', 'bg'], ['text-muted', 'surface-sunken'],
  ['accent', 'surface'], ['accent', 'accent-soft'], ['danger', 'surface'], ['danger', 'danger-soft'], ['danger-text', 'danger-soft'],
  ['success', 'success-soft'], ['success-text', 'success-soft'], ['warning', 'warning-soft'], ['warning-text', 'warning-soft'],
  ['indigo', 'indigo-soft'], ['text', 'highlight'], ['text', 'row-failed'],
];

describe('the themes', () => {
  for (const [name, theme] of [['light', light], ['dark', dark]] as const) {
    it(`keep text at 4.5:1 or more against its surface in the ${name} theme`, () => {
      for (const [fg, bg] of PAIRS) expect({ pair: `${fg} on ${bg}`, ratio: ratio(theme[fg]!, theme[bg]!) >= 4.5 }).toEqual({ pair: `${fg} on ${bg}`, ratio: true });
      for (const fill of ['accent-fill', 'danger-fill']) expect({ fill, ratio: ratio('#ffffff', theme[fill]!) >= 4.5 }).toEqual({ fill, ratio: true });
    });
  }
});
