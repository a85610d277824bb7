/* Expressions: the language, NumPy's arithmetic and pandas' missing values,
 * checked against values computed here independently (plain loops that
 * follow NumPy's formulas, libm's fmod, GDateTime), and every error. */
#include "config.h"

#include "df/expr.h"

#include <math.h>
#include <string.h>
#include <time.h>

/* The reference computations round as NumPy does, one operation at a time. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize ("fp-contract=off")
#endif

/* ---------------------------------------------------------------- helpers */

/* A column from an array; missing: a string with 'x' at the missing rows
 * (NULL: none). */
static DmpiColumn *
column_of (const char *name, DmpiColType type, const void *values, gsize n, const char *missing)
{
  DmpiColumn *c = dmpi_column_new (name, type, n);
  for (gsize i = 0; i < n; i++)
    {
      if (missing != NULL && missing[i] == 'x')
        {
          dmpi_column_append_missing (c);
          continue;
        }
      switch (type)
        {
        case DMPI_COL_INT32: dmpi_column_append_int32 (c, ((const gint32 *) values)[i]); break;
        case DMPI_COL_FLOAT32: dmpi_column_append_float32 (c, ((const gfloat *) values)[i]); break;
        case DMPI_COL_FLOAT64: dmpi_column_append_float64 (c, ((const gdouble *) values)[i]); break;
        case DMPI_COL_BOOL: dmpi_column_append_bool (c, ((const guint8 *) values)[i]); break;
        case DMPI_COL_STRING: dmpi_column_append_string (c, ((const char *const *) values)[i], -1); break;
        case DMPI_COL_INT64:
        case DMPI_COL_TIMESTAMP:
        case DMPI_COL_DURATION:
        default: dmpi_column_append_int64 (c, ((const gint64 *) values)[i]); break;
        }
    }
  return c;
}

#define N_ROWS 8
static const gint32 i_values[N_ROWS] = { 0, 1, -1, 7, -7, G_MAXINT32, G_MININT32, 0 };
static const gint32 j_values[N_ROWS] = { 3, -3, 0, 2, -2, 1, -1, 5 };
static const gint64 l_values[N_ROWS] = { 10, -10, G_MAXINT64, G_MININT64, 4, 0, -1, 1 };
static const gfloat f_values[N_ROWS] = { 0.5f, -1.25f, NAN, 40.76f, -74.0f, INFINITY, 0.0f, 3.0f };
static const gfloat g_values[N_ROWS] = { 2.0f, 0.01f, 1.0f, 0.01f, 0.01f, 2.0f, -0.0f, -2.0f };
static const gdouble d_values[N_ROWS] = { 0.1, -2.5, 1e300, NAN, -0.0, 2.5, 3.5, 1e-5 };
static const guint8 b_values[N_ROWS] = { 1, 0, 1, 1, 0, 1, 0, 1 };
static const char *const s_values[N_ROWS] = { "apple", "banana", "", "\xc3\xa9t\xc3\xa9", "x",
                                              "apple pie", "x", "Apple" };
/* 2015-01-15 19:05:39, 1969-12-31 23:59:59.5, 2016-02-29 00:00:00, 1970-01-01, ... */
static const gint64 t_values[N_ROWS] = {
  G_GINT64_CONSTANT (1421348739000000000), G_GINT64_CONSTANT (-500000000),
  G_GINT64_CONSTANT (1456704000000000000), 0, G_GINT64_CONSTANT (1421349822000000000),
  G_GINT64_CONSTANT (1451606399999999999), G_GINT64_CONSTANT (-86400000000000),
  G_GINT64_CONSTANT (946684800123000000),
};
static const gint64 u_values[N_ROWS] = {
  G_GINT64_CONSTANT (1083000000000), -1, 0, G_GINT64_CONSTANT (86400000000000), 5, 6, 7, 8,
};

/* i: int32, missing at 7; j: int32; l: int64; f, g: float32 (f missing at 6);
 * d: float64; b: bool (missing at 3); s: string (missing at 4);
 * t: timestamp (missing at 3); u: duration. */
static DmpiTable *
make_table (void)
{
  DmpiTable *t = dmpi_table_new ();
  dmpi_table_add_column (t, column_of ("i", DMPI_COL_INT32, i_values, N_ROWS, ".......x"));
  dmpi_table_add_column (t, column_of ("j", DMPI_COL_INT32, j_values, N_ROWS, NULL));
  dmpi_table_add_column (t, column_of ("l", DMPI_COL_INT64, l_values, N_ROWS, NULL));
  dmpi_table_add_column (t, column_of ("f", DMPI_COL_FLOAT32, f_values, N_ROWS, "......x."));
  dmpi_table_add_column (t, column_of ("g", DMPI_COL_FLOAT32, g_values, N_ROWS, NULL));
  dmpi_table_add_column (t, column_of ("d", DMPI_COL_FLOAT64, d_values, N_ROWS, NULL));
  dmpi_table_add_column (t, column_of ("b", DMPI_COL_BOOL, b_values, N_ROWS, "...x...."));
  dmpi_table_add_column (t, column_of ("s", DMPI_COL_STRING, s_values, N_ROWS, "....x..."));
  dmpi_table_add_column (t, column_of ("t", DMPI_COL_TIMESTAMP, t_values, N_ROWS, "...x...."));
  dmpi_table_add_column (t, column_of ("u", DMPI_COL_DURATION, u_values, N_ROWS, NULL));
  dmpi_table_add_column (t, column_of ("trip distance", DMPI_COL_FLOAT64, d_values, N_ROWS, NULL));
  return t;
}

static DmpiTable *table;

static DmpiColumn *
eval (const char *text, DmpiTable *over)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiExpr) e = dmpi_expr_parse (text, &error);
  g_assert_no_error (error);
  DmpiColumn *c = dmpi_expr_eval (e, over != NULL ? over : table, "out", &error);
  g_assert_no_error (error);
  g_assert_nonnull (c);
  g_assert_cmpstr (c->name, ==, "out");
  g_assert_cmpuint (c->n_rows, ==, (over != NULL ? over : table)->n_rows);
  /* dmpi_expr_check agrees with what eval gives */
  {
    DmpiTable *tt = over != NULL ? over : table;
    guint n = dmpi_table_n_columns (tt);
    g_autofree const char **names = g_new0 (const char *, n + 1);
    g_autofree DmpiColType *types = g_new0 (DmpiColType, n + 1);
    DmpiColType out;
    for (guint k = 0; k < n; k++)
      names[k] = dmpi_table_column (tt, k)->name, types[k] = dmpi_table_column (tt, k)->type;
    g_assert_true (dmpi_expr_check (e, names, types, n, &out, &error));
    g_assert_no_error (error);
    g_assert_cmpint (out, ==, c->type);
  }
  /* a valid array only when something is missing */
  if (c->valid != NULL)
    g_assert_cmpuint (dmpi_column_count_missing (c), >, 0);
  return c;
}

static gboolean
missing (const DmpiColumn *c, gsize i)
{
  return !dmpi_column_is_valid (c, i);
}

/* Bitwise equality, NaN equal to NaN. */
static gboolean
same_f32 (gfloat a, gfloat b)
{
  return memcmp (&a, &b, 4) == 0 || (isnan (a) && isnan (b));
}

static gboolean
same_f64 (gdouble a, gdouble b)
{
  return memcmp (&a, &b, 8) == 0 || (isnan (a) && isnan (b));
}

static void
assert_type (const char *text, DmpiColType type)
{
  g_autoptr(DmpiColumn) c = eval (text, NULL);
  if (c->type != type)
    g_error ("%s: %s, expected %s", text, dmpi_col_type_name (c->type), dmpi_col_type_name (type));
}

static void
assert_bools (const char *text, const char *expected)
{
  g_autoptr(DmpiColumn) c = eval (text, NULL);
  g_assert_cmpint (c->type, ==, DMPI_COL_BOOL);
  for (gsize i = 0; i < N_ROWS; i++)
    {
      char got = missing (c, i) ? 'x' : DMPI_COLUMN_BOOL (c)[i] ? '1' : '0';
      if (got != expected[i])
        g_error ("%s: row %" G_GSIZE_FORMAT " is %c, expected %s", text, i, got, expected);
    }
}

static void
assert_strings (const char *text, const char *const *expected)
{
  g_autoptr(DmpiColumn) c = eval (text, NULL);
  g_assert_cmpint (c->type, ==, DMPI_COL_STRING);
  for (gsize i = 0; i < N_ROWS; i++)
    {
      gsize len;
      const char *s = dmpi_column_get_string (c, i, &len);
      g_autofree char *got = missing (c, i) ? NULL : g_strndup (s, len);
      g_assert_cmpstr (got, ==, expected[i]);
    }
}

static void
assert_error (const char *text, gint code, const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DmpiExpr) e = dmpi_expr_parse (text, &error);
  if (e != NULL)
    {
      g_autoptr(DmpiColumn) c = dmpi_expr_eval (e, table, "out", &error);
      g_assert_null (c);
    }
  g_assert_error (error, DMPI_DF_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
}

/* ---------------------------------------------------------------- NumPy, written out */

/* npy_divmod (numpy/core/src/npymath/npy_math_internal.h.src) on libm's
 * fmod: np_floor_divide_f, np_remainder_f (float32), _d (float64). */
