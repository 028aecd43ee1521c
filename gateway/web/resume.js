// What the page remembers about unfinished uploads, in localStorage so that it survives a
// reload or a browser crash. Records hold no secret: the API key stays in sessionStorage.

const STORAGE_KEY = "gateway.uploads.v1";

/** The identity of a chosen file: what the browser tells us without reading it. */
export function fingerprint(file) {
  return [file.name, file.size, file.lastModified, file.type].join("\u0000");
}

export class ResumeBook {
  constructor(storage = window.localStorage) {
    this.storage = storage;
  }

  /** Every record, keyed by fingerprint. */
  all() {
    try {
      return JSON.parse(this.storage.getItem(STORAGE_KEY) || "{}");
    } catch {
      return {};
    }
  }

  /** The record of this file, if an upload of it was started here. */
  find(file) {
    return this.all()[fingerprint(file)] || null;
  }

  /** Save or replace the record of this file. */
  save(file, record) {
    const records = this.all();
    records[fingerprint(file)] = { ...record, updated_at: new Date().toISOString() };
    this.write(records);
  }

  /** Remember one part's CRC32C once the gateway has its token. */
  savePartChecksums(file, uploadId, checksums) {
    const records = this.all();
    const record = records[fingerprint(file)];
    if (!record || record.upload_id !== uploadId) return;
    Object.assign(record.part_crc32c, checksums);
    record.updated_at = new Date().toISOString();
    this.write(records);
  }

  /** Forget a record by fingerprint. */
  remove(key) {
    const records = this.all();
    delete records[key];
    this.write(records);
  }

  write(records) {
    try {
      this.storage.setItem(STORAGE_KEY, JSON.stringify(records));
    } catch {
      // A full or disabled storage only costs the ability to resume after a reload.
    }
  }
}
