/* The JSON report's packet timelines and tshark commands (REPORT-SCHEMA.md: timelines, findings[].tshark,
 * findings[].flow_details). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "json.h"
#include "report-json.h"

/* The tshark command that prints a timeline's lines, the same columns as the report's. */
char *timeline_tshark_lines(const analysis_t *a, const tl_item_t *it, char *buf, size_t len) {
        if (it->n_lines == 0) {
                buf[0] = 0;
                return buf;
        }
        char filter[4096], ip[8];
        flow_filter(&it->t->key, filter, sizeof filter);
        size_t n = strlen(filter);
        n += (size_t) snprintf(filter + n, sizeof filter - n, " && frame.number in {");
        for (uint32_t i = 0; i < it->n_lines && n < sizeof filter; i++)
                n += (size_t) snprintf(filter + n, sizeof filter - n, "%s%llu", i ? "," : "",
                                       (unsigned long long) it->lines[i].frame);
        if (n + 2 >= sizeof filter) {
                buf[0] = 0;
                return buf;
        }
        snprintf(filter + n, sizeof filter - n, "}");
        snprintf(ip, sizeof ip, "%s", it->t->key.a.family == 6 ? "ipv6" : "ip");
        char extra[512];
        snprintf(extra, sizeof extra,
                 "-o tcp.relative_sequence_numbers:TRUE -T fields -e frame.number -e frame.time_relative -e %s.src "
                 "-e tcp.srcport -e %s.dst -e tcp.dstport -e tcp.flags.str -e tcp.seq -e tcp.ack -e tcp.len "
                 "-e tcp.window_size", ip, ip);
        return timeline_tshark(a, filter, extra, buf, len);
}

/* A command, or null when it could not be made whole (never a cut one). */
static void json_cmd(json_t *j, const char *key, const char *cmd) {
        if (cmd[0])
                json_str(j, key, cmd);
        else
                json_null(j, key);
}

static void json_tl_line(json_t *j, const analysis_t *a, const tl_line_t *l) {
        char fl[64];
        json_object_begin(j, NULL);
        json_u64(j, "frame", l->frame);
        json_double(j, "t", (double) (l->ts - a->tl.t0) / 1e9, 9);
        json_str(j, "from", l->dir == 0 ? "client" : "server");
        json_str(j, "flags", timeline_flags(l->flags, fl, sizeof fl));
        json_u64(j, "seq", l->seq);
        if (l->has_ack)
                json_u64(j, "ack", l->ack);
        else
                json_null(j, "ack");
        json_u64(j, "len", l->len);
        json_u64(j, "win", l->win);
        json_str(j, "event", timeline_section_name((tl_section_t) l->section));
        json_frame(j, "event_frame", l->event_frame);
        json_bool(j, "at_event", l->at_event);
        json_u64(j, "skipped_before", l->skipped);
        json_object_end(j);
}

void json_timelines(json_t *j, const analysis_t *a) {
        const timeline_state_t *st = &a->tl;
        char buf[TL_COMMAND_MAX];
        json_object_begin(j, "timelines");
        json_str(j, "relative_to", "first_packet");
        if (a->have_ts)
                json_ts(j, "t0", st->t0);
        else
                json_null(j, "t0");
        json_u64(j, "kept", st->n_items);
        json_u64(j, "lines", st->lines);
        json_u64(j, "lines_max", TL_LINES_MAX);
        json_u64(j, "lines_left_out", st->lines_left_out);
        json_u64(j, "not_kept", st->not_kept);
        json_u64(j, "events_unwatched", st->events_unwatched);
        json_array_begin(j, "items");
        for (uint32_t i = 0; i < st->n_items; i++) {
                const tl_item_t *it = &st->items[i];
                const timeline_t *t = it->t;
                json_object_begin(j, NULL);
                json_u64(j, "id", i);
                json_flow(j, "flow", &t->key);
                json_u64(j, "first_frame", t->first_frame);
                json_u64(j, "last_frame", t->last_frame);
                json_u64(j, "events", t->events);
                json_u64(j, "events_shown", t->n_win);
                json_u64(j, "handshake_left_out", t->hs_more);
                json_bool(j, "closed", t->closed);
                json_object_begin(j, "window_shift");
                for (int d = 0; d < 2; d++) {
                        const char *k = d == 0 ? "client" : "server";
                        if (t->scale[d] < 0)
                                json_null(j, k);
                        else
                                json_i64(j, k, t->scale[d]);
                }
                json_object_end(j);
                char filter[512];
                json_str(j, "filter", timeline_filter(t, filter, sizeof filter));
                json_cmd(j, "tshark", timeline_tshark(a, filter, NULL, buf, sizeof buf));
                timeline_tshark_lines(a, it, buf, sizeof buf);
                if (buf[0])
                        json_str(j, "tshark_lines", buf);
                else
                        json_null(j, "tshark_lines");
                json_u64(j, "lines_left_out", it->lines_left_out);
                json_array_begin(j, "lines");
                for (uint32_t k = 0; k < it->n_lines; k++)
                        json_tl_line(j, a, &it->lines[k]);
                json_array_end(j);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

/* In a finding: the command for its filter, and each flow's filter, command and timeline. */
void json_finding_commands(json_t *j, const analysis_t *a, unsigned i) {
        const finding_t *f = &a->findings[i];
        char buf[TL_COMMAND_MAX], filter[512];
        if (f->filter[0])
                json_cmd(j, "tshark", timeline_tshark(a, f->filter, NULL, buf, sizeof buf));
        else
                json_null(j, "tshark");
        json_array_begin(j, "flow_details");
        for (unsigned k = 0; k < f->n_flows; k++) {
                const tl_ref_t *r = a->tl.refs ? &a->tl.refs[i * 5 + k] : NULL;
                const timeline_t *t = r && r->item >= 0 ? a->tl.items[r->item].t : NULL;
                json_object_begin(j, NULL);
                json_str(j, "flow", f->flows[k]);
                if (t)
                        timeline_filter(t, filter, sizeof filter);
                else
                        flow_filter(&f->flow_key[k], filter, sizeof filter);
                json_str(j, "filter", filter);
                json_cmd(j, "tshark", timeline_tshark(a, filter, NULL, buf, sizeof buf));
                if (r && r->item >= 0)
                        json_u64(j, "timeline", (uint64_t) r->item);
                else
                        json_null(j, "timeline");
                json_object_end(j);
        }
        json_array_end(j);
}