#define NP_DIVMOD(SFX, T, FMOD, FLOOR, COPYSIGN) \
  static T \
  np_floor_divide_##SFX (T a, T b) \
  { \
    if (!b) \
      return a / b; \
    T mod = FMOD (a, b); \
    T div = (a - mod) / b; \
    if (mod && isless (b, 0) != isless (mod, 0)) \
      div -= 1; \
    if (!div) \
      return COPYSIGN (0, a / b); \
    T floordiv = FLOOR (div); \
    if (isgreater (div - floordiv, (T) 0.5)) \
      floordiv += 1; \
    return floordiv; \
  } \
  static T \
  np_remainder_##SFX (T a, T b) \
  { \
    T mod = FMOD (a, b); \
    if (!b) \
      return mod; \
    if (!mod) \
      return COPYSIGN (0, b); \
    return isless (b, 0) != isless (mod, 0) ? mod + b : mod; \
  }

NP_DIVMOD (f, gfloat, fmodf, floorf, copysignf)
NP_DIVMOD (d, gdouble, fmod, floor, copysign)

/* ---------------------------------------------------------------- tests */

static void
test_precedence (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "1 + 2 * 3", "(1 + (2 * 3))" },
    { "(1 + 2) * 3", "((1 + 2) * 3)" },
    { "-2**2", "(-(2 ** 2))" },
    { "2**-1", "(2 ** (-1))" },
    { "2**3**2", "(2 ** (3 ** 2))" },
    { "-x**-y", "(-(x ** (-y)))" },
    { "a - b - c", "((a - b) - c)" },
    { "a / b // c % d", "(((a / b) // c) % d)" },
    { "a or b and c", "(a or (b and c))" },
    { "a | b & c", "(a or (b and c))" },
    { "not a and b", "((not a) and b)" },
    { "~a | not b", "((not a) or (not b))" },
    { "not a == b", "(not (a == b))" },
    { "0 < x < 500", "(0 < x < 500)" },
    { "a + 1 > b * 2 == c", "((a + 1) > (b * 2) == c)" },
    { "x > 1 and y < 2 or z", "(((x > 1) and (y < 2)) or z)" },
    { "-(-x)", "(-(-x))" },
    { "+x", "(+x)" },
    { "f(x)", NULL },
    { "abs(-x) + round(y, -2)", "(abs((-x)) + round(y, (-2)))" },
    { "isna(x) | notna(y)", "(isnull(x) or notnull(y))" },
    { "`trip distance` * 2", "(`trip distance` * 2)" },
    { "`and` + `1x` + sin", "((`and` + `1x`) + sin)" },
    { ".5 + 1. + 1e-3 + 2.5E+8 + 1e999", "((((0.5 + 1.0) + 0.001) + 2.5e+08) + 1e999)" },
    { "'a\\'b' + \"c\\\"d\" + '\\x00\\n\\t\\\\'", "(('a\\'b' + 'c\"d') + '\\x00\\n\\t\\\\')" },
    { "True and False or None and null", "((true and false) or (null and null))" },
    { "'\xc3\xa9\\xff'", "'\xc3\xa9\\xff'" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DmpiExpr) e = dmpi_expr_parse (cases[i].in, &error);
      if (cases[i].out == NULL)
        {
          g_assert_null (e);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpstr (dmpi_expr_get_text (e), ==, cases[i].in);
      g_autofree char *s = dmpi_expr_to_string (e);
      g_assert_cmpstr (s, ==, cases[i].out);
      /* written back, it parses to the same tree */
      g_autoptr(DmpiExpr) again = dmpi_expr_parse (s, &error);
      g_assert_no_error (error);
      g_autofree char *s2 = dmpi_expr_to_string (again);
      g_assert_cmpstr (s2, ==, s);
    }
}

static void
test_columns (void)
{
  g_autoptr(DmpiExpr) e = dmpi_expr_parse ("b + a * `trip distance` - b + abs(a) + year(t)", NULL);
  g_auto(GStrv) cols = dmpi_expr_get_columns (e);
  const char *expected[] = { "b", "a", "trip distance", "t", NULL };
  g_assert_cmpuint (g_strv_length (cols), ==, 4);
  for (guint k = 0; k < 4; k++)
    g_assert_cmpstr (cols[k], ==, expected[k]);
  g_autoptr(DmpiExpr) lit = dmpi_expr_parse ("1 + 2", NULL);
  g_auto(GStrv) none = dmpi_expr_get_columns (lit);
  g_assert_null (none[0]);
  g_assert_true (dmpi_expr_ref (lit) == lit);
  dmpi_expr_unref (lit);
}

static void
test_literals (void)
{
  g_autoptr(DmpiColumn) i = eval ("42", NULL);
  g_autoptr(DmpiColumn) f = eval (".5", NULL);
  g_autoptr(DmpiColumn) e = eval ("1e-3", NULL);
  g_autoptr(DmpiColumn) s = eval ("'it\\'s' + \"\\x41\"", NULL);
  g_autoptr(DmpiColumn) t = eval ("True", NULL);
  g_autoptr(DmpiColumn) n = eval ("None", NULL);
  g_autoptr(DmpiColumn) ni = eval ("null + 1", NULL);
  g_assert_cmpint (i->type, ==, DMPI_COL_INT64);
  g_assert_cmpint (f->type, ==, DMPI_COL_FLOAT64);
  g_assert_cmpint (n->type, ==, DMPI_COL_FLOAT64);
  g_assert_cmpint (ni->type, ==, DMPI_COL_INT64);
  for (gsize r = 0; r < N_ROWS; r++)
    {
      gsize len;
      g_assert_cmpint (DMPI_COLUMN_INT64 (i)[r], ==, 42);
      g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (f)[r], ==, 0.5);
      g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (e)[r], ==, 0.001);
      const char *v = dmpi_column_get_string (s, r, &len);
      g_assert_cmpmem (v, len, "it's" "A", 5);
      g_assert_cmpint (DMPI_COLUMN_BOOL (t)[r], ==, 1);
      g_assert_true (missing (n, r) && missing (ni, r));
    }
}

static void
test_int_arithmetic (void)
{
  g_autoptr(DmpiColumn) add = eval ("i + j", NULL);
  g_autoptr(DmpiColumn) sub = eval ("i - j", NULL);
  g_autoptr(DmpiColumn) mul = eval ("i * j", NULL);
  g_autoptr(DmpiColumn) neg = eval ("-i", NULL);
  g_autoptr(DmpiColumn) ab = eval ("abs(i)", NULL);
  g_autoptr(DmpiColumn) fd = eval ("i // j", NULL);
  g_autoptr(DmpiColumn) md = eval ("i % j", NULL);
  g_autoptr(DmpiColumn) pw = eval ("j ** 3", NULL);
  g_autoptr(DmpiColumn) ladd = eval ("l + 1", NULL);
  g_autoptr(DmpiColumn) lmul = eval ("l * l", NULL);
  g_autoptr(DmpiColumn) lfd = eval ("l // j", NULL);
  g_autoptr(DmpiColumn) lmd = eval ("l % j", NULL);
  g_autoptr(DmpiColumn) lpw = eval ("l ** j", NULL);
  g_autoptr(DmpiColumn) div = eval ("i / j", NULL);

  g_assert_cmpint (add->type, ==, DMPI_COL_INT32);
  g_assert_cmpint (div->type, ==, DMPI_COL_FLOAT64);
  for (gsize r = 0; r < N_ROWS; r++)
    {
      gint64 a = i_values[r], b = j_values[r], l = l_values[r];
      if (r == 7)
        {
          /* missing in, missing out */
          g_assert_true (missing (add, r) && missing (sub, r) && missing (mul, r) && missing (neg, r));
          g_assert_true (missing (ab, r) && missing (fd, r) && missing (md, r) && missing (div, r));
          continue;
        }
      /* two's complement wrapping, from exact 64-bit results */
      g_assert_cmpint (DMPI_COLUMN_INT32 (add)[r], ==, (gint32) (guint32) (guint64) (a + b));
      g_assert_cmpint (DMPI_COLUMN_INT32 (sub)[r], ==, (gint32) (guint32) (guint64) (a - b));
      g_assert_cmpint (DMPI_COLUMN_INT32 (mul)[r], ==, (gint32) (guint32) (guint64) (a * b));
      g_assert_cmpint (DMPI_COLUMN_INT32 (neg)[r], ==, (gint32) (guint32) (guint64) (-a));
      g_assert_cmpint (DMPI_COLUMN_INT32 (ab)[r], ==, (gint32) (guint32) (guint64) (a < 0 ? -a : a));
      g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (div)[r], ==, (gdouble) a / (gdouble) b);
      if (b == 0)
        g_assert_true (missing (fd, r) && missing (md, r) && missing (lfd, r) && missing (lmd, r));
      else
        {
          /* Python's floor division and remainder, on exact 64-bit values */
          gint64 q = a / b, m = a - q * b;
          if (m != 0 && (m < 0) != (b < 0))
            q--, m += b;
          g_assert_cmpint (DMPI_COLUMN_INT32 (fd)[r], ==, (gint32) (guint32) (guint64) q);
          g_assert_cmpint (DMPI_COLUMN_INT32 (md)[r], ==, (gint32) m);
          __int128 ql = (__int128) l / b, ml = (__int128) l - ql * b;
          if (ml != 0 && (ml < 0) != (b < 0))
            ql--, ml += b;
          g_assert_cmpint (DMPI_COLUMN_INT64 (lfd)[r], ==, (gint64) (guint64) ql);
          g_assert_cmpint (DMPI_COLUMN_INT64 (lmd)[r], ==, (gint64) ml);
        }
      g_assert_cmpint (DMPI_COLUMN_INT32 (pw)[r], ==, b * b * b);
      g_assert_cmpint (DMPI_COLUMN_INT64 (ladd)[r], ==, (gint64) ((guint64) l + 1));
      g_assert_cmpint (DMPI_COLUMN_INT64 (lmul)[r], ==, (gint64) (guint64) ((unsigned __int128) l * (unsigned __int128) l));
      if (b < 0)
        g_assert_true (missing (lpw, r));   /* NumPy raises */
      else
        {
          unsigned __int128 p = 1;
          for (gint64 k = 0; k < b; k++)
            p *= (unsigned __int128) l;
          g_assert_cmpint (DMPI_COLUMN_INT64 (lpw)[r], ==, (gint64) (guint64) p);
        }
    }
}

