// UF2 files for the RP2040 and the boot2 check its bootrom makes, as facts (no code from elsewhere):
// 512-byte blocks, little-endian; magics at 0, 4 and 508; flags at 8 (0x2000: family id at 28); target address
// at 12; payload size at 16; block number/count at 20/24; payload from 32. The bootrom takes only blocks with
// the RP2040 family (0xE48BFF56), a 256-byte payload and a 256-aligned flash target, and boots only if the
// CRC-32/MPEG-2 of flash bytes 0..251 equals the little-endian word at 252.

export const UF2_BLOCK_SIZE = 512;
export const UF2_MAGIC_START0 = 0x0a324655;
export const UF2_MAGIC_START1 = 0x9e5d5157;
export const UF2_MAGIC_END = 0x0ab16f30;
export const UF2_FLAG_NOT_MAIN_FLASH = 0x00000001;
export const UF2_FLAG_FAMILY_ID_PRESENT = 0x00002000;
export const RP2040_FAMILY_ID = 0xe48bff56;
export const FLASH_BASE = 0x10000000;
export const FLASH_WINDOW = 16 * 1024 * 1024;

export class Uf2Error extends Error {}

// Parses and checks every block; returns [{ target, data (Uint8Array, 256 bytes), blockNo, numBlocks }].
export function parseUf2(bytes) {
  const buffer = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (buffer.length === 0) throw new Uf2Error('UF2 file is empty');
  if (buffer.length % UF2_BLOCK_SIZE !== 0) throw new Uf2Error(`UF2 size ${buffer.length} is not a multiple of 512`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const blocks = [];
  const count = buffer.length / UF2_BLOCK_SIZE;
  for (let n = 0; n < count; n++) {
    const at = n * UF2_BLOCK_SIZE;
    const word = (offset) => view.getUint32(at + offset, true);
    if (word(0) !== UF2_MAGIC_START0 || word(4) !== UF2_MAGIC_START1 || word(508) !== UF2_MAGIC_END) {
      throw new Uf2Error(`UF2 block ${n}: wrong magic number (not a UF2 file, or damaged)`);
    }
    const flags = word(8);
    if (!(flags & UF2_FLAG_FAMILY_ID_PRESENT) || word(28) !== RP2040_FAMILY_ID) {
      throw new Uf2Error(`UF2 block ${n}: not for the RP2040 (family 0x${word(28).toString(16)})`);
    }
    if (flags & UF2_FLAG_NOT_MAIN_FLASH) throw new Uf2Error(`UF2 block ${n}: not for main flash`);
    const target = word(12);
    const size = word(16);
    if (size !== 256) throw new Uf2Error(`UF2 block ${n}: payload of ${size} bytes (the RP2040 takes 256)`);
    if (target % 256 !== 0 || target < FLASH_BASE || target + 256 > FLASH_BASE + FLASH_WINDOW) {
      throw new Uf2Error(`UF2 block ${n}: target 0x${target.toString(16)} is not a 256-aligned flash address`);
    }
    blocks.push({ target, data: buffer.slice(at + 32, at + 32 + 256), blockNo: word(20), numBlocks: word(24) });
  }
  return blocks;
}

// Writes the blocks into a flash array that starts at FLASH_BASE (rp2040js's mcu.flash).
export function writeBlocksToFlash(blocks, flash) {
  for (const block of blocks) {
    const offset = block.target - FLASH_BASE;
    if (offset + 256 > flash.length) throw new Uf2Error(`UF2 target 0x${block.target.toString(16)} beyond flash`);
    flash.set(block.data, offset);
  }
}

export function crc32Mpeg2(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

// What the bootrom checks before it runs boot2: { ok, stored, computed }.
export function checkBoot2(flash) {
  const computed = crc32Mpeg2(flash.subarray(0, 252));
  const stored = (flash[252] | (flash[253] << 8) | (flash[254] << 16) | (flash[255] << 24)) >>> 0;
  return { ok: computed === stored, stored, computed };
}

// A UF2 for one contiguous image at `base` (the test images; `picohub board uf2` writes the real ones).
export function encodeUf2(image, base = FLASH_BASE) {
  const count = Math.ceil(image.length / 256);
  const out = new Uint8Array(count * UF2_BLOCK_SIZE);
  const view = new DataView(out.buffer);
  for (let n = 0; n < count; n++) {
    const at = n * UF2_BLOCK_SIZE;
    const words = [UF2_MAGIC_START0, UF2_MAGIC_START1, UF2_FLAG_FAMILY_ID_PRESENT, base + n * 256, 256, n, count,
      RP2040_FAMILY_ID];
    words.forEach((word, i) => view.setUint32(at + i * 4, word, true));
    const page = new Uint8Array(256).fill(0xff);
    page.set(image.subarray(n * 256, n * 256 + 256));
    out.set(page, at + 32);
    view.setUint32(at + 508, UF2_MAGIC_END, true);
  }
  return out;
}
