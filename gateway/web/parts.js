// The parts of one upload: the plan, each part's CRC32C, their presigned URLs (re-signed
// when close to expiry) and the transfer rate.

import { crc32cOfBlob } from "./crc32c.js";
import { UploadProblem } from "./transfer.js";

const URL_MARGIN_MS = 30000; // re-sign a URL this close to its expiry before using it
const URL_BATCH = 100; // parts signed per /urls call

/** The parts of an initiate answer, each pending until the bucket has it. */
export function planParts(upload) {
  const parts = [];
  for (let n = 1; n <= upload.num_parts; n++) {
    const start = (n - 1) * upload.part_size;
    const end = Math.min(start + upload.part_size, upload.num_bytes);
    parts.push({ number: n, start, end, size: end - start, status: "pending", loaded: 0,
      crc: null, checksum: null, token: null, url: null, urlExpires: 0, urlRequest: null,
      attempts: 0, denied: 0 });
  }
  return parts;
}

/** The part's CRC32C, read from the file once and shared by its retries. */
export function partChecksum(file, part) {
  if (part.crc !== null) return Promise.resolve(part.crc);
  if (!part.checksum) {
    part.checksum = crc32cOfBlob(file.slice(part.start, part.end)).catch((error) => {
      part.checksum = null; // a later Retry reads again
      throw new UploadProblem(`Could not read ${file.name} (was it changed or moved?): ` +
        `${error.message}. Choose it again to continue.`);
    });
    part.checksum.catch(() => {}); // observed by whoever awaits it; not an unhandled rejection
  }
  return part.checksum;
}

/** Presigned part URLs, fetched in batches from the gateway when missing or expiring. */
export class PartUrls {
  /** The URLs of `owner`'s parts (a FileUpload: its api may change with a new key). */
  constructor(owner) {
    this.owner = owner;
    this.parts = owner.parts;
  }

  /** Record a URL the gateway signed. */
  set(signed) {
    const part = this.parts[signed.part_number - 1];
    part.url = signed.url;
    part.urlExpires = Date.parse(signed.expires_at);
  }

  fresh(part) {
    return part.url && part.urlExpires - Date.now() > URL_MARGIN_MS;
  }

  /** Make sure the part has a URL that will not expire mid-request. */
  async ensure(part) {
    if (this.fresh(part)) return;
    if (part.urlRequest) {
      await part.urlRequest;
      if (part.url) return;
    }
    // Sign the pending parts that will need it soon in the same call.
    const wanted = [part, ...this.parts.filter((p) => p !== part && p.status === "pending"
      && !p.urlRequest && !this.fresh(p))].slice(0, URL_BATCH);
    const request = this.owner.api.urls(this.owner.upload.upload_id,
      wanted.map((p) => p.number));
    for (const p of wanted) p.urlRequest = request;
    try {
      for (const signed of (await request).parts) this.set(signed);
    } finally {
      for (const p of wanted) p.urlRequest = null;
    }
  }
}

/** Measures the transfer rate over the last few seconds. */
export class RateMeter {
  constructor(windowMs = 4000) {
    this.windowMs = windowMs;
    this.samples = [];
    this.total = 0;
  }

  add(bytes) {
    this.total += bytes;
    const now = performance.now();
    this.samples.push([now, this.total]);
    while (this.samples.length > 2 && now - this.samples[0][0] > this.windowMs) {
      this.samples.shift();
    }
  }

  /** Bytes per second, or 0 before there is anything to measure. */
  get rate() {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
  }

  reset() {
    this.samples = [];
  }
}
