// One part PUT to a presigned URL, straight to the bucket, with upload progress; and the
// words for what a browser's cross-origin rules can make go wrong.

/** A problem that retrying cannot fix: the upload stops and says why. */
export class UploadProblem extends Error {}

/** A failed PUT that may succeed on another try (kind: network, denied, transient, aborted). */
export class PartError extends Error {
  constructor(kind, message, httpStatus = 0) {
    super(message);
    this.kind = kind;
    this.httpStatus = httpStatus;
    this.retryable = true;
  }
}

/** The Code and Message of an S3 XML error body, when the browser lets us read it. */
export function s3Error(text) {
  if (!text) return { code: "", message: "" };
  const doc = new DOMParser().parseFromString(text, "application/xml");
  const field = (name) => doc.getElementsByTagName(name)[0]?.textContent?.trim() || "";
  return { code: field("Code"), message: field("Message") };
}

/** The plain explanation of a part whose ETag the page cannot read. */
export function etagHiddenMessage(partNumber, url) {
  return `The bucket stored part ${partNumber}, but this page cannot read the part's ETag: ` +
    `the bucket's CORS rule does not expose the ETag header (ExposeHeaders: ETag) to ` +
    `${window.location.origin}. Without the ETag the upload cannot be completed. ` +
    `Run "gateway bucket setup" (it sets that rule on ${new URL(url).origin}), then Retry.`;
}

/** The plain explanation of a PUT the browser refused to send or to show us. */
export function corsRefusedMessage(url, pageOrigin) {
  return `The bucket at ${new URL(url).origin} answers, but refused this page's cross-origin ` +
    `PUT: its CORS rule must allow origin ${pageOrigin} with method PUT. Run ` +
    `"gateway bucket setup" with ${pageOrigin} in GATEWAY_CORS_ORIGINS, then Retry.`;
}

/**
 * A PUT that got no answer: the network, or a CORS refusal the browser hides from scripts.
 * If the bucket's host answers a plain (no-cors) request, it is CORS: throws the problem.
 */
export async function explainNetworkFailure(url) {
  if (!url) return;
  try {
    await fetch(`${new URL(url).origin}/`, { mode: "no-cors", cache: "no-store" });
  } catch {
    return; // the host does not answer either: the network, worth retrying
  }
  throw new UploadProblem(corsRefusedMessage(url, window.location.origin));
}

/**
 * PUT `body` to `url`; `done` resolves to the part's ETag. XMLHttpRequest rather than fetch
 * because only it reports upload progress.
 */
export function sendPart(url, body, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open("PUT", url);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        const etag = xhr.getResponseHeader("ETag");
        if (etag) resolve(etag.trim());
        else reject(new UploadProblem(etagHiddenMessage(partNumberOf(url), url)));
        return;
      }
      const { code, message } = s3Error(xhr.responseText);
      const said = `the bucket answered HTTP ${xhr.status}${code ? ` ${code}` : ""}` +
        `${message ? `: ${message}` : ""}`;
      if (xhr.status === 403) reject(new PartError("denied", said, xhr.status));
      else if (xhr.status === 408 || xhr.status === 429 || xhr.status >= 500) {
        reject(new PartError("transient", said, xhr.status));
      } else reject(new UploadProblem(`Part ${partNumberOf(url)}: ${said}.`));
    };
    xhr.onerror = () => reject(new PartError("network", "the PUT to the bucket got no answer"));
    xhr.ontimeout = () => reject(new PartError("network", "the PUT to the bucket timed out"));
    xhr.onabort = () => reject(new PartError("aborted", "stopped"));
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}

function partNumberOf(url) {
  return new URL(url).searchParams.get("partNumber") || "?";
}
