/* Second-stage boot for the W5100S-EVB-Pico's Winbond W25Q16JV (2 MiB SPI NOR).
 *
 * The bootrom copies the first 256 bytes of flash to SRAM, checks their CRC and runs this code. It sets up the
 * SSI (the QSPI controller behind the XIP window at 0x10000000) to serve XIP reads with the standard 03h READ
 * command: one data line, 24-bit address, no dummy cycles. Every SPI NOR implements 03h, so this needs no
 * status-register writes (nothing to get wrong for the QE bit) and survives any flash part; the price is XIP
 * misses about 3x slower than a quad read, which the 16 KiB XIP cache hides for a firmware of this size.
 * Clock: SCK = clk_sys / 4. The divisor stays after the application raises clk_sys to 125 MHz, giving
 * 31.25 MHz, inside the W25Q16JV's 03h limit (50 MHz); at boot (ROSC, <= ~12 MHz) it is just slower.
 *
 * Entered with LR = 0 from the bootrom: point VTOR at the application's vector table at 0x10000100, load its
 * stack pointer and jump to its reset handler. Entered with LR != 0 (called as a function): return.
 * Position independent (runs at 0x20041F00 on silicon and 0x10000000 in rp2040js): only PC-relative literals.
 * The build appends the CRC-32/MPEG-2 of the padded first 252 bytes (boot2_checksum.cmake). */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .equ SSI_BASE,       0x18000000
    .equ SSI_CTRLR0,     0x00
    .equ SSI_CTRLR1,     0x04
    .equ SSI_SSIENR,     0x08
    .equ SSI_BAUDR,      0x14
    .equ SSI_SPI_CTRLR0, 0xF4
    /* CTRLR0: SPI_FRF = 0 (standard SPI), DFS_32 = 31 (32-bit frames), TMOD = 3 (EEPROM read: send the
     * command + address, then receive). */
    .equ CTRLR0_XIP_03H, (0 << 21) | (31 << 16) | (3 << 8)
    /* SPI_CTRLR0: XIP_CMD = 0x03, WAIT_CYCLES = 0, INST_L = 2 (8-bit instruction), ADDR_L = 6 (24-bit address),
     * TRANS_TYPE = 0 (instruction and address on one line). */
    .equ SPI_CTRLR0_XIP_03H, (0x03 << 24) | (0 << 11) | (2 << 8) | (6 << 2) | 0
    .equ CLOCK_DIVISOR,  4
    .equ PPB_VTOR,       0xE000ED08
    .equ APP_VECTORS,    0x10000100

    .section .boot2, "ax"
    .global picohub_boot2_entry
    .type picohub_boot2_entry, %function
picohub_boot2_entry:
    push {lr}
    ldr r3, =SSI_BASE
    movs r0, #0
    str r0, [r3, #SSI_SSIENR]       /* registers are writable only while the SSI is disabled */
    movs r0, #CLOCK_DIVISOR
    str r0, [r3, #SSI_BAUDR]
    ldr r0, =CTRLR0_XIP_03H
    str r0, [r3, #SSI_CTRLR0]
    ldr r0, =SPI_CTRLR0_XIP_03H
    movs r1, #SSI_SPI_CTRLR0        /* offset 0xF4 is beyond a word store's immediate range */
    str r0, [r3, r1]
    movs r0, #0
    str r0, [r3, #SSI_CTRLR1]       /* NDF = 0: one 32-bit frame per XIP access */
    movs r0, #1
    str r0, [r3, #SSI_SSIENR]

    pop {r0}
    cmp r0, #0
    beq enter_application
    bx r0

enter_application:
    ldr r0, =APP_VECTORS
    ldr r1, =PPB_VTOR
    str r0, [r1]
    ldmia r0!, {r1, r2}             /* initial stack pointer, reset handler */
    msr msp, r1
    bx r2

    .ltorg
