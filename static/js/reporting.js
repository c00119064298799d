// Draws the dashboard charts from the JSON the page embeds with json_script.
(function () {
  "use strict";
  const source = document.getElementById("report-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const palette = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#9ca3af"];
  const percent = { ticks: { callback: (v) => Math.round(v * 1000) / 10 + "%" }, beginAtZero: true };

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  draw("chart-trend", {
    type: "line",
    data: {
      labels: data.trend.labels,
      datasets: [
        { label: "Returns", data: data.trend.returns, borderColor: palette[0], yAxisID: "y" },
        { label: "Refunded", data: data.trend.refunds, borderColor: palette[1], yAxisID: "money" },
      ],
    },
    options: {
      animation: false,
      scales: { y: { beginAtZero: true }, money: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } } },
    },
  });
  [["chart-category", data.categoryRates], ["chart-supplier", data.supplierRates]].forEach(([id, d]) =>
    draw(id, {
      type: "bar",
      data: { labels: d.labels, datasets: [{ label: "Return rate", data: d.values, backgroundColor: palette[0] }] },
      options: { animation: false, indexAxis: "y", scales: { x: percent }, plugins: { legend: { display: false } } },
    })
  );
  [["chart-reasons", data.reasons], ["chart-grades", data.grades], ["chart-dispositions", data.dispositions]].forEach(([id, d]) =>
    draw(id, {
      type: "doughnut",
      data: { labels: d.labels, datasets: [{ data: d.values, backgroundColor: palette }] },
      options: { animation: false, plugins: { legend: { position: "bottom" } } },
    })
  );
})();
