/*
 * Tally plugin boundary, plain C.
 *
 * This header is the whole contract between the tally host and a plugin
 * library. It is stable across every 1.x release:
 *   - only fixed-width integers, (pointer, length) strings and opaque handles
 *     cross it; no C++ object, exception or allocation changes hands;
 *   - every struct starts with its own size, so each side reads only the
 *     fields the other side knew about;
 *   - function tables only grow at the end; a new behaviour gets a new entry
 *     (`foo_v2`), never a changed signature.
 *
 * A plugin exports two symbols (see TALLY_PLUGIN_EXPORT):
 *   uint32_t tally_plugin_sdk_version(void);
 *       The SDK version it was built against, TALLY_SDK_VERSION. The host
 *       calls it before anything else and refuses another major or a newer
 *       minor than its own.
 *   int32_t tally_plugin_init(const tally_host_api *host, tally_plugin_info *info);
 *       Fills `info` with the plugin's kind and function table. Returns 0.
 *
 * Plugin authors normally use the C++ wrapper in <tally/sdk.hpp> instead.
 */
#ifndef TALLY_PLUGIN_H
#define TALLY_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_SDK_VERSION_MAJOR 1
#define TALLY_SDK_VERSION_MINOR 2
#define TALLY_SDK_VERSION ((uint32_t)((TALLY_SDK_VERSION_MAJOR << 16) | TALLY_SDK_VERSION_MINOR))
#define TALLY_SDK_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define TALLY_SDK_MINOR_OF(v) ((uint32_t)(v)&0xFFFFu)

#if defined(_WIN32)
#define TALLY_PLUGIN_EXPORT __declspec(dllexport)
#else
#define TALLY_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* A borrowed UTF-8 string: not NUL-terminated, valid until the call that
 * produced it is made again or the owning handle is released. */
typedef struct tally_str {
  const char* data;
  uint64_t size;
} tally_str;

/* Opaque handles owned by the host. */
typedef struct tally_ctx tally_ctx;     /* one plugin invocation */
typedef struct tally_query tally_query; /* a query being built */
typedef struct tally_rows tally_rows;   /* the rows of an executed query */
typedef struct tally_table tally_table; /* a result table being built */

/* Status codes returned by host functions. On failure the message is
 * available from host->last_error(ctx). */
enum {
  TALLY_OK = 0,
  TALLY_FAILED = 1,
};

enum tally_plugin_kind {
  TALLY_KIND_METRIC = 1,
  TALLY_KIND_REPORT = 2,
  TALLY_KIND_SOURCE = 3,
};

enum tally_log_level {
  TALLY_LOG_DEBUG = 0,
  TALLY_LOG_INFO = 1,
  TALLY_LOG_WARN = 2,
  TALLY_LOG_ERROR = 3,
};

/* Units of table columns and KPIs. Percent values are ratios (0.31 = 31 %). */
enum tally_unit {
  TALLY_UNIT_TEXT = 0,
  TALLY_UNIT_COUNT = 1,   /* integer count */
  TALLY_UNIT_NUMBER = 2,  /* plain real number */
  TALLY_UNIT_MONEY = 3,   /* in the report currency */
  TALLY_UNIT_PERCENT = 4, /* ratio */
  TALLY_UNIT_DAYS = 5,
  TALLY_UNIT_MINUTES = 6,
  TALLY_UNIT_HOURS = 7,
  TALLY_UNIT_DATE = 8, /* text 'YYYY-MM-DD' */
  TALLY_UNIT_FLAG = 9, /* integer 0/1 */
};

/* How a result table is best drawn. */
enum tally_chart {
  TALLY_CHART_NONE = 0,
  TALLY_CHART_BAR = 1,
  TALLY_CHART_STACKED_BAR = 2,
  TALLY_CHART_LINE = 3,
  TALLY_CHART_FUNNEL = 4,
};

/* Which period a query or accessor refers to. */
enum tally_period_which {
  TALLY_PERIOD_CURRENT = 0,
  TALLY_PERIOD_COMPARE = 1,
};

enum tally_value_type {
  TALLY_VALUE_NULL = 0,
  TALLY_VALUE_INT = 1,
  TALLY_VALUE_REAL = 2,
  TALLY_VALUE_TEXT = 3,
};

/* A typed value: a query cell, a result cell, a parameter. */
typedef struct tally_value {
  int32_t type; /* tally_value_type */
  int64_t i;
  double d;
  tally_str s;
} tally_value;

