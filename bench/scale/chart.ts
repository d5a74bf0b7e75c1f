const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** What the chart needs of one result of `bench/scale.bench.ts`. */
export interface ChartPoint {
  size: string;
  runner: string;
  /** Units, services and tasks in the fleet. */
  resources: number;
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
}

const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#9d755d"];
const PANEL_W = 300;
const PANEL_H = 220;
const MARGIN = { top: 48, right: 20, bottom: 48, left: 60 };

interface Series {
  runner: string;
  points: { x: number; y: number; label: string }[];
}

/** One line panel: x is the fleet's resources on a log scale, y from zero. */
function linePanel(x0: number, title: string, unit: string, series: Series[], xs: number[]): string {
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((v) => Number.isFinite(v));
  const hi = 4 * niceStep((Math.max(1e-9, ...ys) * 1.05) / 4);
  const [xlo, xhi] = [Math.min(...xs) / 1.6, Math.max(...xs) * 1.6];
  const left = x0 + MARGIN.left;
  const x = (v: number) =>
    left + ((Math.log10(v) - Math.log10(xlo)) / (Math.log10(xhi) - Math.log10(xlo))) * PANEL_W;
  const y = (v: number) => MARGIN.top + PANEL_H - (v / hi) * PANEL_H;
  const out = [`<text x="${left}" y="24" font-weight="bold">${escapeXml(title)}</text>`];
  for (let i = 0; i <= 4; i += 1) {
    const t = (hi * i) / 4;
    out.push(
      `<line x1="${left}" x2="${left + PANEL_W}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${formatTick(t)}${unit}</text>`,
    );
  }
  for (const v of xs) {
    out.push(
      `<text x="${x(v).toFixed(1)}" y="${MARGIN.top + PANEL_H + 18}" text-anchor="middle">${formatCount(v)}</text>`,
    );
  }
  out.push(
    `<text x="${left + PANEL_W / 2}" y="${MARGIN.top + PANEL_H + 36}" text-anchor="middle" fill="#555">resources in the fleet (log scale)</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.filter((p) => Number.isFinite(p.y));
    if (pts.length > 1) {
      const d = pts
        .map((p, j) => `${j === 0 ? "M" : "L"}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`)
        .join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const p of pts) {
      out.push(
        `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3.5" fill="${color}"><title>${escapeXml(`${s.runner} ${p.label}: ${formatTick(p.y)}${unit}`)}</title></circle>`,
      );
    }
  });
  return out.join("\n");
}

/**
 * Growth with the fleet, as a self-contained SVG for BENCHMARKS.md: wall time, CPU time and
 * peak-RSS growth per resource, one line per runner against the fleet's size. Linear cost is a
 * flat line. Memory is the growth between two measured sizes (peak RSS difference over the
 * resources added), since a process's fixed part would otherwise dominate the small fleets.
 */
export function renderScaleChart(points: readonly ChartPoint[]): string {
  const runners = [...new Set(points.map((p) => p.runner))];
  const xs = [...new Set(points.map((p) => p.resources))].sort((a, b) => a - b);
  const of = (runner: string) =>
    points.filter((p) => p.runner === runner).sort((a, b) => a.resources - b.resources);
  const perResource = (value: (p: ChartPoint) => number): Series[] =>
    runners.map((runner) => ({
      runner,
      points: of(runner).map((p) => ({ x: p.resources, y: value(p) / p.resources, label: p.size })),
    }));
  const growth: Series[] = runners.map((runner) => {
    const mine = of(runner);
    return {
      runner,
      points: mine.slice(1).map((p, i) => {
        const prev = mine[i]!;
        return {
          x: Math.sqrt(prev.resources * p.resources),
          y: (p.maxRssKb - prev.maxRssKb) / (p.resources - prev.resources),
          label: `${prev.size} → ${p.size}`,
        };
      }),
    };
  });
  const step = PANEL_W + MARGIN.left + MARGIN.right;
  const width = 3 * step;
  const height = PANEL_H + MARGIN.top + MARGIN.bottom + 28;
  const legend = runners
    .map((runner, i) => {
      const lx = MARGIN.left + i * 150;
      const ly = height - 12;
      return `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 18}" y="${ly}">${escapeXml(runner)}</text>`;
    })
    .join("\n");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    "<title>Cost per resource by fleet size, qfhk against the naive loop (npm run bench:scale)</title>",
    `<rect width="100%" height="100%" fill="white"/>`,
    linePanel(
      0,
      "Wall time per resource",
      " ms",
      perResource((p) => p.wallMs),
      xs,
    ),
    linePanel(
      step,
      "CPU time per resource",
      " ms",
      perResource((p) => p.cpuMs),
      xs,
    ),
    linePanel(2 * step, "Peak RSS growth per added resource", " KB", growth, xs),
    legend,
    "</svg>",
    "",
  ].join("\n");
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value`. */
function niceStep(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= value) ?? 10) * power;
}

function formatTick(value: number): string {
  if (value >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return value >= 1 ? value.toFixed(1) : value.toPrecision(2);
}

function formatCount(value: number): string {
  return value >= 1000 ? `${Math.round(value / 100) / 10}k` : String(value);
}
