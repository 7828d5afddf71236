// How numbers read in rejection messages: the same functions as reelforge.request.messages
// (num, seconds, ratio, listing) and reelforge.api.inputs (_too_big), so the page words a
// problem exactly as the server would.

function fixed(value, digits) {
  // Python: f"{value:,.{digits}f}".rstrip("0").rstrip(".")
  const text = value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    useGrouping: true,
  });
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

export function num(value, other = null) {
  if (!Number.isFinite(value)) return String(value);
  let text = "";
  for (let digits = 2; digits < 10; digits++) {
    text = fixed(value, digits);
    if (other === null || value === other || text !== fixed(other, digits)) break;
  }
  return text;
}

export function seconds(value, other = null) {
  return `${num(value, other)} s`;
}

function ratioPart(value, bound) {
  let digits = 2;
  let text = value.toFixed(digits);
  while (bound !== null && parseFloat(text) === bound && value !== bound && digits < 9) {
    digits += 1;
    text = value.toFixed(digits);
  }
  return text;
}

export function ratio(widthOverHeight, bound = null) {
  if (widthOverHeight >= 1) return `${ratioPart(widthOverHeight, bound)}:1`;
  const other = bound ? 1 / bound : null;
  return `1:${ratioPart(1 / widthOverHeight, other)}`;
}

export function listing(items, conjunction = "or") {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

const MB = 1024 * 1024;

export function tooBig(size, limit) {
  // reelforge.api.inputs._too_big: what the server answers for an oversized upload
  return `${(size / MB).toFixed(1)} MB is more than the ${(limit / MB).toFixed(0)} MB maximum`;
}

// check_range(..., unit="s", rule=...) of reelforge.request.rules
export function rangeMessage(value, low, high, rule = "") {
  const suffix = rule ? ` ${rule}` : "";
  if (value < low) return `${seconds(value, low)} is less than the ${seconds(low, value)} minimum${suffix}`;
  if (value > high) return `${seconds(value, high)} is more than the ${seconds(high, value)} maximum${suffix}`;
  return null;
}

export function clock(s, digits = 1) {
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return `${m}:${rest.toFixed(digits).padStart(digits ? 3 + digits : 2, "0")}`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < MB) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / MB).toFixed(1)} MB`;
}
