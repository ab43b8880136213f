#include "netstack/dns_message.hpp"

#include <algorithm>

#include "netstack/wire.hpp"

namespace picohub::netstack {
namespace {

// Shared sentences (the Errc says truncated or malformed): a bad answer is dropped either way.
constexpr const char* kMalformed = "DNS answer is malformed or cut short";
constexpr const char* kNotOurs = "DNS answer is not for our query";

constexpr std::size_t header_size = 12;
constexpr std::uint16_t flag_qr = 0x8000, flag_tc = 0x0200, flag_rd = 0x0100, opcode_mask = 0x7800;
constexpr std::uint16_t type_a = 1, type_cname = 5, class_in = 1;
constexpr std::size_t max_wire_name = 255;
constexpr int max_pointer_jumps = 16;  // a legitimate name needs a handful; loops stop here
constexpr int max_chain = 8;           // CNAMEs followed within one answer

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view without_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// Walks one (possibly compressed) name label by label. `end` is where the name ends at its original position.
class NameReader {
 public:
  NameReader(std::span<const std::uint8_t> m, std::size_t at) : m_(m), pos_(at) {}

  // Next label into `label`; false at the root label (done) or on error (check error()).
  bool next(std::string_view& label) {
    while (true) {
      if (pos_ >= m_.size()) return failed(kMalformed);
      const std::uint8_t len = m_[pos_];
      if ((len & 0xC0) == 0xC0) {
        if (pos_ + 1 >= m_.size()) return failed(kMalformed);
        if (!jumped_) end_ = pos_ + 2;
        jumped_ = true;
        if (++jumps_ > max_pointer_jumps) return failed(kMalformed);
        pos_ = static_cast<std::size_t>(((len & 0x3F) << 8) | m_[pos_ + 1]);
        continue;
      }
      if ((len & 0xC0) != 0) return failed(kMalformed);
      if (len == 0) {
        if (!jumped_) end_ = pos_ + 1;
        done_ = true;
        return false;
      }
      if (pos_ + 1 + len > m_.size()) return failed(kMalformed);
      wire_length_ += 1 + len;
      if (wire_length_ + 1 > max_wire_name) return failed(kMalformed);
      label = std::string_view(reinterpret_cast<const char*>(m_.data() + pos_ + 1), len);
      pos_ += 1 + len;
      return true;
    }
  }
  bool ok() const { return done_ && error_ == nullptr; }
  const char* error() const { return error_; }
  std::size_t end() const { return end_; }

 private:
  bool failed(const char* why) {
    error_ = why;
    return false;
  }
  std::span<const std::uint8_t> m_;
  std::size_t pos_;
  std::size_t end_ = 0;
  std::size_t wire_length_ = 0;
  int jumps_ = 0;
  bool jumped_ = false;
  bool done_ = false;
  const char* error_ = nullptr;
};

// Validates the name at `at` and returns where it ends in place.
Result<std::size_t> skip_name(std::span<const std::uint8_t> m, std::size_t at) {
  NameReader r(m, at);
  std::string_view label;
  while (r.next(label)) {
  }
  if (!r.ok()) return fail(Errc::malformed, r.error());
  return r.end();
}

bool labels_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// Case-insensitive comparison of two names stored in the message (both already validated).
bool names_equal(std::span<const std::uint8_t> m, std::size_t a, std::size_t b) {
  NameReader ra(m, a), rb(m, b);
  std::string_view la, lb;
  while (true) {
    const bool more_a = ra.next(la), more_b = rb.next(lb);
    if (more_a != more_b) return false;
    if (!more_a) return ra.ok() && rb.ok();
    if (!labels_equal(la, lb)) return false;
  }
}

// The name in the message against the text we asked for.
bool name_matches(std::span<const std::uint8_t> m, std::size_t at, std::string_view text) {
  NameReader r(m, at);
  std::string_view label;
  text = without_trailing_dot(text);
  std::size_t pos = 0;
  bool first = true;
  while (r.next(label)) {
    if (!first) {
      if (pos >= text.size() || text[pos] != '.') return false;
      ++pos;
    }
    first = false;
    // pos <= text.size() here; compare against what is left, without substr's throwing bounds check.
    const std::size_t left = text.size() - pos;
    if (!labels_equal(label, std::string_view(text.data() + pos, label.size() < left ? label.size() : left)))
      return false;
    pos += label.size();
  }
  return r.ok() && pos == text.size();
}

struct Record {
  std::size_t name_at;
  std::uint16_t type, klass;
  std::uint32_t ttl;
  std::size_t data_at, data_len;
};

Result<std::size_t> read_record(std::span<const std::uint8_t> m, std::size_t at, Record& rr) {
  auto after_name = skip_name(m, at);
  if (!after_name) return after_name;
  std::size_t pos = *after_name;
  if (m.size() - pos < 10) return fail(Errc::truncated, kMalformed);
  rr = Record{at,       wire::get16(m, pos),    wire::get16(m, pos + 2), wire::get32(m, pos + 4),
              pos + 10, wire::get16(m, pos + 8)};
  if (rr.data_len > m.size() - rr.data_at) return fail(Errc::truncated, kMalformed);
  return rr.data_at + rr.data_len;
}

DnsStatus status_for_rcode(unsigned rcode) {
  switch (rcode) {
    case 2: return DnsStatus::servfail;
    case 3: return DnsStatus::nxdomain;
    case 5: return DnsStatus::refused;
    default: return DnsStatus::other_error;
  }
}

// Follows CNAMEs from the question name to an A record among the answers (in any order).
Result<DnsAnswer> resolve_chain(std::span<const std::uint8_t> m, std::span<const Record> answers, std::size_t qname) {
  DnsAnswer result;
  std::size_t current = qname;
  std::uint32_t ttl = 0xFFFFFFFF;
  for (int hop = 0; hop <= max_chain; ++hop) {
    const Record* cname = nullptr;
    for (const Record& rr : answers) {
      if (rr.klass != class_in || !names_equal(m, rr.name_at, current)) continue;
      if (rr.type == type_a && rr.data_len == 4) {
        result.status = DnsStatus::address;
        result.address = wire::get_ipv4(m, rr.data_at);
        result.ttl_s = std::min(ttl, rr.ttl);
        return result;
      }
      if (rr.type == type_cname && cname == nullptr) cname = &rr;
    }
    if (cname == nullptr) break;
    auto target_end = skip_name(m, cname->data_at);
    if (!target_end) return tl::unexpected(target_end.error());
    if (*target_end != cname->data_at + cname->data_len) return fail(Errc::malformed, kMalformed);
    ttl = std::min(ttl, cname->ttl);
    current = cname->data_at;
  }
  return result;  // no_address
}

constexpr std::size_t max_answers = 16;  // what we look at; further records are validated and skipped

}  // namespace

const char* to_string(DnsStatus status) noexcept {
  switch (status) {
    case DnsStatus::address: return "resolved";
    case DnsStatus::nxdomain: return "NXDOMAIN (the name does not exist)";
    case DnsStatus::servfail: return "SERVFAIL (the DNS server could not answer)";
    case DnsStatus::refused: return "REFUSED (the DNS server will not answer us)";
    case DnsStatus::other_error: return "the DNS server returned an error";
    case DnsStatus::no_address: return "the name has no IPv4 address (no A record)";
    case DnsStatus::truncated: return "the answer was truncated (TC) and TCP is not supported";
  }
  return "unknown";
}

bool is_valid_dns_name(std::string_view name) noexcept {
  name = without_trailing_dot(name);
  if (name.empty() || name.size() > dns_max_name) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    if (dot == start || dot - start > 63) return false;
    start = dot + 1;
  }
  return true;
}