/* x // 0.01 * 0.01 as NumPy computes it on float32. */
static void
test_float32_grid (void)
{
  g_autoptr(DmpiColumn) r = eval ("f // 0.01 * 0.01", NULL);
  g_autoptr(DmpiColumn) naive = eval ("floor(f / 0.01) * 0.01", NULL);
  g_assert_cmpint (r->type, ==, DMPI_COL_FLOAT32);
  /* The two grid points of the reference job. */
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (r)[4], ==, -74.01f);
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (r)[3], ==, 40.75f);
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (naive)[4], ==, -74.0f);
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (naive)[3], ==, 40.76f);
  for (gsize k = 0; k < N_ROWS; k++)
    if (k != 6)
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (r)[k],
                               np_floor_divide_f (f_values[k], 0.01f) * 0.01f));
  g_assert_true (missing (r, 6));
}

/* Every float32 between -75 and -73 and between 40 and 42. */
static void
test_float32_sweep (void)
{
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  DmpiColumn *x = dmpi_column_new ("x", DMPI_COL_FLOAT32, 800000);
  for (gfloat v = -75.0f; v <= -73.0f; v = nextafterf (v, INFINITY))
    dmpi_column_append_float32 (x, v);
  for (gfloat v = 40.0f; v <= 42.0f; v = nextafterf (v, INFINITY))
    dmpi_column_append_float32 (x, v);
  dmpi_table_add_column (t, x);
  g_autoptr(DmpiColumn) r = eval ("x // 0.01 * 0.01", t);
  g_autoptr(DmpiColumn) m = eval ("x % 0.01", t);
  g_autoptr(DmpiColumn) q = eval ("x // -0.25", t);
  gsize differs = 0;
  for (gsize i = 0; i < x->n_rows; i++)
    {
      gfloat v = DMPI_COLUMN_FLOAT32 (x)[i];
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (r)[i], np_floor_divide_f (v, 0.01f) * 0.01f));
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (m)[i], np_remainder_f (v, 0.01f)));
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (q)[i], np_floor_divide_f (v, -0.25f)));
      differs += DMPI_COLUMN_FLOAT32 (r)[i] != floorf (v / 0.01f) * 0.01f;
    }
  g_test_message ("%" G_GSIZE_FORMAT " float32 values; floorf(x / 0.01f) * 0.01f differs at %"
                  G_GSIZE_FORMAT, x->n_rows, differs);
  g_assert_cmpuint (differs, >, 0);
}

/* // and % on random operands of every magnitude (the fast exact fmod and
 * its fallback), against libm's fmod. */
static void
test_float_divmod_random (void)
{
  const gsize n = 200000;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  DmpiColumn *a = dmpi_column_new ("a", DMPI_COL_FLOAT32, n), *b = dmpi_column_new ("b", DMPI_COL_FLOAT32, n);
  DmpiColumn *c = dmpi_column_new ("c", DMPI_COL_FLOAT64, n), *d = dmpi_column_new ("d", DMPI_COL_FLOAT64, n);
  for (gsize i = 0; i < n; i++)
    {
      gfloat x, y;
      gdouble u, v;
      if (i % 2 == 0)
        {
          /* any bit pattern */
          guint32 bx = g_rand_int (rand), by = g_rand_int (rand);
          guint64 bu = ((guint64) g_rand_int (rand) << 32) | g_rand_int (rand);
          guint64 bv = ((guint64) g_rand_int (rand) << 32) | g_rand_int (rand);
          memcpy (&x, &bx, 4), memcpy (&y, &by, 4), memcpy (&u, &bu, 8), memcpy (&v, &bv, 8);
        }
      else
        {
          /* magnitudes that meet */
          x = (gfloat) g_rand_double_range (rand, -1000, 1000);
          y = (gfloat) ldexp (g_rand_double_range (rand, -1, 1), g_rand_int_range (rand, -30, 12));
          u = g_rand_double_range (rand, -1e6, 1e6);
          v = ldexp (g_rand_double_range (rand, -1, 1), g_rand_int_range (rand, -60, 22));
          if (i % 7 == 1)
            y = 0, v = 0;
          if (i % 11 == 1)
            x = y * (gfloat) g_rand_int_range (rand, -100000, 100000), u = v * g_rand_int_range (rand, -100000, 100000);
        }
      dmpi_column_append_float32 (a, x);
      dmpi_column_append_float32 (b, y);
      dmpi_column_append_float64 (c, u);
      dmpi_column_append_float64 (d, v);
    }
  dmpi_table_add_column (t, a);
  dmpi_table_add_column (t, b);
  dmpi_table_add_column (t, c);
  dmpi_table_add_column (t, d);
  g_autoptr(DmpiColumn) fd = eval ("a // b", t);
  g_autoptr(DmpiColumn) md = eval ("a % b", t);
  g_autoptr(DmpiColumn) fd64 = eval ("c // d", t);
  g_autoptr(DmpiColumn) md64 = eval ("c % d", t);
  for (gsize i = 0; i < n; i++)
    {
      gfloat x = DMPI_COLUMN_FLOAT32 (a)[i], y = DMPI_COLUMN_FLOAT32 (b)[i];
      gdouble u = DMPI_COLUMN_FLOAT64 (c)[i], v = DMPI_COLUMN_FLOAT64 (d)[i];
      if (!same_f32 (DMPI_COLUMN_FLOAT32 (fd)[i], np_floor_divide_f (x, y)) ||
          !same_f32 (DMPI_COLUMN_FLOAT32 (md)[i], np_remainder_f (x, y)))
        g_error ("float32 %a // %a: %a, %a %% %a: %a", x, y, DMPI_COLUMN_FLOAT32 (fd)[i], x, y,
                 DMPI_COLUMN_FLOAT32 (md)[i]);
      if (!same_f64 (DMPI_COLUMN_FLOAT64 (fd64)[i], np_floor_divide_d (u, v)) ||
          !same_f64 (DMPI_COLUMN_FLOAT64 (md64)[i], np_remainder_d (u, v)))
        g_error ("float64 %a // %a: %a, %a %% %a: %a", u, v, DMPI_COLUMN_FLOAT64 (fd64)[i], u, v,
                 DMPI_COLUMN_FLOAT64 (md64)[i]);
    }
}

static void
test_float_arithmetic (void)
{
  g_autoptr(DmpiColumn) add = eval ("f + g", NULL);
  g_autoptr(DmpiColumn) lit = eval ("f * 0.01 + 1", NULL);
  g_autoptr(DmpiColumn) div = eval ("f / g", NULL);
  g_autoptr(DmpiColumn) mixed = eval ("f + d", NULL);
  g_autoptr(DmpiColumn) sq = eval ("f ** 2", NULL);
  g_autoptr(DmpiColumn) cube = eval ("f ** 3", NULL);
  g_autoptr(DmpiColumn) root = eval ("g ** 0.5", NULL);
  g_autoptr(DmpiColumn) mod = eval ("f % g", NULL);
  g_autoptr(DmpiColumn) dmod = eval ("d % -0.75", NULL);
  g_assert_cmpint (lit->type, ==, DMPI_COL_FLOAT32);
  g_assert_cmpint (mixed->type, ==, DMPI_COL_FLOAT64);
  for (gsize r = 0; r < N_ROWS; r++)
    {
      gfloat x = f_values[r], y = g_values[r];
      gdouble z = d_values[r];
      if (r == 6)
        {
          g_assert_true (missing (add, r) && missing (lit, r) && missing (mixed, r));
          continue;
        }
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (add)[r], x + y));
      /* the literals are float32: 0.01f, not the double 0.01 */
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (lit)[r], x * 0.01f + 1.0f));
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (div)[r], x / y));
      g_assert_true (same_f64 (DMPI_COLUMN_FLOAT64 (mixed)[r], (gdouble) x + z));
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (sq)[r], x * x));
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (cube)[r], powf (x, 3.0f)));
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (root)[r], sqrtf (y)));
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (mod)[r], np_remainder_f (x, y)));
      g_assert_true (same_f64 (DMPI_COLUMN_FLOAT64 (dmod)[r], np_remainder_d (z, -0.75)));
    }
  /* 0 // 0 is nan, 1 // 0 inf, 1 % 0 nan, as NumPy */
  g_autoptr(DmpiColumn) z = eval ("g // 0.0 + g % 0.0", NULL);
  g_assert_true (isnan (DMPI_COLUMN_FLOAT32 (z)[0]));
  g_autoptr(DmpiColumn) inf = eval ("g // 0.0", NULL);
  g_assert_true (isinf (DMPI_COLUMN_FLOAT32 (inf)[0]) && DMPI_COLUMN_FLOAT32 (inf)[0] > 0);
  g_assert_true (isnan (DMPI_COLUMN_FLOAT32 (inf)[6]));   /* -0.0 // 0.0 */
  /* the sign of % is the divisor's */
  g_autoptr(DmpiColumn) sign = eval ("-7.5 % 2 + 7.5 % -2 * 10", NULL);
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (sign)[0], ==, 0.5 + -0.5 * 10);
}

