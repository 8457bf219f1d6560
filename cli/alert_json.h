/* alert_json.h — one alert as one JSON line (the agent's log and
 * `crosstag alerts --json` print the same). */
#ifndef CT_ALERT_JSON_H
#define CT_ALERT_JSON_H

#include "store.h"

/* A malloc'd single-line JSON object (no newline), or NULL. */
char *alert_json(const struct store_alertinfo *a);

#endif