/* A half-open date range [from, to), dates as 'YYYY-MM-DD'. */
typedef struct tally_period {
  uint32_t struct_size;
  tally_str from;
  tally_str to;
} tally_period;

/* A headline KPI. `has_*` say whether the matching value is set; an unset
 * value is "n/a" (JSON null). */
typedef struct tally_kpi {
  uint32_t struct_size;
  tally_str name;  /* machine name, e.g. "win_rate" */
  tally_str label; /* human label, e.g. "Win rate"; may be empty */
  int32_t unit;    /* tally_unit */
  int32_t has_value;
  double value;
  int32_t has_previous;
  double previous;
  int32_t has_target;
  double target;
  /* Whether a rise is good news (1) or bad news (0), for arrows and colour. */
  int32_t higher_is_better;
  /* ---- 1.1 ---- */
  /* How `previous` may be read: tally_compare_status. */
  int32_t compare_status;
  /* A short qualifier a reader must see next to the number ("new business
   * only", "cohort 30 of 90 days old"); may be empty. */
  tally_str note;
  /* Where the target came from ("config", "quotas"); may be empty. */
  tally_str target_source;
} tally_kpi;

/* Whether a KPI's comparison value is like for like (1.1). */
typedef enum tally_compare_status {
  TALLY_COMPARE_OK = 0,            /* previous is comparable (or the run has no comparison) */
  TALLY_COMPARE_NO_DATA = 1,       /* the comparison period has no data: show "no data" */
  TALLY_COMPARE_NOT_COMPARABLE = 2 /* not like for like (see note): show no change */
} tally_compare_status;

/* Drawing hint for a table: x is a column name, ys a comma-separated list of
 * column names (empty = every numeric column but x). */
typedef struct tally_chart_hint {
  uint32_t struct_size;
  int32_t chart; /* tally_chart */
  tally_str x;
  tally_str ys;
} tally_chart_hint;

/* Read side of a finished run, for report plugins. */
typedef struct tally_metric_info {
  uint32_t struct_size;
  tally_str name;   /* the `as:` name, or the plugin name */
  tally_str plugin; /* plugin name */
  tally_str title;  /* human title */
  int32_t ok;       /* 1 ok, 0 failed */
  tally_str error;  /* when !ok */
  uint32_t kpi_count;
  uint32_t table_count;
} tally_metric_info;

typedef struct tally_table_info {
  uint32_t struct_size;
  tally_str name;
  tally_str title;
  int32_t chart; /* tally_chart */
  tally_str chart_x;
  tally_str chart_ys;
  uint32_t column_count;
  uint64_t row_count;
} tally_table_info;

typedef struct tally_column_info {
  uint32_t struct_size;
  tally_str name;
  int32_t unit; /* tally_unit */
} tally_column_info;

/* Which records a number rests on (1.2), declared by a metric plugin with
 * host->add_drilldown while it runs. The query's dataset, where() conditions,
 * bound parameters and period say which records; its groups, order and limit
 * are ignored, and so are its selects except the drilldown_* ones that
 * <tally/drilldown.hpp> adds (a per-record value and how the records make the
 * number: sum, mean, median, p90, gap; constants travel as bound parameters
 * drilldown_constant_*). The host lists each record's id, name, amounts and
 * dates, keeps the declaration and runs it only when asked (`tally explain`,
 * the dashboard), so declaring costs no query. */
typedef enum tally_drilldown_part {
  TALLY_DRILLDOWN_RECORDS = 0,    /* the records counted (a ratio's numerator) */
  TALLY_DRILLDOWN_DENOMINATOR = 1 /* a ratio's denominator */
} tally_drilldown_part;

typedef struct tally_drilldown {
  uint32_t struct_size;
  tally_str kpi;      /* the KPI's machine name */
  tally_str row;      /* empty: the headline KPI; else the key of a table row */
  int32_t part;       /* tally_drilldown_part */
  tally_query* query; /* borrowed; still owned (and freed) by the plugin */
} tally_drilldown;

/* One record read by a source plugin. */
typedef struct tally_record {
  uint32_t struct_size;
  uint64_t line; /* 1-based line where the record starts */
  uint32_t field_count;
  const tally_str* fields; /* owned by the plugin until the next call */
} tally_record;

/*
 * Functions the host offers to plugins. Grows at the end only; a plugin
 * built against 1.m may use the entries of 1.m and older (check
 * struct_size before using an entry added later than 1.0).
 */
