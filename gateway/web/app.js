// The page: the API key, the file picker and drop zone, one row per upload, and the list of
// unfinished uploads this browser can resume.

import { ApiError, GatewayApi } from "./api.js";
import { fingerprint, ResumeBook } from "./resume.js";
import { FileUpload } from "./upload.js";

const KEY_STORAGE = "gateway.apiKey"; // sessionStorage: this tab only
const params = new URLSearchParams(window.location.search);
const CONCURRENCY = Math.min(16, Math.max(1, Number(params.get("concurrency")) || 4));

const $ = (selector, root = document) => root.querySelector(selector);
const book = new ResumeBook();
const uploads = []; // FileUploads of this page, newest last
window.gatewayUploads = uploads; // for the console and for tests
let api = null;

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function setKeyStatus(text, kind) {
  const status = $("#key-status");
  status.textContent = text;
  status.className = kind;
}

async function useKey(key) {
  const candidate = new GatewayApi(key);
  candidate.attempts = 2;
  let inProgress;
  try {
    inProgress = (await candidate.listUploads("in_progress")).items;
  } catch (error) {
    setKeyStatus(error instanceof ApiError && error.status === 401
      ? "The gateway does not know this key (or it was revoked)." : error.message, "error");
    return;
  }
  api = new GatewayApi(key);
  for (const upload of uploads) upload.api = api;
  sessionStorage.setItem(KEY_STORAGE, key);
  setKeyStatus(`Using key ${key.split("_").slice(0, 2).join("_")}_…`, "ok");
  $("#api-key").value = "";
  $("#forget-key").hidden = false;
  $("#files").disabled = false;
  $("#drop-zone").classList.remove("disabled");
  renderUnfinished(inProgress);
}

function forgetKey() {
  sessionStorage.removeItem(KEY_STORAGE);
  api = null;
  $("#forget-key").hidden = true;
  $("#files").disabled = true;
  $("#drop-zone").classList.add("disabled");
  setKeyStatus("Key forgotten.", "");
}

function startUploads(files) {
  if (!api) {
    setKeyStatus("Paste an API key first.", "error");
    return;
  }
  for (const file of files) {
    const running = uploads.find((u) => u.key === fingerprint(file)
      && !["done", "cancelled", "failed"].includes(u.state));
    if (running) continue; // already on its way
    const upload = new FileUpload({ api, file, book, concurrency: CONCURRENCY,
      onChange: scheduleRender });
    uploads.push(upload);
    upload.row = makeRow(upload);
    upload.start().finally(() => renderUnfinished());
  }
  renderUnfinished();
}

function makeRow(upload) {
  const row = $("#upload-row").content.firstElementChild.cloneNode(true);
  $("[data-role=name]", row).textContent = upload.file.name;
  $("[data-role=size]", row).textContent = formatBytes(upload.file.size);
  $("[data-role=pause]", row).addEventListener("click", () => upload.pause());
  $("[data-role=resume]", row).addEventListener("click", () => upload.resume());
  $("[data-role=cancel]", row).addEventListener("click", () => upload.cancel()
    .finally(() => renderUnfinished()));
  $("#upload-list").prepend(row);
  render(upload);
  return row;
}

function scheduleRender(upload) {
  if (upload.renderQueued) return;
  upload.renderQueued = true;
  requestAnimationFrame(() => {
    upload.renderQueued = false;
    render(upload);
  });
}