Result<std::size_t> build_dns_query(std::uint16_t id, std::string_view name, std::span<std::uint8_t> out) noexcept {
  if (!is_valid_dns_name(name)) return fail(Errc::invalid_argument, "not a valid DNS host name");
  name = without_trailing_dot(name);
  const std::size_t size = header_size + name.size() + 2 + 4;
  if (out.size() < size) return fail(Errc::too_large, "DNS query does not fit the buffer");
  std::fill(out.begin(), out.begin() + header_size, std::uint8_t{0});
  wire::put16(out, 0, id);
  wire::put16(out, 2, flag_rd);
  wire::put16(out, 4, 1);  // QDCOUNT
  std::size_t pos = header_size;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const std::size_t len = dot - start;
    out[pos++] = static_cast<std::uint8_t>(len);
    for (std::size_t i = start; i < dot; ++i) out[pos++] = static_cast<std::uint8_t>(name[i]);
    start = dot + 1;
  }
  out[pos++] = 0;
  wire::put16(out, pos, type_a);
  wire::put16(out, pos + 2, class_in);
  return pos + 4;
}

Result<DnsAnswer> parse_dns_response(std::span<const std::uint8_t> m, std::uint16_t id,
                                     std::string_view name) noexcept {
  if (m.size() < header_size) return fail(Errc::truncated, kMalformed);
  const std::uint16_t flags = wire::get16(m, 2);
  if (wire::get16(m, 0) != id) return fail(Errc::protocol_violation, kNotOurs);
  if ((flags & flag_qr) == 0 || (flags & opcode_mask) != 0) return fail(Errc::protocol_violation, kNotOurs);
  if (wire::get16(m, 4) != 1) return fail(Errc::protocol_violation, kNotOurs);
  if (!name_matches(m, header_size, name)) {
    if (auto bad = skip_name(m, header_size); !bad) return tl::unexpected(bad.error());
    return fail(Errc::protocol_violation, kNotOurs);
  }
  auto qend = skip_name(m, header_size);
  if (!qend) return tl::unexpected(qend.error());
  if (m.size() - *qend < 4) return fail(Errc::truncated, kMalformed);
  if (wire::get16(m, *qend) != type_a || wire::get16(m, *qend + 2) != class_in)
    return fail(Errc::protocol_violation, kNotOurs);

  // Every record of every section must be complete: a cut message is refused even if its answers survived.
  const std::size_t total = std::size_t{wire::get16(m, 6)} + wire::get16(m, 8) + wire::get16(m, 10);
  const std::size_t answer_count = wire::get16(m, 6);
  Record answers[max_answers];
  std::size_t kept = 0;
  std::size_t pos = *qend + 4;
  for (std::size_t i = 0; i < total; ++i) {
    Record rr{};
    auto next = read_record(m, pos, rr);
    if (!next) return tl::unexpected(next.error());
    if (i < answer_count && kept < max_answers) answers[kept++] = rr;
    pos = *next;
  }

  if (flags & flag_tc) return DnsAnswer{DnsStatus::truncated, {}, 0};
  if (const unsigned rcode = flags & 0x000F; rcode != 0) return DnsAnswer{status_for_rcode(rcode), {}, 0};
  return resolve_chain(m, std::span<const Record>(answers, kept), header_size);
}

}  // namespace picohub::netstack
