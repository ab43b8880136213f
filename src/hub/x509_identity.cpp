#include "hub/x509_identity.hpp"

#include <mbedtls/oid.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include <array>
#include <cctype>
#include <cstring>  // MBEDTLS_OID_CMP expands to memcmp
#include <memory>

#include "hub/codec.hpp"

namespace picohub::hub {
namespace {

// Owns one parsed chain (mbedtls_x509_crt is a linked list with its own free).
struct Chain {
  mbedtls_x509_crt crt;
  Chain() { mbedtls_x509_crt_init(&crt); }
  ~Chain() { mbedtls_x509_crt_free(&crt); }
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;
};

std::string hex_upper(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 0x0F];
  }
  return out;
}

// Days since 1970-01-01 of a proleptic Gregorian date (400-year eras of 146097 days, years starting in March).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::int64_t unix_seconds(const mbedtls_x509_time& t) {
  return days_from_civil(t.year, t.mon, t.day) * 86400 + t.hour * 3600 + t.min * 60 + t.sec;
}

std::string common_name_of(const mbedtls_x509_name* name) {
  for (; name != nullptr; name = name->next) {
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &name->oid) == 0) {
      return std::string(reinterpret_cast<const char*>(name->val.p), name->val.len);
    }
  }
  return {};
}

CertificateInfo facts_of(const mbedtls_x509_crt& crt) {
  CertificateInfo info;
  std::array<unsigned char, 20> sha1{};
  std::array<unsigned char, 32> sha256{};
  mbedtls_sha1(crt.raw.p, crt.raw.len, sha1.data());
  mbedtls_sha256(crt.raw.p, crt.raw.len, sha256.data(), 0);
  info.sha1_thumbprint = hex_upper(sha1.data(), sha1.size());
  info.sha256_thumbprint = hex_upper(sha256.data(), sha256.size());
  char subject[512];
  if (mbedtls_x509_dn_gets(subject, sizeof subject, &crt.subject) > 0) info.subject = subject;
  info.common_name = common_name_of(&crt.subject);
  info.not_before_s = unix_seconds(crt.valid_from);
  info.not_after_s = unix_seconds(crt.valid_to);
  return info;
}

std::optional<std::string> validity_problem(const CertificateInfo& c, std::int64_t now_s, const char* which) {
  if (now_s < c.not_before_s) {
    return std::string(which) + " '" + c.subject + "' is not valid before " + iso8601_utc(c.not_before_s * 1000) +
           " (hub clock " + iso8601_utc(now_s * 1000) + ")";
  }
  if (now_s > c.not_after_s) {
    return std::string(which) + " '" + c.subject + "' expired at " + iso8601_utc(c.not_after_s * 1000) +
           " (hub clock " + iso8601_utc(now_s * 1000) + "); issue a new certificate";
  }
  return std::nullopt;
}

// Chain verification with the dates judged by the hub's clock, not mbedTLS's reading of the system clock.
struct VerifyState {
  std::int64_t now_s;
  std::optional<std::string> date_problem;
};

int judge_dates(void* state, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
  auto& s = *static_cast<VerifyState*>(state);
  *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
  if (!s.date_problem) s.date_problem = validity_problem(facts_of(*crt), s.now_s, depth == 0 ? "certificate" : "CA");
  return 0;
}

