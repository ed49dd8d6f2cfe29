/* What every page script shares: HTML escaping and JSON fetching from the service's own API. */
"use strict";

window.wangge = {
  escape: (text) => String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])),
  getJSON: (url) => fetch(url).then((r) => {
    if (!r.ok) { throw new Error(url + " → " + r.status); }
    return r.json();
  }),
};
