// Two DOM helpers shared by the views (controls-view.js, chat-view.js, latency-view.js).

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** A new element with an optional class name and text. */
export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}
