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
# fftwf_make_planner_thread_safe() (recon/src/fftw_plan.c) lives in
# libfftw3f_threads (FFTW >= 3.3.5), which has no pkg-config file.
find_library(FIB_FFTW3F_THREADS fftw3f_threads HINTS ${FFTW3F_LIBRARY_DIRS})
if(NOT FIB_FFTW3F_THREADS)
  message(FATAL_ERROR
    "libfftw3f_threads not found: apt-get install libfftw3-dev")
endif()
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
fib_require_pkg(LIBCONFIG libconfig libconfig-dev)
# Blosc: the chunk compressor zarr-python writes by default (lz4 + shuffle);
# OME-Zarr volumes from other tools often use it.
fib_require_pkg(BLOSC blosc libblosc-dev)
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
