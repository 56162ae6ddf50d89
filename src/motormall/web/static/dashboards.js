// The OEM dashboards: one Chart.js bar chart per canvas[data-chart], drawn from the JSON the
// page carries in #charts-data (labels and numbers only; Chart.js paints them on the canvas,
// so a dealer's or campaign's name never becomes markup). The tables beside each chart hold
// the same figures for readers without scripts.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("charts-data");
  if (!source || typeof Chart === "undefined") return;
  const charts = JSON.parse(source.textContent);
  const colours = ["#1d4ed8", "#9ca3af", "#15803d"];
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const spec = charts[canvas.dataset.chart];
    if (!spec || !spec.labels.length) return;
    const across = canvas.dataset.chart === "funnel" || canvas.dataset.chart === "dealers";
    const valueAxis = { beginAtZero: true, ticks: { precision: 0 } };
    if (spec.axis === "percent") valueAxis.max = 100;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s, i) => ({
          label: s.label, data: s.data, backgroundColor: colours[i % colours.length], maxBarThickness: 40,
        })),
      },
      options: {
        indexAxis: across ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.series.length > 1 } },
        scales: across ? { x: valueAxis } : { y: valueAxis },
      },
    });
    canvas.dataset.drawn = "yes";
  });
});
