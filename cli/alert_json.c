/* alert_json.c — see alert_json.h.  Field order is fixed (tests compare
 * whole lines); absent values are left out. */
#include <jansson.h>

#include "alert_json.h"

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

char *alert_json(const struct store_alertinfo *a)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "time_ns", json_integer((json_int_t)a->time_ns));
    set_str(o, "host", a->host);
    if (a->pid)
        json_object_set_new(o, "pid", json_integer(a->pid));
    set_str(o, "process", a->argv0);
    set_str(o, "destination", a->dest);
    set_str(o, "class", a->cls);
    set_str(o, "action", a->action);
    if (a->src_obj) {
        json_t *s = json_object();
        set_str(s, "host", a->src_host);
        set_str(s, "object", a->src_obj);
        json_object_set_new(s, "start", json_integer((json_int_t)a->src_start));
        json_object_set_new(s, "end", json_integer((json_int_t)a->src_end));
        json_object_set_new(o, "source", s);
    }
    json_object_set_new(o, "bytes", json_integer((json_int_t)a->bytes));
    set_str(o, "note", a->note);
    char *r = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(o);
    return r;
}