static void
test_promotion (void)
{
  static const struct { const char *text; DmpiColType type; } cases[] = {
    { "i + j", DMPI_COL_INT32 },
    { "i + l", DMPI_COL_INT64 },
    { "i + f", DMPI_COL_FLOAT64 },
    { "l + f", DMPI_COL_FLOAT64 },
    { "f + g", DMPI_COL_FLOAT32 },
    { "f + d", DMPI_COL_FLOAT64 },
    { "i + d", DMPI_COL_FLOAT64 },
    { "b + b", DMPI_COL_INT64 },
    { "b + i", DMPI_COL_INT32 },
    { "b * f", DMPI_COL_FLOAT32 },
    { "b + 1", DMPI_COL_INT64 },
    { "b + 0.5", DMPI_COL_FLOAT64 },
    { "-b", DMPI_COL_INT64 },
    { "i + 1", DMPI_COL_INT32 },
    { "i * 2 - 3", DMPI_COL_INT32 },
    { "i + 0.5", DMPI_COL_FLOAT64 },
    { "f + 1", DMPI_COL_FLOAT32 },
    { "f * 0.01", DMPI_COL_FLOAT32 },
    { "l + 1", DMPI_COL_INT64 },
    { "i / j", DMPI_COL_FLOAT64 },
    { "i / 2", DMPI_COL_FLOAT64 },
    { "f / 2", DMPI_COL_FLOAT32 },
    { "i // j", DMPI_COL_INT32 },
    { "i ** 2", DMPI_COL_INT32 },
    { "i ** 0.5", DMPI_COL_FLOAT64 },
    { "f ** 2", DMPI_COL_FLOAT32 },
    { "1 + 2", DMPI_COL_INT64 },
    { "1 / 2", DMPI_COL_FLOAT64 },
    { "f + (1 + 2)", DMPI_COL_FLOAT32 },
    { "f + (0.5 * 2)", DMPI_COL_FLOAT32 },
    { "f + abs(-2)", DMPI_COL_FLOAT64 },   /* a function's result is not weak (NEP 50) */
    { "sin(f)", DMPI_COL_FLOAT32 },
    { "sin(i)", DMPI_COL_FLOAT64 },
    { "floor(i)", DMPI_COL_FLOAT64 },
    { "round(i)", DMPI_COL_INT32 },
    { "round(f, 2)", DMPI_COL_FLOAT32 },
    { "abs(l)", DMPI_COL_INT64 },
    { "atan2(f, g)", DMPI_COL_FLOAT32 },
    { "atan2(f, 1)", DMPI_COL_FLOAT32 },
    { "atan2(i, j)", DMPI_COL_FLOAT64 },
    { "fillna(i, -1)", DMPI_COL_INT32 },
    { "fillna(f, -1)", DMPI_COL_FLOAT32 },
    { "fillna(i, 0.5)", DMPI_COL_FLOAT64 },
    { "where(b, i, l)", DMPI_COL_INT64 },
    { "where(b, b, b)", DMPI_COL_BOOL },
    { "where(b, t, '2015-01-01')", DMPI_COL_TIMESTAMP },
    { "where(b, s, null)", DMPI_COL_STRING },
    { "t - t", DMPI_COL_DURATION },
    { "t + u", DMPI_COL_TIMESTAMP },
    { "u + t", DMPI_COL_TIMESTAMP },
    { "t - u", DMPI_COL_TIMESTAMP },
    { "u - u", DMPI_COL_DURATION },
    { "-u", DMPI_COL_DURATION },
    { "s + s", DMPI_COL_STRING },
    { "year(t)", DMPI_COL_INT32 },
    { "seconds(u)", DMPI_COL_FLOAT64 },
    { "length(s)", DMPI_COL_INT64 },
    { "i > 0", DMPI_COL_BOOL },
    { "null", DMPI_COL_FLOAT64 },
    { "i + null", DMPI_COL_INT32 },
    { "t + null", DMPI_COL_TIMESTAMP },
    { "t - null", DMPI_COL_TIMESTAMP },
    { "null - t", DMPI_COL_DURATION },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    assert_type (cases[k].text, cases[k].type);
}

static void
test_comparisons (void)
{
  /* i: 0 1 -1 7 -7 MAX MIN (missing); f: .5 -1.25 nan 40.76 -74 inf (missing) 3 */
  assert_bools ("i > 0", "01010100");
  assert_bools ("i >= 0", "11010100");
  assert_bools ("i == 0", "10000000");
  assert_bools ("i != 0", "01111110");          /* missing: false, != too */
  assert_bools ("0 < i < 10", "01010000");
  assert_bools ("-10 < i <= 7 != 1", "11111000");   /* -10 < i and i <= 7 and 7 != 1 */
  assert_bools ("i < 3000000000", "11111110");   /* exact, not wrapped to int32 */
  assert_bools ("i > -3000000000", "11111110");
  assert_bools ("f > 0", "10010101");
  assert_bools ("f != f", "00100000");          /* NaN != NaN; missing is false */
  assert_bools ("f == 40.76", "00010000");     /* float32(40.76) both sides */
  assert_bools ("d == 0.1", "10000000");
  assert_bools ("f < g", "11001000");
  assert_bools ("i < j < 3", "00101010");     /* i < j and j < 3 */
  assert_bools ("s == 'apple'", "10000000");
  assert_bools ("s < 'b'", "10100101");        /* bytewise: 'A' < 'a' */
  assert_bools ("s >= s", "11110111");
  assert_bools ("t > '2015-01-01'", "10101100");
  assert_bools ("'2000-01-01T00:00:00.123' == t", "00000001");
  assert_bools ("t - t == u - u", "11101111");
  assert_bools ("i == null", "00000000");
  assert_bools ("b == true", "10100101");
  assert_bools ("b", "101x0101");
}

static void
test_missing (void)
{
  /* and, or and not count a missing bool as false */
  assert_bools ("b and true", "10100101");
  assert_bools ("b or false", "10100101");
  assert_bools ("not b", "01011010");
  assert_bools ("~b | b", "11111111");
  assert_bools ("null or b", "10100101");
  assert_bools ("isnull(i)", "00000001");
  assert_bools ("isna(f)", "00100010");        /* NaN too */
  assert_bools ("notnull(f)", "11011101");
  assert_bools ("isnull(b)", "00010000");
  assert_bools ("isnull(i + b)", "00010001");
  assert_bools ("isnull(s + 'x')", "00001000");
  assert_bools ("isnull(null)", "11111111");
  assert_bools ("isnull(i // j)", "00100001");  /* by zero: missing */

  g_autoptr(DmpiColumn) fi = eval ("fillna(i, -1)", NULL);
  g_autoptr(DmpiColumn) ff = eval ("fillna(f, -1)", NULL);
  g_autoptr(DmpiColumn) fs = eval ("fillna(s, 'none')", NULL);
  g_autoptr(DmpiColumn) fn = eval ("fillna(i, null)", NULL);
  g_assert_null (fi->valid);
  g_assert_null (ff->valid);
  g_assert_null (fs->valid);
  g_assert_cmpuint (dmpi_column_count_missing (fn), ==, 1);
  for (gsize r = 0; r < N_ROWS; r++)
    {
      gsize len;
      g_assert_cmpint (DMPI_COLUMN_INT32 (fi)[r], ==, r == 7 ? -1 : i_values[r]);
      g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (ff)[r], ==,
                         r == 6 || isnan (f_values[r]) ? -1.0f : f_values[r]);
      const char *v = dmpi_column_get_string (fs, r, &len);
      g_assert_cmpmem (v, len, r == 4 ? "none" : s_values[r], strlen (r == 4 ? "none" : s_values[r]));
    }

  /* where: a missing condition picks b */
  g_autoptr(DmpiColumn) w = eval ("where(b, j, -j)", NULL);
  g_autoptr(DmpiColumn) wn = eval ("where(b, i, null)", NULL);
  for (gsize r = 0; r < N_ROWS; r++)
    {
      gboolean c = r != 3 && b_values[r];
      g_assert_cmpint (DMPI_COLUMN_INT32 (w)[r], ==, c ? j_values[r] : -j_values[r]);
      g_assert_true (missing (wn, r) == (!c || r == 7));
      if (c && r != 7)
        g_assert_cmpint (DMPI_COLUMN_INT32 (wn)[r], ==, i_values[r]);
    }
  const char *expected[N_ROWS] = { "neg", "banana", "neg", "\xc3\xa9t\xc3\xa9", "neg", "apple pie", "neg", "neg" };
  assert_strings ("where(i > 0, s, 'neg')", expected);
}

