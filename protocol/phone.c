/* phone.c -- caller numbers to E.164 (see phone.h for the accepted forms and why this is not
 * libphonenumber).
 *
 * Three steps: peel off what is not the number (whitespace, tel:/sip: URI syntax), recognise
 * the withheld-number spellings, then collect the digits, decide whether they are international
 * or national, and check the result against the country-code table and E.164's length.
 */
#include "phone.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define PHONE_DIGITS_MAX 24 /* digits collected before giving up (E.164 allows 15) */

/* Country calling codes ITU-T has assigned (E.164 list). No code is a prefix of another, so at
 * most one entry matches a number. */
static const char *const phone_cc_table[] = {
    "1", "7", "20", "211", "212", "213", "216", "218", "220", "221", "222", "223", "224", "225",
    "226", "227", "228", "229", "230", "231", "232", "233", "234", "235", "236", "237", "238",
    "239", "240", "241", "242", "243", "244", "245", "246", "247", "248", "249", "250", "251",
    "252", "253", "254", "255", "256", "257", "258", "260", "261", "262", "263", "264", "265",
    "266", "267", "268", "269", "27", "290", "291", "297", "298", "299", "30", "31", "32", "33",
    "34", "350", "351", "352", "353", "354", "355", "356", "357", "358", "359", "36", "370",
    "371", "372", "373", "374", "375", "376", "377", "378", "379", "380", "381", "382", "383",
    "385", "386", "387", "388", "389", "39", "40", "41", "420", "421", "423", "43", "44", "45",
    "46", "47", "48", "49", "500", "501", "502", "503", "504", "505", "506", "507", "508", "509",
    "51", "52", "53", "54", "55", "56", "57", "58", "590", "591", "592", "593", "594", "595",
    "596", "597", "598", "599", "60", "61", "62", "63", "64", "65", "66", "670", "672", "673",
    "674", "675", "676", "677", "678", "679", "680", "681", "682", "683", "685", "686", "687",
    "688", "689", "690", "691", "692", "800", "808", "81", "82", "84", "850", "852", "853",
    "855", "856", "86", "870", "878", "880", "881", "882", "883", "886", "888", "90", "91", "92",
    "93", "94", "95", "960", "961", "962", "963", "964", "965", "966", "967", "968", "970",
    "971", "972", "973", "974", "975", "976", "977", "979", "98", "991", "992", "993", "994",
    "995", "996", "997", "998",
};

/* How platforms spell a withheld number. */
static const char *const phone_anonymous_words[] = {
    "anonymous", "restricted", "private", "unknown", "unavailable", "withheld", "blocked",
};

/* Twilio's placeholder "From" numbers for anonymous, unknown, restricted, blocked and
 * unavailable callers (digits after the '+'). */
static const char *const phone_twilio_placeholders[] = {
    "266696687", "86282452253", "7378742833", "2562533", "8656696",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int phone_country_code(const char *digits, size_t *cc_len) {
    for (size_t i = 0; i < COUNT(phone_cc_table); i++) {
        size_t n = strlen(phone_cc_table[i]);
        if (strncmp(digits, phone_cc_table[i], n) == 0) {
            if (cc_len) *cc_len = n;
            return 1;
        }
    }
    return 0;
}

const char *phone_kind_name(phone_kind k) {
    switch (k) {
    case PHONE_E164: return "e164";
    case PHONE_ANONYMOUS: return "anonymous";
    case PHONE_INVALID: return "invalid";
    }
    return "invalid";
}

static int phone_starts_with_ci(const char *s, size_t n, const char *prefix) {
    size_t p = strlen(prefix);
    return n >= p && strncasecmp(s, prefix, p) == 0;
}

/* Narrow [*s, *s + *n) to the number itself: trim whitespace, drop "tel:"/"sip:"/"sips:", a SIP
 * host part and URI parameters. */
static void phone_strip(const char **s, size_t *n) {
    while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
    static const char *const schemes[] = {"tel:", "sip:", "sips:"};
    for (size_t i = 0; i < COUNT(schemes); i++) {
        if (phone_starts_with_ci(*s, *n, schemes[i])) {
            size_t p = strlen(schemes[i]);
            *s += p, *n -= p;
            break;
        }
    }
    for (size_t i = 0; i < *n; i++) {
        if ((*s)[i] == '@' || (*s)[i] == ';') {
            *n = i;
            break;
        }
    }
}

static int phone_is_anonymous_word(const char *s, size_t n) {
    for (size_t i = 0; i < COUNT(phone_anonymous_words); i++)
        if (strlen(phone_anonymous_words[i]) == n && strncasecmp(s, phone_anonymous_words[i], n) == 0)
            return 1;
    return 0;
}

/* Collect the digits of [s, s+n) into digits[]; *plus says whether the number began with '+'.
 * Returns NULL or the reason the text is not a number. */
static const char *phone_collect(const char *s, size_t n, char digits[PHONE_DIGITS_MAX + 1],
                                 int *plus) {
    size_t nd = 0;
    *plus = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (nd == PHONE_DIGITS_MAX) return "too many digits for a phone number";
            digits[nd++] = c;
        } else if (c == '+') {
            if (nd > 0 || *plus) return "'+' is only allowed at the start";
            *plus = 1;
        } else if (c != ' ' && c != '-' && c != '.' && c != '/' && c != '(' && c != ')') {
            return "contains characters other than digits and separators";
        }
    }
    digits[nd] = '\0';
    if (nd == 0) return "contains no digits";
    return NULL;
}