typedef struct tally_host_api {
  uint32_t struct_size;
  uint32_t sdk_version; /* the host's TALLY_SDK_VERSION */

  /* ---- 1.0: every plugin kind ---- */
  void (*log)(tally_ctx* ctx, int32_t level, tally_str message);
  /* The message of the last failed host call on this ctx. */
  tally_str (*last_error)(tally_ctx* ctx);
  /* Report the plugin's own failure; the trampoline then returns non-zero. */
  void (*set_error)(tally_ctx* ctx, tally_str message);

  /* Params, already validated against the manifest and defaulted.
   * param_get fails for a name the manifest does not declare. For a list
   * param, param_list_size gives the length and param_list_item each item. */
  int32_t (*param_get)(tally_ctx* ctx, tally_str name, tally_value* out);
  int32_t (*param_list_size)(tally_ctx* ctx, tally_str name, uint64_t* out);
  int32_t (*param_list_item)(tally_ctx* ctx, tally_str name, uint64_t index, tally_value* out);

  /* The report period and comparison period; period() fails for
   * TALLY_PERIOD_COMPARE when the run has no comparison. */
  int32_t (*has_compare)(tally_ctx* ctx);
  int32_t (*period)(tally_ctx* ctx, int32_t which, tally_period* out);
  /* Month (1-12) the fiscal year starts in. */
  int32_t (*fiscal_year_start)(tally_ctx* ctx);
  /* ISO 4217 code of the report currency. */
  tally_str (*currency)(tally_ctx* ctx);

  /* ---- 1.0: metric plugins: data access ----
   * A query reads one dataset (opportunities, leads, activities, ...). Every
   * expression is written in Tally's portable expression language (see
   * docs/plugin-guide.md): column and dimension names, literals (always bound,
   * never spliced into SQL), :named parameters, and portable functions. The
   * report's filters are applied to every query automatically. */
  tally_query* (*query_new)(tally_ctx* ctx, tally_str dataset);
  int32_t (*query_select)(tally_query* q, tally_str alias, tally_str expr);
  int32_t (*query_where)(tally_query* q, tally_str expr);
  int32_t (*query_group_by)(tally_query* q, tally_str alias, tally_str expr);
  int32_t (*query_order_by)(tally_query* q, tally_str alias, int32_t descending);
  int32_t (*query_limit)(tally_query* q, int64_t limit);
  int32_t (*query_bind)(tally_query* q, tally_str name, const tally_value* value);
  /* Which period in_period(), period_from and period_to refer to. */
  int32_t (*query_use_period)(tally_query* q, int32_t which);
  /* Runs the query; NULL on failure. The query may be run again. */
  tally_rows* (*query_run)(tally_query* q);
  void (*query_free)(tally_query* q);

  /* 1 = a row is ready, 0 = no more rows, -1 = error (see last_error). */
  int32_t (*rows_next)(tally_rows* rows);
  uint32_t (*rows_column_count)(tally_rows* rows);
  tally_str (*rows_column_name)(tally_rows* rows, uint32_t column);
  int32_t (*rows_get)(tally_rows* rows, uint32_t column, tally_value* out);
  void (*rows_free)(tally_rows* rows);

  /* ---- 1.0: metric plugins: results ---- */
  int32_t (*add_kpi)(tally_ctx* ctx, const tally_kpi* kpi);
  tally_table* (*add_table)(tally_ctx* ctx, tally_str name, tally_str title);
  int32_t (*table_add_column)(tally_table* table, tally_str name, int32_t unit);
  int32_t (*table_set_chart)(tally_table* table, const tally_chart_hint* hint);
  /* Appends one row; `count` must equal the number of columns. */
  int32_t (*table_add_row)(tally_table* table, const tally_value* cells, uint32_t count);
  /* A configured target for a KPI of this metric (config `targets:`);
   * returns 1 and sets *out when there is one, 0 otherwise. */
  int32_t (*config_target)(tally_ctx* ctx, tally_str kpi_name, double* out);

  /* ---- 1.0: report plugins: the finished run ---- */
  tally_str (*run_title)(tally_ctx* ctx);
  uint32_t (*metric_count)(tally_ctx* ctx);
  int32_t (*metric_info)(tally_ctx* ctx, uint32_t metric, tally_metric_info* out);
  int32_t (*metric_kpi)(tally_ctx* ctx, uint32_t metric, uint32_t kpi, tally_kpi* out);
  int32_t (*metric_table)(tally_ctx* ctx, uint32_t metric, uint32_t table, tally_table_info* out);
  int32_t (*table_column)(tally_ctx* ctx, uint32_t metric, uint32_t table, uint32_t column,
                          tally_column_info* out);
  int32_t (*table_cell)(tally_ctx* ctx, uint32_t metric, uint32_t table, uint64_t row, uint32_t column,
                        tally_value* out);
  /* Writes to the run's standard output (results only, never logs). */
  int32_t (*write_output)(tally_ctx* ctx, tally_str text);
  /* 1 when standard output is a colour-capable terminal and NO_COLOR is unset. */
  int32_t (*output_is_tty)(tally_ctx* ctx);

  /* ---- 1.1: metric plugins: notes ----
   * A note on the metric's results that a reader must see beside the numbers:
   * data quality ("amount unknown on 2,089 deals"), scope, why a breakdown
   * does not add up to its headline. */
  int32_t (*add_note)(tally_ctx* ctx, tally_str text);

  /* ---- 1.1: report plugins: notes, run warnings and provenance ---- */
  uint32_t (*metric_note_count)(tally_ctx* ctx, uint32_t metric);
  tally_str (*metric_note)(tally_ctx* ctx, uint32_t metric, uint32_t note);
  /* Warnings about the whole run (rejected rows in the data, a period outside
   * the data's date range, ...), in the order they were found. */
  uint32_t (*run_warning_count)(tally_ctx* ctx);
  tally_str (*run_warning)(tally_ctx* ctx, uint32_t warning);
  /* Named facts about the run, for provenance ("data_source", "data_from",
   * "data_to", "generated_at", "tally_version", ...); empty when unknown.
   * run_fact_name lists them in a stable order. */
  uint32_t (*run_fact_count)(tally_ctx* ctx);
  tally_str (*run_fact_name)(tally_ctx* ctx, uint32_t fact);
  tally_str (*run_fact)(tally_ctx* ctx, tally_str name);

  /* ---- 1.2: metric plugins: drill-down ----
   * Declares the records behind a KPI (or one table row of it): see
   * tally_drilldown. A later declaration for the same kpi, row and part
   * replaces the earlier one. */
  int32_t (*add_drilldown)(tally_ctx* ctx, const tally_drilldown* drilldown);
} tally_host_api;