static void
test_math (void)
{
  static const char *const names[] = { "sqrt", "exp", "log", "sin", "cos", "tan", "asin", "acos",
                                       "atan", "floor", "ceil", "abs" };
  gfloat (*const ff[]) (gfloat) = { sqrtf, expf, logf, sinf, cosf, tanf, asinf, acosf, atanf,
                                    floorf, ceilf, fabsf };
  gdouble (*const fd[]) (gdouble) = { sqrt, exp, log, sin, cos, tan, asin, acos, atan, floor,
                                      ceil, fabs };
  for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autofree char *tf = g_strdup_printf ("%s(g)", names[k]);
      g_autofree char *td = g_strdup_printf ("%s(d)", names[k]);
      g_autofree char *ti = g_strdup_printf ("%s(j)", names[k]);
      g_autoptr(DmpiColumn) cf = eval (tf, NULL);
      g_autoptr(DmpiColumn) cd = eval (td, NULL);
      g_autoptr(DmpiColumn) ci = eval (ti, NULL);
      g_assert_cmpint (cf->type, ==, DMPI_COL_FLOAT32);
      g_assert_cmpint (cd->type, ==, DMPI_COL_FLOAT64);
      for (gsize r = 0; r < N_ROWS; r++)
        {
          g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (cf)[r], ff[k] (g_values[r])));
          g_assert_true (same_f64 (DMPI_COLUMN_FLOAT64 (cd)[r], fd[k] (d_values[r])));
          if (k < G_N_ELEMENTS (names) - 1)
            g_assert_true (same_f64 (DMPI_COLUMN_FLOAT64 (ci)[r], fd[k] ((gdouble) j_values[r])));
          else
            g_assert_cmpint (DMPI_COLUMN_INT32 (ci)[r], ==, ABS (j_values[r]));
        }
    }
  /* radians and degrees: NumPy's float32 constants */
  g_autoptr(DmpiColumn) rad = eval ("radians(f)", NULL);
  g_autoptr(DmpiColumn) deg = eval ("degrees(g)", NULL);
  g_autoptr(DmpiColumn) at2 = eval ("atan2(f, g)", NULL);
  const gfloat pi_f = 3.14159265358979323846f;
  for (gsize r = 0; r < N_ROWS; r++)
    {
      if (r == 6)
        continue;
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (rad)[r], f_values[r] * (pi_f / 180.0f)));
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (deg)[r], g_values[r] * (180.0f / pi_f)));
      g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (at2)[r], atan2f (f_values[r], g_values[r])));
    }
  /* the reference job's distance, in float32 throughout */
  g_autoptr(DmpiColumn) h = eval ("2 * 6371 * asin(sqrt(sin((radians(g) - radians(f)) / 2) ** 2))", NULL);
  g_assert_cmpint (h->type, ==, DMPI_COL_FLOAT32);
}

static void
test_round (void)
{
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  static const gdouble xs[] = { 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 2.675, 1234.5678, -0.0, 1e300, NAN, 15, 25, -35 };
  static const gint32 is[] = { 15, 25, -35, 1250, G_MAXINT32, G_MININT32, 0, 7, 149, 150, 151, -149, -150, -151 };
  gfloat fs[G_N_ELEMENTS (xs)];
  for (gsize k = 0; k < G_N_ELEMENTS (xs); k++)
    fs[k] = (gfloat) xs[k];
  dmpi_table_add_column (t, column_of ("x", DMPI_COL_FLOAT64, xs, G_N_ELEMENTS (xs), NULL));
  dmpi_table_add_column (t, column_of ("y", DMPI_COL_FLOAT32, fs, G_N_ELEMENTS (xs), NULL));
  dmpi_table_add_column (t, column_of ("k", DMPI_COL_INT32, is, G_N_ELEMENTS (xs), NULL));
  static const gint digits[] = { 0, 1, 2, 3, -1, -2 };
  for (gsize nd = 0; nd < G_N_ELEMENTS (digits); nd++)
    {
      gint d = digits[nd];
      g_autofree char *tx = g_strdup_printf ("round(x, %d)", d);
      g_autofree char *ty = g_strdup_printf ("round(y, %d)", d);
      g_autofree char *tk = g_strdup_printf ("round(k, %d)", d);
      g_autoptr(DmpiColumn) rx = eval (tx, t);
      g_autoptr(DmpiColumn) ry = eval (ty, t);
      g_autoptr(DmpiColumn) rk = eval (tk, t);
      gdouble p = pow (10.0, ABS (d));
      for (gsize k = 0; k < G_N_ELEMENTS (xs); k++)
        {
          /* numpy.round: scale, rint (half to even), scale back, in the type */
          gdouble ex = d >= 0 ? nearbyint (xs[k] * p) / p : nearbyint (xs[k] / p) * p;
          gfloat pf = (gfloat) p;
          gfloat ey = d >= 0 ? nearbyintf (fs[k] * pf) / pf : nearbyintf (fs[k] / pf) * pf;
          gdouble ek = d >= 0 ? is[k] : nearbyint (is[k] / p) * p;
          g_assert_true (same_f64 (DMPI_COLUMN_FLOAT64 (rx)[k], ex));
          g_assert_true (same_f32 (DMPI_COLUMN_FLOAT32 (ry)[k], ey));
          g_assert_cmpint (DMPI_COLUMN_INT32 (rk)[k], ==,
                           ek >= -2147483648.0 && ek < 2147483648.0 ? (gint32) ek : G_MININT32);
        }
    }
  g_autoptr(DmpiColumn) half = eval ("round(2.5) + round(3.5) + round(-0.5)", NULL);
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (half)[0], ==, 2.0 + 4.0 - 0.0);
}

static void
test_datetime (void)
{
  static const char *const parts[] = { "year", "month", "day", "hour", "minute", "second",
                                       "day_of_week", "day_of_year", "dayofweek", "weekday", "dayofyear" };
  for (gsize p = 0; p < G_N_ELEMENTS (parts); p++)
    {
      g_autofree char *text = g_strdup_printf ("%s(t)", parts[p]);
      g_autoptr(DmpiColumn) c = eval (text, NULL);
      g_assert_cmpint (c->type, ==, DMPI_COL_INT32);
      for (gsize r = 0; r < N_ROWS; r++)
        {
          if (r == 3)
            {
              g_assert_true (missing (c, r));
              continue;
            }
          gint64 ns = t_values[r], secs = ns / 1000000000 - (ns % 1000000000 < 0);
          g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (secs);
          gint expected[] = { g_date_time_get_year (dt), g_date_time_get_month (dt),
                              g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                              g_date_time_get_minute (dt), g_date_time_get_second (dt),
                              g_date_time_get_day_of_week (dt) - 1, g_date_time_get_day_of_year (dt),
                              g_date_time_get_day_of_week (dt) - 1, g_date_time_get_day_of_week (dt) - 1,
                              g_date_time_get_day_of_year (dt) };
          g_assert_cmpint (DMPI_COLUMN_INT32 (c)[r], ==, expected[p]);
        }
    }
  g_autoptr(DmpiColumn) diff = eval ("t - timestamp('2015-01-15 19:05:39')", NULL);
  g_autoptr(DmpiColumn) later = eval ("t + u", NULL);
  g_autoptr(DmpiColumn) secs = eval ("seconds(u)", NULL);
  g_autoptr(DmpiColumn) ts = eval ("timestamp('2000-01-01T00:00:00.123')", NULL);
  g_autoptr(DmpiColumn) ns = eval ("int64(t)", NULL);
  for (gsize r = 0; r < N_ROWS; r++)
    {
      g_assert_cmpint (DMPI_COLUMN_INT64 (diff)[r], ==, t_values[r] - G_GINT64_CONSTANT (1421348739000000000));
      g_assert_cmpint (DMPI_COLUMN_INT64 (later)[r], ==, t_values[r] + u_values[r]);
      g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (secs)[r], ==, (gdouble) u_values[r] / 1e9);
      g_assert_cmpint (DMPI_COLUMN_INT64 (ts)[r], ==, t_values[7]);
      g_assert_true (missing (ns, r) == (r == 3));
    }
  g_assert_cmpint (diff->type, ==, DMPI_COL_DURATION);
  g_assert_true (missing (diff, 3) && missing (later, 3));
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT64 (secs)[0], ==, 1083.0);
  /* the reference job's features */
  assert_bools ("day_of_week(t) > 5", "00000000");
  assert_bools ("day_of_week(t) == 3", "10001100");
}

