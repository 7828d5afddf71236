// The queue and gallery: every task of the account with its live progress (polling
// /v1/studio/tasks), the player with poster and download, the plan and seeds from the
// sidecar, "use this seed again", "render final (4K)" (POST /v1/videos/final: the same
// seed and plan at 4K, a new task in the queue), and the reason a task failed.
import { el } from "./dom.js";
import { call } from "./api.js";
import { num } from "./format.js";

const PRODUCTS = {
  text2video: ["Text to Video", "text2video"],
  image2video: ["Image to Video", "image2video"],
  "omni-video": ["Omni", "omni"],
  "motion-control": ["Motion Control", "motion"],
  "avatar/image2video": ["Avatar", "avatar"],
  "video-extend": ["Extend", null],
  final: ["Final 4K", null],
};
const FINAL_MODE = "4k";
const STATUS = { submitted: "Queued", processing: "Rendering", succeed: "Done", failed: "Failed" };
const FAST_MS = 1000;
const SLOW_MS = 5000;

export class Queue {
  constructor(ctx) {
    this.ctx = ctx;
    this.list = document.getElementById("tasks");
    this.items = new Map();
    this.tasks = new Map();
    this.timer = null;
    this.dialog = document.getElementById("player");
    this.video = document.getElementById("player-video");
    this.dialog.querySelector("[data-action=close]").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => {
      this.video.pause();
      this.opener?.focus();
    });
  }

  start() {
    this.poll();
  }

  async poll() {
    clearTimeout(this.timer);
    let busy = false;
    try {
      const tasks = await call("GET", "/v1/studio/tasks?limit=60");
      this.render(tasks);
      busy = tasks.some((t) => t.task_status === "submitted" || t.task_status === "processing");
    } catch {
      busy = true;
    }
    this.timer = setTimeout(() => this.poll(), busy ? FAST_MS : SLOW_MS);
  }

  added(task) {
    this.poll();
  }

  render(tasks) {
    document.getElementById("queue-empty").hidden = tasks.length > 0;
    const running = tasks.filter((t) => t.task_status === "submitted" || t.task_status === "processing").length;
    document.getElementById("queue-count").textContent = tasks.length ? `${tasks.length} tasks · ${running} running` : "";
    const seen = new Set();
    let previous = null;
    for (const task of tasks) {
      seen.add(task.task_id);
      this.tasks.set(task.task_id, task);
      let item = this.items.get(task.task_id);
      if (!item) {
        item = this.card(task);
        this.items.set(task.task_id, item);
      }
      this.update(item, task);
      const want = previous ? previous.nextSibling : this.list.firstChild;
      if (want !== item) this.list.insertBefore(item, want);
      previous = item;
    }
    for (const [id, item] of this.items) {
      if (!seen.has(id)) {
        item.remove();
        this.items.delete(id);
      }
    }
  }

  card(task) {
    const product = PRODUCTS[task.endpoint]?.[0] || task.endpoint;
    const thumb = el("button", { type: "button", class: "thumb", onclick: (e) => this.open(task.task_id, e.currentTarget) });
    return el("li", { class: "task", "data-task-id": task.task_id },
      thumb,
      el("div", { class: "meta" },
        el("p", { class: "title" }, el("span", { class: "product", text: product }), el("span", { class: "facts" })),
        el("p", { class: "prompt" }),
        el("div", { class: "status" },
          el("span", { class: "pill" }),
          el("progress", { max: 100, value: 0, "aria-label": `progress of task ${task.task_id}` }),
          el("span", { class: "pct" })),
        el("p", { class: "reason", role: "note" })));
  }

  update(item, task) {
    const status = task.task_status;
    item.dataset.status = status;
    const video = task.task_result.videos[0];
    const facts = [task.task_tier, video ? `${num(Number(video.duration))} s` : task.request?.duration ? `${task.request.duration} s` : null];
    item.querySelector(".facts").textContent = facts.filter(Boolean).join(" · ");
    item.querySelector(".prompt").textContent = task.prompt || (task.request?.multi_prompt ? task.request.multi_prompt.map((s) => s.prompt).join(" / ") : "(no prompt)");
    item.querySelector(".pill").textContent = STATUS[status] || status;
    item.querySelector("progress").value = task.task_progress;
    item.querySelector(".pct").textContent = `${task.task_progress} %`;
    const reason = item.querySelector(".reason");
    reason.textContent = status === "failed" ? task.task_status_msg || "failed" : "";
    reason.hidden = status !== "failed";
    const thumb = item.querySelector(".thumb");
    const done = status === "succeed" && video;
    thumb.disabled = !done;
    thumb.setAttribute("aria-label", done ? `Play task ${task.task_id}` : `Task ${task.task_id}: ${STATUS[status] || status}`);
    if (done && task.poster_url && !thumb.querySelector("img")) {
      thumb.replaceChildren(el("img", { src: task.poster_url, alt: "" }), el("span", { class: "play", "aria-hidden": "true", text: "▶" }));
    } else if (!done && !thumb.firstChild) {
      thumb.append(el("span", { class: "placeholder", "aria-hidden": "true", text: status === "failed" ? "!" : "…" }));
    }
  }

  async open(taskId, opener) {
    const task = this.tasks.get(taskId);
    const video = task.task_result.videos[0];
    this.opener = opener;
    this.dialog.dataset.taskId = taskId;
    const product = PRODUCTS[task.endpoint]?.[0] || task.endpoint;
    document.getElementById("player-title").textContent = `${product} · ${task.task_tier} · ${num(Number(video.duration))} s`;
    this.video.poster = task.poster_url || "";
    this.video.src = video.url;
    this.video.dataset.expected = video.duration;
    const download = document.getElementById("player-download");
    download.href = video.url;
    download.setAttribute("download", `reelforge-${taskId}.mp4`);
    const details = document.getElementById("player-details");
    details.replaceChildren(el("p", { class: "muted", text: "Loading the plan…" }));
    const reuse = document.getElementById("player-reuse");
    reuse.disabled = true;
    const final = document.getElementById("player-final");
    const note = document.getElementById("player-final-note");
    final.hidden = true;
    final.onclick = null;
    note.textContent = "";
    note.classList.remove("field-error");
    this.dialog.showModal();
    let sidecar;
    try {
      sidecar = (await call("GET", `/v1/studio/tasks/${encodeURIComponent(taskId)}/sidecar`)).sidecar;
    } catch (err) {
      details.replaceChildren(el("p", { class: "field-error", text: err.message }));
      return;
    }
    const seed = sidecar.seeds.task;
    const page = PRODUCTS[task.endpoint]?.[1];
    reuse.disabled = !page;
    reuse.onclick = () => {
      this.dialog.close();
      this.ctx.reuse(page, task.request || {}, seed);
    };
    this.offerFinal(taskId, sidecar, final, note);
    details.replaceChildren(this.plan(sidecar));
  }

  // "Render final (4K)": shown for a finished render below 4K (not an extension);
  // disabled, with the reason, when its tier has no 4K.
  offerFinal(taskId, sidecar, button, note) {
    const resolution = sidecar.request?.resolution;
    if (sidecar.extend || !resolution || resolution === FINAL_MODE) return;
    button.hidden = false;
    const tier = (this.ctx.tiers || []).find((t) => t.name === sidecar.tier?.name);
    if (tier && !tier.resolutions.includes(FINAL_MODE)) {
      button.disabled = true;
      note.textContent = `The ${tier.name} tier renders ${tier.resolutions.join(", ")} only: a 4K final needs a tier with 4K.`;
      return;
    }
    button.disabled = false;
    button.onclick = async () => {
      button.disabled = true;
      note.classList.remove("field-error");
      note.textContent = "Submitting the 4K final…";
      try {
        const task = await call("POST", "/v1/videos/final", { task_id: taskId, mode: FINAL_MODE });
        this.dialog.close();
        this.ctx.notify(`Task ${task.task_id} submitted: the 4K final (seed ${sidecar.seeds.task}) is in the queue.`);
        this.ctx.submitted(task);
      } catch (err) {
        note.classList.add("field-error");
        note.textContent = err.message;
        button.disabled = false;
      }
    };
  }

  plan(sidecar) {
    const plan = sidecar.plan;
    const box = el("div");
    box.append(el("p", { class: "seed" }, "Seed ", el("b", { class: "seed-value", text: String(sidecar.seeds.task) }),
      ` · ${plan.width}×${plan.height} · ${plan.fps} fps · ${plan.segments.length} segment${plan.segments.length === 1 ? "" : "s"}`));
    const tier = sidecar.tier;
    box.append(el("p", {}, "Tier ", el("b", { text: tier.name }), ": ", tier.reasons.join("; ")));
    const rows = plan.segments.map((s) => el("tr", {},
      el("td", { text: String(s.index + 1) }),
      el("td", { text: String(s.shot_index) }),
      el("td", { text: `${num(s.start)} s` }),
      el("td", { text: `${num(s.keep_frames / s.fps)} s` }),
      el("td", { text: s.camera }),
      el("td", { class: "mono", text: String(s.seed) }),
      el("td", { class: "anchor", text: anchorLabel(s.conditioning?.anchor) }),
      el("td", { class: "action", text: s.action || s.prompt })));
    box.append(el("table", { class: "plan" },
      el("caption", { text: "Plan: one row per engine call" }),
      el("thead", {}, el("tr", {}, ...["#", "Shot", "Start", "Length", "Camera", "Seed", "Anchored on", "Action"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows)));
    if (plan.notes?.length) box.append(el("ul", { class: "notes" }, ...plan.notes.map((n) => el("li", { text: n }))));
    return box;
  }
}

/** What keeps a segment's characters the same: shot 1's key frame, the avatar's picture, or nothing. */
function anchorLabel(anchor) {
  if (!anchor) return "—";
  return anchor.shot ? `shot ${anchor.shot} key frame (${anchor.frame})` : "the picture";
}
