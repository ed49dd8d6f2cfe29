/* 上报事件 from the field page: a category picked from a short list with search, a
 * description, the phone's position (WGS 84, as GPS gives it) or a point tapped on the map
 * (CGCS 2000, the map's own), then the code the case got.
 *
 * A retry after a lost answer must not file the case twice: the Idempotency-Key is made once
 * per filled-in form, in the page, and sent again with every retry of that form. */
"use strict";

function wanggeReport(map, cfg, fieldState) {
  const api = cfg.api;
  const { escape, getJSON, errorText } = window.wangge;
  const SHOWN = 8;  // rows of the category list: a short list, the search finds the rest
  const state = { category: null, point: null, key: null, filed: null };
  fieldState.report = state;

  const form = document.createElement("div");
  form.className = "wg-report";
  form.hidden = true;
  form.innerHTML =
    "<h2>上报事件</h2>" +
    "<label for='wg-cat-search'>事件类别</label>" +
    "<input id='wg-cat-search' type='search' autocomplete='off' placeholder='输入名称或代码搜索'>" +
    "<ul class='wg-cat-list' role='listbox'></ul>" +
    "<label for='wg-description'>事件描述</label>" +
    "<textarea id='wg-description' rows='3' maxlength='4000' placeholder='发生了什么、涉及几人、是否紧急'></textarea>" +
    "<div class='wg-point'>事件位置：<span class='wg-point-text'>未选择</span></div>" +
    "<div class='wg-buttons'><button type='button' class='wg-use-gps'>用我的位置</button>" +
    "<button type='button' class='wg-pick'>在地图上点选</button></div>" +
    "<div class='wg-report-message' role='alert'></div>" +
    "<div class='wg-buttons'><button type='button' class='wg-submit wg-primary'>提交上报</button>" +
    "<button type='button' class='wg-cancel'>取消</button></div>";
  document.body.appendChild(form);
  const banner = document.createElement("div");
  banner.className = "wg-pick-banner";
  banner.hidden = true;
  banner.innerHTML = "<span>请在地图上点选事件位置</span><button type='button'>取消点选</button>";
  document.body.appendChild(banner);
  const $ = (selector) => form.querySelector(selector);
  const message = (text, ok) => {
    $(".wg-report-message").innerHTML = text;
    $(".wg-report-message").className = "wg-report-message" + (ok ? " wg-ok" : "");
  };
  const pointMarker = L.circleMarker([0, 0], { radius: 11, color: "#08519c", weight: 3, fillOpacity: 0.3 });

  /* --- the category: the minor classes whose name or code holds the search --------------- */
  function drawCategories() {
    const wanted = $("#wg-cat-search").value.trim();
    const found = cfg.categories.filter((c) => !wanted || c.code.indexOf(wanted) === 0 ||
      c.name.indexOf(wanted) >= 0 || c.major_name.indexOf(wanted) >= 0);
    const rows = found.slice(0, SHOWN).map((c) =>
      "<li role='option' data-code='" + escape(c.code) + "' aria-selected='" +
      (state.category && state.category.code === c.code) + "'><b>" + escape(c.name) + "</b> <small>" +
      escape(c.major_name) + " · " + escape(c.code) + "</small></li>");
    const more = found.length > SHOWN ? "<li class='wg-more'>另有 " + (found.length - SHOWN) + " 类，请输入关键字</li>" : "";
    $(".wg-cat-list").innerHTML = rows.join("") + more || "<li class='wg-more'>没有匹配的类别</li>";
  }
  $("#wg-cat-search").addEventListener("input", drawCategories);
  $(".wg-cat-list").addEventListener("click", (e) => {
    const li = e.target.closest("li[data-code]");
    if (!li) { return; }
    state.category = cfg.categories.find((c) => c.code === li.dataset.code);
    $("#wg-cat-search").value = state.category.name;
    drawCategories();
  });

  /* --- the point: the phone's position or a tap on the map ------------------------------ */
  function setPoint(lon, lat, datum, label) {
    state.point = { lon, lat, datum };
    $(".wg-point-text").textContent = label + "（" + lat.toFixed(5) + "，" + lon.toFixed(5) + "）";
    pointMarker.setLatLng([lat, lon]).addTo(map);
  }
  $(".wg-use-gps").addEventListener("click", () => {
    if (!navigator.geolocation) { message("此设备无法定位，请在地图上点选"); return; }
    message("正在定位…");
    navigator.geolocation.getCurrentPosition((pos) => {
      setPoint(pos.coords.longitude, pos.coords.latitude, "wgs84",
        "我的位置，误差约" + Math.round(pos.coords.accuracy) + "米");
      message("");
    }, () => message("定位失败：请允许使用位置信息，或在地图上点选"), { enableHighAccuracy: true, timeout: 15000 });
  });
  function endPicking() {
    fieldState.picking = null;
    banner.hidden = true;
    form.hidden = false;
  }
  $(".wg-pick").addEventListener("click", () => {
    form.hidden = true;
    banner.hidden = false;
    fieldState.picking = (latlng) => {
      setPoint(latlng.lng, latlng.lat, "cgcs2000", "地图点选");
      endPicking();
    };
  });
  banner.querySelector("button").addEventListener("click", endPicking);

  /* --- open, file, close ---------------------------------------------------------------- */
  function newKey() {  // a UUID v4; crypto.randomUUID needs https, getRandomValues does not
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }
  function open() {
    if (state.filed || !state.key) {  // a new form: a new key
      Object.assign(state, { category: null, point: null, filed: null, key: newKey() });
      $("#wg-cat-search").value = "";
      $("#wg-description").value = "";
      $(".wg-point-text").textContent = "未选择";
      $(".wg-submit").hidden = false;
      $(".wg-cancel").textContent = "取消";
      message("");
    }
    drawCategories();
    form.hidden = false;
  }
  function close() {
    form.hidden = true;
    pointMarker.remove();
  }
  document.querySelector(".wg-report-open").addEventListener("click", open);
  $(".wg-cancel").addEventListener("click", close);

  $(".wg-submit").addEventListener("click", () => {
    const description = $("#wg-description").value.trim();
    const missing = [!state.category && "事件类别", !description && "事件描述", !state.point && "事件位置"].filter(Boolean);
    if (missing.length) { message("请填写" + missing.join("、")); return; }
    const body = Object.assign({ category: state.category.code, description }, state.point);
    $(".wg-submit").disabled = true;
    message("正在提交…");
    getJSON(api + "/incidents", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": state.key },
      body: JSON.stringify(body),
    }).then((incident) => {
      state.filed = incident;
      message("已上报，事件编号 <b class='wg-filed-code'>" + escape(incident.code) + "</b><br>" +
        "责任部门：" + escape(incident.responsible.department.name), true);
      $(".wg-submit").hidden = true;
      $(".wg-cancel").textContent = "完成";
      fieldState.reload(new Set([incident.code]));
    }).catch((e) => {  // the same key again on a retry: filed at most once
      message(escape(e.message) + (e.status ? "" : "；恢复后可再次点击提交，不会重复上报"));
    }).finally(() => { $(".wg-submit").disabled = false; });
  });
}
