// One file's upload: initiate (or resume) through the gateway, PUT the parts straight to the
// bucket in parallel, checkpoint their ETags, complete with the whole file's CRC32C.
// No DOM here: the page listens through `onChange`.

import { backoffDelay, sleep } from "./api.js";
import { Checkpointer } from "./checkpoints.js";
import { crc32cBase64, crc32cCombine } from "./crc32c.js";
import { partChecksum, PartUrls, planParts, RateMeter } from "./parts.js";
import { fingerprint } from "./resume.js";
import { explainNetworkFailure, sendPart, UploadProblem } from "./transfer.js";

const PART_ATTEMPTS = 8; // per part, before the upload stops and offers Retry
// After these the gateway has marked the upload failed: resuming it is no longer possible.
const FINAL_COMPLETE_ERRORS = new Set(["checksum_mismatch", "size_mismatch", "part_changed",
  "part_rejected"]);

class Halted extends Error {} // the upload was paused, cancelled or failed meanwhile

export class FileUpload {
  /** An upload of `file` through `api`, remembered in `book`, `concurrency` parts at a time. */
  constructor({ api, file, book, concurrency = 4, onChange = () => {} }) {
    this.api = api;
    this.file = file;
    this.book = book;
    this.key = fingerprint(file);
    this.concurrency = concurrency;
    this.onChange = onChange;
    this.state = "waiting";
    this.message = "";
    this.upload = null; // the initiate answer
    this.parts = [];
    this.generation = 0; // bumped by pause, cancel and failure: stale workers stop
    this.inFlight = new Map();
    this.meter = new RateMeter();
    this.partsSentHere = 0;
    this.partsResumed = 0;
    this.retries = 0;
    this.checkpoints = new Checkpointer(this, PART_ATTEMPTS);
    this.urls = null;
    this.result = null; // the file record after complete
    this.downloadUrl = null;
  }

  /** Bytes the bucket holds or is receiving right now. */
  get bytesDone() {
    let done = 0;
    for (const part of this.parts) {
      done += part.status === "sent" || part.status === "checkpointed" ? part.size : part.loaded;
    }
    return done;
  }

  get partsDone() {
    return this.parts.filter((p) => p.status === "sent" || p.status === "checkpointed").length;
  }

  get rate() {
    return this.state === "uploading" ? this.meter.rate : 0;
  }

  setState(state, message = "") {
    this.state = state;
    this.message = message;
    this.onChange(this);
  }

  note(message) {
    this.message = message;
    this.onChange(this);
  }

  /** Initiate (resuming when this browser started the same file before) and upload. */
  async start() {
    const generation = ++this.generation;
    try {
      this.setState("starting", "Asking the gateway for part URLs…");
      await this.initiate();
      if (generation !== this.generation) {
        if (this.state === "cancelled") await this.abortCancelled();
        return;
      }
      await this.run();
    } catch (error) {
      if (generation === this.generation) this.fail(error);
    }
  }

  async initiate() {
    const record = this.book.find(this.file);
    const upload = await this.api.initiate({
      filename: this.file.name,
      content_type: this.file.type || "application/octet-stream",
      num_bytes: this.file.size,
      // Only a file this browser started (same name, size and modification time) resumes.
      resume_if_started: Boolean(record),
    });
    this.upload = upload;
    this.parts = planParts(upload);
    this.urls = new PartUrls(this);
    for (const signed of upload.parts) this.urls.set(signed);
    const known = record && record.upload_id === upload.upload_id ? record.part_crc32c : {};
    const kept = {};
    if (upload.resumed) {
      const detail = await this.api.inspect(upload.upload_id);
      for (const stored of detail.checkpointed_parts) {
        const part = this.parts[stored.part_number - 1];
        part.status = "checkpointed";
        part.token = stored.part_token;
        if (known[part.number] !== undefined) part.crc = kept[part.number] = known[part.number];
      }
      this.partsResumed = detail.checkpointed_parts.length;
    }
    this.book.save(this.file, {
      upload_id: upload.upload_id, file_id: upload.file_id, filename: upload.filename,
      num_bytes: upload.num_bytes, part_size: upload.part_size, num_parts: upload.num_parts,
      part_crc32c: kept,
    });
  }

  /** Send every part not in the bucket yet, then complete. */
  async run() {
    const generation = this.generation;
    this.meter.reset();
    const remaining = this.parts.filter((p) => p.status === "pending").length;
    const resumed = this.partsResumed ? `Resumed: ${this.partsResumed} of ` +
      `${this.parts.length} parts were already in the bucket and are not sent again. ` : "";
    this.setState("uploading", `${resumed}Sending ${remaining} parts, up to ` +
      `${this.concurrency} at a time.`);
    const workers = [];
    for (let i = 0; i < this.concurrency; i++) workers.push(this.worker(generation));
    try {
      await Promise.all(workers);
      if (generation !== this.generation) return;
      await this.checkpoints.settled;
      if (generation !== this.generation) return;
      await this.finish(generation);
    } catch (error) {
      if (!(error instanceof Halted) && generation === this.generation) this.fail(error);
    }
  }

  async worker(generation) {
    for (;;) {
      if (generation !== this.generation) return;
      const part = this.parts.find((p) => p.status === "pending");
      if (!part) return;
      part.status = "sending";
      try {
        await this.transfer(part, generation);
      } catch (error) {
        if (!(error instanceof Halted) && generation === this.generation) this.fail(error);
        return;
      }
    }
  }

  check(generation) {
    if (generation !== this.generation) throw new Halted();
  }

