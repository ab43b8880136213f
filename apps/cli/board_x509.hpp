// `picohub board uf2 --cert --cert-key`: the device certificate and key as the board stores them (config records
// 14 and 15): the certificate as DER, the key as its raw P-256 scalar, so the firmware needs no PEM or key parser.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace picohub::cli {

struct BoardCertificate {
  std::vector<std::uint8_t> der;
  std::vector<std::uint8_t> scalar;  // 32 bytes, big-endian; a secret
  std::string subject;               // for the summary
  std::string sha1_thumbprint;
};

// Reads both PEM files. Refuses (with a sentence that says why) an unreadable file, a certificate that does not
// parse or is too large for the board, a key that does not parse, is not on P-256, or is not the certificate's.
tl::expected<BoardCertificate, std::string> load_board_certificate(const std::string& cert_path,
                                                                   const std::string& key_path);

}  // namespace picohub::cli
