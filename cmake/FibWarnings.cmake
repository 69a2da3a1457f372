# INTERFACE target carrying the project's warning flags (house style rule 14).
add_library(fib_warnings INTERFACE)
target_compile_options(fib_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wold-style-definition -Wwrite-strings -Wpointer-arith -Wundef -Wvla
  -Wformat=2 -Wno-format-nonliteral)
# Implicit conversions that may change a value and casts that drop const
# (issue 14): the library and the command are clean under both; tests,
# benchmarks and examples follow where they use fib_strict_warnings.
add_library(fib_strict_warnings INTERFACE)
target_compile_options(fib_strict_warnings INTERFACE -Wconversion -Wcast-qual)
# glibc defines NAN and INFINITY as float constants; clang then flags every
# `double x = NAN`, gcc does not.  Keep the check where it is useful.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  target_compile_options(fib_warnings INTERFACE -Wdouble-promotion)
endif()
if(FIB_WERROR)
  target_compile_options(fib_warnings INTERFACE -Werror)
endif()
# `#pragma omp simd` asks for vectorisation; clang reports a loop it cannot
# vectorise as an error (-Wpass-failed).  Under sanitizer or fuzzer
# instrumentation the checks inside the loop make that the rule, not a
# regression worth failing on: there the request is a hint.
if(CMAKE_C_COMPILER_ID MATCHES "Clang" AND (FIB_SANITIZE OR FIB_BUILD_FUZZERS))
  target_compile_options(fib_warnings INTERFACE -Wno-pass-failed)
endif()
