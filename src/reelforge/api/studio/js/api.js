// The page as a client of the task API: Kling's envelope, a static API key as Bearer
// (kept in localStorage) unless the server runs --no-auth, and uploads through
// XMLHttpRequest so the page can show their progress.

const KEY = "reelforge.apiKey";
let authRequired = false;
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export function configure({ auth, unauthorized }) {
  authRequired = auth;
  onUnauthorized = unauthorized;
}

export const apiKey = {
  get: () => localStorage.getItem(KEY) || "",
  set: (value) => localStorage.setItem(KEY, value),
  clear: () => localStorage.removeItem(KEY),
};

function headers(extra = {}) {
  const out = { ...extra };
  const key = apiKey.get();
  if (authRequired && key) out.Authorization = `Bearer ${key}`;
  return out;
}

function unwrap(status, body) {
  if (!body || typeof body !== "object") throw new ApiError(-1, `HTTP ${status}`, status);
  if (body.code !== 0) {
    if (status === 401) onUnauthorized(body.message);
    throw new ApiError(body.code, body.message, status);
  }
  return body.data;
}

export async function call(method, path, data) {
  const init = { method, headers: headers(data === undefined ? {} : { "Content-Type": "application/json" }) };
  if (data !== undefined) init.body = JSON.stringify(data);
  const response = await fetch(path, init);
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  return unwrap(response.status, body);
}

// POST with upload progress: onProgress(fraction) while the body goes up.
export function upload(path, data, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    for (const [k, v] of Object.entries(headers({ "Content-Type": "application/json" }))) {
      xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.upload.onload = () => onProgress(1);
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      try {
        resolve(unwrap(xhr.status, body));
      } catch (err) {
        reject(err);
      }
    };
    xhr.onerror = () => reject(new ApiError(-1, "the server could not be reached", 0));
    xhr.send(JSON.stringify(data));
  });
}
