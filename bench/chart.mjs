/**
 * A hand-rolled horizontal bar chart as SVG text (no dependencies), for docs/bench-ingest.svg.
 */

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** A round axis maximum above `v` (1, 2, 2.5 or 5 times a power of ten). */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * @param {object} o
 * @param {string} o.title
 * @param {string} [o.subtitle]
 * @param {string} o.unit axis label, e.g. "events per second"
 * @param {{label: string, value: number, color: string, note?: string}[]} o.bars
 * @param {{value: number, label: string}[]} [o.lines] dashed reference lines (targets)
 */
export function barChartSvg({ title, subtitle, unit, bars, lines = [] }) {
  const width = 900;
  const left = 330;
  const right = 150;
  const top = 76;
  const barH = 26;
  const gap = 16;
  const plotH = bars.length * (barH + gap) - gap;
  const height = top + plotH + 64;
  const max = niceMax(Math.max(...bars.map((b) => b.value), ...lines.map((l) => l.value)) * 1.02);
  const x = (v) => left + (v / max) * (width - left - right);
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="20" y="30" font-size="18" font-weight="bold" fill="#111">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="20" y="52" fill="#555">${esc(subtitle)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (max / 5) * i;
    const gx = x(v).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + plotH + 6}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${gx}" y="${top + plotH + 24}" text-anchor="middle" fill="#666">${esc(fmt(v))}</text>`);
  }
  out.push(`<text x="${x(max / 2)}" y="${top + plotH + 46}" text-anchor="middle" fill="#444">${esc(unit)}</text>`);
  bars.forEach((b, i) => {
    const y = top + i * (barH + gap);
    const w = Math.max(1, x(b.value) - left);
    out.push(`<text x="${left - 10}" y="${y + barH / 2 + 4}" text-anchor="end" fill="#222">${esc(b.label)}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.color}" rx="2"/>`);
    const note = b.note ? ` ${b.note}` : '';
    out.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + barH / 2 + 4}" fill="#222">${esc(fmt(b.value) + note)}</text>`);
  });
  for (const l of lines) {
    const lx = x(l.value).toFixed(1);
    out.push(`<line x1="${lx}" y1="${top - 14}" x2="${lx}" y2="${top + plotH + 6}" stroke="#c0392b" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${lx + 4}" y="${top - 16}" fill="#c0392b" font-size="12">${esc(l.label)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
