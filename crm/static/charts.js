// Charts of the pipeline pages (Chart.js, vendored). No inline scripts: each
// <canvas data-chart="KIND" data-chart-source="ID"> reads its data from the
// <script type="application/json" id="ID"> block next to it.
(() => {
  "use strict";

  const COLOURS = {
    duaal: "#0d6efd",
    evc: "#198754",
    vacancies: "#6f42c1",
  };

  function readData(canvas) {
    const source = document.getElementById(canvas.dataset.chartSource);
    if (!source) return null;
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      return null;
    }
  }

  function funnel(canvas, data) {
    const kinds = ["duaal", "evc"];
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map((set, index) => ({
          label: set.label,
          data: set.data,
          backgroundColor: COLOURS[kinds[index]] || "#6c757d",
        })),
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  function cumulative(canvas, data) {
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.datasets.map((set) => ({
          label: set.label,
          data: set.data,
          borderColor: COLOURS[set.kind] || "#6c757d",
          backgroundColor: COLOURS[set.kind] || "#6c757d",
          borderDash: set.role === "ambition" ? [6, 4] : [],
          pointRadius: set.role === "ambition" ? 0 : 3,
          borderWidth: 2,
          tension: 0,
          spanGaps: false,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  const BUILDERS = { funnel, cumulative };

  function draw() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const build = BUILDERS[canvas.dataset.chart];
      const data = readData(canvas);
      if (build && data && !canvas.dataset.drawn) {
        canvas.dataset.drawn = "1";
        build(canvas, data);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
