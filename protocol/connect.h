/* connect.h -- the Amazon Connect contact event, in and out.
 *
 * An Amazon Connect contact flow calls a Lambda ("Invoke AWS Lambda function" block); our small
 * forwarding Lambda (deploy/) POSTs the event it received, unchanged, to the gateway. The event
 * is the one AWS documents for contact-flow Lambdas:
 *
 *   { "Name": "ContactFlowEvent",
 *     "Details": {
 *       "ContactData": { "ContactId", "InitialContactId", "PreviousContactId", "Channel",
 *                        "InitiationMethod", "InstanceARN", "InitiationTimestamp",
 *                        "CustomerEndpoint": {"Address", "Type"}, "SystemEndpoint": {...},
 *                        "Attributes": {string: string},
 *                        "MediaStreams": {"Customer": {"Audio": {"StreamARN",
 *                            "StartTimestamp", "StopTimestamp", "StartFragmentNumber"}}}, ... },
 *       "Parameters": {string: string} } }
 *
 * connect_parse() turns it into a connect_event. Only Details.ContactData.ContactId is required;
 * every other member is optional, and JSON null counts as absent (Connect sends null for unset
 * endpoints and queues). Members we do not model are ignored. A present member of the wrong type
 * is an error naming it by its JSON path ("Details.ContactData.Attributes.location"), as is an
 * event that is not JSON, not an object, larger than CONNECT_MAX_EVENT, or has more than
 * CONNECT_MAX_PAIRS attributes or parameters. Strings are copied: the event owns its memory
 * until connect_event_free().
 *
 * The reply goes back through the Lambda to the contact flow, which only accepts a flat map of
 * string values no larger than 32 KB (it becomes contact attributes). connect_build_response()
 * produces exactly that or says why it cannot.
 *
 * Pure code: no I/O, no globals.
 */
#ifndef CALLPRINT_CONNECT_H
#define CALLPRINT_CONNECT_H

#include <stddef.h>

#define CONNECT_MAX_EVENT (256 * 1024)   /* largest event accepted (Connect's own are ~4 KB) */
#define CONNECT_MAX_RESPONSE (32 * 1024) /* Connect's limit for a Lambda's response */
#define CONNECT_MAX_PAIRS 256            /* attributes or parameters per event */

typedef enum {
    CONNECT_OK = 0,
    CONNECT_ERR_TOO_LARGE, /* event over CONNECT_MAX_EVENT, response over CONNECT_MAX_RESPONSE */
    CONNECT_ERR_JSON,      /* not JSON, or not a JSON object */
    CONNECT_ERR_MISSING,   /* a required member is absent (or null) */
    CONNECT_ERR_TYPE,      /* a member has the wrong JSON type */
    CONNECT_ERR_VALUE,     /* right type, unusable value (empty ContactId, too many pairs) */
    CONNECT_ERR_NOMEM
} connect_status;

typedef struct {
    connect_status status;
    char field[128]; /* JSON path of the offending member, "" if none */
    char msg[256];   /* one English sentence naming the field */
} connect_error;

typedef struct {
    char *key;
    char *value;
} connect_pair;

typedef struct {
    char *address; /* NULL if absent */
    char *type;    /* "TELEPHONE_NUMBER", ... */
} connect_endpoint;

typedef struct {
    char *stream_arn; /* Kinesis Video stream of the customer's audio */
    char *start_timestamp;
    char *stop_timestamp;
    char *start_fragment_number;
} connect_audio;

typedef struct connect_event {
    char *name;       /* top-level "Name" ("ContactFlowEvent"), NULL if absent */
    char *contact_id; /* required, non-empty */
    char *initial_contact_id, *previous_contact_id;
    char *channel;           /* "VOICE", "CHAT", "TASK" */
    char *initiation_method; /* "INBOUND", "OUTBOUND", "TRANSFER", ... */
    char *instance_arn;
    char *initiation_timestamp; /* as sent (ISO 8601), not interpreted */
    connect_endpoint customer, system;
    connect_audio customer_audio;
    connect_pair *attributes; /* Details.ContactData.Attributes, in event order */
    size_t n_attributes;
    connect_pair *parameters; /* Details.Parameters */
    size_t n_parameters;
} connect_event;

/* Parse `len` bytes of `json` (need not be NUL-terminated). On CONNECT_OK *ev is filled and must
 * be released with connect_event_free(); on error *ev is left empty (freeing it is harmless) and
 * *err explains. `err` may be NULL. */
connect_status connect_parse(const char *json, size_t len, connect_event *ev, connect_error *err);
void connect_event_free(connect_event *ev);

/* Value of an attribute / parameter, NULL if absent. */
const char *connect_attribute(const connect_event *ev, const char *key);
const char *connect_parameter(const connect_event *ev, const char *key);

/* Build the flat response {"key": "value", ...} from n pairs into out (capacity cap, NUL
 * terminated). Pairs with a NULL value are skipped; a NULL or empty key is an error. Returns the
 * length written, or -1 with *err set (CONNECT_ERR_TOO_LARGE when the JSON would exceed
 * CONNECT_MAX_RESPONSE or cap). */
long connect_build_response(const connect_pair *pairs, size_t n, char *out, size_t cap,
                            connect_error *err);

const char *connect_strerror(connect_status s);

#endif
