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

# XGBoost: the gradient-boosted trees of the trainable pixel classifier
# (analysis/src/classify.c, its C API).  Found by header and library (the
# package's CMake config also names the xgboost command-line program,
# which Debian ships in another package).
find_path(FIB_XGBOOST_INCLUDE xgboost/c_api.h)
find_library(FIB_XGBOOST_LIB xgboost)
if(NOT FIB_XGBOOST_INCLUDE OR NOT FIB_XGBOOST_LIB)
  message(FATAL_ERROR
    "libxgboost not found: install the Debian package 'libxgboost-dev' "
    "(apt-get install libxgboost-dev), or run ./setup.sh")
endif()
add_library(fib_xgboost INTERFACE)
target_include_directories(fib_xgboost INTERFACE ${FIB_XGBOOST_INCLUDE})
target_link_libraries(fib_xgboost INTERFACE ${FIB_XGBOOST_LIB})

find_package(OpenMP QUIET COMPONENTS C)
if(NOT OpenMP_C_FOUND)
  message(FATAL_ERROR "OpenMP for C not found: apt-get install gcc (libgomp1)")
endif()

if(FIB_BUILD_TESTS)
  fib_require_pkg(CHECK check check)
endif()

# MPI (optional): `mpirun -np N cryofib recon|measure ...` runs one job on
# N processes (pipeline/src/job_mpi.c, fib/job_mpi.h).  Without it every
# command runs as one process and a launch of several is refused.
option(FIB_WITH_MPI "Use MPI for C (Debian: libopenmpi-dev) when found" ON)
set(FIB_MPI_LIBS "")
set(FIB_HAVE_MPI OFF)
if(FIB_WITH_MPI)
  find_package(MPI QUIET COMPONENTS C)
  if(MPI_C_FOUND)
    set(FIB_HAVE_MPI ON)
    set(FIB_MPI_LIBS MPI::MPI_C)
    message(STATUS "cryofib: MPI found (${MPI_C_LIBRARY_VERSION_STRING}): mpirun runs jobs on several processes")
  else()
    message(STATUS "cryofib: MPI not found: one process per job (apt-get install libopenmpi-dev)")
  endif()
endif()
