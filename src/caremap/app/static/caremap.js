// Draw every chart on the page from the JSON beside it (no inline scripts: CSP-friendly).
(function () {
  function draw() {
    var charts = document.querySelectorAll(".cm-chart[data-chart]");
    for (var i = 0; i < charts.length; i++) {
      var el = charts[i];
      var src = document.getElementById(el.getAttribute("data-chart"));
      if (!src || typeof Plotly === "undefined") { continue; }
      try {
        var fig = JSON.parse(src.textContent);
        Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false })
          .then(function (gd) { gd.setAttribute("data-rendered", "true"); });
      } catch (e) {
        el.setAttribute("data-error", String(e));
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
