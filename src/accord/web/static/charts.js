// Render every element with a data-spec attribute as a Vega-Lite chart.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-spec]").forEach(function (el) {
    vegaEmbed(el, JSON.parse(el.dataset.spec), { actions: false, renderer: "svg" });
  });
});