static void
test_strings (void)
{
  /* s: apple banana "" été x "apple pie" (missing at 4) Apple */
  assert_bools ("startswith(s, 'app')", "1000x100");
  assert_bools ("endswith(s, 'e')", "1000x101");
  assert_bools ("contains(s, 'an')", "0100x000");
  assert_bools ("contains(s, '')", "1111x111");
  assert_bools ("isnull(startswith(s, 'a'))", "00001000");
  assert_bools ("startswith(s, s)", "1111x111");
  g_autoptr(DmpiColumn) len = eval ("length(s) + len('\xc3\xa9')", NULL);
  static const gint64 lens[] = { 5, 6, 0, 3, 0, 9, 1, 5 };
  for (gsize r = 0; r < N_ROWS; r++)
    if (r != 4)
      g_assert_cmpint (DMPI_COLUMN_INT64 (len)[r], ==, lens[r] + 1);
  g_assert_true (missing (len, 4));
  const char *cat[N_ROWS] = { "apple!", "banana!", "!", "\xc3\xa9t\xc3\xa9!", NULL, "apple pie!", "x!", "Apple!" };
  assert_strings ("s + '!'", cat);
}

static void
test_casts (void)
{
  const char *fmt_f[N_ROWS] = { "0.5", "-1.25", "nan", "40.76", "-74.0", "inf", NULL, "3.0" };
  assert_strings ("string(f)", fmt_f);
  const char *fmt_d[N_ROWS] = { "0.1", "-2.5", "1e+300", "nan", "-0.0", "2.5", "3.5", "1e-05" };
  assert_strings ("string(d)", fmt_d);
  const char *fmt_i[N_ROWS] = { "0", "1", "-1", "7", "-7", "2147483647", "-2147483648", NULL };
  assert_strings ("string(i)", fmt_i);
  const char *fmt_b[N_ROWS] = { "True", "False", "True", NULL, "False", "True", "False", "True" };
  assert_strings ("string(b)", fmt_b);
  /* one column: the finest fraction any value needs (nanoseconds here) */
  const char *fmt_t[N_ROWS] = {
    "2015-01-15 19:05:39.000000000", "1969-12-31 23:59:59.500000000", "2016-02-29 00:00:00.000000000",
    NULL, "2015-01-15 19:23:42.000000000", "2015-12-31 23:59:59.999999999",
    "1969-12-31 00:00:00.000000000", "2000-01-01 00:00:00.123000000" };
  assert_strings ("string(t)", fmt_t);
  const char *fmt_ms[N_ROWS] = {
    "2015-01-15 19:05:39.000", "1969-12-31 23:59:59.500", "2016-02-29 00:00:00.000",
    NULL, "2015-01-15 19:23:42.000", "2015-12-31 23:59:59.999",
    "1969-12-31 00:00:00.000", "2000-01-01 00:00:00.123" };
  assert_strings ("string(timestamp(int64(t) // 1000000 * 1000000))", fmt_ms);
  const char *fmt_day[N_ROWS] = { "2015-01-15", "1969-12-31", "2016-02-29", NULL, "2015-01-15",
                                  "2015-12-31", "1969-12-31", "2000-01-01" };
  assert_strings ("string(timestamp(int64(t) // 86400000000000 * 86400000000000))", fmt_day);
  const char *fmt_sec[N_ROWS] = { "2015-01-15 19:05:39", "1969-12-31 23:59:59", "2016-02-29 00:00:00",
                                  NULL, "2015-01-15 19:23:42", "2015-12-31 23:59:59",
                                  "1969-12-31 00:00:00", "2000-01-01 00:00:00" };
  assert_strings ("string(timestamp(int64(t) // 1000000000 * 1000000000))", fmt_sec);
  static const struct { const char *text, *out; } one[] = {
    { "string(float32(0.1))", "0.1" },
    { "string(float32(1e16))", "1e+16" },
    { "string(float32(1e15))", "1000000000000000.0" },
    { "string(float32(123456789))", "123456790.0" },
    { "string(float32(0.0001))", "1e-04" },
    { "string(float32(1.2621774483536189e-29))", "1.2621775e-29" },   /* 2**-96 */
    { "string(7.1202363472230444e-307)", "7.120236347223045e-307" },   /* 2**-1017 */
    { "string(0.0001)", "0.0001" },
    { "string(1e16)", "1e+16" },
    { "string(123456789012345678.0)", "1.2345678901234568e+17" },
    { "string(100.0)", "100.0" },
    { "string(-1e-7)", "-1e-07" },
    { "string(1.5e300 * 1e10)", "inf" },
    { "string(42)", "42" },
    { "string(true)", "True" },
    { "string('x')", "x" },
    { "string(int32('  -12 '))", "-12" },
    { "string(int64('9223372036854775807'))", "9223372036854775807" },
    { "string(float64(' 2.5 '))", "2.5" },
    { "string(float64('nan'))", "nan" },
    { "string(int32(2.7))", "2" },
    { "string(int32(-2.7))", "-2" },
    { "string(int32(4294967297))", "1" },
    { "string(bool('x'))", "True" },
    { "string(bool(''))", "False" },
    { "string(bool(0.0))", "False" },
    { "string(bool(float64('nan')))", "True" },
    { "string(timestamp('2015-01-15'))", "2015-01-15" },
    { "string(timestamp('2015-01-15 19:05:39.5'))", "2015-01-15 19:05:39.500" },
    { "string(timestamp(0))", "1970-01-01" },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (one); k++)
    {
      g_autoptr(DmpiColumn) c = eval (one[k].text, NULL);
      gsize len;
      const char *s = dmpi_column_get_string (c, 0, &len);
      g_autofree char *got = g_strndup (s, len);
      if (g_strcmp0 (got, one[k].out) != 0)
        g_error ("%s: '%s', expected '%s'", one[k].text, got, one[k].out);
    }
  /* unreadable, NaN and out of range: missing */
  assert_bools ("isnull(int32(f))", "00100110");
  assert_bools ("isnull(int32(f * 1e10))", "11111111");
  assert_bools ("isnull(int32(s))", "11111111");
  assert_bools ("isnull(timestamp(s))", "11111111");
  assert_bools ("isnull(float32(s))", "11111111");
  g_autoptr(DmpiColumn) w = eval ("int32(l)", NULL);
  for (gsize r = 0; r < N_ROWS; r++)
    g_assert_cmpint (DMPI_COLUMN_INT32 (w)[r], ==, (gint32) (guint32) (guint64) l_values[r]);
}