/* Turn a national number into international digits with the default country code. */
static const char *phone_nationalise(const char *digits, const phone_options *opt,
                                     char full[PHONE_DIGITS_MAX + 8]) {
    const char *cc = opt ? opt->default_cc : NULL;
    if (!cc || !*cc) return "national number and no default country code is configured";
    const char *trunk = opt->trunk_prefix ? opt->trunk_prefix : "0";
    size_t tl = strlen(trunk);
    if (strcmp(cc, "1") == 0 && strlen(digits) == 11 && digits[0] == '1') digits++;
    else if (tl && strncmp(digits, trunk, tl) == 0) digits += tl;
    if (strlen(cc) + strlen(digits) > PHONE_DIGITS_MAX) return "too many digits for a phone number";
    strcpy(full, cc);
    strcat(full, digits);
    return NULL;
}

/* Strip an international prefix ('+' already handled by the caller). Returns the digits after
 * it, or NULL if the number does not start with one. */
static const char *phone_idd(const char *digits, const phone_options *opt) {
    const char *idd = opt && opt->idd_prefix ? opt->idd_prefix : "00";
    size_t n = strlen(idd);
    if (n && strncmp(digits, idd, n) == 0) return digits + n;
    if (opt && opt->default_cc && strcmp(opt->default_cc, "1") == 0 &&
        strncmp(digits, "011", 3) == 0)
        return digits + 3;
    return NULL;
}

static const char *phone_check(const char *full) {
    size_t n = strlen(full), cc_len = 0;
    if (full[0] == '0') return "country code cannot start with 0";
    if (!phone_country_code(full, &cc_len)) return "unassigned country calling code";
    if (n < 8) return "too short for an E.164 number (fewer than 8 digits)";
    if (n > 15) return "too long for an E.164 number (more than 15 digits)";
    if (full[0] == '1' && n != 11) return "North American numbers have 10 digits after +1";
    return NULL;
}

static phone_kind phone_result(char out[PHONE_E164_MAX], const char **reason, phone_kind k,
                               const char *why, const char *digits) {
    if (reason) *reason = k == PHONE_INVALID ? why : NULL;
    if (k == PHONE_E164) {
        out[0] = '+';
        strcpy(out + 1, digits);
    } else {
        strcpy(out, k == PHONE_ANONYMOUS ? "anonymous" : "");
    }
    return k;
}

phone_kind phone_normalise(const char *in, const phone_options *opt, char out[PHONE_E164_MAX],
                           const char **reason) {
    char digits[PHONE_DIGITS_MAX + 1], full[PHONE_DIGITS_MAX + 8];
    int plus;
    if (!in) return phone_result(out, reason, PHONE_ANONYMOUS, NULL, NULL);
    const char *s = in;
    size_t n = strlen(in);
    phone_strip(&s, &n);
    if (n == 0 || phone_is_anonymous_word(s, n))
        return phone_result(out, reason, PHONE_ANONYMOUS, NULL, NULL);
    const char *why = phone_collect(s, n, digits, &plus);
    if (why) return phone_result(out, reason, PHONE_INVALID, why, NULL);
    const char *intl = plus ? digits : phone_idd(digits, opt);
    if (intl) {
        for (size_t i = 0; i < COUNT(phone_twilio_placeholders); i++)
            if (strcmp(intl, phone_twilio_placeholders[i]) == 0)
                return phone_result(out, reason, PHONE_ANONYMOUS, NULL, NULL);
        if (!*intl)
            return phone_result(out, reason, PHONE_INVALID,
                                "no digits after the international prefix", NULL);
        strcpy(full, intl); /* a suffix of digits[], so it fits */
    } else if ((why = phone_nationalise(digits, opt, full))) {
        return phone_result(out, reason, PHONE_INVALID, why, NULL);
    }
    if ((why = phone_check(full))) return phone_result(out, reason, PHONE_INVALID, why, NULL);
    return phone_result(out, reason, PHONE_E164, NULL, full);
}
