/* paths.h -- where the data files (models, JSON Schemas) are, found at run time.
 *
 * No source or install path is compiled into a program: each looks for its data under
 * <its own folder>/../share/callprint/, which is where `cmake --install` puts them
 * (<prefix>/bin and <prefix>/share/callprint) and where the build tree links them
 * (<build>/share/callprint -> the sources' biometrics/models and schemas, for <build>/bin and
 * <build>/tests). A program copied elsewhere falls back to the path relative to the working
 * directory, as run from a source checkout. Configuration and the environment override both.
 */
#ifndef CALLPRINT_COMMON_PATHS_H
#define CALLPRINT_COMMON_PATHS_H

#include <stddef.h>

/* Into out: <prefix>/share/callprint/<rel> if it exists (<prefix>/bin/<the program>, or
 * <build>/tests/<the test>), else `fallback`. */
void paths_data(const char *rel, const char *fallback, char *out, size_t cap);
/* The environment variable `env` when set and not empty, else paths_data into out. */
const char *paths_data_env(const char *env, const char *rel, const char *fallback, char *out,
                           size_t cap);

#endif
