/* The run as one JSON document (results/run.schema.json): a context block (the meta:
 * machine, build, command, run id, floors) and per cell its key, its summary and its
 * raw trials. Written as part of the results set, beside the CSVs. */
#ifndef CB_JSON_H
#define CB_JSON_H

#include <stdio.h>

/* The first bytes of every such file, so that an old one can be told ours. */
#define JSON_HEAD "{\"concbench\":"

/* fileset body: arg is a struct csv_results. */
void json_body(FILE *f, const void *arg);

#endif
