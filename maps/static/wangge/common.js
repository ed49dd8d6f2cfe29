/* What every page script shares: HTML escaping, fetching from the service's own API, error
 * answers in Chinese and times in China time.
 * A 401 means the page session has expired: the page goes to the sign-in page, which comes
 * back here afterwards. */
"use strict";

(() => {
  let leaving = false;  // several fetches may fail at once: go to the sign-in page once
  const signIn = () => {
    if (leaving) { return; }
    leaving = true;
    const here = window.location.pathname + window.location.search;
    window.location.assign("/login?next=" + encodeURIComponent(here).replace(/%2F/g, "/"));
  };
  const never = () => new Promise(() => {});  // never settles: the page is going away
  const fetchJSON = (url, options) => (leaving ? never() : fetch(url, options).then((r) => {
    if (r.status === 401) {
      signIn();
      return never();
    }
    return r;
  }));
  /* 退出 ends the session while this page still runs until the sign-in page replaces it: from
   * the moment it is pressed, no stream stays open and nothing more is asked of the API (it
   * would be refused, the session gone). */
  const streams = [];
  document.addEventListener("submit", (event) => {
    if (!event.target.matches || !event.target.matches("form.wg-logout")) { return; }
    leaving = true;
    streams.forEach((source) => source.close());
  }, true);

  /* The API's error `code` (api/errors.py) in Chinese; `detail` is English, for API clients. */
  const CODE_TEXT = {
    bad_request: "请求有误",
    unauthenticated: "登录已过期，请重新登录",
    forbidden: "此账号无权进行该操作",
    not_found: "找不到所请求的内容",
    method_not_allowed: "不支持该操作",
    not_acceptable: "不支持所请求的格式",
    conflict: "与其他操作冲突，请稍后重试",
    version_mismatch: "内容已被他人修改，请刷新后重试",
    too_large: "提交的内容过大",
    unsupported_media_type: "提交的格式不受支持",
    invalid: "填写的内容有误",
    version_required: "缺少版本信息，请刷新后重试",
    rate_limited: "操作过于频繁，请稍后再试",
    internal: "服务内部错误，请稍后重试",
    unavailable: "服务暂时不可用，请稍后重试",
  };
  /* Until every answer carries `code`, the HTTP status says the same. */
  const STATUS_CODE = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 412: "version_mismatch",
    413: "too_large", 415: "unsupported_media_type", 422: "invalid", 428: "version_required",
    429: "rate_limited", 500: "internal", 503: "unavailable",
  };
  const OFFLINE = "无法连接服务，请检查网络后重试";
  /* `errors[].field` of the native API, as a person filling in a form knows it. */
  const FIELD_TEXT = {
    lon: "经度", lat: "纬度", datum: "坐标系", category: "事件类别", description: "事件描述",
    occurred_at: "发生时间", reported_at: "上报时间", reporter: "上报人", "reporter.name": "上报人姓名",
    "reporter.phone": "上报人电话", "reporter.id_number": "上报人身份证号", media: "附件",
    "Idempotency-Key": "提交编号", "idempotency-key": "提交编号", status: "状态", area: "区域",
    code: "代码", level: "层级", parent: "上级区域", bbox: "地图范围", from: "开始时间", to: "结束时间",
    limit: "条数", cursor: "翻页位置", member: "成员", department: "部门", simplify: "简化程度",
    size: "格网大小", generation: "区划版本", at: "时间", reason: "理由", username: "用户名",
    password: "密码", name: "名称", phone: "电话", version: "版本", body: "提交内容",
    scope_code: "范围编码", area_code: "区域代码", line: "分割线", geometry: "图形", plan: "规划方案",
  };
  /* A field's Chinese name; `labels` (a page's own words for its form) win. */
  const fieldText = (field, labels) => {
    const known = Object.assign({}, FIELD_TEXT, labels || {});
    const text = String(field || "");
    if (known[text]) { return known[text]; }
    const parts = text.split(".").filter((p) => !/^\d+$/.test(p));  // media.0.url → media.url
    return known[parts.join(".")] || known[parts[parts.length - 1]] || known[parts[0]] || "";
  };
  /* An error body in Chinese: the message of its code, then the fields it names. */
  const errorText = (body, status, labels) => {
    const code = (body && body.code) || STATUS_CODE[status] || (status >= 500 ? "internal" : "bad_request");
    const fields = ((body && body.errors) || []).map((e) => fieldText(e.field, labels)).filter(Boolean);
    const unique = fields.filter((f, i) => fields.indexOf(f) === i);
    return (CODE_TEXT[code] || CODE_TEXT.bad_request) + (unique.length ? "：请检查" + unique.join("、") : "");
  };

  /* An ISO time as China time (UTC+8) whatever the browser's zone: "2026-12-05 00:44". */
  const chinaTime = (iso) => {
    const t = Date.parse(iso);
    if (!iso || Number.isNaN(t)) { return ""; }
    return new Date(t + 8 * 3600 * 1000).toISOString().slice(0, 16).replace("T", " ");
  };

  window.wangge = {
    escape: (text) => String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])),
    fetch: fetchJSON,
    /* The answer's JSON; a refusal becomes an Error whose message is in Chinese. */
    getJSON: (url, options) => fetchJSON(url, options).catch(() => {
      throw new Error(OFFLINE);
    }).then((r) => {
      if (r.ok) { return r.json(); }
      return r.json().catch(() => null).then((body) => {
        const error = new Error(errorText(body, r.status));
        error.status = r.status;
        error.body = body;
        throw error;
      });
    }),
    errorText,
    fieldText,
    chinaTime,
    /* An EventSource cannot see statuses: after an error, ask who is signed in. */
    watchSession: (source, api) => {
      streams.push(source);
      source.addEventListener("error", () => { fetchJSON(api + "/auth/me").catch(() => {}); });
    },
    signIn,
  };
})();
