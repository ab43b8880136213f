#!/usr/bin/env node
// Damages the config block of a UF2 made by `picohub board uf2`, the ways a board can meet one, for the bad-config
// end-to-end test:
//
//   node config_sector.mjs IN.uf2 OUT.uf2 MUTATION
//     no-config      drop every block of the config sector (a firmware-only UF2: the sector stays erased)
//     bad-crc        change one payload byte and leave the CRC as it was (a damaged or partly written flash)
//     version=N      set the header's format version to N and fix the CRC (a block from another picohub)
//     no-device-id   remove DeviceId=...; from the connection string and fix lengths and CRC (a block written by
//                    hand or by a broken tool: the encoder refuses it)
//
// The block layout is the one src/provisioning/config_block.hpp documents: 16-byte header (magic, version u16,
// header size u16, payload length u32, zlib CRC-32 u32 over header bytes 0..11 and the payload), then records
// tag u8 | length u16 | value.
import { readFileSync, writeFileSync } from 'node:fs';

const BLOCK = 512, PAGE = 256;
const CONFIG_SECTOR = 0x101f0000, SECTOR_SIZE = 64 * 1024;

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const [input, output, mutation] = process.argv.slice(2);
if (!input || !output || !mutation) {
  process.stderr.write('usage: config_sector.mjs IN.uf2 OUT.uf2 no-config|bad-crc|version=N|no-device-id\n');
  process.exit(2);
}
const uf2 = readFileSync(input);
const blocks = [];
for (let at = 0; at < uf2.length; at += BLOCK) blocks.push(Buffer.from(uf2.subarray(at, at + BLOCK)));
const target = (b) => b.readUInt32LE(12);
const inSector = (b) => target(b) >= CONFIG_SECTOR && target(b) < CONFIG_SECTOR + SECTOR_SIZE;

function writeBlocks(list) {
  list.forEach((b, n) => {
    b.writeUInt32LE(n, 20);
    b.writeUInt32LE(list.length, 24);
  });
  writeFileSync(output, Buffer.concat(list));
}

if (mutation === 'no-config') {
  writeBlocks(blocks.filter((b) => !inSector(b)));
  process.exit(0);
}

const sector = Buffer.alloc(SECTOR_SIZE, 0xff);
for (const b of blocks.filter(inSector)) b.copy(sector, target(b) - CONFIG_SECTOR, 32, 32 + PAGE);
const length = sector.readUInt32LE(8);
const fixCrc = () => {
  const payloadLength = sector.readUInt32LE(8);
  const crc = crc32(Buffer.concat([sector.subarray(0, 12), sector.subarray(16, 16 + payloadLength)]));
  sector.writeUInt32LE(crc, 12);
};

if (mutation === 'bad-crc') {
  sector[16 + length - 1] ^= 0x01;
} else if (mutation.startsWith('version=')) {
  sector.writeUInt16LE(Number(mutation.slice(8)), 4);
  fixCrc();
} else if (mutation === 'no-device-id') {
  const records = [];
  for (let at = 16; at < 16 + length;) {
    const tag = sector[at], size = sector.readUInt16LE(at + 1);
    let value = Buffer.from(sector.subarray(at + 3, at + 3 + size));
    if (tag === 1) value = Buffer.from(value.toString('utf8').replace(/(^|;)DeviceId=[^;]*/, '').replace(/^;/, ''));
    records.push(Buffer.concat([Buffer.from([tag, value.length & 0xff, value.length >> 8]), value]));
    at += 3 + size;
  }
  const payload = Buffer.concat(records);
  sector.fill(0xff, 16);
  payload.copy(sector, 16);
  sector.writeUInt32LE(payload.length, 8);
  fixCrc();
} else {
  process.stderr.write(`config_sector.mjs: unknown mutation ${mutation}\n`);
  process.exit(2);
}
for (const b of blocks.filter(inSector)) sector.copy(b, 32, target(b) - CONFIG_SECTOR, target(b) - CONFIG_SECTOR + PAGE);
writeBlocks(blocks);
