// Charts of the console's pages (Reports, Staffing, the invitation report): plotly.js, served by this
// server (/console/vendor/plotly.min.js) and loaded on first use, drawn with one look everywhere.
// `drawPlot` is the one way to put a chart in a box: the box says the chart in words for screen
// readers (`summary`; the figures are also in a table or CSV beside it), shows a loading state, and
// says so when the library cannot load. Plots whose boxes left the page are purged here.

import { h, icon, replaceChildren } from './dom.js';

export const CHART_FONT = { family: '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Arial, sans-serif', size: 12, color: '#474d59' };
export const CHART_AXIS = { gridcolor: '#eceef2', zerolinecolor: '#d0d4da', fixedrange: true, automargin: true };

let plotly = null;

/** Loads plotly.js once (a classic script that sets window.Plotly); resolves to it. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotly) {
    plotly = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/console/vendor/plotly.min.js';
      s.async = true;
      s.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error('plotly.js did not start')));
      s.onerror = () => { plotly = null; reject(new Error('Could not load the chart library.')); };
      document.head.appendChild(s);
    });
  }
  return plotly;
}

const drawn = new Set(); // the elements plotly.js draws in and listens on

/** The library, with the box in its loading state meanwhile; null (and a note in the box) when it cannot load. */
export async function chartLibrary(el, summary, fallback = 'The figures are in the table and CSV.') {
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', summary || 'Chart');
  el.classList.add('chart-loading');
  let Plotly;
  try {
    Plotly = await loadPlotly();
  } catch (err) {
    el.classList.remove('chart-loading');
    replaceChildren(el, h('p', { class: 'chart-fallback' }, icon('alert', 14), `${err.message} ${fallback}`));
    return null;
  }
  el.classList.remove('chart-loading');
  for (const old of drawn) if (!old.isConnected) { Plotly.purge(old); drawn.delete(old); }
  return el.isConnected ? Plotly : null;
}

/** Marks a drawn plot (purged once its box leaves the page; `data-drawn` for the browser tests). */
export function chartDrawn(box, target = box) {
  drawn.add(target);
  box.dataset.drawn = '1';
}

/**
 * Draws `data` (plotly traces) in the box `el` with the console's look; `layout` overrides it.
 * `summary`: the chart in words. `onClick(point)`: a click on a point. `wrapClass`: draw in a child
 * of that class (a box whose own size CSS sets). `fitWidth`: the plot starts at the box's width.
 * `zeroBased`: the y axis starts at 0. Category x axes get as many labels as fit side by side.
 */
export async function drawPlot(el, data, layoutIn, { summary, onClick = null, wrapClass = '', fitWidth = false, zeroBased = false } = {}) {
  const Plotly = await chartLibrary(el, summary);
  if (!Plotly) return;
  const target = wrapClass ? h('div', { class: wrapClass }) : el;
  if (wrapClass) replaceChildren(el, target); else replaceChildren(el);
  let layout = layoutIn;
  const cats = layout.xaxis && layout.xaxis.type === 'category' && data[0] && Array.isArray(data[0].x) ? data[0].x : null;
  if (cats && cats.length && !layout.xaxis.tickvals) { // as many labels as fit side by side, never overlapping
    const longest = Math.max(...cats.map((c) => String(c).length));
    const fit = Math.max(2, Math.floor((el.clientWidth || 600) / (longest * 7 + 18)));
    const every = Math.ceil(cats.length / fit);
    const shown = cats.filter((_, i) => i % every === 0);
    layout = { ...layout, xaxis: { tickangle: 0, ...layout.xaxis, tickmode: 'array', tickvals: shown, ticktext: shown } };
  }
  await Plotly.newPlot(target, data, {
    font: CHART_FONT, margin: { l: 8, r: 8, t: 8, b: 8 }, paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: 'rgba(0,0,0,0)',
    legend: { orientation: 'h', y: -0.2, x: 0 }, hovermode: 'closest', height: 280,
    ...(fitWidth && el.clientWidth ? { width: el.clientWidth } : {}), // the box's width now (responsive follows it later)
    ...layout,
    xaxis: { ...CHART_AXIS, ...(layout.xaxis || {}) },
    yaxis: { ...CHART_AXIS, ...(zeroBased ? { rangemode: 'tozero' } : {}), ...(layout.yaxis || {}) },
  }, { displayModeBar: false, responsive: true });
  chartDrawn(el, target);
  if (onClick) target.on('plotly_click', (ev) => { const p = ev && ev.points && ev.points[0]; if (p) onClick(p); });
}
