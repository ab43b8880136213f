#include "iothub/connection_string.hpp"

#include "iothub/sas_token.hpp"

namespace picohub::iothub {

Result<ConnectionString> parse_connection_string(std::string_view text, std::string_view* offending) noexcept {
  auto cs = split_connection_string(text, offending);
  if (!cs || cs->shared_access_signature.empty()) return cs;
  auto token = parse_sas_token(cs->shared_access_signature);
  if (!token) {
    if (offending != nullptr) *offending = "SharedAccessSignature";
    return fail(Errc::invalid_argument, "SharedAccessSignature is not \"SharedAccessSignature sr=...&sig=...&se=...\"");
  }
  cs->signature_expiry_unix = token->se;
  return cs;
}

}  // namespace picohub::iothub
