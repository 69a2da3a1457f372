/* fftw_plan.c -- the FFTW planner guard of recon/ (see fftw_plan.h). */
#include <fftw3.h>
#include <pthread.h>

#include "fftw_plan.h"

static pthread_once_t planner_once = PTHREAD_ONCE_INIT;

static void make_thread_safe(void)
{
    fftwf_make_planner_thread_safe();
}

void fib__fftwf_planner_ready(void)
{
    (void)pthread_once(&planner_once, make_thread_safe);
}
