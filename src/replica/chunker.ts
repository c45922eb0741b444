/**
 * Chunkers (docs/format.md §Chunking). Files: FastCDC-style content-defined chunking with a 32-bit
 * gear hash whose table is keyed from the data key, so cut points reveal nothing without it. SQLite:
 * fixed 64 KiB chunks, always page-aligned. Both stream with memory bounded by the largest chunk.
 */
import { assertBytes } from '../crypto/assert.js'
import { hkdf } from '../crypto/kdf.js'

export interface CdcParams {
  readonly min: number
  readonly avg: number
  readonly max: number
}

/** docs/format.md §Chunking: min 256 KiB, average 1 MiB, max 4 MiB. */
export const CDC_PARAMS: CdcParams = { min: 256 * 1024, avg: 1024 * 1024, max: 4 * 1024 * 1024 }

/** Fixed chunk size for SQLite sources; a multiple of every legal SQLite page size (512..65536). */
export const SQLITE_CHUNK_SIZE = 64 * 1024

/** The gear hash window: bit 31 of the hash depends on the last 32 bytes and no others. */
const WINDOW = 32

/** 256 x u32 gear table from the keyed seed (HKDF-Expand, label "kith/v1/gear-table"). */
export function gearTable(gearSeed: Uint8Array): Uint32Array {
  assertBytes(gearSeed, 'gearSeed', 32)
  const bytes = hkdf(gearSeed, new Uint8Array(0), 'kith/v1/gear-table', 1024)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const table = new Uint32Array(256)
  for (let i = 0; i < 256; i++) table[i] = view.getUint32(i * 4, false)
  return table
}

/** Normalized chunking masks (FastCDC level 2): harder before `avg`, easier after, top bits only. */
function _masks(avg: number): [number, number] {
  const bits = Math.round(Math.log2(avg))
  const top = (n: number) => (0xffffffff << (32 - n)) | 0
  return [top(bits + 2), top(bits - 2)]
}

/**
 * Length of the chunk starting at `start` in buf[start, end), or -1 if more input is needed.
 * The hash at position i is a function of bytes (i-31..i) only, so the candidate cut points are
 * a property of the content, not of where the previous chunk ended.
 */
export function findCut(
  buf: Uint8Array,
  start: number,
  end: number,
  eof: boolean,
  gear: Uint32Array,
  p: CdcParams = CDC_PARAMS,
): number {
  const avail = end - start
  if (avail <= p.min) return eof ? avail : -1
  const [maskS, maskL] = _masks(p.avg)
  let h = 0
  for (let i = start + p.min - WINDOW; i < start + p.min; i++) h = ((h << 1) + gear[buf[i]!]!) | 0
  const normal = Math.min(start + p.avg, end)
  let i = start + p.min
  for (; i < normal; i++) {
    h = ((h << 1) + gear[buf[i]!]!) | 0
    if ((h & maskS) === 0) return i + 1 - start
  }
  const limit = Math.min(start + p.max, end)
  for (; i < limit; i++) {
    h = ((h << 1) + gear[buf[i]!]!) | 0
    if ((h & maskL) === 0) return i + 1 - start
  }
  if (limit === start + p.max) return p.max
  return eof ? avail : -1
}

/** Input is consumed in slices of at most this, so one huge input buffer cannot grow the window. */
const SLICE = 1024 * 1024

/** A byte window over an input stream; chunks leave it as owned copies. */
class Window {
  readonly buf: Uint8Array
  start = 0
  end = 0
  constructor(maxChunk: number) {
    this.buf = new Uint8Array(maxChunk + SLICE)
  }
  append(piece: Uint8Array): void {
    if (this.end + piece.length > this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end)
      this.end -= this.start
      this.start = 0
    }
    this.buf.set(piece, this.end)
    this.end += piece.length
  }
  take(length: number): Uint8Array {
    const out = this.buf.slice(this.start, this.start + length)
    this.start += length
    return out
  }
}

function* _slices(piece: Uint8Array): Generator<Uint8Array> {
  for (let o = 0; o < piece.length; o += SLICE) yield piece.subarray(o, o + SLICE)
}

/** Content-defined chunks of a byte stream. Memory: about `max` plus one input piece. */
export async function* chunkContentDefined(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  gear: Uint32Array,
  params: CdcParams = CDC_PARAMS,
): AsyncGenerator<Uint8Array> {
  const w = new Window(params.max)
  for await (const piece of input) {
    for (const slice of _slices(piece)) {
      w.append(slice)
      while (w.end - w.start >= params.max) yield w.take(findCut(w.buf, w.start, w.end, false, gear, params))
    }
  }
  while (w.end > w.start) yield w.take(findCut(w.buf, w.start, w.end, true, gear, params))
}

/** Fixed-size chunks (the last may be shorter). */
export async function* chunkFixed(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number = SQLITE_CHUNK_SIZE,
): AsyncGenerator<Uint8Array> {
  const w = new Window(size)
  for await (const piece of input) {
    for (const slice of _slices(piece)) {
      w.append(slice)
      while (w.end - w.start >= size) yield w.take(size)
    }
  }
  if (w.end > w.start) yield w.take(w.end - w.start)
}
