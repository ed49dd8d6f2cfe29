/* 走访覆盖 on the command map (issue #16): a layer of the micro-grids' coverage from the
 * `coverage` vector tiles (counts only), filled by the share of households visited inside
 * their cadence; micro-grids "uncovered" (no member, or no contact in 14 days) get a thick red
 * outline. A legend line gives the scope's totals from GET /api/v1/coverage. The layer is an
 * overlay of the page's layer control (off at first); command.js calls wanggeCommandCoverage
 * once its own layers and control exist.
 *
 * window.wanggeState.coverage: {layer, totals (the answer's sum), loaded (tiles drawn)}
 */
"use strict";

function wanggeCommandCoverage(map, cfg, state) {
  const { escape, getJSON } = window.wangge;
  const NAME = "走访覆盖（按微网格）";
  const BANDS = [
    { min: 0.9, colour: "#1a9850", label: "走访覆盖率 ≥ 90%" },
    { min: 0.7, colour: "#91cf60", label: "70%–90%" },
    { min: 0.5, colour: "#fee08b", label: "50%–70%" },
    { min: 0, colour: "#fc8d59", label: "低于 50%" },
  ];
  const UNCOVERED = "#d7191c";
  const own = { totals: null, loaded: 0 };
  state.coverage = own;

  const layer = L.vectorGrid.protobuf("", {  // the URL template from the layer's TileJSON
    interactive: false, maxNativeZoom: 16, vectorTileLayerStyles: {},
  });
  layer.options.vectorTileLayerStyles.coverage = (p) => {
    const visited = p.households ? p.visited / p.households : 0;
    const band = BANDS.find((b) => visited >= b.min);
    return p.uncovered
      ? { weight: 2.5, color: UNCOVERED, opacity: 1, fill: true, fillColor: band.colour, fillOpacity: 0.55 }
      : { weight: 0.4, color: "#555", opacity: 0.6, fill: true, fillColor: band.colour, fillOpacity: 0.55 };
  };
  state.fromTileJSON(layer, cfg.coverageTileJSON);
  layer.on("load", () => { own.loaded = Object.keys(layer._tiles).length; });
  own.layer = layer;
  if (state.layerControl) { state.layerControl.addOverlay(layer, NAME); }

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-legend wg-coverage-legend");
    div.innerHTML = "<b>" + NAME + "</b>" + BANDS.map((b) =>
      "<div><i style='background:" + b.colour + "'></i>" + escape(b.label) + "</div>").join("") +
      "<div><i style='border:2.5px solid " + UNCOVERED + ";background:none'></i>未覆盖：无成员或14天无联系</div>" +
      "<div class='wg-coverage-totals'>加载中…</div>";
    return div;
  };
  map.on("overlayadd", (e) => {
    if (e.layer !== layer) { return; }
    legend.addTo(map);
    loadTotals();
  });
  map.on("overlayremove", (e) => { if (e.layer === layer) { legend.remove(); } });

  function loadTotals() {
    getJSON(cfg.api + "/coverage?level=township").then((answer) => {
      const sum = (key) => answer.areas.reduce((n, a) => n + a[key], 0);
      const totals = { households: sum("households"), visited: sum("visited"), claimed: sum("claimed"),
        uncovered: sum("uncovered"), microGrids: sum("micro_grids") };
      own.totals = totals;
      const pct = (n) => (totals.households ? (100 * n / totals.households).toFixed(1) : "0.0") + "%";
      document.querySelector(".wg-coverage-totals").innerHTML =
        "住户 " + totals.households + " 户，走访覆盖率 " + pct(totals.visited) + "，认领率 " +
        pct(totals.claimed) + "<br>未覆盖微网格 <strong class='wg-uncovered-count'>" + totals.uncovered +
        "</strong> 个（共 " + totals.microGrids + " 个）";
    }).catch((error) => {
      document.querySelector(".wg-coverage-totals").textContent = "加载失败：" + error.message;
    });
  }
}
