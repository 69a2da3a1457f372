/* demo_recon.h -- the reconstruction part of `cryofib demo` (private). */
#ifndef FIB_CLI_DEMO_RECON_H
#define FIB_CLI_DEMO_RECON_H

/* Render a phantom slice-and-view series in memory, reconstruct it with
 * fib_recon and print the recovered drift against the truth.  Returns a
 * CLI exit code. */
int cli_demo_recon(void);

#endif
