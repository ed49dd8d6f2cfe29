/* What every page script shares: HTML escaping and fetching from the service's own API.
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
  const fetchJSON = (url, options) => fetch(url, options).then((r) => {
    if (r.status === 401) {
      signIn();
      return new Promise(() => {});  // never settles: the page is going away
    }
    return r;
  });
  window.wangge = {
    escape: (text) => String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c])),
    fetch: fetchJSON,
    getJSON: (url) => fetchJSON(url).then((r) => {
      if (!r.ok) { throw new Error(url + " → " + r.status); }
      return r.json();
    }),
    /* An EventSource cannot see statuses: after an error, ask who is signed in. */
    watchSession: (source, api) => source.addEventListener("error", () => {
      fetchJSON(api + "/auth/me").catch(() => {});
    }),
    signIn,
  };
})();
