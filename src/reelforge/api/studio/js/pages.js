// The five creation pages: their inputs, the settings every task has, the live estimate
// and lint, the multi-shot editor, and submission through the Kling endpoints.
import { el } from "./dom.js";
import { call, upload } from "./api.js";
import { checkAudio, checkImage, checkVideo, limit, toBase64 } from "./checks.js";
import { bytes, clock, num } from "./format.js";

export const TITLES = {
  text2video: "Text to Video",
  image2video: "Image to Video",
  omni: "Omni",
  motion: "Motion Control",
  avatar: "Avatar",
};

const CAMERAS = [
  ["static", "static"],
  ["push_in", "slow push in"],
  ["pull_out", "pull out"],
  ["pan_left", "pan left"],
  ["pan_right", "pan right"],
  ["tilt_up", "tilt up"],
  ["tilt_down", "tilt down"],
  ["orbit_left", "orbit left"],
  ["orbit_right", "orbit right"],
  ["handheld", "handheld"],
];
// Kling's modes: [mode, the resolution it renders (as /v1/tiers spells it), label]
const MODES = [
  ["std", "720p", "720p"],
  ["pro", "1080p", "1080p — draft"],
  ["4k", "4k", "4K — final"],
];
const RESOLUTION_LABELS = Object.fromEntries(MODES.map(([, resolution, label]) => [resolution, label.split(" ")[0]]));
// The lineup's features (lineup/tiers.py FEATURES): the page input that uses each, and its name
const FEATURE_INPUTS = {
  end_frame: ["image_tail", "End frame"],
};

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function duration(seconds) {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function oneLine(text) {
  return text.replace(/\s+/g, " ").trim();
}

export class Page {
  constructor(form, tiers, ctx) {
    this.form = form;
    this.name = form.id.replace("page-", "");
    this.endpoint = form.dataset.endpoint;
    this.workflow = form.dataset.workflow;
    this.ctx = ctx;
    this.files = {}; // field -> {file, ok, info} (image_list: an array)
    this.tierMax = null;
    this.renderingTier = null; // the estimate's tier: the chosen one, else the guide's
    this.tiers = tiers.filter((t) => t.workflows.includes(this.workflow));
    this.shots = [
      { duration: 3, action: "", camera: "static" },
      { duration: 3, action: "", camera: "push_in" },
    ];
    this.buildSettings(this.tiers);
    this.bindFiles();
    this.bindHelper();
    this.bindShots();
    this.estimateSoon = debounce(() => this.estimate(), 200);
    this.lintSoon = debounce(() => this.lint(), 350);
    form.addEventListener("input", (e) => this.changed(e));
    form.addEventListener("change", (e) => this.changed(e));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  $(selector) {
    return this.form.querySelector(selector);
  }

  // --- settings ---------------------------------------------------------------------
  buildSettings(tiers) {
    const slot = this.$("[data-settings]");
    const p = this.name;
    const grid = el("div", { class: "grid" });
    const tier = el("select", { id: `${p}-tier`, name: "model_name" },
      el("option", { value: "", text: "Auto (the guide)" }),
      ...tiers.map((t) => el("option", { value: t.name, text: `${t.name} — ${t.kling === "—" ? "previz" : t.kling}` })));
    grid.append(el("div", { class: "field" }, el("label", { for: `${p}-tier`, text: "Tier" }), tier));
    if (slot.hasAttribute("data-duration")) {
      const optional = slot.dataset.duration === "optional";
      const input = el("input", {
        id: `${p}-duration`, name: "duration", type: "number", inputmode: "decimal",
        min: optional ? limit("VIDEO_MIN_SECONDS") : limit("DURATION_MIN_S"),
        max: limit("MOTION_REFERENCE_MAX_SECONDS_VIDEO_ORIENTATION"),
        step: "1", value: optional ? null : limit("DEFAULT_DURATION_S"),
        placeholder: optional ? "whole video" : null,
      });
      if (!optional) input.max = limit("DURATION_MAX_S");
      grid.append(el("div", { class: "field", "data-duration-field": true },
        el("label", { for: `${p}-duration`, text: "Duration (s)" }), input));
    }
    if (slot.hasAttribute("data-aspect")) {
      const select = el("select", { id: `${p}-aspect`, name: "aspect_ratio" });
      if (slot.dataset.aspect === "image") select.append(el("option", { value: "", text: "From the image" }));
      for (const r of limit("ASPECT_RATIOS")) select.append(el("option", { value: r, text: r }));
      grid.append(el("div", { class: "field" }, el("label", { for: `${p}-aspect`, text: "Aspect ratio" }), select));
    }
    const mode = el("select", { id: `${p}-mode`, name: "mode" },
      el("option", { value: "", text: "Tier default", selected: true }),
      ...MODES.map(([v, , label]) => el("option", { value: v, text: label })));
    grid.append(el("div", { class: "field" }, el("label", { for: `${p}-mode`, text: "Resolution" }), mode));
    grid.append(el("div", { class: "field" },
      el("label", { for: `${p}-seed`, text: "Seed" }),
      el("input", { id: `${p}-seed`, name: "seed", type: "number", min: 0, max: limit("SEED_MAX"), step: 1, placeholder: "random", inputmode: "numeric" })));
    if (slot.hasAttribute("data-sound")) {
      grid.append(el("label", { class: "check" }, el("input", { type: "checkbox", name: "sound", checked: true }), " Audio on"));
    }
    const negative = el("details", { class: "negative" },
      el("summary", { text: "Negative prompt" }),
      el("div", { class: "field" },
        el("label", { for: `${p}-negative`, text: "What to avoid" }),
        el("textarea", { id: `${p}-negative`, name: "negative_prompt", rows: 2, placeholder: "blur, distorted hands" })));
    const fieldset = el("fieldset", { class: "settings" }, el("legend", { text: "Settings" }), grid,
      el("div", { class: "guide", "aria-live": "polite" }),
      el("div", { class: "experimental", "aria-live": "polite", hidden: true }), negative);
    const submit = el("div", { class: "submit-row" },
      el("p", { class: "estimate", "aria-live": "polite" }),
      el("button", { type: "submit", class: "primary", text: "Generate" }));
    const progress = el("div", { class: "upload", hidden: true },
      el("label", { for: `${p}-upload`, text: "Uploading" }),
      el("progress", { id: `${p}-upload`, max: 100, value: 0 }),
      el("span", { class: "upload-pct", text: "0 %" }));
    slot.replaceWith(fieldset, submit, progress, el("p", { class: "form-error", role: "alert" }));
  }

  value(name) {
    const node = this.form.elements.namedItem(name);
    if (!node) return null;
    if (node instanceof RadioNodeList) return node.value;
    if (node.type === "checkbox") return node.checked;
    return node.value;
  }

  isMulti() {
    return this.workflow === "text2video" && this.value("shot_mode") === "multi";
  }

  shotTotal() {
    return this.shots.reduce((sum, s) => sum + (Number(s.duration) || 0), 0);
  }

  mediaSeconds() {
    if (this.workflow === "avatar") return this.files.sound_file?.info?.duration ?? null;
    if (this.workflow === "motion") return this.files.video_url?.info?.duration ?? null;
    return null;
  }

  estimateBody() {
    const given = this.value("duration");
    let seconds = given === null || given === "" ? null : Number(given);
    if (this.isMulti()) seconds = this.shotTotal();
    return {
      endpoint: this.endpoint,
      model_name: this.value("model_name") || null,
      mode: this.value("mode") || null,
      sound: this.value("sound") ? "on" : "off",
      duration: Number.isFinite(seconds) ? seconds : null,
      shots: this.isMulti() ? this.shots.length : 0,
      media_seconds: this.mediaSeconds(),
      reference_video: Boolean(this.files["video_list[0].video_url"]?.ok),
    };
  }

  // The resolution control follows the tier: only the resolutions the chosen tier renders
  // (with Auto, those of any tier of this page), and "Tier default" (no mode sent) names the
  // resolution the server will use: the chosen tier's, else the guide's tier's (`guided`,
  // from the estimate). A choice the tier does not offer falls back to the default.
  followTier(guided = null) {
    const name = this.value("model_name");
    const chosen = name ? this.tiers.find((t) => t.name === name) : null;
    const offered = new Set((chosen ? [chosen] : this.tiers).flatMap((t) => t.resolutions));
    const deciding = chosen || guided;
    const select = this.form.elements.namedItem("mode");
    for (const option of select.options) {
      if (!option.value) {
        const own = deciding ? RESOLUTION_LABELS[deciding.default_resolution] : null;
        option.textContent = own ? `Tier default (${own})` : "Tier default";
        continue;
      }
      const resolution = MODES.find(([v]) => v === option.value)[1];
      option.disabled = option.hidden = !offered.has(resolution);
    }
    if (select.selectedOptions[0]?.disabled) select.value = "";
  }

  changed(event) {
    const target = event.target;
    if (target.name === "shot_mode") this.showMode();
    if (target.name === "model_name") {
      this.followTier();
      this.showExperimental();
    }
    if (target.name === "character_orientation") this.recheck("video_url");
    if (target.matches("[data-lint]") || target.closest(".shots")) this.lintSoon();
    this.estimateSoon();
  }

  activate() {
    this.estimate();
    this.lint();
  }

  async estimate() {
    const guide = this.$(".guide");
    const out = this.$(".estimate");
    let data;
    try {
      data = await call("POST", "/v1/studio/estimate", this.estimateBody());
    } catch (err) {
      out.textContent = err.message;
      return;
    }
    guide.replaceChildren();
    if (data.recommended) {
      const chosen = data.tier && data.tier.name !== data.recommended.tier ? ` (you chose ${data.tier.name})` : "";
      guide.append(el("p", { class: "recommend" }, "Recommended: ", el("b", { text: data.recommended.tier }), chosen));
      guide.append(el("ul", { class: "reasons" }, ...data.recommended.reasons.map((r) => el("li", { text: r }))));
    }
    this.tierMax = data.tier ? data.tier.max_duration : null;
    this.renderingTier = data.tier;
    this.followTier(data.tier);
    this.showExperimental();
    out.classList.toggle("problem", Boolean(data.problem));
    if (data.problem) {
      out.textContent = data.problem;
    } else {
      let text = `${data.credits} credits · about ${duration(data.seconds)}, ${data.speed_label}`;
      if (data.previz_seconds !== undefined && data.tier.name !== "animatic") {
        text += ` · previz server: about ${duration(data.previz_seconds)}`;
      }
      out.textContent = text;
      out.dataset.credits = data.credits;
    }
    this.updateTotal();
  }

  // What the rendering tier (the chosen one, else the guide's) offers only experimentally
  // (/v1/tiers `experimental`) and this page's inputs use: a badge and the tier's reason.
  showExperimental() {
    const box = this.$(".experimental");
    const name = this.value("model_name") || this.renderingTier?.name;
    const tier = this.tiers.find((t) => t.name === name);
    const used = Object.entries(tier?.experimental || {}).filter(([feature]) => {
      const [field] = FEATURE_INPUTS[feature] || [];
      return field && this.files[field];
    });
    box.replaceChildren(...used.map(([feature, reason]) => el("p", { "data-feature": feature },
      el("span", { class: "badge", text: "experimental" }),
      ` ${FEATURE_INPUTS[feature][1]} on ${tier.name}: ${reason}`)));
    box.hidden = used.length === 0;
  }

  async lint() {
    const list = this.$(".lint");
    if (!list) return;
    const body = {
      workflow: this.workflow,
      prompt: this.value("prompt") || "",
      shots: this.isMulti() ? this.shotSpecs() : [],
      duration: this.isMulti() ? this.shotTotal() : null,
    };
    if (!body.prompt.trim() && !body.shots.some((s) => s.prompt.trim())) {
      list.replaceChildren();
      return;
    }
    try {
      const warnings = await call("POST", "/v1/studio/lint", body);
      list.replaceChildren(...warnings.map((w) => el("li", { "data-code": w.code, text: w.message })));
    } catch {
      list.replaceChildren();
    }
  }

  // --- files ------------------------------------------------------------------------
  bindFiles() {
    for (const box of this.form.querySelectorAll(".field.file")) {
      const input = box.querySelector("input[type=file]");
      const error = box.querySelector(".field-error");
      error.id = `${input.id}-error`;
      input.setAttribute("aria-describedby", error.id);
      input.addEventListener("change", () => this.checkFiles(box));
    }
  }

  recheck(field) {
    const box = this.form.querySelector(`.field.file[data-field="${field}"]`);
    if (box && box.querySelector("input").files.length) this.checkFiles(box);
  }

  videoRule(box) {
    if (box.hasAttribute("data-orientation")) {
      const o = this.value("character_orientation");
      const name = o === "video" ? "MOTION_REFERENCE_MAX_SECONDS_VIDEO_ORIENTATION" : "MOTION_REFERENCE_MAX_SECONDS_IMAGE_ORIENTATION";
      return [limit(name), `for character_orientation '${o}'`];
    }
    return [limit(box.dataset.max), box.dataset.rule || ""];
  }

  async checkFiles(box) {
    const input = box.querySelector("input");
    const field = box.dataset.field;
    const info = box.querySelector(".file-info");
    const error = box.querySelector(".field-error");
    const kind = box.dataset.check;
    const files = [...input.files];
    info.replaceChildren();
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    if (!files.length) {
      delete this.files[field];
      this.afterFiles(field);
      return;
    }
    const results = [];
    const messages = [];
    for (const [i, file] of files.entries()) {
      let result;
      if (kind === "image") result = await checkImage(file);
      else if (kind === "audio") result = await checkAudio(file);
      else result = await checkVideo(file, ...this.videoRule(box));
      const name = box.hasAttribute("data-multiple") ? `image_list[${i}].image_url` : field;
      results.push({ file, ...result });
      info.append(this.describe(file, kind, result, i));
      if (!result.ok) messages.push(`${name}: ${result.message}`);
    }
    if (box.hasAttribute("data-multiple")) {
      const most = this.files["video_list[0].video_url"]?.ok ? limit("OMNI_MAX_REFERENCES_WITH_VIDEO") : limit("OMNI_MAX_REFERENCES");
      if (files.length > most) messages.push(`image_list: ${files.length} references is more than the ${most}-reference maximum`);
    }
    const ok = messages.length === 0;
    this.files[field] = box.hasAttribute("data-multiple") ? { ok, list: results } : { ...results[0], ok };
    if (!ok) {
      error.textContent = messages.join("\n");
      input.setAttribute("aria-invalid", "true");
    }
    this.afterFiles(field);
  }

  describe(file, kind, result, i) {
    const row = el("div", { class: `file-row${result.ok ? "" : " bad"}` });
    const facts = [];
    if (result.info?.format) facts.push(result.info.format.toUpperCase());
    if (result.info?.width) facts.push(`${result.info.width}×${result.info.height} px`);
    facts.push(bytes(file.size));
    if (kind === "image" && result.info?.url) {
      row.append(el("img", { src: result.info.url, alt: `${file.name} preview` }));
    }
    const text = el("div", {}, el("span", { class: "name", text: file.name }), el("span", { class: "facts", text: facts.join(" · ") }));
    if (kind === "audio" && result.info) {
      const max = limit("AUDIO_MAX_SECONDS");
      text.append(el("span", {
        class: "length",
        "data-seconds": result.info.duration,
        text: `Length ${clock(result.info.duration)} of ${clock(max, 0)} max`,
      }));
      const meter = el("meter", { min: 0, max, value: Math.min(result.info.duration, max), "aria-label": "audio length against the 5-minute maximum" });
      text.append(meter);
    } else if (kind === "video" && result.info) {
      text.append(el("span", { class: "length", "data-seconds": result.info.duration, text: `Length ${num(result.info.duration)} s` }));
    }
    if (this.workflow === "omni" && kind === "image") text.append(el("span", { class: "tag", text: `<<<image_${i + 1}>>>` }));
    row.append(text);
    return row;
  }

  afterFiles(field) {
    if (this.workflow === "omni") this.renderTags();
    this.showExperimental();
    // attaching a video lowers the reference maximum: count the images again
    if (field === "video_list[0].video_url" && this.files.image_list) this.recheck("image_list");
    this.estimateSoon();
  }

  renderTags() {
    const box = this.$(".tags");
    const tags = [];
    const images = this.files.image_list?.list?.length || 0;
    for (let i = 1; i <= images; i++) tags.push(`<<<image_${i}>>>`);
    if (this.files["video_list[0].video_url"]) tags.push("<<<video_1>>>");
    box.replaceChildren(...tags.map((tag) => el("button", {
      type: "button", class: "chip", text: `Insert ${tag}`,
      onclick: () => this.insertTag(tag),
    })));
    if (!tags.length) box.append(el("span", { class: "muted", text: "Add references to get tags to insert." }));
  }

  insertTag(tag) {
    const area = this.form.elements.namedItem("prompt");
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? start;
    const before = area.value.slice(0, start);
    const pad = before && !/\s$/.test(before) ? " " : "";
    area.value = `${before}${pad}${tag} ${area.value.slice(end)}`;
    const caret = before.length + pad.length + tag.length + 1;
    area.focus();
    area.setSelectionRange(caret, caret);
    this.lintSoon();
  }

  // --- structured prompt helper -----------------------------------------------------
  bindHelper() {
    const button = this.$("[data-action=compose]");
    if (!button) return;
    button.addEventListener("click", () => {
      // StructuredPrompt.to_text: one labelled sentence per part, in the guide's order
      const lines = [];
      for (const input of this.form.querySelectorAll("[data-part]")) {
        const value = oneLine(input.value);
        if (!value) continue;
        const end = /[.!?。！？…"”」]$/.test(value) ? "" : ".";
        lines.push(`${input.dataset.part}: ${value}${end}`);
      }
      const area = this.form.elements.namedItem("prompt");
      area.value = lines.join("\n");
      area.focus();
      this.lintSoon();
      this.estimateSoon();
    });
  }

  // --- multi-shot editor ------------------------------------------------------------
  bindShots() {
    const add = this.$("[data-action=add-shot]");
    if (!add) return;
    add.addEventListener("click", () => {
      if (this.shots.length >= limit("SHOTS_MAX")) return;
      this.shots.push({ duration: 3, action: "", camera: "static" });
      this.renderShots(`shot-${this.shots.length - 1}-action`);
      this.estimateSoon();
    });
    this.renderShots();
    this.showMode();
  }

  showMode() {
    const editor = this.$(".shots-editor");
    if (!editor) return;
    const multi = this.isMulti();
    editor.hidden = !multi;
    this.$("[data-duration-field]").hidden = multi;
    const label = this.$("label[for=t2v-prompt]");
    label.textContent = multi ? label.dataset.multi : label.dataset.single;
    this.updateTotal();
  }

  shotSpecs() {
    return this.shots.map((s, i) => {
      const camera = CAMERAS.find(([v]) => v === s.camera)?.[1] || "static";
      const action = oneLine(s.action);
      const end = !action || /[.!?]$/.test(action) ? "" : ".";
      return { index: i + 1, prompt: `${action}${end} Camera: ${camera}.`.trim(), duration: Number(s.duration) || 0 };
    });
  }

  renderShots(focusId = null) {
    const list = this.$(".shots");
    if (!list) return;
    const n = this.shots.length;
    list.replaceChildren(...this.shots.map((shot, i) => {
      const id = `shot-${i}`;
      const move = (delta) => () => {
        const j = i + delta;
        [this.shots[i], this.shots[j]] = [this.shots[j], this.shots[i]];
        this.renderShots(`${`shot-${j}`}-${delta < 0 ? "up" : "down"}`);
        this.lintSoon();
      };
      const durationInput = el("input", {
        id: `${id}-duration`, type: "number", min: limit("SHOT_MIN_S"), step: "0.5", value: shot.duration, inputmode: "decimal",
        oninput: (e) => { shot.duration = e.target.value; this.updateTotal(); },
      });
      const camera = el("select", { id: `${id}-camera`, onchange: (e) => { shot.camera = e.target.value; } },
        ...CAMERAS.map(([v, label]) => el("option", { value: v, text: label, selected: v === shot.camera })));
      const action = el("textarea", {
        id: `${id}-action`, rows: 2, placeholder: "what happens in this shot",
        oninput: (e) => { shot.action = e.target.value; },
      });
      action.value = shot.action;
      return el("li", { class: "shot", "data-index": i + 1 },
        el("div", { class: "shot-head" },
          el("h3", { text: `Shot ${i + 1}` }),
          el("div", { class: "shot-tools" },
            el("button", { type: "button", class: "icon", id: `${id}-up`, "aria-label": `Move shot ${i + 1} up`, disabled: i === 0, onclick: move(-1), text: "↑" }),
            el("button", { type: "button", class: "icon", id: `${id}-down`, "aria-label": `Move shot ${i + 1} down`, disabled: i === n - 1, onclick: move(1), text: "↓" }),
            el("button", {
              type: "button", class: "icon danger", "aria-label": `Remove shot ${i + 1}`, disabled: n <= limit("SHOTS_MIN"), text: "✕",
              onclick: () => {
                this.shots.splice(i, 1);
                this.renderShots(`shot-${Math.min(i, this.shots.length - 1)}-action`);
                this.estimateSoon();
                this.lintSoon();
              },
            }))),
        el("div", { class: "shot-grid" },
          el("div", { class: "field" }, el("label", { for: `${id}-duration`, text: "Duration (s)" }), durationInput),
          el("div", { class: "field" }, el("label", { for: `${id}-camera`, text: "Camera" }), camera)),
        el("div", { class: "field" }, el("label", { for: `${id}-action`, text: "Action" }), action));
    }));
    this.$("[data-action=add-shot]").disabled = n >= limit("SHOTS_MAX");
    this.updateTotal();
    if (focusId) {
      const target = document.getElementById(focusId);
      (target && !target.disabled ? target : document.getElementById(focusId.replace(/-(up|down)$/, "-action")))?.focus();
    }
  }

  updateTotal() {
    const out = this.$(".shot-total");
    if (!out) return;
    const total = this.shotTotal();
    const max = Math.min(this.tierMax ?? Infinity, limit("DURATION_MAX_S"));
    const min = limit("DURATION_MIN_S");
    out.textContent = `Total ${num(total)} s of ${num(max)} s maximum · ${this.shots.length} of ${limit("SHOTS_MAX")} shots`;
    out.classList.toggle("over", total > max || total < min);
    out.dataset.total = total;
  }

  // --- submission -------------------------------------------------------------------
  problems() {
    const out = [];
    for (const box of this.form.querySelectorAll(".field.file")) {
      const input = box.querySelector("input");
      const state = this.files[box.dataset.field];
      if (input.required && !input.files.length) out.push([input, `${box.dataset.field}: choose a file`]);
      else if (state && !state.ok) out.push([input, box.querySelector(".field-error").textContent]);
    }
    if (this.isMulti()) {
      this.shots.forEach((s, i) => {
        if (!oneLine(s.action)) out.push([document.getElementById(`shot-${i}-action`), `multi_prompt[${i}].prompt: shot ${i + 1} needs an action`]);
        if (!(Number(s.duration) >= limit("SHOT_MIN_S"))) {
          out.push([document.getElementById(`shot-${i}-duration`), `multi_prompt[${i}].duration: a shot lasts at least ${num(limit("SHOT_MIN_S"))} s`]);
        }
      });
    } else if (["text2video", "omni"].includes(this.workflow) && !oneLine(this.value("prompt") || "")) {
      out.push([this.form.elements.namedItem("prompt"), `prompt: ${this.workflow} needs a prompt`]);
    }
    return out;
  }

  async body() {
    const b64 = (field) => toBase64(this.files[field].file);
    const body = { prompt: this.value("prompt") || "" };
    const mode = this.value("mode");
    if (mode) body.mode = mode; // none: the tier's own resolution
    const tier = this.value("model_name");
    if (tier) body.model_name = tier;
    const seed = this.value("seed");
    if (seed !== null && seed !== "") body.seed = Number(seed);
    const negative = this.value("negative_prompt");
    if (negative) body.negative_prompt = negative;
    const given = this.value("duration");
    if (given) body.duration = String(given);
    const aspect = this.value("aspect_ratio");
    if (aspect) body.aspect_ratio = aspect;
    if (this.form.elements.namedItem("sound")) body.sound = this.value("sound") ? "on" : "off";
    if (this.isMulti()) {
      body.multi_shot = true;
      body.shot_type = "customize";
      body.multi_prompt = this.shotSpecs().map((s) => ({ ...s, duration: String(s.duration) }));
      body.duration = String(this.shotTotal());
    }
    if (this.workflow === "image2video") {
      body.image = await b64("image");
      if (this.files.image_tail) body.image_tail = await b64("image_tail");
    } else if (this.workflow === "omni") {
      body.image_list = [];
      for (const item of this.files.image_list?.list || []) body.image_list.push({ image_url: await toBase64(item.file) });
      if (this.files["video_list[0].video_url"]) {
        body.video_list = [{
          video_url: await b64("video_list[0].video_url"),
          refer_type: "feature",
          keep_original_sound: this.value("keep_original_sound") ? "yes" : "no",
        }];
      }
    } else if (this.workflow === "motion") {
      body.image_url = await b64("image_url");
      body.video_url = await b64("video_url");
      body.character_orientation = this.value("character_orientation");
      body.keep_original_sound = this.value("keep_original_sound") ? "yes" : "no";
    } else if (this.workflow === "avatar") {
      body.image = await b64("image");
      body.sound_file = await b64("sound_file");
    }
    return body;
  }

  async submit() {
    const error = this.$(".form-error");
    error.textContent = "";
    const problems = this.problems();
    if (problems.length) {
      error.textContent = problems.map(([, m]) => m).join("\n");
      problems[0][0]?.focus();
      return;
    }
    const button = this.$("button[type=submit]");
    const bar = this.$(".upload");
    const progress = bar.querySelector("progress");
    const pct = bar.querySelector(".upload-pct");
    button.disabled = true;
    bar.hidden = false;
    const show = (f) => {
      progress.value = Math.round(f * 100);
      pct.textContent = `${Math.round(f * 100)} %`;
    };
    show(0);
    try {
      const body = await this.body();
      const task = await upload(`/v1/videos/${this.endpoint}`, body, show);
      this.ctx.notify(`Task ${task.task_id} submitted: it is in the queue.`);
      this.ctx.submitted(task);
    } catch (err) {
      error.textContent = err.message;
    } finally {
      button.disabled = false;
      setTimeout(() => { bar.hidden = true; }, 800);
    }
  }

  // "use this seed again": the task's settings (not its files) and its seed
  restore(request, seed) {
    const set = (name, value) => {
      const node = this.form.elements.namedItem(name);
      if (!node || value === undefined || value === null) return;
      if (node instanceof RadioNodeList) node.value = value;
      else if (node.type === "checkbox") node.checked = value === true || value === "on" || value === "yes";
      else node.value = value;
    };
    set("prompt", request.prompt);
    set("negative_prompt", request.negative_prompt);
    set("model_name", request.model_name || "");
    this.followTier();
    set("mode", request.mode || "");
    set("aspect_ratio", request.aspect_ratio);
    set("sound", request.sound);
    set("character_orientation", request.character_orientation);
    if (this.workflow === "text2video" && Array.isArray(request.multi_prompt) && request.multi_shot) {
      set("shot_mode", "multi");
      this.shots = request.multi_prompt.map((s) => {
        const m = /^(.*?)\s*Camera:\s*([^.]*)\.?\s*$/s.exec(s.prompt || "");
        const camera = m ? CAMERAS.find(([, label]) => label === m[2].trim())?.[0] : null;
        return { duration: Number(s.duration) || 1, action: m ? m[1] : s.prompt, camera: camera || "static" };
      });
      this.renderShots();
      this.showMode();
    } else {
      set("shot_mode", "single");
      set("duration", request.duration);
      this.showMode();
    }
    set("seed", seed);
    this.estimate();
    this.lint();
    this.form.elements.namedItem("seed").focus();
  }
}