static void
test_errors (void)
{
  static const struct { const char *text; gint code; const char *message; } cases[] = {
    { "a +", DMPI_DF_ERROR_PARSE, "expression 'a +': position 4: expected a value, not end of the expression" },
    { "(a + 1", DMPI_DF_ERROR_PARSE, "expression '(a + 1': position 7: expected ')', not end of the expression" },
    { "a + 1)", DMPI_DF_ERROR_PARSE, "expression 'a + 1)': position 6: unexpected ')'" },
    { "a b", DMPI_DF_ERROR_PARSE, "expression 'a b': position 3: expected an operator, not 'b'" },
    { "", DMPI_DF_ERROR_PARSE, "expression '': position 1: expected a value, not end of the expression" },
    { "'abc", DMPI_DF_ERROR_PARSE, "expression ''abc': position 1: unterminated string" },
    { "'\\q'", DMPI_DF_ERROR_PARSE, "expression ''\\q'': position 2: unknown escape '\\q' (escapes: \\\\ \\' \\\" \\n \\r \\t \\xHH)" },
    { "`abc", DMPI_DF_ERROR_PARSE, "expression '`abc': position 1: unterminated `name`" },
    { "1.5x", DMPI_DF_ERROR_PARSE, "expression '1.5x': position 1: malformed number" },
    { "1e", DMPI_DF_ERROR_PARSE, "expression '1e': position 1: malformed number" },
    { "99999999999999999999", DMPI_DF_ERROR_PARSE, "expression '99999999999999999999': position 1: integer literal out of the int64 range" },
    { "a = 1", DMPI_DF_ERROR_PARSE, "expression 'a = 1': position 3: '=' is not an operator (comparisons use '==')" },
    { "\xc3\xa9 $ 1", DMPI_DF_ERROR_PARSE, "expression '\xc3\xa9 $ 1': position 3: unexpected character '$'" },
    { "x + \xff", DMPI_DF_ERROR_PARSE, NULL },
    { "f(1, 2)", DMPI_DF_ERROR_PARSE, NULL },
    { "sin(1, 2)", DMPI_DF_ERROR_PARSE, "expression 'sin(1, 2)': position 1: sin() takes 1 argument, not 2" },
    { "1 + round()", DMPI_DF_ERROR_PARSE, "expression '1 + round()': position 5: round() takes 1 or 2 arguments, not 0" },
    { "where(a, b)", DMPI_DF_ERROR_PARSE, "expression 'where(a, b)': position 1: where() takes 3 arguments, not 2" },
    { "sin(1 2)", DMPI_DF_ERROR_PARSE, "expression 'sin(1 2)': position 7: expected ',' or ')', not '2'" },
    { "i + nope", DMPI_DF_ERROR_MISSING_COLUMN, "expression 'i + nope': position 5: no column 'nope' (columns: i, j, l, f, g, d, b, s, t, u, trip distance)" },
    { "s + 1", DMPI_DF_ERROR_INVALID, "expression 's + 1': position 3: cannot apply '+' to string and an integer literal" },
    { "t * 2", DMPI_DF_ERROR_INVALID, "expression 't * 2': position 3: cannot apply '*' to timestamp and an integer literal" },
    { "t + t", DMPI_DF_ERROR_INVALID, "expression 't + t': position 3: cannot apply '+' to timestamp and timestamp" },
    { "1 + sin(s)", DMPI_DF_ERROR_INVALID, "expression '1 + sin(s)': position 9: sin() needs a number, not string" },
    { "i < s", DMPI_DF_ERROR_INVALID, "expression 'i < s': position 3: cannot compare int32 with string" },
    { "0 < f < 's'", DMPI_DF_ERROR_INVALID, "expression '0 < f < 's'': position 7: cannot compare float32 with string" },
    { "t > 'yesterday'", DMPI_DF_ERROR_INVALID, "expression 't > 'yesterday'': position 5: 'yesterday' is not a timestamp (YYYY-MM-DD[ HH:MM:SS[.fffffffff]])" },
    { "t > s", DMPI_DF_ERROR_INVALID, "expression 't > s': position 5: a string column is not a timestamp (convert it with timestamp())" },
    { "i + 3000000000", DMPI_DF_ERROR_INVALID, "expression 'i + 3000000000': position 5: integer literal 3000000000 is out of the int32 range" },
    { "i and b", DMPI_DF_ERROR_INVALID, "expression 'i and b': position 1: 'and' needs bool operands, not int32" },
    { "not f", DMPI_DF_ERROR_INVALID, "expression 'not f': position 5: 'not' needs bool operands, not float32" },
    { "-s", DMPI_DF_ERROR_INVALID, "expression '-s': position 1: unary '-' needs a number, not string" },
    { "where(i, 1, 2)", DMPI_DF_ERROR_INVALID, "expression 'where(i, 1, 2)': position 7: where() needs a bool condition, not int32" },
    { "where(b, s, 1)", DMPI_DF_ERROR_INVALID, "expression 'where(b, s, 1)': position 1: where: cannot combine string and an integer literal" },
    { "round(f, j)", DMPI_DF_ERROR_INVALID, "expression 'round(f, j)': position 10: round() needs an integer literal for its digits" },
    { "int32('x1')", DMPI_DF_ERROR_INVALID, "expression 'int32('x1')': position 7: 'x1' is not an int32" },
    { "timestamp('2015-02-30')", DMPI_DF_ERROR_INVALID, "expression 'timestamp('2015-02-30')': position 11: '2015-02-30' is not a timestamp" },
    { "year(i)", DMPI_DF_ERROR_INVALID, "expression 'year(i)': position 6: year() needs a timestamp, not int32" },
    { "string(u)", DMPI_DF_ERROR_INVALID, "expression 'string(u)': position 8: string() needs a number, bool, string or timestamp, not duration" },
    { "contains(s, 1)", DMPI_DF_ERROR_INVALID, "expression 'contains(s, 1)': position 13: contains() needs a string to look for, not an integer literal" },
    { "\xc3\xa9t\xc3\xa9 + 1", DMPI_DF_ERROR_MISSING_COLUMN, NULL },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      if (cases[k].message != NULL)
        {
          assert_error (cases[k].text, cases[k].code, cases[k].message);
          continue;
        }
      g_autoptr(GError) error = NULL;
      g_autoptr(DmpiExpr) e = dmpi_expr_parse (cases[k].text, &error);
      if (e != NULL)
        g_assert_null (dmpi_expr_eval (e, table, "x", &error));
      g_assert_error (error, DMPI_DF_ERROR, cases[k].code);
      g_test_message ("%s", error->message);
    }
  /* the unknown function lists the known ones */
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (dmpi_expr_parse ("1 + sine(x)", &error));
    g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE);
    g_assert_true (g_str_has_prefix (error->message,
                                     "expression '1 + sine(x)': position 5: unknown function 'sine' "
                                     "(functions: abs, floor, ceil, round, sqrt,"));
    g_assert_nonnull (strstr (error->message, "startswith, endswith, contains, length, isna, notna, "
                                              "dayofweek, weekday, dayofyear, len)"));
  }
  /* positions count characters, not bytes */
  assert_error ("'\xc3\xa9\xc3\xa9' + 1", DMPI_DF_ERROR_INVALID,
                "expression ''\xc3\xa9\xc3\xa9' + 1': position 6: cannot apply '+' to string and an integer literal");
  /* nesting: deep enough for people, bounded for the stack */
  {
    g_autoptr(GString) ok = g_string_new (NULL), deep = g_string_new (NULL);
    g_autoptr(GError) error = NULL;
    for (int k = 0; k < 150; k++)
      g_string_append (ok, "-(");
    g_string_append (ok, "i");
    for (int k = 0; k < 150; k++)
      g_string_append_c (ok, ')');
    g_autoptr(DmpiExpr) e = dmpi_expr_parse (ok->str, &error);
    g_assert_no_error (error);
    g_autoptr(DmpiColumn) c = dmpi_expr_eval (e, table, "x", &error);
    g_assert_no_error (error);
    g_assert_cmpint (DMPI_COLUMN_INT32 (c)[1], ==, 1);
    for (int k = 0; k < 300; k++)
      g_string_append (deep, "1 + ");
    g_string_append (deep, "1");
    g_assert_null (dmpi_expr_parse (deep->str, &error));
    g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_PARSE);
    g_assert_nonnull (strstr (error->message, "position 1: expression nested too deeply (more than 200 levels)"));
    g_clear_error (&error);
    g_string_truncate (deep, 0);
    for (int k = 0; k < 1000; k++)
      g_string_append (deep, "(-");
    g_assert_null (dmpi_expr_parse (deep->str, &error));
    g_assert_nonnull (strstr (error->message, ": expression nested too deeply"));
  }
  /* a filter must be bool */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DmpiExpr) e = dmpi_expr_parse ("i + 1", NULL);
    g_assert_null (dmpi_expr_eval_mask (e, table, NULL, &error));
    g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==, "expression 'i + 1': position 3: a filter must be bool, not int32");
  }
  /* checked against one schema, evaluated over a table whose column has
   * another type: an error, not a crash */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(DmpiExpr) e = dmpi_expr_parse ("x * 2 > 1", NULL);
    const char *names[] = { "x" };
    DmpiColType types[] = { DMPI_COL_FLOAT32 }, out;
    g_assert_true (dmpi_expr_check (e, names, types, 1, &out, &error));
    g_assert_cmpint (out, ==, DMPI_COL_BOOL);
    g_autoptr(DmpiTable) t = dmpi_table_new ();
    static const char *const xs[] = { "a" };
    dmpi_table_add_column (t, column_of ("x", DMPI_COL_STRING, xs, 1, NULL));
    g_assert_null (dmpi_expr_eval_mask (e, t, NULL, &error));
    g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (dmpi_expr_check (e, NULL, NULL, 0, &out, &error));
    g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN);
    g_assert_cmpstr (error->message, ==, "expression 'x * 2 > 1': position 1: no column 'x' (no columns)");
  }
}

static void
test_mask (void)
{
  g_autoptr(DmpiExpr) e = dmpi_expr_parse ("0 < i < 10 or b", NULL);
  gsize kept = 0;
  g_autofree guint8 *keep = dmpi_expr_eval_mask (e, table, &kept, NULL);
  static const guint8 expected[N_ROWS] = { 1, 1, 1, 1, 0, 1, 0, 1 };
  g_assert_cmpmem (keep, N_ROWS, expected, N_ROWS);
  g_assert_cmpuint (kept, ==, 6);
  g_autoptr(DmpiExpr) lit = dmpi_expr_parse ("1 > 2", NULL);
  g_autofree guint8 *none = dmpi_expr_eval_mask (lit, table, &kept, NULL);
  g_assert_nonnull (none);
  g_assert_cmpuint (kept, ==, 0);
  g_autoptr(DmpiExpr) null = dmpi_expr_parse ("null", NULL);
  g_autofree guint8 *nothing = dmpi_expr_eval_mask (null, table, &kept, NULL);
  g_assert_nonnull (nothing);
  g_assert_cmpuint (kept, ==, 0);
  /* no rows */
  g_autoptr(DmpiTable) empty = dmpi_table_new ();
  dmpi_table_add_column (empty, dmpi_column_new ("i", DMPI_COL_INT32, 0));
  dmpi_table_add_column (empty, dmpi_column_new ("b", DMPI_COL_BOOL, 0));
  g_autofree guint8 *zero = dmpi_expr_eval_mask (e, empty, &kept, NULL);
  g_assert_nonnull (zero);
  g_assert_cmpuint (kept, ==, 0);
  g_autoptr(DmpiColumn) c = eval ("i * 2 + 1", empty);
  g_assert_cmpuint (c->n_rows, ==, 0);
}

