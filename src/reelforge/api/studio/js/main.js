// Boot: server config and limits, sign-in when the server needs a key, the pages, the
// hash router (#/text2video, #/image2video, #/omni, #/motion, #/avatar) and the queue.
import { apiKey, call, configure } from "./api.js";
import { setLimits } from "./checks.js";
import { Page, TITLES } from "./pages.js";
import { Queue } from "./queue.js";

const pages = {};
let queue = null;

function route() {
  const name = (location.hash.match(/^#\/([\w-]+)/) || [])[1];
  const current = pages[name] ? name : "text2video";
  for (const [key, page] of Object.entries(pages)) page.form.hidden = key !== current;
  for (const link of document.querySelectorAll(".nav a")) {
    if (link.dataset.page === current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.getElementById("page-title").textContent = TITLES[current];
  document.title = `${TITLES[current]} · reelforge studio`;
  document.body.dataset.page = current;
  pages[current].activate();
  return pages[current];
}

function notify(text) {
  const notice = document.getElementById("notice");
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { notice.hidden = true; }, 8000);
}

function askForKey(message = "") {
  const dialog = document.getElementById("login");
  const form = document.getElementById("login-form");
  const input = document.getElementById("login-key");
  const error = document.getElementById("login-error");
  error.textContent = message;
  return new Promise((resolve) => {
    dialog.addEventListener("cancel", (e) => e.preventDefault());
    form.onsubmit = async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) {
        error.textContent = "Enter an API key (rfk_…).";
        input.focus();
        return;
      }
      apiKey.set(key);
      try {
        const me = await call("GET", "/v1/studio/me");
        dialog.close();
        resolve(me);
      } catch (err) {
        apiKey.clear();
        error.textContent = err.message;
        input.focus();
      }
    };
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}

function showAccount(me, auth) {
  const parts = [me.account];
  if (me.metered) parts.push(`${me.balance} credits`);
  document.getElementById("account").textContent = parts.join(" · ");
  document.getElementById("sign-out").hidden = !auth;
}

async function signIn(auth) {
  if (!auth) return call("GET", "/v1/studio/me");
  if (apiKey.get()) {
    try {
      return await call("GET", "/v1/studio/me");
    } catch (err) {
      apiKey.clear();
      return askForKey(err.message);
    }
  }
  return askForKey();
}

async function boot() {
  const [config, limits, tiers] = await Promise.all([
    call("GET", "/v1/studio/config"),
    call("GET", "/v1/studio/limits"),
    call("GET", "/v1/tiers"),
  ]);
  setLimits(limits);
  const auth = config.auth_required;
  let reauth = null;
  configure({
    auth,
    unauthorized: (message) => {
      if (!auth || reauth || document.getElementById("login").open) return;
      apiKey.clear();
      reauth = askForKey(message).then((me) => { reauth = null; showAccount(me, auth); queue?.poll(); });
    },
  });
  document.getElementById("previz-badge").hidden = !config.previz;
  document.getElementById("sign-out").addEventListener("click", () => {
    apiKey.clear();
    location.reload();
  });
  const ctx = {
    tiers,
    notify,
    submitted: (task) => {
      queue.added(task);
      refreshAccount();
    },
    reuse: (page, request, seed) => {
      location.hash = `#/${page}`;
      const target = route();
      target.restore(request, seed);
      notify(`Seed ${seed} and the task's settings are filled in${page === "text2video" ? "" : "; choose its files again"}.`);
    },
  };
  for (const form of document.querySelectorAll("form.page")) {
    const page = new Page(form, tiers, ctx);
    pages[page.name] = page;
  }
  for (const node of document.querySelectorAll("[data-limit]")) {
    node.textContent = limits.limits[node.dataset.limit];
  }
  const me = await signIn(auth);
  showAccount(me, auth);
  async function refreshAccount() {
    try {
      showAccount(await call("GET", "/v1/studio/me"), auth);
    } catch {
      /* shown at the next call */
    }
  }
  window.addEventListener("hashchange", route);
  route();
  queue = new Queue(ctx);
  queue.start();
  document.body.dataset.ready = "true";
}

boot().catch((err) => {
  document.body.dataset.ready = "error";
  const notice = document.getElementById("notice");
  notice.textContent = `The studio could not start: ${err.message}`;
  notice.hidden = false;
});
