/*
 * tools/ctl_rep.h — ptmctl's report writers: the interrogation report
 * (net/report.h) and the log's typed events as JSON (jansson), CSV (RFC
 * 4180) and one self-contained HTML page with SVG charts.
 */
#ifndef PTM_TOOLS_CTL_REP_H
#define PTM_TOOLS_CTL_REP_H

#include <stdio.h>

#include <jansson.h>

#include "net/report.h"

/* JSON (ctl_rjson.c): new references the caller decrefs, NULL when out of
 * memory.  Every quantity in the pump's integers (ng, nL, ms), times also
 * as ISO 8601 text. */
json_t *ctl_rjson_report(const struct report *r);
json_t *ctl_rjson_event(const struct report_event *ev);

/* CSV (ctl_rcsv.c): RFC 4180 (CRLF line ends, a field quoted when it holds
 * a comma, a quote, CR or LF, its quotes doubled).  0, or -1 when the
 * stream failed. */
void ctl_rcsv_field(FILE *f, const char *s, int last);
int ctl_rcsv_report(FILE *f, const struct report *r);
void ctl_rcsv_events_head(FILE *f);
void ctl_rcsv_event(FILE *f, const struct report_event *ev);

/* HTML (ctl_rhtml.c): one page, no script, no outside file; every number
 * shown sits in an element whose data-k names its JSON path (data-u its
 * unit), so a reader can check it against the JSON report. */
int ctl_rhtml_report(FILE *f, const struct report *r);

#endif
