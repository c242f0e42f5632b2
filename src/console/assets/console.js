// Tessera console behaviour, kept small: the pages are server-rendered and htmx swaps fragments.
// This opens the dialogs the server sends and gives focus back when they close, copies values,
// closes menus, shows error answers where the person is looking, and draws report charts.
(() => {
  /** The control that asked for the dialog now open, to give focus back to when it closes. */
  let opener = null;
  let openerId = '';

  function restoreFocus() {
    const target =
      (opener?.isConnected && opener) ||
      (openerId && document.getElementById(openerId)) ||
      document.querySelector('main h1') ||
      document.getElementById('main');
    if (target) {
      if (!target.matches('a, button, input, select, textarea, summary, [tabindex]')) {
        target.setAttribute('tabindex', '-1');
      }
      target.focus();
    }
  }

  function openDialogs(root) {
    const dialogs = root.matches?.('dialog[data-autoshow]')
      ? [root]
      : Array.from(root.querySelectorAll?.('dialog[data-autoshow]') ?? []);
    for (const dialog of dialogs) {
      if (dialog.open || !dialog.isConnected) continue;
      // Closing removes the dialog, so nothing it showed (a new secret) stays in the page.
      dialog.addEventListener('close', () => {
        dialog.remove();
        restoreFocus();
      });
      dialog.showModal();
    }
  }

  document.addEventListener('htmx:beforeRequest', (event) => {
    const elt = event.detail.elt;
    if (elt && !elt.closest('dialog')) {
      opener = elt.matches('form') ? (event.detail.requestConfig?.submitter ?? elt) : elt;
      openerId = opener.id || '';
      const menu = elt.closest('details[data-menu]');
      if (menu) {
        // The menu closes as its choice is made; focus returns to the menu's button.
        menu.open = false;
        opener = menu.querySelector('summary');
        openerId = '';
      }
    }
  });

  // Error answers (4xx, 5xx) carry a short message: show it in the form that was sent, or at the
  // top of the page, instead of dropping it.
  document.addEventListener('htmx:beforeSwap', (event) => {
    const status = event.detail.xhr.status;
    if (status < 400) return;
    const form = event.detail.requestConfig?.elt?.closest?.('form');
    const slot = form?.querySelector('[data-form-error]') ?? document.getElementById('flash');
    if (!slot) return;
    event.detail.target = slot;
    event.detail.swapOverride = 'innerHTML';
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  });

  document.addEventListener('htmx:load', (event) => openDialogs(event.detail.elt));

  document.addEventListener('htmx:afterSettle', () => {
    // A dialog closed by the server (the modal slot emptied) leaves focus nowhere: bring it back.
    const lost = !document.activeElement || document.activeElement === document.body;
    if (lost && !document.querySelector('dialog[open]')) restoreFocus();
  });

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;

    const closer = target.closest('[data-close-dialog]');
    if (closer) {
      closer.closest('dialog')?.close();
      return;
    }

    const copy = target.closest('[data-copy]');
    if (copy) {
      copyValue(copy);
      return;
    }

    for (const menu of document.querySelectorAll('details[data-menu][open]')) {
      if (!menu.contains(target)) menu.open = false;
    }
  });

  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const menu = document.activeElement?.closest?.('details[data-menu][open]');
    if (menu) {
      menu.open = false;
      menu.querySelector('summary')?.focus();
    }
  });

  function copyValue(button) {
    const source = document.querySelector(button.getAttribute('data-copy'));
    if (!source) return;
    const value = 'value' in source ? source.value : source.textContent;
    const status = document.querySelector(`[data-copy-status-for="${source.id}"]`);
    const say = (text) => {
      if (status) status.textContent = text;
    };
    const selectIt = () => {
      source.focus();
      source.select?.();
    };
    if (navigator.clipboard?.writeText) {
      navigator.clipboard.writeText(value).then(
        () => say('Copied to the clipboard.'),
        () => {
          selectIt();
          say('Selected: press Ctrl+C (or ⌘C) to copy.');
        },
      );
    } else {
      selectIt();
      say('Selected: press Ctrl+C (or ⌘C) to copy.');
    }
  }

  // Report charts: the page carries the series as JSON; uPlot (served by the console) draws it.
  function drawCharts(root) {
    if (typeof window.uPlot !== 'function') return;
    for (const holder of root.querySelectorAll?.('[data-chart]') ?? []) {
      if (holder.dataset.drawn) continue;
      const source = document.getElementById(holder.getAttribute('data-chart'));
      if (!source) continue;
      holder.dataset.drawn = '1';
      const chart = JSON.parse(source.textContent);
      const palette = [
        '#2563eb',
        '#d97706',
        '#059669',
        '#dc2626',
        '#7c3aed',
        '#0891b2',
        '#db2777',
        '#65a30d',
      ];
      // A variation keeps its colour across charts: count only the main lines, not interval bounds.
      const colourOf = (c, i) =>
        c.bands ? c.bands.findIndex((b) => b.of === i || b.low === i || b.high === i) : i;
      const seriesStyle = (c, i) => {
        const s = c.series[i];
        const colour = palette[colourOf(c, i) % palette.length];
        const bound = (c.bands ?? []).some((b) => b.low === i || b.high === i);
        return bound
          ? { label: s.label, stroke: `${colour}66`, width: 1, dash: [4, 4], points: { show: false } }
          : { label: s.label, stroke: colour, width: 2, points: { show: true } };
      };
      const width = () => Math.max(280, holder.clientWidth);
      const plot = new window.uPlot(
        {
          width: width(),
          height: 260,
          // The days with data and half a day either side, taken from the data itself: for a single
          // point uPlot offers a max a thousand days later (a day in ms on a scale in seconds).
          scales: {
            x: {
              time: true,
              range: (u) => {
                const days = u.data[0];
                return [days[0] - 43200, days[days.length - 1] + 43200];
              },
            },
          },
          // Ticks on whole days only: the data are days, hours between them would mean nothing.
          axes: [
            { incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400, 365 * 86400] },
            { label: chart.yLabel, size: 60 },
          ],
          series: [{}, ...chart.series.map((_s, i) => seriesStyle(chart, i))],
          // uPlot numbers series from 1 (0 is x); a band fills from its high bound down to its low one.
          bands: (chart.bands ?? []).map((b) => ({
            series: [b.high + 1, b.low + 1],
            fill: `${palette[colourOf(chart, b.of) % palette.length]}22`,
          })),
        },
        [chart.x, ...chart.series.map((s) => s.values)],
        holder,
      );
      new ResizeObserver(() => plot.setSize({ width: width(), height: 260 })).observe(holder);
      // The drawn chart, for checks of what it shows (its scales) from the page.
      holder.uplot = plot;
    }
  }

  function start() {
    openDialogs(document.body);
    drawCharts(document.body);
  }
  document.addEventListener('htmx:load', (event) => drawCharts(event.detail.elt));
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
