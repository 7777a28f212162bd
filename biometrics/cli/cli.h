/* cli.h -- what the callprint-bio commands in other files share with callprint-bio.c. */
#ifndef CALLPRINT_BIO_CLI_H
#define CALLPRINT_BIO_CLI_H

#include <cJSON.h>
#include <stddef.h>

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
/* Enrolment's spoofing check (spoof_cmd.c). The default spoofing model, or NULL with the
 * reason in err and nothing printed: enrol reports it only when the check would have run
 * (enough speech), as before the check moved into bio_enrol_pcm. */
struct bio_spoof_model;
struct bio_spoof_model *cli_spoof_model(char *err, size_t cap);
/* The refusal of audio judged spoofed (score at the model's threshold): fail()'s code. */
int cli_spoof_refuse(const struct bio_spoof_model *m, double score);

#endif
