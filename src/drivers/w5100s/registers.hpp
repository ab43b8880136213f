// W5100S register map and bit values (facts from the datasheet, see docs reference §3). Addresses are the
// 16-bit SPI addresses; 16-bit registers are big-endian (high byte at the lower address).
#pragma once

#include <cstdint>

namespace picohub::w5100s::reg {

// SPI frame opcodes: opcode, address high, address low, then data bytes (address auto-increments).
inline constexpr std::uint8_t op_write = 0xF0;
inline constexpr std::uint8_t op_read = 0x0F;

// Common registers.
inline constexpr std::uint16_t MR = 0x0000;
inline constexpr std::uint16_t GAR = 0x0001;   // 4 bytes
inline constexpr std::uint16_t SUBR = 0x0005;  // 4 bytes
inline constexpr std::uint16_t SHAR = 0x0009;  // 6 bytes
inline constexpr std::uint16_t SIPR = 0x000F;  // 4 bytes
inline constexpr std::uint16_t IR = 0x0015;
inline constexpr std::uint16_t IMR = 0x0016;
inline constexpr std::uint16_t RTR = 0x0017;  // 16 bit, 100 us units
inline constexpr std::uint16_t RCR = 0x0019;
inline constexpr std::uint16_t RMSR = 0x001A;  // RX size per socket, 2 bits each, socket 0 in bits 1:0
inline constexpr std::uint16_t TMSR = 0x001B;  // TX size, same encoding
inline constexpr std::uint16_t MR2 = 0x0030;
inline constexpr std::uint16_t PHYSR = 0x003C;
inline constexpr std::uint16_t VERSIONR = 0x0080;

inline constexpr std::uint8_t mr_reset = 0x80;              // self-clearing software reset
inline constexpr std::uint8_t physr_link_up = 0x01;         // LNK
inline constexpr std::uint8_t mr2_interrupt_enable = 0x40;  // G_IEN: INTn pin driven
inline constexpr std::uint8_t expected_version = 0x51;

// Socket registers: socket n at 0x0400 + 0x100 * n.
inline constexpr int socket_count = 4;
inline constexpr std::uint16_t socket_base(int n) { return static_cast<std::uint16_t>(0x0400 + 0x100 * n); }
inline constexpr std::uint16_t Sn_MR = 0x00;
inline constexpr std::uint16_t Sn_CR = 0x01;
inline constexpr std::uint16_t Sn_IR = 0x02;
inline constexpr std::uint16_t Sn_SR = 0x03;
inline constexpr std::uint16_t Sn_PORT = 0x04;   // 16 bit
inline constexpr std::uint16_t Sn_DIPR = 0x0C;   // 4 bytes
inline constexpr std::uint16_t Sn_DPORT = 0x10;  // 16 bit
inline constexpr std::uint16_t Sn_TX_FSR = 0x20;
inline constexpr std::uint16_t Sn_TX_RD = 0x22;
inline constexpr std::uint16_t Sn_TX_WR = 0x24;
inline constexpr std::uint16_t Sn_RX_RSR = 0x26;
inline constexpr std::uint16_t Sn_RX_RD = 0x28;
inline constexpr std::uint16_t Sn_RX_WR = 0x2A;
inline constexpr std::uint16_t Sn_IMR = 0x2C;

// Sn_MR protocol.
inline constexpr std::uint8_t mode_closed = 0x00;
inline constexpr std::uint8_t mode_tcp = 0x01;
inline constexpr std::uint8_t mode_udp = 0x02;

// Sn_CR commands: the register reads 0 again once the chip has accepted the command.
inline constexpr std::uint8_t cmd_open = 0x01;
inline constexpr std::uint8_t cmd_listen = 0x02;
inline constexpr std::uint8_t cmd_connect = 0x04;
inline constexpr std::uint8_t cmd_discon = 0x08;
inline constexpr std::uint8_t cmd_close = 0x10;
inline constexpr std::uint8_t cmd_send = 0x20;
inline constexpr std::uint8_t cmd_recv = 0x40;

// Sn_IR bits: cleared by writing 1 to them.
inline constexpr std::uint8_t ir_sendok = 0x10;
inline constexpr std::uint8_t ir_timeout = 0x08;
inline constexpr std::uint8_t ir_recv = 0x04;
inline constexpr std::uint8_t ir_discon = 0x02;
inline constexpr std::uint8_t ir_con = 0x01;

// Sn_SR states.
inline constexpr std::uint8_t sock_closed = 0x00;
inline constexpr std::uint8_t sock_init = 0x13;
inline constexpr std::uint8_t sock_listen = 0x14;
inline constexpr std::uint8_t sock_synsent = 0x15;
inline constexpr std::uint8_t sock_synrecv = 0x16;
inline constexpr std::uint8_t sock_established = 0x17;
inline constexpr std::uint8_t sock_fin_wait = 0x18;
inline constexpr std::uint8_t sock_closing = 0x1A;
inline constexpr std::uint8_t sock_time_wait = 0x1B;
inline constexpr std::uint8_t sock_close_wait = 0x1C;
inline constexpr std::uint8_t sock_last_ack = 0x1D;
inline constexpr std::uint8_t sock_udp = 0x22;

// Socket buffer memory: 8 KiB each way, shared by the four sockets in socket order.
inline constexpr std::uint16_t tx_memory = 0x4000;
inline constexpr std::uint16_t rx_memory = 0x6000;
inline constexpr std::uint16_t memory_size = 0x2000;

// UDP receive: every datagram is preceded by peer IP (4), peer port (2, BE), payload length (2, BE).
inline constexpr std::uint16_t udp_header_size = 8;

}  // namespace picohub::w5100s::reg