function render(upload) {
  const row = upload.row;
  if (!row) return;
  const total = upload.file.size;
  const done = upload.state === "done" ? total : upload.bytesDone;
  row.dataset.state = upload.state;
  if (upload.upload) row.dataset.uploadId = upload.upload.upload_id;
  $("[data-role=bar]", row).value = total ? done / total : upload.state === "done" ? 1 : 0;
  const parts = upload.upload ? ` · ${upload.partsDone} of ${upload.upload.num_parts} parts` : "";
  const rate = upload.rate ? ` · ${formatBytes(upload.rate)}/s` : "";
  $("[data-role=stats]", row).textContent = `${formatBytes(done)} of ${formatBytes(total)}` +
    `${parts}${rate}`;
  $("[data-role=message]", row).textContent = upload.message;
  const active = upload.state === "uploading" || upload.state === "starting";
  $("[data-role=pause]", row).hidden = upload.state !== "uploading";
  $("[data-role=resume]", row).hidden = !["paused", "failed"].includes(upload.state);
  $("[data-role=resume]", row).textContent = upload.state === "failed" ? "Retry" : "Resume";
  $("[data-role=cancel]", row).hidden = !(active || ["paused", "failed"].includes(upload.state));
  if (upload.result) {
    row.dataset.fileId = upload.result.file_id;
    $("[data-role=result]", row).hidden = false;
    $("[data-role=file-id]", row).textContent = upload.result.file_id;
    const link = $("[data-role=download]", row);
    link.hidden = !upload.downloadUrl;
    if (upload.downloadUrl) link.href = upload.downloadUrl;
  }
}

// Records of uploads this browser started and did not finish, plus (with a key) the
// tenant's in-progress uploads this browser knows nothing about.
async function renderUnfinished(serverInProgress) {
  if (serverInProgress === undefined && api) {
    try {
      serverInProgress = (await api.listUploads("in_progress")).items;
    } catch {
      serverInProgress = null;
    }
  }
  // A failed upload keeps its row (with Retry), so it is not listed here again.
  const active = new Set(uploads.filter((u) => !["done", "cancelled"].includes(u.state))
    .map((u) => u.key));
  const list = $("#unfinished-list");
  list.replaceChildren();
  const records = book.all();
  const known = new Set();
  for (const [key, record] of Object.entries(records)) {
    known.add(record.upload_id);
    if (active.has(key)) continue;
    const onServer = serverInProgress?.some((u) => u.upload_id === record.upload_id);
    const note = serverInProgress && !onServer ? " (no longer in progress for this key)" : "";
    const parts = Object.keys(record.part_crc32c || {}).length;
    list.append(unfinishedItem(record.upload_id, `${record.filename} · ${formatBytes(record.num_bytes)}` +
      ` · ${parts} of ${record.num_parts} parts in the bucket${note}`, () => book.remove(key)));
  }
  for (const upload of serverInProgress || []) {
    if (known.has(upload.upload_id) || uploads.some((u) => u.upload?.upload_id === upload.upload_id)) {
      continue;
    }
    list.append(unfinishedItem(upload.upload_id, `${upload.filename} · ` +
      `${upload.num_bytes === null ? "size unknown" : formatBytes(upload.num_bytes)}` +
      " · started elsewhere", () => {}));
  }
  $("#unfinished").hidden = list.children.length === 0;
}

function unfinishedItem(uploadId, text, forget) {
  const item = document.createElement("li");
  item.dataset.uploadId = uploadId;
  const label = document.createElement("span");
  label.textContent = text;
  const discard = document.createElement("button");
  discard.type = "button";
  discard.textContent = "Discard";
  discard.addEventListener("click", async () => {
    if (api) {
      try {
        await api.abort(uploadId);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) {
          label.textContent = `${text}: could not abort (${error.message})`;
          return;
        }
      }
    }
    forget();
    renderUnfinished();
  });
  item.append(label, discard);
  return item;
}

function wireDropZone() {
  const zone = $("#drop-zone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    startUploads([...event.dataTransfer.files]);
  });
  $("#files").addEventListener("change", (event) => {
    startUploads([...event.target.files]);
    event.target.value = ""; // choosing the same file again must fire change again
  });
}

$("#key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("#api-key").value.trim();
  if (key) useKey(key);
});
$("#forget-key").addEventListener("click", forgetKey);
wireDropZone();
renderUnfinished();
const savedKey = sessionStorage.getItem(KEY_STORAGE);
if (savedKey) useKey(savedKey);
