// C++ runtime hooks for a board built with -fno-exceptions. libstdc++'s headers report precondition failures
// (string_view::substr past the end, array::at, ...) by calling std::__throw_*; the archive's versions of
// those throw, which drags in the exception runtime and its malloc'd emergency pool. On the board such a
// failure is a bug: stop right there (a breakpoint under a debugger, a HardFault and watchdog reset otherwise).
#include <bits/functexcept.h>

#include <cstddef>

namespace {
[[noreturn]] void picohub_cxx_precondition_failed() { __builtin_trap(); }
}  // namespace

namespace std {
void __throw_bad_exception() { picohub_cxx_precondition_failed(); }
void __throw_bad_alloc() { picohub_cxx_precondition_failed(); }
void __throw_bad_array_new_length() { picohub_cxx_precondition_failed(); }
void __throw_bad_cast() { picohub_cxx_precondition_failed(); }
void __throw_bad_typeid() { picohub_cxx_precondition_failed(); }
void __throw_logic_error(const char*) { picohub_cxx_precondition_failed(); }
void __throw_domain_error(const char*) { picohub_cxx_precondition_failed(); }
void __throw_invalid_argument(const char*) { picohub_cxx_precondition_failed(); }
void __throw_length_error(const char*) { picohub_cxx_precondition_failed(); }
void __throw_out_of_range(const char*) { picohub_cxx_precondition_failed(); }
void __throw_out_of_range_fmt(const char*, ...) { picohub_cxx_precondition_failed(); }
void __throw_runtime_error(const char*) { picohub_cxx_precondition_failed(); }
void __throw_range_error(const char*) { picohub_cxx_precondition_failed(); }
void __throw_overflow_error(const char*) { picohub_cxx_precondition_failed(); }
void __throw_underflow_error(const char*) { picohub_cxx_precondition_failed(); }
void __throw_bad_function_call() { picohub_cxx_precondition_failed(); }
}  // namespace std

// Classes with virtual destructors (every Transport) emit a "deleting destructor" that calls operator delete.
// Nothing on the board is ever allocated with new, so it can never run; defining it here keeps libstdc++'s
// version, and with it newlib's free()/malloc(), out of the image.
void operator delete(void*) noexcept { picohub_cxx_precondition_failed(); }
void operator delete(void*, std::size_t) noexcept { picohub_cxx_precondition_failed(); }
