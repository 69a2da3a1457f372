/*
 * fftw_plan.h -- private: the one FFTW planner guard of recon/ (align.c,
 * correct_destripe.c, correct_vsnr.c).  Not installed.
 *
 * FFTW's planner (every fftwf_plan_* call and fftwf_destroy_plan) uses
 * global state and is not thread-safe by default (FFTW 3.3 manual, section
 * 5.4 "Thread safety").  fftwf_make_planner_thread_safe() (FFTW >= 3.3.5,
 * libfftw3f_threads) installs FFTW's own lock around the planner for the
 * whole process: cryofib's planning and a host program's planning with the
 * same libfftw3f are then safe to run at the same time from any threads,
 * which an OpenMP critical section of cryofib's own cannot give.  Executing
 * plans was always thread-safe and is not serialised.
 */
#ifndef FIB_RECON_FFTW_PLAN_H
#define FIB_RECON_FFTW_PLAN_H

/* Make the single-precision FFTW planner thread-safe (once per process,
 * pthread_once; later calls return at once).  Call before any fftwf_plan_*
 * or fftwf_destroy_plan.  Planning flags are the callers' (FFTW_ESTIMATE
 * everywhere: plans, hence results, do not depend on timing). */
void fib__fftwf_planner_ready(void);

#endif
