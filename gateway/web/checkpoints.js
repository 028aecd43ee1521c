// Checkpointing finished parts: one call at a time, each carrying every part that finished
// meanwhile, so a reload or a crash loses at most the parts still in flight.

import { UploadProblem } from "./transfer.js";

export class Checkpointer {
  /** Checkpoints for `owner`, a FileUpload. */
  constructor(owner, maxAttempts) {
    this.owner = owner;
    this.maxAttempts = maxAttempts;
    this.queue = [];
    this.draining = false;
    this.settled = Promise.resolve(); // resolves once everything queued is dealt with
  }

  /** Checkpoint this sent part soon. */
  add(part) {
    this.queue.push(part);
    if (!this.draining) {
      this.draining = true; // set synchronously, so no part can slip past a finishing drain
      this.settled = this.drain();
    }
  }

  async drain() {
    try {
      while (this.queue.length) await this.send(this.queue.splice(0));
    } finally {
      this.draining = false;
    }
  }

  async send(parts) {
    const owner = this.owner;
    const batch = parts.filter((p) => p.status === "sent");
    if (!batch.length) return;
    const uploadId = owner.upload.upload_id;
    try {
      await owner.api.checkpoint(uploadId,
        batch.map((p) => ({ part_number: p.number, part_token: p.token })));
    } catch (error) {
      if (error.code === "part_rejected") this.rejected(batch, error.details.rejected_parts);
      // Otherwise the tokens stay with the page and go with complete; only resuming suffers.
      else owner.note(`Could not checkpoint parts (${error.message}); they go with complete.`);
      return;
    }
    const checksums = {};
    for (const part of batch) {
      if (part.status === "sent") part.status = "checkpointed";
      checksums[part.number] = part.crc;
    }
    owner.book.savePartChecksums(owner.file, uploadId, checksums);
  }

  // The store does not hold what was sent for these parts: send them again. Checkpoint is
  // all or nothing, so the batch's other parts go again too.
  rejected(batch, rejectedParts = []) {
    const owner = this.owner;
    const numbers = new Set(rejectedParts.map((r) => r.part_number));
    for (const part of batch) {
      if (!numbers.has(part.number)) {
        this.queue.push(part);
      } else if (part.status === "sent") {
        part.status = "pending";
        part.token = null;
        if (++part.attempts >= this.maxAttempts) {
          owner.fail(new UploadProblem(`The store keeps rejecting part ${part.number}.`));
          return;
        }
      }
    }
    // The workers may have finished already: start them again for the pending parts.
    if (owner.state === "uploading" && !owner.parts.some((p) => p.status === "sending")) {
      owner.run();
    }
  }
}
