# INTERFACE target carrying the project's warning flags (house style rule 14).
add_library(fib_warnings INTERFACE)
target_compile_options(fib_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wold-style-definition -Wwrite-strings -Wpointer-arith -Wundef -Wvla
  -Wdouble-promotion -Wformat=2 -Wno-format-nonliteral)
if(FIB_WERROR)
  target_compile_options(fib_warnings INTERFACE -Werror)
endif()
