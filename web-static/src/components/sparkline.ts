// A sparkline: a small SVG line of counts over time (the agents list: runs per day over a week). Decorative beside the
// figure it belongs to, so its numbers are in its title for anyone who wants them.
import { sparklinePoints } from '../lib/series';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 64;
const HEIGHT = 18;

export function sparkline(values: readonly number[], title: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('width', String(WIDTH));
  svg.setAttribute('height', String(HEIGHT));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  const tip = document.createElementNS(SVG, 'title');
  tip.textContent = title;
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', sparklinePoints(values, WIDTH, HEIGHT));
  svg.append(tip, line);
  return svg;
}