std::optional<std::string> check_chain(const X509Device& device, const mbedtls_x509_crt& leaf,
                                       const CertificateInfo& info, const std::vector<std::string>& ca_pems,
                                       std::int64_t now_s) {
  if (ca_pems.empty()) return "no CA is registered with the hub: register one with `picohub ca add NAME FILE.pem`";
  Chain cas;
  for (const auto& pem : ca_pems) {
    // The NUL is part of the length mbedTLS wants for PEM; a CA that no longer parses is skipped, not fatal.
    mbedtls_x509_crt_parse(&cas.crt, reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1);
  }
  VerifyState state{now_s, std::nullopt};
  std::uint32_t flags = 0;
  const int rc = mbedtls_x509_crt_verify(const_cast<mbedtls_x509_crt*>(&leaf), &cas.crt, nullptr, nullptr, &flags,
                                         judge_dates, &state);
  if (rc != 0 || flags != 0) {
    char why[256] = "";
    mbedtls_x509_crt_verify_info(why, sizeof why, "", flags);
    std::string text(why);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return "certificate '" + info.subject + "' does not chain to a CA registered with the hub" +
           (text.empty() ? "" : " (" + text + ")") + "; register its CA with `picohub ca add`";
  }
  if (state.date_problem) return state.date_problem;
  if (info.common_name != device.device_id) {
    return "certificate subject CN '" + info.common_name + "' is not the device id '" + device.device_id + "'";
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(DeviceAuth auth) {
  switch (auth) {
    case DeviceAuth::sas: return "sas";
    case DeviceAuth::self_signed: return "selfSigned";
    case DeviceAuth::certificate_authority: return "certificateAuthority";
  }
  return "sas";
}

std::optional<DeviceAuth> parse_device_auth(std::string_view text) {
  for (auto a : {DeviceAuth::sas, DeviceAuth::self_signed, DeviceAuth::certificate_authority}) {
    if (text == to_string(a)) return a;
  }
  return std::nullopt;
}

std::optional<CertificateInfo> inspect_certificate(std::string_view der, std::string& error) {
  Chain chain;
  const int rc = mbedtls_x509_crt_parse_der(&chain.crt, reinterpret_cast<const unsigned char*>(der.data()), der.size());
  if (rc != 0) {
    error = "the client certificate does not parse as X.509 DER";
    return std::nullopt;
  }
  return facts_of(chain.crt);
}

std::optional<std::string> pem_certificate_to_der(std::string_view pem, std::string& error) {
  const std::string text(pem);
  if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    error = "no \"-----BEGIN CERTIFICATE-----\" block: pass a PEM certificate (not a key, not DER)";
    return std::nullopt;
  }
  Chain chain;
  if (mbedtls_x509_crt_parse(&chain.crt, reinterpret_cast<const unsigned char*>(text.c_str()), text.size() + 1) != 0) {
    error = "the PEM certificate does not parse";
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(chain.crt.raw.p), chain.crt.raw.len);
}

std::optional<std::string> normalize_thumbprint(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':' || c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (out.size() != 40 && out.size() != 64) return std::nullopt;
  return out;
}

std::optional<std::string> check_device_certificate(const X509Device& device, std::string_view leaf_der,
                                                    const std::vector<std::string>& ca_pems, std::int64_t now_s,
                                                    CertificateInfo* info_out) {
  if (device.auth == DeviceAuth::sas) return "device '" + device.device_id + "' uses SAS keys, not a certificate";
  if (leaf_der.empty()) {
    return "device '" + device.device_id + "' authenticates with X.509 but presented no client certificate";
  }
  Chain leaf;
  if (mbedtls_x509_crt_parse_der(&leaf.crt, reinterpret_cast<const unsigned char*>(leaf_der.data()), leaf_der.size()) !=
      0) {
    return std::string("the client certificate does not parse as X.509");
  }
  const CertificateInfo info = facts_of(leaf.crt);
  if (info_out != nullptr) *info_out = info;
  if (device.auth == DeviceAuth::certificate_authority) return check_chain(device, leaf.crt, info, ca_pems, now_s);
  const auto matches = [&](const std::string& thumb) {
    return !thumb.empty() && (thumb == info.sha1_thumbprint || thumb == info.sha256_thumbprint);
  };
  if (!matches(device.primary_thumbprint) && !matches(device.secondary_thumbprint)) {
    return "certificate thumbprint " + info.sha1_thumbprint + " (SHA-1) / " + info.sha256_thumbprint +
           " (SHA-256) matches neither registered thumbprint of device '" + device.device_id + "'";
  }
  return validity_problem(info, now_s, "certificate");
}

}  // namespace picohub::hub
