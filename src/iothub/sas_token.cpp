#include "iothub/sas_token.hpp"

#include <array>

#include "common/decimal.hpp"
#include "iothub/base64.hpp"
#include "iothub/hmac_sha256.hpp"
#include "iothub/text_writer.hpp"
#include "iothub/url_encoding.hpp"

namespace picohub::iothub {
namespace {

constexpr std::string_view token_prefix = "SharedAccessSignature";

// HMAC-SHA256 over the concatenation of up to three parts, so callers never need a scratch buffer.
Result<void> hmac_sha256(std::span<const std::uint8_t> key, std::string_view a, std::string_view b, std::string_view c,
                         HmacSha256::Mac& mac) noexcept {
  HmacSha256 hmac(key);
  hmac.update(a);
  hmac.update(b);
  hmac.update(c);
  return hmac.finish(mac);
}

Result<std::string_view> signature_of(std::string_view key_base64, std::string_view a, std::string_view b,
                                      std::string_view c, std::span<char> out) noexcept {
  std::array<std::uint8_t, max_sas_key_bytes> key{};
  auto key_len = base64_decode(key_base64, key, Base64Mode::lenient);
  if (!key_len) return fail(Errc::invalid_argument, "the shared access key is not valid base64 (or over 128 bytes)");
  if (*key_len == 0) return fail(Errc::invalid_argument, "the shared access key is empty");
  HmacSha256::Mac mac{};
  auto ok = hmac_sha256(std::span<const std::uint8_t>(key.data(), *key_len), a, b, c, mac);
  key.fill(0);
  if (!ok) return tl::unexpected(ok.error());
  return base64_encode(mac, out);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

Result<std::string_view> sas_signature(std::string_view string_to_sign, std::string_view key_base64,
                                       std::span<char> out) noexcept {
  return signature_of(key_base64, string_to_sign, {}, {}, out);
}

Result<std::string_view> make_sas_token(const SasTokenRequest& request, std::span<char> out) noexcept {
  if (request.resource.empty()) return fail(Errc::invalid_argument, "the SAS resource (sr) is empty");
  TextWriter w{out};
  w.text(token_prefix);
  w.text(" sr=");
  const std::size_t sr_begin = w.n;
  w.encoded(request.resource);
  const std::size_t sr_end = w.n;
  w.text("&sig=");
  if (w.overflow) return fail(Errc::too_large, "buffer too small for the SAS token");
  // se is signed exactly as written into the token.
  std::array<char, 24> se_text{};
  const char* se_end = write_decimal(se_text.data(), se_text.data() + se_text.size(), request.expiry_unix);  // 24 > 20
  const std::string_view se(se_text.data(), static_cast<std::size_t>(se_end - se_text.data()));
  std::array<char, sas_signature_size> sig{};
  auto s = signature_of(request.key_base64, std::string_view(out.data() + sr_begin, sr_end - sr_begin), "\n", se, sig);
  if (!s) return tl::unexpected(s.error());
  w.encoded(*s);
  w.text("&se=");
  w.text(se);
  if (!request.policy_name.empty()) {
    w.text("&skn=");
    w.encoded(request.policy_name);
  }
  return w.result("buffer too small for the SAS token");
}

Result<std::string_view> device_resource(std::string_view host, std::string_view device, std::string_view module,
                                         std::span<char> out) noexcept {
  if (host.empty() || device.empty()) return fail(Errc::invalid_argument, "host name and device id are required");
  TextWriter w{out};
  w.text(host);
  w.text("/devices/");
  w.text(device);
  if (!module.empty()) {
    w.text("/modules/");
    w.text(module);
  }
  return w.result("buffer too small for the SAS resource");
}

Result<std::string_view> dps_resource(std::string_view id_scope, std::string_view registration_id,
                                      std::span<char> out) noexcept {
  if (id_scope.empty() || registration_id.empty())
    return fail(Errc::invalid_argument, "id scope and registration id are required");
  TextWriter w{out};
  w.text(id_scope);
  w.text("/registrations/");
  w.text(registration_id);
  return w.result("buffer too small for the DPS resource");
}

Result<std::string_view> derive_device_key(std::string_view group_key_base64, std::string_view registration_id,
                                           std::span<char> out) noexcept {
  if (registration_id.empty()) return fail(Errc::invalid_argument, "registration id is empty");
  return signature_of(group_key_base64, registration_id, {}, {}, out);
}

Result<SasTokenFields> parse_sas_token(std::string_view token) noexcept {
  // Exactly two whitespace-separated parts.
  std::string_view parts[2];
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < token.size()) {
    while (i < token.size() && is_space(token[i])) ++i;
    if (i == token.size()) break;
    const std::size_t start = i;
    while (i < token.size() && !is_space(token[i])) ++i;
    if (count == 2) return fail(Errc::malformed, "SAS token has more than two space-separated parts");
    parts[count++] = token.substr(start, i - start);
  }
  if (count != 2 || parts[0] != token_prefix)
    return fail(Errc::malformed, "SAS token must be \"SharedAccessSignature sr=...&sig=...&se=...\"");

  SasTokenFields f;
  bool have_sr = false;
  bool have_sig = false;
  bool have_se = false;
  std::string_view rest = parts[1];
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view field = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (field.empty()) continue;
    const std::size_t eq = field.find('=');
    if (eq == std::string_view::npos) return fail(Errc::malformed, "SAS token field has no '='");
    const std::string_view name = field.substr(0, eq);
    const std::string_view value = field.substr(eq + 1);
    bool* seen = nullptr;
    if (iequals(name, "sr")) {
      seen = &have_sr;
      f.sr = value;
    } else if (iequals(name, "sig")) {
      seen = &have_sig;
      f.sig = value;
    } else if (iequals(name, "se")) {
      seen = &have_se;
      f.se_raw = value;
    } else if (iequals(name, "skn")) {
      seen = &f.has_skn;
      f.skn = value;
    } else {
      continue;  // unknown fields are ignored, as the hub does
    }
    if (*seen) return fail(Errc::malformed, "SAS token repeats a field");
    *seen = true;
  }
  if (!have_sr || f.sr.empty()) return fail(Errc::malformed, "SAS token has no sr (resource)");
  if (!have_sig || f.sig.empty()) return fail(Errc::malformed, "SAS token has no sig (signature)");
  if (!have_se || f.se_raw.empty()) return fail(Errc::malformed, "SAS token has no se (expiry)");
  if (f.se_raw.size() > 20) return fail(Errc::malformed, "SAS token se is not a unix time in seconds");
  std::uint64_t se = 0;
  for (char c : f.se_raw) {
    if (c < '0' || c > '9') return fail(Errc::malformed, "SAS token se is not a unix time in seconds");
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (se > (UINT64_MAX - digit) / 10) return fail(Errc::malformed, "SAS token se is not a unix time in seconds");
    se = se * 10 + digit;
  }
  f.se = se;
  return f;
}

Result<void> verify_sas_token(const SasTokenFields& fields, std::string_view key_base64) noexcept {
  // The sig is decoded the way the hub decodes it (WebUtility.UrlDecode): %XX and '+' as space, so a client
  // that forgot to encode '+' fails here just as it would against the real hub.
  std::array<char, 96> given{};
  std::size_t given_len = 0;
  for (std::size_t j = 0; j < fields.sig.size(); ++j) {
    if (given_len == given.size()) return fail(Errc::auth_refused, "SAS signature does not match the key");
    char c = fields.sig[j];
    if (c == '%') {
      const int hi = j + 2 < fields.sig.size() ? hex_value(fields.sig[j + 1]) : -1;
      const int lo = j + 2 < fields.sig.size() ? hex_value(fields.sig[j + 2]) : -1;
      if (hi < 0 || lo < 0) return fail(Errc::auth_refused, "SAS signature is not valid url-encoded text");
      c = static_cast<char>(hi * 16 + lo);
      j += 2;
    } else if (c == '+') {
      c = ' ';
    }
    given[given_len++] = c;
  }
  std::array<char, sas_signature_size> expected{};
  auto e = signature_of(key_base64, fields.sr, "\n", fields.se_raw, expected);
  if (!e) return tl::unexpected(e.error());
  if (given_len != e->size()) return fail(Errc::auth_refused, "SAS signature does not match the key");
  unsigned diff = 0;
  for (std::size_t j = 0; j < given_len; ++j)
    diff |= static_cast<unsigned>(static_cast<unsigned char>(given[j]) ^ static_cast<unsigned char>((*e)[j]));
  if (diff != 0) return fail(Errc::auth_refused, "SAS signature does not match the key");
  return {};
}

}  // namespace picohub::iothub
