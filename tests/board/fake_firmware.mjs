// Writes a stand-in for picohub-firmware.bin (raw image from 0x10000000, boot2 with a valid CRC) that prints
// what the real firmware prints on a bare board, so boot_smoke.sh itself is tested before the firmware exists.
import { writeFileSync } from 'node:fs';

import { makeImage } from '../../tools/vboard/test/thumb.mjs';

// Usage: node fake_firmware.mjs OUTPUT.bin [MAC the config line should show]
// Usage: node fake_firmware.mjs OUTPUT.bin [the MAC its config line shows]
const [output, mac = '00:00:00:00:00:00'] = process.argv.slice(2);
writeFileSync(output, makeImage((a) => {
  a.puts('banner').puts('config').puts('entropy').label('retry').puts('w5100s').b('retry');
  a.align4()
    .label('banner').ascii('picohub-firmware 0.1.0 (stand-in) reset: power-on\r\n')
    .label('config').ascii(`config: device vboard-smoke, MAC ${mac}\r\n`)
    .label('entropy').ascii('entropy: ROSC health test FAILED (repetition count); TLS disabled\r\n')
    .label('w5100s').ascii('W5100S not responding (VERSIONR=0x00, expected 0x51); retrying in 2 s\r\n');
}));
