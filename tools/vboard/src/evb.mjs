// The W5100S-EVB-Pico's board around the RP2040: the W5100S on SPI0 (CSn = GP17 as a SIO output, RSTn =
// GP20, INTn = GP21, open drain with the pull-up), the virtual LAN behind it, and the ROSC model.
import { GPIOPinState } from 'rp2040js';

import { VirtualLan } from './lan/virtual-lan.mjs';
import { attachRosc } from './rosc.mjs';
import { W5100S } from './w5100s.mjs';

const PIN_CS = 17, PIN_RESET = 20, PIN_INT = 21, PIN_LED = 25;

// Emulated time for the models: rp2040js clock alarms.
export function clockScheduler(clock) {
  return {
    nowNanos: () => clock.nanos,
    after(nanos, fn) {
      const alarm = clock.createAlarm(fn);
      alarm.schedule(Math.max(0, nanos));
      return () => alarm.cancel();
    },
  };
}

// The on-die sensor (ADC input 4): 0.706 V at 27 °C, -1.721 mV per °C, 12 bits over 3.3 V.
export function setTemperature(mcu, celsius) {
  const volts = 0.706 - (celsius - 27) * 0.001721;
  mcu.adc.channelValues[4] = Math.max(0, Math.min(4095, Math.round((volts / 3.3) * 4095)));
}

// The green user LED on GP25 (high = lit): each change once, with the emulated time it happened.
function traceLed(board, onLed) {
  let lit = null;
  board.mcu.gpio[PIN_LED].addListener((state) => {
    const on = state === GPIOPinState.High;
    if (on === lit) return;
    lit = on;
    onLed(on, board.clock.nanos);
  });
}

// options: { hosts, bridges, sntpSkewMs, temperatureC, rosc: 'random' | 'stuck', log, onLed(on, nanos) }
export function attachEvb(board, options = {}) {
  const { mcu } = board;
  const scheduler = clockScheduler(board.clock);
  const log = options.log ?? (() => {});
  const lan = new VirtualLan({ scheduler, hosts: options.hosts ?? [], bridges: options.bridges ?? [],
    sntpSkewMs: options.sntpSkewMs ?? 0, log });
  const intPin = mcu.gpio[PIN_INT];
  intPin.setInputValue(true);  // released: the board's pull-up
  const chip = new W5100S({
    scheduler, lan, log,
    onInterrupt: (asserted) => intPin.setInputValue(!asserted),  // only called on a change (rp2040js re-latches)
  });
  lan.attach(chip);

  // A byte takes 8 SPI clocks on the wire; the chip answers with it when the last bit is in.
  const spi = board.spi0;
  let rxByte = 0;
  const byteDone = board.clock.createAlarm(() => spi.completeTransmit(rxByte));
  spi.onTransmit = (value) => {
    rxByte = chip.transfer(value & 0xff);
    const hz = spi.clockFrequency;
    byteDone.schedule(hz > 0 ? Math.ceil(8e9 / hz) : 0);
  };
  mcu.gpio[PIN_CS].addListener((state) => (state === GPIOPinState.Low ? chip.select() : chip.deselect()));
  mcu.gpio[PIN_RESET].addListener((state) => chip.setResetPin(state !== GPIOPinState.Low));

  if (options.onLed) traceLed(board, options.onLed);

  setTemperature(mcu, options.temperatureC ?? 24);
  mcu.adc.channelValues[3] = Math.round((5.0 / 3 / 3.3) * 4095);  // GP29: VSYS / 3 from USB's 5 V

  const rosc = attachRosc(mcu, { stuck: options.rosc === 'stuck' });
  board.realtimeGate = () => lan.realTime;
  return { chip, lan, rosc };
}
