// The AgentOps mark (the shell's top bar, the sign-in cards) and the shell's icons, drawn with the theme's colours (styles.css).
const SVG_NS = 'http://www.w3.org/2000/svg';

const LOGO_PARTS: readonly [string, Record<string, string | number>][] = [
  ['rect', { width: 32, height: 32, rx: 7, class: 'logo-bg' }],
  ['path', { d: 'M9 22 16 9l7 13', class: 'logo-stroke' }],
  ['circle', { cx: 16, cy: 19, r: 2, class: 'logo-dot' }],
];

export function logo(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 32 32');
  svg.setAttribute('class', 'logo');
  svg.setAttribute('aria-hidden', 'true');
  for (const [tag, attrs] of LOGO_PARTS) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    svg.append(el);
  }
  return svg;
}

/** The notifications bell (outline), drawn with currentColor. */
export function bellIcon(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'bell-icon');
  svg.setAttribute('aria-hidden', 'true');
  for (const d of ['M6 10a6 6 0 0 1 12 0c0 4.5 1.5 6 2.5 7h-17C4.5 16 6 14.5 6 10Z', 'M10 20a2 2 0 0 0 4 0']) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}
