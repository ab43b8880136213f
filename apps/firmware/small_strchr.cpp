// strchr for the firmware. Its only caller is mbedTLS's mbedtls_x509_crt_parse_cn_inet_pton (is the host name an
// IPv6 literal: a ':' in it?), once per handshake on a short name. newlib's word-at-a-time strchr is ~190 B of
// flash; this loop is a few dozen. Linked with -Wl,--wrap=strchr (apps/firmware/CMakeLists.txt).
// NOLINTNEXTLINE(bugprone-reserved-identifier): the name the linker's --wrap=strchr gives the replacement
extern "C" char* __wrap_strchr(const char* s, int c) {
  const char wanted = static_cast<char>(c);
  for (;; ++s) {
    if (*s == wanted) return const_cast<char*>(s);
    if (*s == '\0') return nullptr;
  }
}
