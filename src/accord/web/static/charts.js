// Render every element with a data-spec attribute as a Vega-Lite chart, on load and after every HTMX swap.
function renderCharts(root) {
  root.querySelectorAll("[data-spec]").forEach(function (el) {
    vegaEmbed(el, JSON.parse(el.dataset.spec), { actions: false, renderer: "svg" });
  });
}
document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
document.addEventListener("htmx:afterSettle", function (event) { renderCharts(event.detail.elt); });
