// Building DOM nodes: the one helper every page module uses.

// el("button", {class: "x", onclick: f, text: "Go"}, child...) -> the element. Attributes
// that are null, undefined or false are left out; "text" sets textContent (never HTML);
// "on..." keys add listeners.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}
