/* cli.h -- what the callprint-bio commands in other files share with callprint-bio.c. */
#ifndef CALLPRINT_BIO_CLI_H
#define CALLPRINT_BIO_CLI_H

#include <cJSON.h>

#define EXIT_USAGE 2

/* Print o as one line of JSON on stdout and free it. */
void print_json(cJSON *o);
/* Print {"error": message} and return code. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse a number in [lo, hi] (the whole string); 0, or -1. */
int parse_number(const char *s, double lo, double hi, double *out);
/* The spoofing-countermeasure commands (spoof_cmd.c): `spoof` and `spoof-train`; argv[0] is
 * the command. */
int cli_spoof_main(int argc, char **argv);
/* Enrolment's check: 0 when the files (one utterance) are not judged spoofed by the default
 * spoofing model, else fail()'s code (the message says the audio was judged spoofed). */
int cli_spoof_check(char **files, int n);

#endif