/* ---- What a plugin provides ---- */

typedef struct tally_metric_api {
  uint32_t struct_size;
  /* Computes the metric into ctx. 0 on success; otherwise the plugin has
   * called host->set_error. */
  int32_t (*run)(tally_ctx* ctx);
} tally_metric_api;

typedef struct tally_report_api {
  uint32_t struct_size;
  /* Renders the finished run. 0 on success. */
  int32_t (*render)(tally_ctx* ctx);
} tally_report_api;

typedef struct tally_source_api {
  uint32_t struct_size;
  /* Opens `location` (a file path for file sources). NULL on failure. */
  void* (*open)(tally_ctx* ctx, tally_str location);
  /* The column names, once, before the first record. 0 on success. */
  int32_t (*columns)(void* reader, tally_ctx* ctx, tally_record* out);
  /* 1 = a record is ready, 0 = end of input, -1 = error (set_error called;
   * the message names the line). */
  int32_t (*next)(void* reader, tally_ctx* ctx, tally_record* out);
  /* Bytes consumed so far and the total, for progress; total 0 = unknown. */
  void (*progress)(void* reader, uint64_t* done, uint64_t* total);
  void (*close)(void* reader);
} tally_source_api;

typedef struct tally_plugin_info {
  uint32_t struct_size; /* set by the host */
  int32_t kind;         /* tally_plugin_kind */
  const tally_metric_api* metric;
  const tally_report_api* report;
  const tally_source_api* source;
} tally_plugin_info;

typedef uint32_t (*tally_plugin_sdk_version_fn)(void);
typedef int32_t (*tally_plugin_init_fn)(const tally_host_api* host, tally_plugin_info* info);

#define TALLY_PLUGIN_SDK_VERSION_SYMBOL "tally_plugin_sdk_version"
#define TALLY_PLUGIN_INIT_SYMBOL "tally_plugin_init"

#ifdef __cplusplus
}
#endif

#endif /* TALLY_PLUGIN_H */
