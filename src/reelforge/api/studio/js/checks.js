// Input checks in the page, before anything is uploaded: type (sniffed from the file's
// first bytes, as the server does), size, resolution and duration (read by the browser),
// with the limits from /v1/studio/limits and the server's wording (see format.js).
import { listing, num, rangeMessage, ratio, tooBig } from "./format.js";

let LIMITS = null;
let UPLOAD_MAX = null;

export function setLimits(data) {
  LIMITS = data.limits;
  UPLOAD_MAX = data.upload_max_bytes;
}

export function limit(name) {
  return LIMITS[name];
}

async function head(file) {
  return new Uint8Array(await file.slice(0, 16).arrayBuffer());
}

function ascii(bytes, start, end) {
  return String.fromCharCode(...bytes.slice(start, end));
}

// reelforge.api.inputs.sniff_suffix, plus the image formats Pillow would name
export async function sniff(file, kind) {
  const h = await head(file);
  if (h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff) return "JPEG";
  if (ascii(h, 0, 4) === "\x89PNG") return "PNG";
  if (ascii(h, 0, 4) === "RIFF" && ascii(h, 8, 12) === "WEBP") return "WEBP";
  if (ascii(h, 0, 4) === "RIFF" && ascii(h, 8, 12) === "WAVE") return "wav";
  if (ascii(h, 0, 4) === "GIF8") return "GIF";
  if (ascii(h, 0, 2) === "BM") return "BMP";
  if (ascii(h, 0, 4) === "II*\0" || ascii(h, 0, 4) === "MM\0*") return "TIFF";
  if (ascii(h, 0, 3) === "ID3" || (h[0] === 0xff && [0xfb, 0xf3, 0xf2].includes(h[1]))) return "mp3";
  if (h[0] === 0xff && [0xf1, 0xf9].includes(h[1])) return "aac";
  if (ascii(h, 0, 4) === "fLaC") return "flac";
  if (ascii(h, 0, 4) === "OggS") return "ogg";
  if (ascii(h, 4, 8) === "ftyp") {
    const brand = ascii(h, 8, 12);
    if (brand.startsWith("qt")) return "mov";
    if (brand.startsWith("heic") || brand.startsWith("heix") || brand.startsWith("mif1")) return "HEIC";
    return kind === "audio" || brand.startsWith("M4A") ? "m4a" : "mp4";
  }
  if (h[0] === 0x1a && h[1] === 0x45 && h[2] === 0xdf && h[3] === 0xa3) {
    return file.name.toLowerCase().endsWith(".mkv") ? "mkv" : "webm";
  }
  const ext = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
  return ext || null;
}

function formatMessage(fmt, allowed) {
  return `${fmt.toUpperCase()} is not an accepted format; use ${listing(allowed.map((a) => a.toUpperCase()))}`;
}

function imageSize(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight, url });
    img.onerror = () => { URL.revokeObjectURL(url); reject(new Error("unreadable")); };
    img.src = url;
  });
}

function mediaDuration(file, tag) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const el = document.createElement(tag);
    el.preload = "metadata";
    el.muted = true;
    const done = (fn) => { el.removeAttribute("src"); el.load(); fn(); };
    el.onloadedmetadata = () => {
      const info = { duration: el.duration, width: el.videoWidth || 0, height: el.videoHeight || 0, url };
      done(() => resolve(info));
    };
    el.onerror = () => done(() => { URL.revokeObjectURL(url); reject(new Error("unreadable")); });
    el.src = url;
  });
}

// Each check resolves to {ok, message, info}: message is the text after "field: ".
export async function checkImage(file) {
  const max = UPLOAD_MAX.image;
  if (file.size > max) return { ok: false, message: tooBig(file.size, max) };
  const fmt = await sniff(file, "image");
  const formats = LIMITS.IMAGE_FORMATS;
  let size;
  try {
    size = await imageSize(file);
  } catch {
    if (fmt && !formats.includes(fmt)) return { ok: false, message: formatMessage(fmt, formats) };
    return { ok: false, message: `${file.name} is not a readable image` };
  }
  const { width: w, height: h } = size;
  const info = { format: fmt, width: w, height: h, bytes: file.size, url: size.url };
  const pixels = LIMITS.IMAGE_MAX_PIXELS;
  if (w * h > pixels) {
    return { ok: false, info, message: `${w}x${h} = ${w * h} px is more than the ${pixels}-pixel limit (decompression-bomb guard)` };
  }
  if (!formats.includes(fmt)) return { ok: false, info, message: formatMessage(fmt || "unknown", formats) };
  const side = LIMITS.IMAGE_MIN_SIDE_PX;
  if (w < side || h < side) return { ok: false, info, message: `${w}×${h} px is below the ${side}×${side} minimum` };
  const aspect = w / h;
  const low = LIMITS.IMAGE_ASPECT_MIN;
  const high = LIMITS.IMAGE_ASPECT_MAX;
  if (aspect < low || aspect > high) {
    const bound = aspect < low ? low : high;
    return {
      ok: false,
      info,
      message: `aspect ratio ${ratio(aspect, bound)} (${w}×${h} px) is outside 1:${num(1 / low)}–${num(high)}:1`,
    };
  }
  return { ok: true, info };
}

export async function checkAudio(file) {
  const max = UPLOAD_MAX.audio;
  if (file.size > max) return { ok: false, message: tooBig(file.size, max) };
  const fmt = await sniff(file, "audio");
  const formats = LIMITS.AUDIO_FORMATS;
  if (!fmt || !formats.includes(fmt)) return { ok: false, message: formatMessage(fmt || "unknown", formats) };
  let media;
  try {
    media = await mediaDuration(file, "audio");
  } catch {
    return { ok: false, message: `${file.name} is not a readable audio file` };
  }
  const info = { format: fmt, duration: media.duration, bytes: file.size };
  const problem = rangeMessage(media.duration, LIMITS.AUDIO_MIN_SECONDS, LIMITS.AUDIO_MAX_SECONDS);
  return problem ? { ok: false, info, message: problem } : { ok: true, info };
}

export async function checkVideo(file, maxSeconds, rule) {
  const max = UPLOAD_MAX.video;
  if (file.size > max) return { ok: false, message: tooBig(file.size, max) };
  const fmt = await sniff(file, "video");
  const formats = LIMITS.VIDEO_FORMATS;
  if (!fmt || !formats.includes(fmt)) return { ok: false, message: formatMessage(fmt || "unknown", formats) };
  let media;
  try {
    media = await mediaDuration(file, "video");
  } catch {
    return { ok: false, message: `${file.name} is not a readable video` };
  }
  const info = { format: fmt, duration: media.duration, width: media.width, height: media.height, bytes: file.size };
  const problem = rangeMessage(media.duration, LIMITS.VIDEO_MIN_SECONDS, maxSeconds, rule);
  return problem ? { ok: false, info, message: problem } : { ok: true, info };
}

export function toBase64(file) {
  // raw base64 (no data: prefix), as Kling's JSON body expects
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