static void
test_split_ranges (void)
{
  const char *reference =
    "0 < fare_amount < 500 and 0 < passenger_count < 6 and -75 < pickup_longitude < -73 and "
    "-75 < dropoff_longitude < -73 and 40 < pickup_latitude < 42 and 40 < dropoff_latitude < 42";
  static const struct { const char *column; gdouble lo, hi; } ref[] = {
    { "fare_amount", 0, 500 }, { "passenger_count", 0, 6 }, { "pickup_longitude", -75, -73 },
    { "dropoff_longitude", -75, -73 }, { "pickup_latitude", 40, 42 }, { "dropoff_latitude", 40, 42 },
  };
  g_autoptr(DmpiExpr) e = dmpi_expr_parse (reference, NULL);
  DmpiExpr *rest = NULL;
  GArray *r = dmpi_expr_split_ranges (e, &rest);
  g_assert_null (rest);
  g_assert_cmpuint (r->len, ==, 6);
  for (guint k = 0; k < 6; k++)
    {
      DmpiExprRange *x = &g_array_index (r, DmpiExprRange, k);
      g_assert_cmpstr (x->column, ==, ref[k].column);
      g_assert_cmpfloat (x->lo, ==, ref[k].lo);
      g_assert_cmpfloat (x->hi, ==, ref[k].hi);
      g_assert_false (x->lo_inclusive || x->hi_inclusive);
    }
  dmpi_expr_ranges_free (r);

  static const struct {
    const char *text, *ranges, *rest;
  } cases[] = {
    { "a > 0 and s == 'x' and 1 <= b", "a(0,inf) b[1,inf)", "(s == 'x')" },
    { "(a >= -1.5) & (b < 2) & c", "a[-1.5,inf) b(-inf,2)", "c" },
    { "0 < a < b < 5", "a(0,inf) b(-inf,5)", "(a < b)" },
    { "5 >= a > -2", "a(-2,5]", NULL },
    { "a == 3 and a != 4", "a[3,3]", "(a != 4)" },
    { "0 < a > 5", "a(0,inf) a(5,inf)", NULL },
    { "a < -(-3) and +2 < a", "a(-inf,3) a(2,inf)", NULL },
    { "a > b + 1 and a > 1 + 1", "", "a > b + 1 and a > 1 + 1" },
    { "a > 1 or b < 2", "", "a > 1 or b < 2" },
    { "1 < 2 < a", "a(2,inf)", "(1 < 2)" },
    { "a * 2 > 0 and (a > 1 and (b < 2 and c))", "a(1,inf) b(-inf,2)", "((a * 2) > 0) and c" },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr(DmpiExpr) x = dmpi_expr_parse (cases[k].text, NULL);
      g_autoptr(GString) got = g_string_new (NULL);
      r = dmpi_expr_split_ranges (x, &rest);
      for (guint i = 0; i < r->len; i++)
        {
          DmpiExprRange *y = &g_array_index (r, DmpiExprRange, i);
          g_string_append_printf (got, "%s%s%c%g,%g%c", i ? " " : "", y->column,
                                  y->lo_inclusive ? '[' : '(', y->lo, y->hi, y->hi_inclusive ? ']' : ')');
        }
      g_assert_cmpstr (got->str, ==, cases[k].ranges);
      g_assert_cmpstr (rest != NULL ? dmpi_expr_get_text (rest) : NULL, ==, cases[k].rest);
      if (r->len == 0)
        g_assert_true (rest == x);
      dmpi_expr_ranges_free (r);
      g_clear_pointer (&rest, dmpi_expr_unref);
    }
}

/* The filter's ranges and its rest select what the filter selects. */
static void
test_split_ranges_agree (void)
{
  g_autoptr(DmpiExpr) e = dmpi_expr_parse ("-5 < i <= 7 and j != 0 and 0 < f and b", NULL);
  DmpiExpr *rest = NULL;
  g_autoptr(GArray) r = dmpi_expr_split_ranges (e, &rest);
  g_autofree guint8 *all = dmpi_expr_eval_mask (e, table, NULL, NULL);
  g_autofree guint8 *part = dmpi_expr_eval_mask (rest, table, NULL, NULL);
  g_assert_cmpuint (r->len, ==, 2);
  for (gsize row = 0; row < N_ROWS; row++)
    {
      gboolean keep = part[row];
      for (guint k = 0; k < r->len; k++)
        {
          DmpiExprRange *x = &g_array_index (r, DmpiExprRange, k);
          DmpiColumn *c = dmpi_table_get_column (table, x->column);
          gdouble v = c->type == DMPI_COL_INT32 ? DMPI_COLUMN_INT32 (c)[row] : DMPI_COLUMN_FLOAT32 (c)[row];
          keep = keep && dmpi_column_is_valid (c, row) &&
                 (x->lo_inclusive ? v >= x->lo : v > x->lo) && (x->hi_inclusive ? v <= x->hi : v < x->hi);
        }
      g_assert_cmpint (keep, ==, all[row]);
    }
  dmpi_expr_unref (rest);
}

typedef struct {
  DmpiExpr *e;
  DmpiTable *t;
} Shared;

static gpointer
evaluate_often (gpointer data)
{
  Shared *s = data;
  for (int k = 0; k < 50; k++)
    {
      g_autoptr(DmpiColumn) c = dmpi_expr_eval (s->e, s->t, "x", NULL);
      g_assert_nonnull (c);
      g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (c)[4], ==, -74.01f);
    }
  return NULL;
}

/* One expression, several compute threads. */
static void
test_threads (void)
{
  Shared s = { dmpi_expr_parse ("fillna(f, 0) // 0.01 * 0.01 + where(b, 0, 0)", NULL), table };
  GThread *threads[4];
  for (int k = 0; k < 4; k++)
    threads[k] = g_thread_new ("eval", evaluate_often, &s);
  for (int k = 0; k < 4; k++)
    g_thread_join (threads[k]);
  dmpi_expr_unref (s.e);
}

static gdouble
thread_cpu_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Times over 1 M float32 rows (a message, not an assertion). */
static void
test_speed (void)
{
  const gsize n = 1000000;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  DmpiColumn *a = dmpi_column_new ("a", DMPI_COL_FLOAT32, n), *b = dmpi_column_new ("b", DMPI_COL_FLOAT32, n);
  DmpiColumn *x = dmpi_column_new ("x", DMPI_COL_FLOAT32, n);
  for (gsize i = 0; i < n; i++)
    {
      dmpi_column_append_float32 (a, (gfloat) g_rand_double_range (rand, -10, 600));
      dmpi_column_append_float32 (b, (gfloat) g_rand_int_range (rand, -1, 8));
      dmpi_column_append_float32 (x, (gfloat) g_rand_double_range (rand, -75, -73));
    }
  dmpi_table_add_column (t, a);
  dmpi_table_add_column (t, b);
  dmpi_table_add_column (t, x);
  g_autoptr(DmpiExpr) round_ = dmpi_expr_parse ("x // 0.01 * 0.01", NULL);
  g_autoptr(DmpiExpr) filter = dmpi_expr_parse ("0 < a < 500 and 0 < b < 6", NULL);
  /* wall and this thread's CPU time (the machine may be shared), best of 10 */
  gdouble best[2][2] = { { G_MAXDOUBLE, G_MAXDOUBLE }, { G_MAXDOUBLE, G_MAXDOUBLE } };
  for (int k = 0; k < 10; k++)
    for (int which = 0; which < 2; which++)
      {
        gint64 w0 = g_get_monotonic_time ();
        gdouble c0 = thread_cpu_ms ();
        g_autoptr(DmpiColumn) c = which == 0 ? dmpi_expr_eval (round_, t, "r", NULL) : NULL;
        g_autofree guint8 *keep = which == 1 ? dmpi_expr_eval_mask (filter, t, NULL, NULL) : NULL;
        gdouble cpu = thread_cpu_ms () - c0, wall = (g_get_monotonic_time () - w0) / 1000.0;
        g_assert_true (c != NULL || keep != NULL);
        best[which][0] = MIN (best[which][0], wall);
        best[which][1] = MIN (best[which][1], cpu);
      }
  g_test_message ("1 M float32 rows, best of 10 (wall, CPU): 'x // 0.01 * 0.01' %.2f ms, %.2f ms; "
                  "'0 < a < 500 and 0 < b < 6' (mask) %.2f ms, %.2f ms",
                  best[0][0], best[0][1], best[1][0], best[1][1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  table = make_table ();
  g_test_add_func ("/expr/precedence", test_precedence);
  g_test_add_func ("/expr/columns", test_columns);
  g_test_add_func ("/expr/literals", test_literals);
  g_test_add_func ("/expr/int-arithmetic", test_int_arithmetic);
  g_test_add_func ("/expr/float-arithmetic", test_float_arithmetic);
  g_test_add_func ("/expr/float32-grid", test_float32_grid);
  g_test_add_func ("/expr/float32-sweep", test_float32_sweep);
  g_test_add_func ("/expr/float-divmod-random", test_float_divmod_random);
  g_test_add_func ("/expr/promotion", test_promotion);
  g_test_add_func ("/expr/comparisons", test_comparisons);
  g_test_add_func ("/expr/missing", test_missing);
  g_test_add_func ("/expr/math", test_math);
  g_test_add_func ("/expr/round", test_round);
  g_test_add_func ("/expr/datetime", test_datetime);
  g_test_add_func ("/expr/strings", test_strings);
  g_test_add_func ("/expr/casts", test_casts);
  g_test_add_func ("/expr/errors", test_errors);
  g_test_add_func ("/expr/mask", test_mask);
  g_test_add_func ("/expr/split-ranges", test_split_ranges);
  g_test_add_func ("/expr/split-ranges-agree", test_split_ranges_agree);
  g_test_add_func ("/expr/threads", test_threads);
  g_test_add_func ("/expr/speed", test_speed);
  int rc = g_test_run ();
  dmpi_table_free (table);
  return rc;
}
