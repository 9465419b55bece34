// AudioWorklet modules are fetched once at page load and kept as blob: URLs, so that a later
// reconnect works (and can report the real problem) even when the server has gone away.

const cache = new Map();

/** Start fetching a worklet module (a path relative to client/web/). */
export function preloadWorklet(path) {
  if (!cache.has(path)) {
    const url = new URL(`../${path}`, import.meta.url);
    cache.set(path, fetch(url, { cache: "no-cache" })
      .then((res) => (res.ok ? res.text() : Promise.reject(new Error(`HTTP ${res.status}`))))
      .then((text) => URL.createObjectURL(new Blob([text], { type: "text/javascript" })))
      .catch(() => {
        cache.delete(path); // try again next time
        return url.href;
      }));
  }
  return cache.get(path);
}

/** URL to pass to audioWorklet.addModule(). */
export const workletUrl = (path) => preloadWorklet(path);
