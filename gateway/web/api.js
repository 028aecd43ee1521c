// The gateway's native API from the page: JSON calls with the pasted API key, retried with
// backoff when the network fails or the gateway says a retry may succeed.

/** An error answer of the gateway, in its one JSON shape. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `the gateway answered HTTP ${status}`);
    this.status = status;
    this.code = body?.error || "http_error";
    // The gateway says whether a retry may help; anything else (a proxy's 502 page, no
    // answer at all) is worth another try.
    this.retryable = typeof body?.retryable === "boolean" ? body.retryable
      : status === 0 || status === 429 || status >= 500;
    this.details = body?.details || {};
  }
}

/** Wait `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with jitter: about 0.5 s, 1 s, 2 s ... at most 20 s. */
export function backoffDelay(attempt) {
  const base = Math.min(20000, 500 * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

export class GatewayApi {
  /** Calls to the gateway at `baseUrl` (the page's own origin by default) with `apiKey`. */
  constructor(apiKey, baseUrl = "") {
    this.apiKey = apiKey;
    this.baseUrl = baseUrl;
    this.attempts = 5;
  }

  async call(method, path, body) {
    for (let attempt = 0; ; attempt++) {
      let error;
      try {
        const response = await fetch(this.baseUrl + path, {
          method,
          headers: {
            Authorization: `Bearer ${this.apiKey}`,
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const payload = await response.json().catch(() => null);
        if (response.ok) return payload;
        error = new ApiError(response.status, payload);
        if (response.headers.get("Retry-After")) {
          error.retryAfter = Number(response.headers.get("Retry-After")) * 1000;
        }
      } catch (networkError) {
        error = new ApiError(0, { message: `the gateway could not be reached (${networkError.message})` });
      }
      if (!error.retryable || attempt + 1 >= this.attempts) throw error;
      await sleep(error.retryAfter || backoffDelay(attempt));
    }
  }

  /** POST /v1/uploads: a new upload, or the one in progress with `resume_if_started`. */
  initiate(request) { return this.call("POST", "/v1/uploads", request); }

  /** GET /v1/uploads/{id}: status, checkpointed and missing parts. */
  inspect(uploadId) { return this.call("GET", `/v1/uploads/${uploadId}`); }

  /** GET /v1/uploads?status=...: the tenant's uploads in that state. */
  listUploads(status) { return this.call("GET", `/v1/uploads?status=${status}&limit=1000`); }

  /** POST /v1/uploads/{id}/urls: fresh presigned URLs for these parts. */
  urls(uploadId, partNumbers) {
    return this.call("POST", `/v1/uploads/${uploadId}/urls`, { part_numbers: partNumbers });
  }

  /** POST /v1/uploads/{id}/checkpoint: record part tokens (ETags). */
  checkpoint(uploadId, parts) {
    return this.call("POST", `/v1/uploads/${uploadId}/checkpoint`, { parts });
  }

  /** POST /v1/uploads/{id}/complete with the whole file's CRC32C. */
  complete(uploadId, parts, integrityChecksum) {
    return this.call("POST", `/v1/uploads/${uploadId}/complete`,
      { parts, integrity_checksum: integrityChecksum });
  }

  /** POST /v1/uploads/{id}/abort. */
  abort(uploadId) { return this.call("POST", `/v1/uploads/${uploadId}/abort`); }

  /** A presigned download URL of a file, as JSON rather than a redirect. */
  downloadLink(fileId) { return this.call("GET", `/v1/files/${fileId}/content?redirect=false`); }
}
