/* api.c -- SCAFFOLD ONLY, replaced by helper H7's REST API. */
#include "api.h"

void api_register(struct app *a)
{
    (void)a;
}
