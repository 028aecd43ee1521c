// CRC32C (Castagnoli), the checksum S3 calls x-amz-checksum-crc32c.
// crc32c() extends a finished CRC with more bytes (like google-crc32c's extend), so a part
// can be checksummed chunk by chunk; crc32cCombine() joins the CRCs of adjacent byte runs,
// so parts read in any order still give the whole file's CRC without reading it twice.

const POLY = 0x82f63b78; // the Castagnoli polynomial, bit-reversed

// Eight 256-entry tables for slicing-by-8: eight bytes per step instead of one.
const TABLE = (() => {
  const table = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n];
    for (let slice = 1; slice < 8; slice++) {
      c = table[c & 0xff] ^ (c >>> 8);
      table[slice * 256 + n] = c;
    }
  }
  return table;
})();

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The CRC32C of `bytes` (a Uint8Array), continuing from the CRC of what came before. */
export function crc32c(bytes, previous = 0) {
  const t = TABLE;
  const n = bytes.length;
  let c = ~previous;
  let i = 0;
  // Bytes one by one up to a 4-byte boundary, then 8 at a time as two 32-bit words.
  while (i < n && (bytes.byteOffset + i) % 4 !== 0) c = t[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  if (LITTLE_ENDIAN && n - i >= 8) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, ((n - i) >>> 3) * 2);
    for (let w = 0; w < words.length; w += 2) {
      const low = c ^ words[w];
      const high = words[w + 1];
      c = t[1792 + (low & 0xff)] ^ t[1536 + ((low >>> 8) & 0xff)]
        ^ t[1280 + ((low >>> 16) & 0xff)] ^ t[1024 + (low >>> 24)]
        ^ t[768 + (high & 0xff)] ^ t[512 + ((high >>> 8) & 0xff)]
        ^ t[256 + ((high >>> 16) & 0xff)] ^ t[high >>> 24];
    }
    i += words.length * 4;
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// a(x) * b(x) modulo the polynomial, in the reflected bit order the CRC uses.
function multiplyModP(a, b) {
  if (a === 0) return 0;
  let m = 0x80000000;
  let product = 0;
  for (;;) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

// X_POW_2K[k] = x^(2^k) modulo the polynomial.
const X_POW_2K = (() => {
  const powers = new Uint32Array(64);
  let p = 0x40000000; // x^1
  powers[0] = p;
  for (let k = 1; k < 64; k++) powers[k] = p = multiplyModP(p, p);
  return powers;
})();

// x^(8 * byteCount) modulo the polynomial: the effect of appending byteCount zero bytes.
function zeroBytesOperator(byteCount) {
  let p = 0x80000000; // x^0
  let k = 3; // 8 bits per byte = 2^3
  let n = byteCount; // may exceed 2^32 (parts up to 5 GiB), so no bitwise ops on it
  while (n > 0) {
    if (n % 2 === 1) p = multiplyModP(X_POW_2K[k % 64], p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** The CRC32C of A followed by B, from crcA, crcB and B's length in bytes. */
export function crc32cCombine(crcA, crcB, lengthB) {
  if (lengthB === 0) return crcA >>> 0;
  return (multiplyModP(zeroBytesOperator(lengthB), crcA) ^ crcB) >>> 0;
}

/** A CRC as S3 writes it: base64 of its four big-endian bytes. */
export function crc32cBase64(crc) {
  return btoa(String.fromCharCode((crc >>> 24) & 0xff, (crc >>> 16) & 0xff,
    (crc >>> 8) & 0xff, crc & 0xff));
}

/** A CRC as eight hex digits. */
export function crc32cHex(crc) {
  return (crc >>> 0).toString(16).padStart(8, "0");
}

/** The CRC32C of a Blob (a File or a slice of one), read in chunks; `onChunk(n)` reports progress. */
export async function crc32cOfBlob(blob, onChunk = () => {}) {
  if (blob.size <= 64 * 1024 * 1024) {
    // One read is fastest for ordinary part sizes.
    const bytes = new Uint8Array(await blob.arrayBuffer());
    onChunk(bytes.length);
    return crc32c(bytes);
  }
  const reader = blob.stream().getReader();
  let crc = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return crc;
    crc = crc32c(value, crc);
    onChunk(value.length);
  }
}
