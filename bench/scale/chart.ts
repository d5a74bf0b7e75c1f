const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** What the chart needs of one result of `bench/scale.bench.ts`. */
export interface ChartPoint {
  size: string;
  runner: string;
  wallMs: number;
  maxRssKb: number;
}

const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#9d755d"];
const PANEL_W = 420;
const PANEL_H = 260;
const MARGIN = { top: 48, right: 16, bottom: 56, left: 56 };

/**
 * Two bar panels, wall time (log scale) and peak RSS, one group per fleet size and one bar per
 * runner, as a self-contained SVG for BENCHMARKS.md.
 */
export function renderScaleChart(points: readonly ChartPoint[]): string {
  const sizes = [...new Set(points.map((p) => p.size))];
  const runners = [...new Set(points.map((p) => p.runner))];
  const width = 2 * (PANEL_W + MARGIN.left + MARGIN.right);
  const height = PANEL_H + MARGIN.top + MARGIN.bottom + 28;
  const panel = (x0: number, title: string, value: (p: ChartPoint) => number, log: boolean, unit: string) => {
    const values = points.map(value).filter((v) => v > 0);
    const max = Math.max(1, ...values);
    const min = log ? Math.min(max / 10, ...values) : 0;
    const lo = log ? 10 ** Math.floor(Math.log10(min)) : 0;
    const hi = log ? 10 ** Math.ceil(Math.log10(max)) : niceCeil(max);
    const y = (v: number) =>
      MARGIN.top +
      PANEL_H -
      (log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : v / hi) *
        PANEL_H;
    const ticks = log
      ? Array.from({ length: Math.round(Math.log10(hi / lo)) + 1 }, (_, i) => lo * 10 ** i)
      : Array.from({ length: 5 }, (_, i) => (hi * i) / 4);
    const out: string[] = [];
    const left = x0 + MARGIN.left;
    out.push(`<text x="${left}" y="24" font-weight="bold">${escapeXml(title)}</text>`);
    for (const t of ticks) {
      out.push(
        `<line x1="${left}" x2="${left + PANEL_W}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`,
        `<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${formatTick(t)}${unit}</text>`,
      );
    }
    const group = PANEL_W / Math.max(1, sizes.length);
    const bar = (group * 0.8) / Math.max(1, runners.length);
    sizes.forEach((size, gi) => {
      const gx = left + gi * group + group * 0.1;
      out.push(
        `<text x="${(gx + group * 0.4).toFixed(1)}" y="${MARGIN.top + PANEL_H + 18}" text-anchor="middle">${escapeXml(size)}</text>`,
      );
      runners.forEach((runner, ri) => {
        const p = points.find((q) => q.size === size && q.runner === runner);
        if (!p || !(value(p) > 0)) return;
        const top = y(value(p));
        out.push(
          `<rect x="${(gx + ri * bar).toFixed(1)}" y="${top.toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${(MARGIN.top + PANEL_H - top).toFixed(1)}" fill="${COLORS[ri % COLORS.length]}"><title>${escapeXml(`${runner} ${size}: ${formatTick(value(p))}${unit}`)}</title></rect>`,
        );
      });
    });
    return out.join("\n");
  };
  const legend = runners
    .map((runner, i) => {
      const x = MARGIN.left + i * 150;
      const y = height - 14;
      return `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 18}" y="${y}">${escapeXml(runner)}</text>`;
    })
    .join("\n");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    "<title>qfhk against the naive loop: wall time and peak RSS by fleet size (npm run bench:scale)</title>",
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(0, "Wall time per run (s, log scale)", (p) => p.wallMs / 1000, true, " s"),
    panel(
      PANEL_W + MARGIN.left + MARGIN.right,
      "Peak RSS of the client process (MB)",
      (p) => p.maxRssKb / 1024,
      false,
      " MB",
    ),
    legend,
    "</svg>",
    "",
  ].join("\n");
}

function niceCeil(value: number): number {
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / step) * step;
}

function formatTick(value: number): string {
  if (value >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return value >= 1 ? value.toFixed(1) : value.toPrecision(1);
}
