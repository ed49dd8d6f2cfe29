/* 结对共建 on the command map (issue #18): the paired villages of the viewer's scope from
 * GET /api/v1/pairings/map, filled in red, each with its partner unit, the year the pairing
 * began, the yearly commitment and the money received so far (tooltip and popup; a link to
 * the village's ledger page, printable as its public notice). An overlay of the page's layer
 * control (off at first); command.js calls wanggeCommandCobuild once its own layers and
 * control exist.
 *
 * window.wanggeState.cobuild: {layer, villages (how many), codes (theirs), total (money
 * received), loaded}
 */
"use strict";

function wanggeCommandCobuild(map, cfg, state) {
  const { escape, getJSON } = window.wangge;
  const NAME = "结对共建";
  const own = { villages: 0, codes: [], total: 0, loaded: false };
  state.cobuild = own;
  const money = (text) => Number(text).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  const layer = L.geoJSON(null, {
    style: () => ({ color: "#b22222", weight: 2, fillColor: "#e34a33", fillOpacity: 0.35 }),
    onEachFeature: (feature, shape) => {
      const p = feature.properties;
      const text = "<b>" + escape(p.village.name || p.village.code) + "</b><br>结对单位：" +
        escape(p.partner) + "<br>结对年份：" + p.since_year + " 年<br>年度承诺：" +
        money(p.yearly_commitment) + " 元<br>累计到位：" + money(p.received) + " 元";
      shape.bindTooltip(text, { sticky: true, className: "wg-cobuild-tip" });
      shape.bindPopup(text + "<br><a href='/maps/cobuild?village=" + encodeURIComponent(p.village.code) +
        "'>资金台账与公示</a>");
    },
  });
  own.layer = layer;
  if (state.layerControl) { state.layerControl.addOverlay(layer, NAME); }

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-legend wg-cobuild-legend");
    div.innerHTML = "<b>" + NAME + "</b><div><i style='background:#e34a33;border:2px solid #b22222'></i>" +
      "结对共建村</div><div class='wg-cobuild-totals'>加载中…</div>";
    return div;
  };

  function load() {
    getJSON(cfg.api + "/pairings/map").then((answer) => {
      layer.clearLayers();
      layer.addData(answer.features.filter((f) => f.geometry));
      own.villages = answer.features.length;
      own.codes = answer.features.map((f) => f.properties.village.code);
      own.total = answer.features.reduce((n, f) => n + Number(f.properties.received), 0);
      own.loaded = true;
      const totals = document.querySelector(".wg-cobuild-totals");
      if (totals) {
        totals.textContent = "结对村 " + own.villages + " 个，累计到位 " + money(own.total) + " 元";
      }
    }).catch((error) => {
      const totals = document.querySelector(".wg-cobuild-totals");
      if (totals) { totals.textContent = "加载失败：" + error.message; }
    });
  }
  map.on("overlayadd", (e) => {
    if (e.layer !== layer) { return; }
    legend.addTo(map);
    load();
  });
  map.on("overlayremove", (e) => { if (e.layer === layer) { legend.remove(); } });
}
