/**
 * A small SVG line chart (time on x, one line per series, legend, axis ticks) rendered to PNG
 * with @resvg/resvg-js. Text uses DejaVu Sans when the file exists (passed to resvg explicitly,
 * so rendering does not depend on system font discovery); otherwise the system fonts.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

export interface Series {
  name: string;
  points: (readonly [number, number])[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Vertical markers (e.g. step boundaries): x and a short label. */
  markers?: { x: number; label: string }[];
  width?: number;
  height?: number;
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
];
const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 1, 2 or 5 × 10^k steps giving about `count` ticks. */
function ticks(min: number, max: number, count: number): number[] {
  const span = max - min || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(v);
  return out;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k` : String(+v.toFixed(2));

export function lineChartSvg(series: Series[], options: ChartOptions): string {
  const width = options.width ?? 1000;
  const height = options.height ?? 520;
  const m = { left: 80, right: 200, top: 50, bottom: 60 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xMin = Math.min(...all.map(([x]) => x), 0);
  const xMax = Math.max(...all.map(([x]) => x), 1);
  const yMax = Math.max(...all.map(([, y]) => y), 1) * 1.05;
  const X = (x: number) => m.left + ((x - xMin) / (xMax - xMin || 1)) * w;
  const Y = (y: number) => m.top + h - (y / yMax) * h;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2 - m.right / 2}" y="28" text-anchor="middle" font-size="17">${esc(options.title)}</text>`,
  ];
  for (const t of ticks(0, yMax, 6)) {
    parts.push(
      `<line x1="${m.left}" x2="${m.left + w}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 8}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`,
    );
  }
  for (const t of ticks(xMin, xMax, 10)) {
    parts.push(
      `<line x1="${X(t)}" x2="${X(t)}" y1="${m.top + h}" y2="${m.top + h + 5}" stroke="#333"/>`,
      `<text x="${X(t)}" y="${m.top + h + 20}" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  for (const [i, marker] of (options.markers ?? []).entries()) {
    // Labels alternate between two rows so close markers do not overlap.
    parts.push(
      `<line x1="${X(marker.x)}" x2="${X(marker.x)}" y1="${m.top}" y2="${m.top + h}" stroke="#999" stroke-dasharray="4 4"/>`,
      `<text x="${X(marker.x) + 3}" y="${m.top + 12 + (i % 2) * 13}" font-size="11" fill="#555">${esc(marker.label)}</text>`,
    );
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + w / 2}" y="${height - 15}" text-anchor="middle">${esc(options.xLabel)}</text>`,
    `<text transform="translate(20 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`,
  );
  for (const [i, s] of series.entries()) {
    const color = COLORS[i % COLORS.length] ?? '#000';
    const d = s.points
      .filter(([, y]) => Number.isFinite(y))
      .map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`)
      .join(' ');
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
    const ly = m.top + 10 + i * 22;
    parts.push(
      `<line x1="${m.left + w + 15}" x2="${m.left + w + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${m.left + w + 46}" y="${ly + 4}">${esc(s.name)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** Renders the chart to a PNG file; returns whether an explicit font file was used. */
export function writeChartPng(path: string, series: Series[], options: ChartOptions): boolean {
  const svg = lineChartSvg(series, options);
  const fontFiles = FONT_FILES.filter((f) => existsSync(f));
  const resvg = new Resvg(svg, {
    font: {
      fontFiles,
      loadSystemFonts: fontFiles.length === 0,
      defaultFontFamily: 'DejaVu Sans',
    },
  });
  writeFileSync(path, resvg.render().asPng());
  return fontFiles.length > 0;
}
