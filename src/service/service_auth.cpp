#include "service/service_auth.hpp"

#include <array>
#include <cctype>

#include "iothub/sas_token.hpp"
#include "iothub/url_encoding.hpp"

namespace picohub::service {

namespace {

struct RightName {
  unsigned bit;
  std::string_view name;
};
constexpr std::array<RightName, 4> kRightNames{{{kRegistryRead, "RegistryRead"},
                                                {kRegistryWrite, "RegistryWrite"},
                                                {kServiceConnect, "ServiceConnect"},
                                                {kDeviceConnect, "DeviceConnect"}}};

bool equal_ignore_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// A service token may be scoped to the whole hub ("host") or to a part of it ("host/devices/x").
bool audience_covers_hub(std::string_view sr, std::string_view host_name) noexcept {
  if (sr.size() == host_name.size()) return equal_ignore_case(sr, host_name);
  return sr.size() > host_name.size() && sr[host_name.size()] == '/' &&
         equal_ignore_case(sr.substr(0, host_name.size()), host_name);
}

bool signed_by(const iothub::SasTokenFields& fields, const SharedAccessPolicy& policy) noexcept {
  if (!policy.primary_key.empty() && iothub::verify_sas_token(fields, policy.primary_key)) return true;
  return !policy.secondary_key.empty() && iothub::verify_sas_token(fields, policy.secondary_key).has_value();
}

const SharedAccessPolicy* find_policy(std::string_view name, std::span<const SharedAccessPolicy> policies) noexcept {
  for (const auto& p : policies) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace

std::string rights_text(unsigned rights) {
  std::string out;
  for (const auto& r : kRightNames) {
    if ((rights & r.bit) == 0) continue;
    if (!out.empty()) out += ", ";
    out += r.name;
  }
  return out;
}

unsigned right_from_name(std::string_view name) noexcept {
  for (const auto& r : kRightNames) {
    if (equal_ignore_case(r.name, name)) return r.bit;
  }
  return 0;
}

Result<const SharedAccessPolicy*> authorize_service_token(std::string_view token, std::string_view host_name,
                                                          std::span<const SharedAccessPolicy> policies, unsigned needed,
                                                          std::uint64_t now_unix) {
  auto fields = iothub::parse_sas_token(token);
  if (!fields) return tl::unexpected(fields.error());
  if (!fields->has_skn) return fail(Errc::auth_refused, "token has no skn: service tokens name a shared access policy");
  std::array<char, 256> skn_buffer{};
  auto skn = iothub::url_decode(fields->skn, skn_buffer);
  if (!skn) return fail(Errc::auth_refused, "token skn is not a valid url-encoded policy name");
  const SharedAccessPolicy* policy = find_policy(*skn, policies);
  if (policy == nullptr) return fail(Errc::auth_refused, "token skn names no shared access policy of this hub");
  if (fields->se <= now_unix) return fail(Errc::auth_refused, "token expired (se is not after the current time)");
  std::array<char, 512> sr_buffer{};
  auto sr = iothub::url_decode(fields->sr, sr_buffer);
  if (!sr) return fail(Errc::auth_refused, "token sr is not valid url-encoding or is too long");
  if (!audience_covers_hub(*sr, host_name)) return fail(Errc::auth_refused, "token sr does not name this hub's host");
  if (!signed_by(*fields, *policy)) {
    return fail(Errc::auth_refused, "token signature matches neither key of the policy named by skn");
  }
  // Rights last: only a caller holding the key learns what its policy may do.
  if ((policy->rights & needed) != needed) {
    return fail(Errc::auth_refused, "the policy named by skn lacks the right this operation needs");
  }
  return policy;
}

std::span<const SharedAccessPolicy> default_policy_shapes() {
  static const std::array<SharedAccessPolicy, 5> shapes{{
      {"iothubowner", "", "", kRegistryRead | kRegistryWrite | kServiceConnect | kDeviceConnect},
      {"service", "", "", kServiceConnect},
      {"device", "", "", kDeviceConnect},
      {"registryRead", "", "", kRegistryRead},
      {"registryReadWrite", "", "", kRegistryRead | kRegistryWrite},
  }};
  return shapes;
}

std::optional<std::string> make_sas_token_text(std::string_view resource, std::string_view key_base64,
                                               std::uint64_t expiry, std::string_view policy_name) {
  std::array<char, 1024> buffer{};
  const auto token = iothub::make_sas_token({resource, key_base64, expiry, policy_name}, std::span<char>(buffer));
  if (!token) return std::nullopt;
  return std::string(*token);
}

}  // namespace picohub::service
