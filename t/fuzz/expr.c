/* libFuzzer harness: expressions.
 *
 * Input: the expression's text. What parses must write back as text that
 * parses to the same text again, split into ranges and a rest that parses,
 * and, when it checks against a fixed schema, evaluate over a small table
 * of every type (missing values, NaN, zeros, the extreme integers) to a
 * column of the checked type and the table's rows, and over an empty table;
 * a bool expression also as a mask. Evaluated over a table whose columns
 * have other types it must fail cleanly or succeed, never crash. */
#include "config.h"

#include "df/expr.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define N_ROWS 6

static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "trip distance" };
static const DmpiColType types[] = {
  DMPI_COL_INT32, DMPI_COL_INT64, DMPI_COL_FLOAT32, DMPI_COL_FLOAT64, DMPI_COL_TIMESTAMP,
  DMPI_COL_STRING, DMPI_COL_DURATION, DMPI_COL_BOOL, DMPI_COL_FLOAT32,
};
#define N_COLUMNS G_N_ELEMENTS (names)

static DmpiTable *table, *empty, *other;

static void
append_row (DmpiColumn *c, gsize r)
{
  static const gint64 ints[N_ROWS] = { 0, 1, -1, G_MININT64, G_MAXINT64, 7 };
  static const gint32 ints32[N_ROWS] = { 0, 1, -1, G_MININT32, G_MAXINT32, 7 };
  static const gdouble reals[N_ROWS] = { 0.0, -0.0, NAN, INFINITY, -74.0, 40.76 };
  static const char *const strings[N_ROWS] = { "", "x", "2015-01-15 19:05:39", "\xc3\xa9", "12", "nan" };
  if (r == 5 && c->type != DMPI_COL_BOOL)
    {
      dmpi_column_append_missing (c);
      return;
    }
  switch (c->type)
    {
    case DMPI_COL_INT32: dmpi_column_append_int32 (c, ints32[r]); break;
    case DMPI_COL_FLOAT32: dmpi_column_append_float32 (c, (gfloat) reals[r]); break;
    case DMPI_COL_FLOAT64: dmpi_column_append_float64 (c, reals[r]); break;
    case DMPI_COL_STRING: dmpi_column_append_string (c, strings[r], -1); break;
    case DMPI_COL_BOOL: dmpi_column_append_bool (c, r % 2); break;
    case DMPI_COL_INT64:
    case DMPI_COL_TIMESTAMP:
    case DMPI_COL_DURATION:
    default: dmpi_column_append_int64 (c, ints[r]); break;
    }
}

static DmpiTable *
make_table (gsize rows, gboolean other_types)
{
  DmpiTable *t = dmpi_table_new ();
  for (guint k = 0; k < N_COLUMNS; k++)
    {
      /* other: every column shifted to the next type */
      DmpiColType type = other_types ? types[(k + 1) % N_COLUMNS] : types[k];
      DmpiColumn *c = dmpi_column_new (names[k], type, rows);
      for (gsize r = 0; r < rows; r++)
        append_row (c, r);
      dmpi_table_add_column (t, c);
    }
  return t;
}

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc; (void) argv;
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  table = make_table (N_ROWS, FALSE);
  empty = make_table (0, FALSE);
  other = make_table (N_ROWS, TRUE);
  return 0;
}

/* Evaluated over t, as checked. */
static void
evaluate (const DmpiExpr *e, DmpiTable *t, DmpiColType type)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiColumn) c = dmpi_expr_eval (e, t, "out", &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->type, ==, type);
  g_assert_cmpuint (c->n_rows, ==, t->n_rows);
  g_assert_true (c->valid == NULL || dmpi_column_count_missing (c) > 0);
  for (gsize r = 0; r < c->n_rows; r++)
    if (c->type == DMPI_COL_STRING)
      {
        gsize len;
        g_assert_nonnull (dmpi_column_get_string (c, r, &len));
      }
  if (type == DMPI_COL_BOOL)
    {
      gsize kept = 0;
      g_autofree guint8 *keep = dmpi_expr_eval_mask (e, t, &kept, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (kept, <=, t->n_rows);
      for (gsize r = 0; r < t->n_rows; r++)
        g_assert_true (keep[r] == (dmpi_column_is_valid (c, r) && DMPI_COLUMN_BOOL (c)[r]));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiExpr) e = dmpi_expr_parse (text, &error);
  DmpiColType type;

  if (e == NULL)
    {
      g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE);
      g_assert_true (g_str_has_prefix (error->message, "expression '"));
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_cmpstr (dmpi_expr_get_text (e), ==, text);
  g_strfreev (dmpi_expr_get_columns (e));

  /* written back, it parses to the same tree */
  {
    g_autofree char *s = dmpi_expr_to_string (e);
    g_autoptr(DmpiExpr) again = dmpi_expr_parse (s, &error);
    g_assert_no_error (error);
    g_autofree char *s2 = dmpi_expr_to_string (again);
    g_assert_cmpstr (s, ==, s2);
  }
  {
    DmpiExpr *rest = NULL;
    GArray *ranges = dmpi_expr_split_ranges (e, &rest);
    g_assert_true (ranges->len > 0 || rest == e);
    dmpi_expr_ranges_free (ranges);
    g_clear_pointer (&rest, dmpi_expr_unref);
  }

  if (!dmpi_expr_check (e, names, types, N_COLUMNS, &type, &error))
    {
      g_assert_true (error->code == DMPI_DF_ERROR_INVALID || error->code == DMPI_DF_ERROR_MISSING_COLUMN);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      /* the evaluators find the same */
      g_autoptr(GError) again = NULL;
      g_assert_null (dmpi_expr_eval (e, table, "out", &again));
      g_assert_nonnull (again);
      return 0;
    }
  evaluate (e, table, type);
  evaluate (e, empty, type);
  {
    g_autoptr(GError) other_error = NULL;
    g_autoptr(DmpiColumn) c = dmpi_expr_eval (e, other, "out", &other_error);
    g_assert_true ((c == NULL) != (other_error == NULL));
  }
  return 0;
}
