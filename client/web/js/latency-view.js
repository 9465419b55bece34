// The latency panel: one bar per recent turn, built from the LatencyTracker (latency.js).

import { BUDGET_MS } from "./latency.js";
import { $, el } from "./dom.js";

const fmtMs = (ms) => `${Math.round(ms).toLocaleString("en-US")} ms`;

/** Whole numbers that add up to the rounded sum of `values` (largest remainders round up). */
function roundToSum(values) {
  const total = Math.round(values.reduce((a, v) => a + v, 0));
  const floors = values.map(Math.floor);
  let left = total - floors.reduce((a, v) => a + v, 0);
  const order = values.map((v, i) => [v - floors[i], i]).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    floors[i] += 1;
    left -= 1;
  }
  return floors;
}

export class LatencyView {
  /** Draw the last 8 measured turns of `tracker` and the summary line. */
  render(tracker) {
    const views = tracker.measured().slice(-8).map((t) => ({ t, b: tracker.breakdown(t) }));
    const totals = views.map(({ t, b }) => (b ? b.totalMs : t.e2eMs ?? 0));
    const scale = Math.max(BUDGET_MS * 1.6, ...totals) * 1.04;
    $("latency-list").replaceChildren(...views.map(({ t, b }) => this.latencyRow(t, b, scale)));
    const summary = tracker.summary();
    $("latency-summary").textContent = summary
      ? `Median ${fmtMs(summary.median)} over ${summary.count} turn${summary.count === 1 ? "" : "s"} · ` +
        `${summary.within} of ${summary.count} within budget`
      : "No turns yet.";
  }

  /** One turn: a bar of what the user waited for (it adds up to the headline) and, under the
   * endpoint wait, hatched strips of the work that ran meanwhile (not added). */
  latencyRow(t, b, scale) {
    const pct = (ms) => `${(ms / scale) * 100}%`;
    const li = el("li", "lat-turn");
    li.dataset.turn = String(t.turnId);
    li.dataset.stream = String(t.stream);
    const head = el("div", "lat-head");
    head.append(el("span", "lat-name", `Turn ${t.n}`));
    const value = el("strong", "lat-value");
    if (t.e2eMs !== null) {
      value.textContent = fmtMs(t.e2eMs);
      value.dataset.ms = t.e2eMs.toFixed(1);
      value.classList.add(t.e2eMs <= BUDGET_MS ? "ok" : "over");
    } else {
      value.textContent = "no audio";
      value.classList.add("na");
    }
    head.append(value);
    const bar = el("div", "lat-bar");
    bar.setAttribute("role", "img");
    const shown = b ? roundToSum(b.waited.map((s) => s.ms)) : [];
    const parts = b ? b.waited.map((s, i) => `${s.label} ${shown[i]}`).join(" + ") : "";
    const overlapText = b && b.overlap.length
      ? `during the endpoint wait: ${b.overlap.map((o) => `${o.label} ${Math.round(o.ms)}`).join(", ")} ms` : "";
    bar.setAttribute("aria-label", `Turn ${t.n}: end-to-end ${t.e2eMs !== null ? fmtMs(t.e2eMs) : "not measured"}` +
      (b ? `; waited: ${parts} ms${overlapText ? `; ${overlapText}` : ""}` : "; stage timings pending"));
    if (!b) {
      const pending = el("span", `seg seg-pending${t.interrupted ? " is-interrupted" : ""}`);
      pending.style.width = pct(t.e2eMs ?? 0);
      bar.append(pending);
    } else {
      b.waited.forEach((s, i) => {
        const seg = el("span", `seg seg-${s.cls}`);
        seg.style.width = pct(s.ms);
        seg.dataset.ms = s.ms.toFixed(1);
        seg.title = `${s.label}: ${shown[i]} ms waited`;
        bar.append(seg);
      });
    }
    const budget = el("span", "budget-line");
    budget.style.left = pct(BUDGET_MS);
    budget.title = `${BUDGET_MS} ms budget`;
    bar.append(budget);
    li.append(head, bar);
    if (b && b.overlap.length) {
      const track = el("div", "lat-overlap");
      track.setAttribute("aria-hidden", "true");
      for (const o of b.overlap) {
        const strip = el("span", `ovl ovl-${o.cls}`);
        strip.style.left = pct(o.fromMs);
        strip.style.width = pct(o.ms);
        strip.title = `${o.label}: ${Math.round(o.ms)} ms during the endpoint wait (not added)`;
        track.append(strip);
      }
      li.append(track);
    }
    const detail = el("p", "lat-detail");
    if (b) {
      detail.textContent = `${parts} = ${fmtMs(b.totalMs)}`;
      if (overlapText) detail.append(el("br"), `Overlapped, ${overlapText}`);
    } else if (t.interrupted) detail.textContent = "Interrupted: no stage breakdown";
    else detail.textContent = "Waiting for stage timings…";
    li.append(detail);
    return li;
  }
}
