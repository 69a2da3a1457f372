# Find every dependency; a missing one stops configure with the Debian
# package that provides it.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

macro(fib_require_pkg var module debpkg)
  pkg_check_modules(${var} QUIET IMPORTED_TARGET ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR
      "${module} not found: install the Debian package '${debpkg}' "
      "(apt-get install ${debpkg}), or run ./setup.sh")
  endif()
endmacro()

find_package(PNG QUIET)
if(NOT PNG_FOUND)
  message(FATAL_ERROR "libpng not found: apt-get install libpng-dev")
endif()
find_package(TIFF QUIET)
if(NOT TIFF_FOUND)
  message(FATAL_ERROR "libtiff not found: apt-get install libtiff-dev")
endif()
find_package(ZLIB QUIET)
if(NOT ZLIB_FOUND)
  message(FATAL_ERROR "zlib not found: apt-get install zlib1g-dev")
endif()
fib_require_pkg(FFTW3 fftw3 libfftw3-dev)
fib_require_pkg(FFTW3F fftw3f libfftw3-dev)
fib_require_pkg(LIBCONFIG libconfig libconfig-dev)
fib_require_pkg(OPENBLAS openblas libopenblas-dev)
fib_require_pkg(LAPACKE lapacke liblapacke-dev)
set(FIB_LAPACK_LIBS PkgConfig::LAPACKE PkgConfig::OPENBLAS)

find_package(OpenMP QUIET COMPONENTS C)
if(NOT OpenMP_C_FOUND)
  message(FATAL_ERROR "OpenMP for C not found: apt-get install gcc (libgomp1)")
endif()

if(FIB_BUILD_TESTS)
  fib_require_pkg(CHECK check check)
endif()
