// strstr for the firmware. Its only callers are mbedTLS's PEM reader and mbedtls_x509_crt_parse, looking for the
// 25-27 character "-----BEGIN/END CERTIFICATE-----" markers in a few kilobytes of PEM, once per root at start-up.
// newlib's strstr brings its two-way search for long needles (~1.1 KB of flash with strnlen); the plain search
// below is a few dozen bytes and, on that input, just as quick in practice (a mismatch on the first character
// almost everywhere). Linked with -Wl,--wrap=strstr (apps/firmware/CMakeLists.txt), so newlib's copy drops out.
// NOLINTNEXTLINE(bugprone-reserved-identifier): the name the linker's --wrap=strstr gives the replacement
extern "C" char* __wrap_strstr(const char* haystack, const char* needle) {
  for (;; ++haystack) {
    const char* h = haystack;
    const char* n = needle;
    while (*n != '\0' && *h == *n) {
      ++h;
      ++n;
    }
    if (*n == '\0') return const_cast<char*>(haystack);
    if (*haystack == '\0') return nullptr;
  }
}
