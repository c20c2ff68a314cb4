/* Pieces of the JSON report shared by its files. */
#pragma once

#include "engine.h"
#include "json.h"

/* The whole report into j: to a FILE (report_json) or to a sink (report-csv.c makes its tables of it). */
void report_json_emit(json_t *j, const analysis_t *a);

void json_quantiles_ms(json_t *j, const char *key, const samples_t *s);
void json_flow(json_t *j, const char *key, const flow_key_t *k);
/* A frame number (Wireshark's), null when there is none (0). */
void json_frame(json_t *j, const char *key, uint64_t frame);

/* report-json-jitter.c: jitter by kind of traffic, RTP streams, the charted flows */
void json_jitter(json_t *j, const analysis_t *a);

/* report-json-time.c: where the time went */
void json_where_time_went(json_t *j, const analysis_t *a);
void json_capture_point(json_t *j, const analysis_t *a);
void json_transactions(json_t *j, const analysis_t *a);
void json_transfers(json_t *j, const analysis_t *a);

/* report-json-conns.c: the connections table */
void json_connections(json_t *j, const analysis_t *a);