  /** One part: read it for its CRC32C, PUT it, retry what may succeed on a second try. */
  async transfer(part, generation) {
    for (;;) {
      try {
        // Read for the CRC32C while the part is on its way: it is needed only at complete.
        const checksum = partChecksum(this.file, part);
        await this.urls.ensure(part);
        this.check(generation);
        const token = await this.put(part);
        part.crc = await checksum;
        this.check(generation);
        part.token = token;
        part.status = "sent";
        part.denied = 0;
        this.partsSentHere++;
        this.checkpoints.add(part);
        this.onChange(this);
        return;
      } catch (error) {
        this.check(generation);
        if (error instanceof UploadProblem || (error.status !== undefined && !error.retryable)) {
          throw error;
        }
        if (error.kind === "network" && this.partsSentHere === 0 && part.attempts === 0) {
          await explainNetworkFailure(part.url); // throws when it is CORS
        }
        if (error.kind === "denied") {
          // Most often an expired URL; a fresh one is signed before the next try.
          part.url = null;
          if (++part.denied > 2) {
            throw new UploadProblem(`The bucket refused part ${part.number} with fresh URLs ` +
              `too: ${error.message}`);
          }
        }
        if (++part.attempts >= PART_ATTEMPTS) {
          throw new UploadProblem(`Part ${part.number} failed ${PART_ATTEMPTS} times; the last ` +
            `error: ${error.message}. Retry continues from the parts already sent.`);
        }
        const delay = error.kind === "denied" ? 0 : backoffDelay(part.attempts - 1);
        this.retries++;
        this.note(`Part ${part.number}: ${error.message}; retrying in ${(delay / 1000).toFixed(1)} s.`);
        await sleep(delay);
        this.check(generation);
      }
    }
  }

  // The body is a slice of the File, not bytes already read: Chromium streams a Blob from
  // disk, while an ArrayBuffer body made the 256 MiB benchmark about five times slower.
  async put(part) {
    const transfer = sendPart(part.url, this.file.slice(part.start, part.end), (loaded) => {
      this.meter.add(loaded - part.loaded);
      part.loaded = loaded;
      this.onChange(this);
    });
    this.inFlight.set(part.number, transfer);
    try {
      return await transfer.done;
    } finally {
      this.inFlight.delete(part.number);
      part.loaded = 0;
    }
  }

  async finish(generation) {
    if (this.parts.some((p) => p.status !== "sent" && p.status !== "checkpointed")) return;
    this.setState("completing", "Completing: joining the parts and checking the CRC32C…");
    const unread = this.parts.filter((p) => p.crc === null);
    if (unread.length) {
      // Parts sent before a reload whose CRC this browser lost: read them here, not resend.
      this.note(`Reading ${unread.length} parts sent earlier to finish the file's CRC32C…`);
      for (const part of unread) {
        part.crc = await partChecksum(this.file, part);
        this.check(generation);
      }
    }
    let crc = 0;
    for (const part of this.parts) crc = crc32cCombine(crc, part.crc, part.size);
    const unrecorded = this.parts.filter((p) => p.status === "sent")
      .map((p) => ({ part_number: p.number, part_token: p.token }));
    try {
      const checksum = this.upload.checksum_algorithm === "none" ? undefined : crc32cBase64(crc);
      this.result = await this.api.complete(this.upload.upload_id, unrecorded, checksum);
    } catch (error) {
      if (FINAL_COMPLETE_ERRORS.has(error.code)) this.book.remove(this.key);
      throw error;
    }
    this.check(generation);
    this.book.remove(this.key);
    try {
      this.downloadUrl = (await this.api.downloadLink(this.result.file_id)).url;
    } catch {
      this.downloadUrl = null; // the file is stored; only the convenience link is missing
    }
    const resumed = this.partsResumed ? `; ${this.partsResumed} parts were resumed` : "";
    this.setState("done", `Stored and verified (CRC32C ${this.result.checksum?.crc32c ?? "?"})` +
      `${resumed}.`);
  }

  /** Stop sending; parts in flight are dropped and sent again on resume. */
  pause() {
    if (this.state !== "uploading") return;
    this.halt();
    this.setState("paused", "Paused. Resume sends the remaining parts.");
  }

  /** Continue after a pause or a failure. */
  resume() {
    if (this.state !== "paused" && this.state !== "failed") return;
    for (const part of this.parts) {
      part.attempts = 0;
      part.denied = 0;
    }
    if (!this.upload) {
      this.start();
      return;
    }
    this.generation++;
    this.run();
  }

  /** Stop and abort the upload in the bucket. */
  async cancel() {
    if (this.state === "done" || this.state === "cancelled") return;
    this.halt();
    if (!this.upload) {
      // Initiate is still on its way: start() aborts what it creates.
      this.setState("cancelled", "Cancelled.");
      return;
    }
    this.setState("cancelling", "Cancelling…");
    try {
      await this.api.abort(this.upload.upload_id);
    } catch (error) {
      this.setState("failed", `Could not abort the upload: ${error.message}`);
      return;
    }
    this.book.remove(this.key);
    this.setState("cancelled", "Cancelled: the upload was aborted in the bucket.");
  }

  async abortCancelled() {
    try {
      await this.api.abort(this.upload.upload_id);
    } catch {
      // It expires on its own (the janitor and the bucket's lifecycle rule).
    }
    this.book.remove(this.key);
  }

  halt() {
    this.generation++;
    for (const part of this.parts) {
      if (part.status === "sending") part.status = "pending";
    }
    for (const transfer of this.inFlight.values()) transfer.abort();
    this.inFlight.clear();
  }

  fail(error) {
    this.halt();
    this.setState("failed", error.message || String(error));
  }
}
