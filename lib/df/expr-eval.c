/* Expressions: vectorized evaluation. Each node is one pass over whole
 * columns; literals, and what only literals feed, stay single values. The
 * arithmetic is NumPy's, operation by operation. */
#include "config.h"

/* NumPy rounds after every operation: no fused multiply-adds. The kernels
 * must vectorize: GCC if-converts floating-point selections only when told
 * that no operation traps (the flags are never read here). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize ("fp-contract=off", "no-trapping-math", "tree-vectorize", "vect-cost-model=dynamic")
#endif

#include "df/expr-private.h"

#include <math.h>
#include <string.h>

/* A node's value: a whole column, or one value for every row. */
typedef struct {
  guint8      type;      /* a DmpiColType or TYPE_NULL */
  gboolean    scalar;
  gsize       n;         /* values held: 1 for a scalar */
  gpointer    data;
  guint8     *valid;     /* NULL: none missing */
  guint32    *offsets;   /* strings */
  const char *chars;
  DmpiColumn *col;       /* owns data, valid, offsets and chars; NULL when they
                          * are the table's, or the literal's below */
  union {
    gint64  i64;
    gint32  i32;
    gdouble f64;
    gfloat  f32;
    guint8  b;
  } s;
  guint8      s_valid;
  guint32     s_offsets[2];
} Val;

typedef struct {
  const DmpiExpr *e;
  ExprType       *types;   /* by node id */
  DmpiColumn    **cols;    /* by expression column */
  gsize           n;       /* rows */
} Ctx;

static void
val_free (Val *v)
{
  if (v == NULL)
    return;
  dmpi_column_free (v->col);
  g_free (v);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Val, val_free)

/* Timestamps and durations compute as int64. */
static guint8
rep (guint8 t)
{
  return t == DMPI_COL_TIMESTAMP || t == DMPI_COL_DURATION ? DMPI_COL_INT64 : t;
}

static Val *
val_literal (guint8 type)
{
  Val *v = g_new0 (Val, 1);
  v->type = type;
  v->scalar = TRUE;
  v->n = 1;
  v->data = &v->s;
  v->offsets = v->s_offsets;
  v->chars = "";
  return v;
}

static Val *
val_missing (guint8 type)
{
  Val *v = val_literal (type);
  v->valid = &v->s_valid;
  return v;
}

/* A new value of n rows (1 if scalar) to fill. Strings are appended to
 * v->col, then val_seal. */
static Val *
val_new (guint8 type, gboolean scalar, gsize n)
{
  Val *v = g_new0 (Val, 1);
  v->type = type;
  v->scalar = scalar;
  v->n = scalar ? 1 : n;
  v->col = dmpi_column_new ("", type, MAX (v->n, 1));
  if (type != DMPI_COL_STRING)
    {
      v->col->n_rows = v->n;
      v->data = v->col->data;
    }
  return v;
}

/* A new value for an elementwise result: the storage of x (or y) when it
 * is a column of the same type that this value owns and nothing reads
 * after (the result is computed in place), else new storage. */
static Val *
val_new_in_place (guint8 type, gboolean scalar, gsize n, const Val *x, const Val *y)
{
  const Val *donors[] = { x, y };
  for (gsize k = 0; k < G_N_ELEMENTS (donors) && !scalar && type != DMPI_COL_STRING; k++)
    {
      Val *d = (Val *) donors[k];   /* the caller's own, which it frees after */
      if (d == NULL || d->scalar || d->col == NULL || rep (d->type) != rep (type))
        continue;
      Val *v = g_new0 (Val, 1);
      v->type = type;
      v->n = d->n;
      v->col = g_steal_pointer (&d->col);
      v->col->type = type;
      v->data = v->col->data;
      v->valid = v->col->valid;
      return v;
    }
  return val_new (type, scalar, n);
}

static void
val_seal (Val *v)
{
  v->offsets = v->col->offsets;
  v->chars = v->col->chars != NULL ? v->col->chars : "";
  v->valid = v->col->valid;
}

static guint8 *
val_need_valid (Val *v)
{
  if (v->valid == NULL)
    {
      g_assert (v->col != NULL);
      v->col->valid = g_malloc (MAX (v->n, 1));
      memset (v->col->valid, 1, v->n);
      v->valid = v->col->valid;
    }
  return v->valid;
}

#define IX(v, i) ((v)->scalar ? 0 : (i))

static inline gboolean
present (const Val *v, gsize i)
{
  return v->valid == NULL || v->valid[IX (v, i)];
}

/* out is missing wherever in is. */
static void
and_valid (Val *out, const Val *in)
{
  if (in->valid == NULL)
    return;
  guint8 *o = val_need_valid (out);
  if (in->scalar)
    {
      if (!in->valid[0])
        memset (o, 0, out->n);
    }
  else
    for (gsize i = 0; i < out->n; i++)
      o[i] &= in->valid[i];
}

static inline const char *
str_at (const Val *v, gsize i, gsize *len)
{
  gsize k = IX (v, i);
  *len = v->offsets[k + 1] - v->offsets[k];
  return v->chars + v->offsets[k];
}

/* ---------------------------------------------------------------- conversions */

static inline gboolean
fits_int32 (gdouble d)
{
  return d > -2147483649.0 && d < 2147483648.0;
}

static inline gboolean
fits_int64 (gdouble d)
{
  return d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

/* dst[i] = EXPR of x = src[i], for the N values of v into out. */
#define LOOP(N, TF, TT, EXPR) \
  do { \
    const TF *src = v->data; \
    TT *dst = out->data; \
    for (gsize i = 0; i < (N); i++) \
      { \
        TF x = src[i]; \
        dst[i] = (EXPR); \
      } \
  } while (0)

#define FROM_NUMBER(TT, INT_EXPR, FLOAT_EXPR) \
  switch (rep (v->type)) \
    { \
    case DMPI_COL_BOOL: LOOP (n, guint8, TT, INT_EXPR); break; \
    case DMPI_COL_INT32: LOOP (n, gint32, TT, INT_EXPR); break; \
    case DMPI_COL_INT64: LOOP (n, gint64, TT, INT_EXPR); break; \
    case DMPI_COL_FLOAT32: LOOP (n, gfloat, TT, FLOAT_EXPR); break; \
    case DMPI_COL_FLOAT64: LOOP (n, gdouble, TT, FLOAT_EXPR); break; \
    default: g_assert_not_reached (); \
    }

/* Numbers (and timestamps, durations) to another number type. Wider
 * integers wrap; a float that is NaN or out of an integer's range is
 * missing. */
static void
convert_numbers (const Val *v, Val *out)
{
  gsize n = out->n;
  gboolean from_float = rep (v->type) == DMPI_COL_FLOAT32 || rep (v->type) == DMPI_COL_FLOAT64;
  gboolean to_int = rep (out->type) == DMPI_COL_INT32 || rep (out->type) == DMPI_COL_INT64;
  guint8 *ok = from_float && to_int ? val_need_valid (out) : NULL;

  switch (rep (out->type))
    {
    case DMPI_COL_INT32:
      FROM_NUMBER (gint32, (gint32) x, fits_int32 (x) ? (gint32) x : (ok[i] = 0));
      break;
    case DMPI_COL_INT64:
      FROM_NUMBER (gint64, (gint64) x, fits_int64 (x) ? (gint64) x : (ok[i] = 0));
      break;
    case DMPI_COL_FLOAT32:
      FROM_NUMBER (gfloat, (gfloat) x, (gfloat) x);
      break;
    case DMPI_COL_FLOAT64:
      FROM_NUMBER (gdouble, (gdouble) x, (gdouble) x);
      break;
    case DMPI_COL_BOOL:
      FROM_NUMBER (guint8, x != 0, x != 0);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Strings read as the casts read them; what does not read is missing. */
static void
convert_strings (const Val *v, Val *out)
{
  guint8 *ok = val_need_valid (out);
  for (gsize i = 0; i < out->n; i++)
    {
      gsize len;
      const char *s = str_at (v, i, &len);
      gint64 l = 0;
      gdouble d = 0;
      if (!present (v, i))
        ok[i] = 0;
      else if (out->type == DMPI_COL_TIMESTAMP)
        ok[i] = expr_parse_timestamp (s, len, &l);
      else if (out->type == DMPI_COL_INT32 || out->type == DMPI_COL_INT64)
        ok[i] = expr_parse_int64 (s, len, &l) &&
                (out->type == DMPI_COL_INT64 || (l >= G_MININT32 && l <= G_MAXINT32));
      else if (out->type == DMPI_COL_FLOAT32 || out->type == DMPI_COL_FLOAT64)
        ok[i] = expr_parse_double (s, len, &d);
      else
        l = len > 0;   /* bool */
      switch (rep (out->type))
        {
        case DMPI_COL_INT32: ((gint32 *) out->data)[i] = (gint32) l; break;
        case DMPI_COL_INT64: ((gint64 *) out->data)[i] = l; break;
        case DMPI_COL_FLOAT32: ((gfloat *) out->data)[i] = (gfloat) d; break;
        case DMPI_COL_FLOAT64: ((gdouble *) out->data)[i] = d; break;
        case DMPI_COL_BOOL: ((guint8 *) out->data)[i] = (guint8) l; break;
        default: g_assert_not_reached ();
        }
    }
}

/* v as type t: v itself when it is already held that way, else a new value
 * that *tmp gets (for the caller to free). */
static const Val *
val_as (const Val *v, guint8 t, Val **tmp)
{
  *tmp = NULL;
  if (rep (v->type) == rep (t))
    return v;
  if (v->type == TYPE_NULL)
    return *tmp = val_missing (t);
  Val *out = *tmp = val_new (t, v->scalar, v->n);
  if (v->type == DMPI_COL_STRING)
    convert_strings (v, out);
  else
    {
      if (v->valid != NULL)
        memcpy (val_need_valid (out), v->valid, out->n);
      convert_numbers (v, out);
    }
  return out;
}

/* The start of a one-operand operation: a as type t (*v; a conversion is
 * left in *tmp for the caller to free) and the result, of type rt and of
 * a's shape, missing where a is; in a's storage when rt is held as t. */
static Val *
begin_unary (const Val *a, guint8 t, guint8 rt, gsize n, const Val **v, Val **tmp)
{
  *v = val_as (a, t, tmp);
  Val *out = val_new_in_place (rt, (*v)->scalar, n, rep (rt) == rep (t) ? *v : NULL, NULL);
  and_valid (out, *v);
  return out;
}

/* The same for two operands, both brought to t; the result in x's or y's
 * storage if they may give it (the kernel does not read them after). */
static Val *
begin_binary (const Val *a, const Val *b, guint8 t, guint8 rt, gsize n, gboolean x_gives,
              gboolean y_gives, const Val **x, const Val **y, Val **ta, Val **tb)
{
  *x = val_as (a, t, ta);
  *y = val_as (b, t, tb);
  gboolean same = rep (rt) == rep (t);
  Val *out = val_new_in_place (rt, (*x)->scalar && (*y)->scalar, n, same && x_gives ? *x : NULL,
                               same && y_gives ? *y : NULL);
  and_valid (out, *x);
  and_valid (out, *y);
  return out;
}

/* Kernels by the type they compute in: int32, int64, float32, float64. */
static gint
kernel_index (guint8 t)
{
  switch (rep (t))
    {
    case DMPI_COL_INT32: return 0;
    case DMPI_COL_INT64: return 1;
    case DMPI_COL_FLOAT32: return 2;
    case DMPI_COL_FLOAT64: return 3;
    default: g_assert_not_reached ();
    }
}

/* ---------------------------------------------------------------- operators */

static Val *eval_node (Ctx *c, const ExprNode *n);

/* Integer // and % by zero, and ** of a negative power, are missing. */
static void
mark_undefined (Val *out, const Val *y, gboolean power)
{
  for (gsize i = 0; i < out->n; i++)
    {
      gsize k = IX (y, i);
      gint64 v = rep (y->type) == DMPI_COL_INT32 ? ((const gint32 *) y->data)[k]
                                                 : ((const gint64 *) y->data)[k];
      if (power ? v < 0 : v == 0)
        val_need_valid (out)[i] = 0;
    }
}

/* NumPy's shortcuts for a float array to a scalar power: x ** 2 is x * x,
 * x ** 0.5 is sqrt(x) (they differ from pow at -0 and -inf). */
static gboolean
power_shortcut (const Val *x, const Val *y, Val *out)
{
  gboolean single = rep (x->type) == DMPI_COL_FLOAT32;
  if (!y->scalar)
    return FALSE;
  gdouble e = single ? (gdouble) *(const gfloat *) y->data : *(const gdouble *) y->data;
  if (e != 2.0 && e != 0.5)
    return FALSE;
  for (gsize i = 0; i < out->n; i++)
    {
      gsize k = IX (x, i);
      if (single)
        {
          gfloat v = ((const gfloat *) x->data)[k];
          ((gfloat *) out->data)[i] = e == 2.0 ? v * v : sqrtf (v);
        }
      else
        {
          gdouble v = ((const gdouble *) x->data)[k];
          ((gdouble *) out->data)[i] = e == 2.0 ? v * v : sqrt (v);
        }
    }
  return TRUE;
}

static Val *
concat (const Val *a, const Val *b, gsize n)
{
  Val *out = val_new (DMPI_COL_STRING, a->scalar && b->scalar, n);
  g_autoptr(GString) s = g_string_new (NULL);
  for (gsize i = 0; i < out->n; i++)
    {
      gsize la, lb;
      const char *sa = str_at (a, i, &la), *sb = str_at (b, i, &lb);
      if (!present (a, i) || !present (b, i))
        {
          dmpi_column_append_missing (out->col);
          continue;
        }
      g_string_truncate (s, 0);
      g_string_append_len (s, sa, (gssize) la);
      g_string_append_len (s, sb, (gssize) lb);
      dmpi_column_append_string (out->col, s->str, (gssize) s->len);
    }
  val_seal (out);
  return out;
}

static Val *
arith (Ctx *c, const ExprNode *n, const Val *a, const Val *b)
{
  guint8 t = c->types[n->id].t;
  g_autoptr(Val) ta = NULL;
  g_autoptr(Val) tb = NULL;

  if (t == TYPE_NULL)
    return val_missing (TYPE_NULL);
  if (t == DMPI_COL_STRING)
    {
      const Val *x = val_as (a, t, &ta), *y = val_as (b, t, &tb);
      return concat (x, y, c->n);
    }
  const Val *x, *y;
  gint k = kernel_index (t);
  /* In place, unless the inputs are read again after the kernel (the
   * divisor for integer // and %, both for float32's fallback). */
  gboolean rereads = n->op == ARITH_FLOORDIV || n->op == ARITH_MOD || (n->op == ARITH_POW && k < 2);
  Val *out = begin_binary (a, b, t, t, c->n, !rereads || k < 2, !rereads, &x, &y, &ta, &tb);
  if (!(n->op == ARITH_POW && k >= 2 && power_shortcut (x, y, out)))
    expr_arith_kernels[n->op][k] (out->n, x->data, x->scalar, y->data, y->scalar, out->data);
  if (k < 2 && (n->op == ARITH_FLOORDIV || n->op == ARITH_MOD || n->op == ARITH_POW))
    mark_undefined (out, y, n->op == ARITH_POW);
  return out;
}

static gint
bytes_cmp (const char *a, gsize la, const char *b, gsize lb)
{
  gint r = memcmp (a, b, MIN (la, lb));
  return r != 0 ? r : (la > lb) - (la < lb);
}

static void
compare_strings (const Val *a, CmpOp op, const Val *b, Val *out, gboolean and_into)
{
  guint8 *o = out->data;
  for (gsize i = 0; i < out->n; i++)
    {
      gsize la, lb;
      const char *sa = str_at (a, i, &la), *sb = str_at (b, i, &lb);
      gint r = bytes_cmp (sa, la, sb, lb);
      guint8 v;
      switch (op)
        {
        case CMP_EQ: v = r == 0; break;
        case CMP_NE: v = r != 0; break;
        case CMP_LT: v = r < 0; break;
        case CMP_LE: v = r <= 0; break;
        case CMP_GT: v = r > 0; break;
        case CMP_GE: v = r >= 0; break;
        case CMP_N:
        default: g_assert_not_reached ();
        }
      o[i] = and_into ? o[i] & v : v;
    }
}

/* A comparison with a missing value is false. */
static void
clear_missing (Val *out, const Val *v)
{
  guint8 *o = out->data;
  if (v->valid == NULL)
    return;
  if (v->scalar)
    {
      if (!v->valid[0])
        memset (o, 0, out->n);
    }
  else
    for (gsize i = 0; i < out->n; i++)
      o[i] &= v->valid[i];
}

/* An int32 column against an int64 value that fits compares in int32. */
static gboolean
fits_int32_scalar (const Val *v)
{
  return v->scalar && rep (v->type) == DMPI_COL_INT64 && present (v, 0) &&
         *(const gint64 *) v->data >= G_MININT32 && *(const gint64 *) v->data <= G_MAXINT32;
}

/* a op b as bools, or anded into *into (of the same shape or wider). */
static Val *
compare (Ctx *c, const ExprNode *an, const Val *a, CmpOp op, const ExprNode *bn, const Val *b,
         Val *into)
{
  guint8 t = expr_compare_type (c->types[an->id], c->types[bn->id]);
  g_autoptr(Val) ta = NULL;
  g_autoptr(Val) tb = NULL;

  if (into != NULL && !into->scalar && a->scalar && b->scalar)
    {
      /* one value for every row */
      g_autoptr(Val) r = compare (c, an, a, op, bn, b, NULL);
      if (!*(guint8 *) r->data)
        memset (into->data, 0, into->n);
      return into;
    }
  Val *out = into != NULL ? into : val_new (DMPI_COL_BOOL, a->scalar && b->scalar, c->n);
  if (t == TYPE_NULL)
    {
      memset (out->data, 0, out->n);
      return out;
    }
  if (t == DMPI_COL_INT64 && ((a->type == DMPI_COL_INT32 && fits_int32_scalar (b)) ||
                              (b->type == DMPI_COL_INT32 && fits_int32_scalar (a))))
    t = DMPI_COL_INT32;
  const Val *x = val_as (a, t, &ta), *y = val_as (b, t, &tb);
  if (t == DMPI_COL_STRING)
    compare_strings (x, op, y, out, into != NULL);
  else
    expr_cmp_kernels[into != NULL][op][kernel_index (t)] (out->n, x->data, x->scalar, y->data,
                                                     y->scalar, out->data);
  clear_missing (out, x);
  clear_missing (out, y);
  return out;
}

/* a < b <= c ...: each comparison anded into the first's result. */
static Val *
chain (Ctx *c, const ExprNode *n)
{
  g_autofree Val **vals = g_new0 (Val *, n->n_args);
  Val *acc = NULL;
  for (guint i = 0; i < n->n_args; i++)
    vals[i] = eval_node (c, n->args[i]);
  for (guint i = 0; i + 1 < n->n_args; i++)
    {
      if (acc != NULL && acc->scalar && !(vals[i]->scalar && vals[i + 1]->scalar))
        {
          Val *wide = val_new (DMPI_COL_BOOL, FALSE, c->n);
          memset (wide->data, *(guint8 *) acc->data, wide->n);
          val_free (acc);
          acc = wide;
        }
      acc = compare (c, n->args[i], vals[i], n->cmp[i], n->args[i + 1], vals[i + 1], acc);
    }
  for (guint i = 0; i < n->n_args; i++)
    val_free (vals[i]);
  return acc;
}

typedef enum { TRUTH_SET, TRUTH_AND, TRUTH_OR } TruthMode;

/* o (n bytes) set to, anded or ored with v's truth: a missing bool is false. */
static void
truth (guint8 *o, gsize n, const Val *v, TruthMode mode)
{
  const guint8 *d = v->data, *va = v->valid;
  if (v->scalar)
    {
      guint8 t = v->type != TYPE_NULL && present (v, 0) && d[0] != 0;
      if (mode == TRUTH_SET || (mode == TRUTH_AND && !t) || (mode == TRUTH_OR && t))
        memset (o, t, n);
      return;
    }
#define TRUTH_LOOPS(T) \
  switch (mode) \
    { \
    case TRUTH_SET: for (gsize i = 0; i < n; i++) o[i] = (T); break; \
    case TRUTH_AND: for (gsize i = 0; i < n; i++) o[i] &= (T); break; \
    case TRUTH_OR: for (gsize i = 0; i < n; i++) o[i] |= (T); break; \
    default: g_assert_not_reached (); \
    }
  if (va == NULL)
    TRUTH_LOOPS (d[i] != 0)
  else
    TRUTH_LOOPS ((d[i] != 0) & (va[i] != 0))
#undef TRUTH_LOOPS
}

/* A bool result that has no missing values, in a's storage if it can. */
static Val *
bool_result (const Val *a, const Val *b, gsize n)
{
  Val *out = val_new_in_place (DMPI_COL_BOOL, a->scalar && (b == NULL || b->scalar), n, a, NULL);
  return out;
}

static void
drop_valid (Val *v)
{
  if (v->col != NULL)
    g_clear_pointer (&v->col->valid, g_free);
  v->valid = NULL;
}

static Val *
logic (Ctx *c, const ExprNode *n)
{
  g_autoptr(Val) a = eval_node (c, n->args[0]);
  g_autoptr(Val) b = n->kind == NODE_NOT ? NULL : eval_node (c, n->args[1]);
  Val *out = bool_result (a, b, c->n);
  guint8 *o = out->data;
  /* in place: truth reads a's values and validity at i before writing o[i] */
  truth (o, out->n, a, TRUTH_SET);
  drop_valid (out);
  if (n->kind == NODE_NOT)
    for (gsize i = 0; i < out->n; i++)
      o[i] ^= 1;
  else
    truth (o, out->n, b, n->kind == NODE_AND ? TRUTH_AND : TRUTH_OR);
  return out;
}

static Val *
negate (Ctx *c, const ExprNode *n, const Val *a)
{
  guint8 t = c->types[n->id].t;
  g_autoptr(Val) ta = NULL;
  const Val *v;
  if (t == TYPE_NULL)
    return val_missing (TYPE_NULL);
  Val *out = begin_unary (a, t, t, c->n, &v, &ta);
  gsize n_ = out->n;
  switch (rep (t))
    {
    case DMPI_COL_INT32: LOOP (n_, gint32, gint32, (gint32) (0 - (guint32) x)); break;
    case DMPI_COL_INT64: LOOP (n_, gint64, gint64, (gint64) (0 - (guint64) x)); break;
    case DMPI_COL_FLOAT32: LOOP (n_, gfloat, gfloat, -x); break;
    case DMPI_COL_FLOAT64: LOOP (n_, gdouble, gdouble, -x); break;
    default: g_assert_not_reached ();
    }
  return out;
}

/* ---------------------------------------------------------------- functions */

static const gfloat deg2rad_f = 3.141592653589793238462643383279502884f / 180.0f;
static const gfloat rad2deg_f = 180.0f / 3.141592653589793238462643383279502884f;
static gfloat radians_f (gfloat x) { return x * deg2rad_f; }
static gfloat degrees_f (gfloat x) { return x * rad2deg_f; }
static gdouble radians_d (gdouble x) { return x * (G_PI / 180.0); }
static gdouble degrees_d (gdouble x) { return x * (180.0 / G_PI); }

/* numpy's power_of_ten (the scale of round). */
static gdouble
power_of_ten (gint n)
{
  static const gdouble p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };
  gdouble r = 1e9;
  if (n < 9)
    return p10[n];
  for (n = MIN (n, 400); n > 9; n--)   /* inf long before 400 */
    r *= 10.0;
  return r;
}

/* Float to integer as x86 converts (what NumPy's casts give there): the
 * smallest integer when out of range. */
static inline gint64
x86_int64 (gdouble d)
{
  return fits_int64 (d) ? (gint64) d : G_MININT64;
}

static inline gint32
x86_int32 (gdouble d)
{
  return fits_int32 (d) ? (gint32) d : G_MININT32;
}

/* numpy.round: scale by 10**digits in the value's type, rint, scale back;
 * integers stay (digits >= 0) or round through float64. */
static void
round_values (const Val *v, Val *out, gint digits)
{
  gsize n = out->n;
  gdouble p = power_of_ten (ABS (digits));
  gfloat pf = (gfloat) p;
  switch (rep (out->type))
    {
    case DMPI_COL_FLOAT32:
      LOOP (n, gfloat, gfloat, digits == 0 ? rintf (x) : digits > 0 ? rintf (x * pf) / pf
                                                                 : rintf (x / pf) * pf);
      break;
    case DMPI_COL_FLOAT64:
      LOOP (n, gdouble, gdouble, digits == 0 ? rint (x) : digits > 0 ? rint (x * p) / p
                                                                  : rint (x / p) * p);
      break;
    case DMPI_COL_INT32:
      LOOP (n, gint32, gint32, digits >= 0 ? x : x86_int32 (rint ((gdouble) x / p) * p));
      break;
    case DMPI_COL_INT64:
      LOOP (n, gint64, gint64, digits >= 0 ? x : x86_int64 (rint ((gdouble) x / p) * p));
      break;
    default:
      g_assert_not_reached ();
    }
}

static gdouble
abs_d (gdouble x)
{
  return fabs (x);
}

static gfloat
abs_f (gfloat x)
{
  return fabsf (x);
}

/* One-argument numeric functions: out of the same type (ints: see abs and
 * round), computed in it. */
static Val *
math1 (Ctx *c, const ExprNode *n, const Val *a)
{
  guint8 t = c->types[n->id].t;
  g_autoptr(Val) ta = NULL;
  gfloat (*ff) (gfloat) = NULL;
  gdouble (*fd) (gdouble) = NULL;

  const Val *v;
  if (t == TYPE_NULL)
    return val_missing (TYPE_NULL);
  Val *out = begin_unary (a, t, t, c->n, &v, &ta);
  gsize n_ = out->n;
  switch ((Func) n->op)
    {
    case FUNC_ABS: ff = abs_f, fd = abs_d; break;
    case FUNC_FLOOR: ff = floorf, fd = floor; break;
    case FUNC_CEIL: ff = ceilf, fd = ceil; break;
    case FUNC_SQRT: ff = sqrtf, fd = sqrt; break;
    case FUNC_EXP: ff = expf, fd = exp; break;
    case FUNC_LOG: ff = logf, fd = log; break;
    case FUNC_SIN: ff = sinf, fd = sin; break;
    case FUNC_COS: ff = cosf, fd = cos; break;
    case FUNC_TAN: ff = tanf, fd = tan; break;
    case FUNC_ASIN: ff = asinf, fd = asin; break;
    case FUNC_ACOS: ff = acosf, fd = acos; break;
    case FUNC_ATAN: ff = atanf, fd = atan; break;
    case FUNC_RADIANS: ff = radians_f, fd = radians_d; break;
    case FUNC_DEGREES: ff = degrees_f, fd = degrees_d; break;
    case FUNC_ROUND:
      {
        const ExprNode *d = n->n_args == 2 ? n->args[1] : NULL;
        gint64 digits = d == NULL ? 0 : d->kind == NODE_INT ? d->v.i : -d->args[0]->v.i;
        round_values (v, out, (gint) CLAMP (digits, -1000, 1000));
        return out;
      }
    default:
      g_assert_not_reached ();
    }
  if (n->op == FUNC_ABS && rep (t) == DMPI_COL_INT32)
    LOOP (n_, gint32, gint32, x < 0 ? (gint32) (0 - (guint32) x) : x);
  else if (n->op == FUNC_ABS && rep (t) == DMPI_COL_INT64)
    LOOP (n_, gint64, gint64, x < 0 ? (gint64) (0 - (guint64) x) : x);
  else if (rep (t) == DMPI_COL_FLOAT32)
    LOOP (n_, gfloat, gfloat, ff (x));
  else
    LOOP (n_, gdouble, gdouble, fd (x));
  return out;
}

static Val *
atan2_values (Ctx *c, const ExprNode *n, const Val *a, const Val *b)
{
  guint8 t = c->types[n->id].t;
  g_autoptr(Val) ta = NULL;
  g_autoptr(Val) tb = NULL;
  const Val *y, *x;
  if (t == TYPE_NULL)
    return val_missing (TYPE_NULL);
  Val *out = begin_binary (a, b, t, t, c->n, TRUE, TRUE, &y, &x, &ta, &tb);
  expr_atan2_kernels[t == DMPI_COL_FLOAT64] (out->n, y->data, y->scalar, x->data,
                                                   x->scalar, out->data);
  return out;
}

static inline gboolean
is_nan_at (const Val *v, gsize i)
{
  if (rep (v->type) == DMPI_COL_FLOAT32)
    return isnan (((const gfloat *) v->data)[IX (v, i)]);
  if (rep (v->type) == DMPI_COL_FLOAT64)
    return isnan (((const gdouble *) v->data)[IX (v, i)]);
  return FALSE;
}

static Val *
isnull (const Val *a, gboolean negate_, gsize n)
{
  Val *out = val_new (DMPI_COL_BOOL, a->scalar, n);
  guint8 *o = out->data;
  for (gsize i = 0; i < out->n; i++)
    o[i] = (a->type == TYPE_NULL || !present (a, i) || is_nan_at (a, i)) != negate_;
  return out;
}

/* Copies value i of v (of out's type) into row i of out, or marks it
 * missing. Strings are appended: rows must come in order. */
static inline void
copy_value (Val *out, gsize i, const Val *v, gsize size)
{
  if (!present (v, i))
    {
      if (out->type == DMPI_COL_STRING)
        dmpi_column_append_missing (out->col);
      else
        val_need_valid (out)[i] = 0;
      return;
    }
  if (out->type == DMPI_COL_STRING)
    {
      gsize len;
      const char *s = str_at (v, i, &len);
      dmpi_column_append_string (out->col, s, (gssize) len);
    }
  else
    memcpy ((char *) out->data + i * size, (const char *) v->data + IX (v, i) * size, size);
}

/* where(cond, a, b), and fillna(a, b) when cond is NULL. */
static Val *
choose (Ctx *c, const ExprNode *n, const Val *cond, const Val *a, const Val *b)
{
  guint8 t = c->types[n->id].t;
  g_autoptr(Val) ta = NULL;
  g_autoptr(Val) tb = NULL;
  if (t == TYPE_NULL)
    return val_missing (TYPE_NULL);
  const Val *x = val_as (a, t, &ta), *y = val_as (b, t, &tb);
  gboolean scalar = x->scalar && y->scalar && (cond == NULL || cond->scalar);
  Val *out = val_new (t, scalar, c->n);
  gsize size = dmpi_col_type_size (t);
  const guint8 *cd = cond != NULL ? cond->data : NULL;
  for (gsize i = 0; i < out->n; i++)
    {
      gboolean first = cond != NULL
                       ? cond->type != TYPE_NULL && present (cond, i) && cd[IX (cond, i)] != 0
                       : present (x, i) && !is_nan_at (x, i);
      copy_value (out, i, first ? x : y, size);
    }
  if (t == DMPI_COL_STRING)
    val_seal (out);
  return out;
}

static Val *
date_part (Func f, const Val *a, gsize n)
{
  g_autoptr(Val) ta = NULL;
  const Val *v;
  Val *out = begin_unary (a, DMPI_COL_INT64, DMPI_COL_INT32, n, &v, &ta);
  const gint64 *ns = v->data;
  gint32 *o = out->data;
  for (gsize i = 0; i < out->n; i++)
    {
      gint64 in_day, days = expr_days_of (ns[i], &in_day);
      gint y, m, d;
      switch (f)
        {
        case FUNC_HOUR: o[i] = (gint32) (in_day / (3600 * EXPR_NS_PER_SECOND)); continue;
        case FUNC_MINUTE: o[i] = (gint32) (in_day / (60 * EXPR_NS_PER_SECOND) % 60); continue;
        case FUNC_SECOND: o[i] = (gint32) (in_day / EXPR_NS_PER_SECOND % 60); continue;
        /* 1970-01-01 was a Thursday: 3 with Monday = 0 */
        case FUNC_DAY_OF_WEEK: o[i] = (gint32) (((days + 3) % 7 + 7) % 7); continue;
        default: break;
        }
      expr_civil_from_days (days, &y, &m, &d);
      o[i] = f == FUNC_YEAR ? y : f == FUNC_MONTH ? m : f == FUNC_DAY ? d
             : (gint32) (days - expr_days_from_civil (y, 1, 1) + 1);
    }
  return out;
}

static Val *
seconds (const Val *a, gsize n)
{
  g_autoptr(Val) ta = NULL;
  const Val *v;
  Val *out = begin_unary (a, DMPI_COL_INT64, DMPI_COL_FLOAT64, n, &v, &ta);
  n = out->n;
  LOOP (n, gint64, gdouble, (gdouble) x / 1e9);
  return out;
}

static Val *
string_test (Func f, const Val *a, const Val *b, gsize n)
{
  g_autoptr(Val) ta = NULL;
  g_autoptr(Val) tb = NULL;
  const Val *s, *p;
  Val *out = begin_binary (a, b, DMPI_COL_STRING, DMPI_COL_BOOL, n, FALSE, FALSE, &s, &p, &ta, &tb);
  guint8 *o = out->data;
  for (gsize i = 0; i < out->n; i++)
    {
      gsize ls, lp;
      const char *ss = str_at (s, i, &ls), *ps = str_at (p, i, &lp);
      if (f == FUNC_CONTAINS)
        o[i] = lp == 0 || memmem (ss, ls, ps, lp) != NULL;
      else
        o[i] = lp <= ls && memcmp (f == FUNC_STARTSWITH ? ss : ss + ls - lp, ps, lp) == 0;
    }
  return out;
}

static Val *
length (const Val *a, gsize n)
{
  g_autoptr(Val) ta = NULL;
  const Val *s;
  Val *out = begin_unary (a, DMPI_COL_STRING, DMPI_COL_INT64, n, &s, &ta);
  gint64 *o = out->data;
  for (gsize i = 0; i < out->n; i++)
    {
      gsize len, chars = 0;
      const guchar *p = (const guchar *) str_at (s, i, &len);
      for (gsize k = 0; k < len; k++)
        chars += (p[k] & 0xc0) != 0x80;
      o[i] = (gint64) chars;
    }
  return out;
}

static Val *
to_string (const Val *a, gsize n)
{
  Val *out = val_new (DMPI_COL_STRING, a->scalar, n);
  if (a->type == DMPI_COL_TIMESTAMP)
    expr_append_timestamp_strings (out->col, a->data, a->valid, out->n);
  else
    for (gsize i = 0; i < out->n; i++)
      {
        char buf[48];
        gsize len = 0;
        gsize k = IX (a, i);
        if (a->type == TYPE_NULL || !present (a, i))
          {
            dmpi_column_append_missing (out->col);
            continue;
          }
        switch (a->type)
          {
          case DMPI_COL_INT32:
            len = (gsize) g_snprintf (buf, sizeof buf, "%d", ((const gint32 *) a->data)[k]);
            break;
          case DMPI_COL_INT64:
            len = (gsize) g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT,
                                      ((const gint64 *) a->data)[k]);
            break;
          case DMPI_COL_FLOAT32:
            len = expr_format_float (buf, ((const gfloat *) a->data)[k], TRUE);
            break;
          case DMPI_COL_FLOAT64:
            len = expr_format_float (buf, ((const gdouble *) a->data)[k], FALSE);
            break;
          case DMPI_COL_BOOL:
            len = (gsize) g_snprintf (buf, sizeof buf, ((const guint8 *) a->data)[k] ? "True" : "False");
            break;
          default:
            g_assert_not_reached ();
          }
        dmpi_column_append_string (out->col, buf, (gssize) len);
      }
  val_seal (out);
  return out;
}

static Val *
call (Ctx *c, const ExprNode *n)
{
  Val *args[3] = { NULL, NULL, NULL };
  Val *out = NULL;
  guint n_args = n->op == FUNC_ROUND ? 1 : n->n_args;   /* round's digits are a literal */

  for (guint i = 0; i < n_args; i++)
    args[i] = eval_node (c, n->args[i]);
  switch ((Func) n->op)
    {
    case FUNC_ABS: case FUNC_FLOOR: case FUNC_CEIL: case FUNC_ROUND:
    case FUNC_SQRT: case FUNC_EXP: case FUNC_LOG: case FUNC_SIN: case FUNC_COS: case FUNC_TAN:
    case FUNC_ASIN: case FUNC_ACOS: case FUNC_ATAN: case FUNC_RADIANS: case FUNC_DEGREES:
      out = math1 (c, n, args[0]);
      break;
    case FUNC_ATAN2:
      out = atan2_values (c, n, args[0], args[1]);
      break;
    case FUNC_ISNULL:
    case FUNC_NOTNULL:
      out = isnull (args[0], n->op == FUNC_NOTNULL, c->n);
      break;
    case FUNC_FILLNA:
      out = choose (c, n, NULL, args[0], args[1]);
      break;
    case FUNC_WHERE:
      out = choose (c, n, args[0], args[1], args[2]);
      break;
    case FUNC_INT32: case FUNC_INT64: case FUNC_FLOAT32: case FUNC_FLOAT64: case FUNC_BOOL:
    case FUNC_TIMESTAMP:
      {
        Val *tmp;
        val_as (args[0], c->types[n->id].t, &tmp);
        out = tmp != NULL ? tmp : g_steal_pointer (&args[0]);
        break;
      }
    case FUNC_STRING:
      out = args[0]->type == DMPI_COL_STRING ? g_steal_pointer (&args[0]) : to_string (args[0], c->n);
      break;
    case FUNC_YEAR: case FUNC_MONTH: case FUNC_DAY: case FUNC_HOUR: case FUNC_MINUTE:
    case FUNC_SECOND: case FUNC_DAY_OF_WEEK: case FUNC_DAY_OF_YEAR:
      out = date_part (n->op, args[0], c->n);
      break;
    case FUNC_SECONDS:
      out = seconds (args[0], c->n);
      break;
    case FUNC_STARTSWITH: case FUNC_ENDSWITH: case FUNC_CONTAINS:
      out = string_test (n->op, args[0], args[1], c->n);
      break;
    case FUNC_LENGTH:
      out = length (args[0], c->n);
      break;
    case FUNC_N:
    default:
      g_assert_not_reached ();
    }
  for (guint i = 0; i < n_args; i++)
    val_free (args[i]);
  return out;
}

static Val *
column (Ctx *c, const ExprNode *n)
{
  const DmpiColumn *col = c->cols[n->v.i];
  Val *v = g_new0 (Val, 1);
  v->type = col->type;
  v->n = c->n;
  v->data = col->data;
  v->valid = col->valid;
  v->offsets = col->offsets;
  v->chars = col->chars != NULL ? col->chars : "";
  return v;
}

static Val *
eval_inner (Ctx *c, const ExprNode *n)
{
  Val *v;
  switch (n->kind)
    {
    case NODE_INT:
      v = val_literal (DMPI_COL_INT64);
      v->s.i64 = n->v.i;
      return v;
    case NODE_FLOAT:
      v = val_literal (DMPI_COL_FLOAT64);
      v->s.f64 = n->v.f;
      return v;
    case NODE_BOOL:
      v = val_literal (DMPI_COL_BOOL);
      v->s.b = (guint8) n->v.i;
      return v;
    case NODE_STRING:
      v = val_literal (DMPI_COL_STRING);
      v->chars = n->str;
      v->s_offsets[1] = (guint32) n->str_len;
      return v;
    case NODE_NULL:
      return val_missing (TYPE_NULL);
    case NODE_COLUMN:
      return column (c, n);
    case NODE_POS:
      {
        /* only a bool changes (to int64) */
        Val *a = eval_node (c, n->args[0]), *tmp;
        if (c->types[n->id].t == TYPE_NULL)
          return a;
        val_as (a, c->types[n->id].t, &tmp);
        if (tmp == NULL)
          return a;
        val_free (a);
        return tmp;
      }
    case NODE_NEG:
      {
        g_autoptr(Val) a = eval_node (c, n->args[0]);
        return negate (c, n, a);
      }
    case NODE_NOT:
    case NODE_AND:
    case NODE_OR:
      return logic (c, n);
    case NODE_ARITH:
      {
        g_autoptr(Val) a = eval_node (c, n->args[0]);
        g_autoptr(Val) b = eval_node (c, n->args[1]);
        return arith (c, n, a, b);
      }
    case NODE_CHAIN:
      return chain (c, n);
    case NODE_CALL:
      return call (c, n);
    }
  g_assert_not_reached ();
}

static Val *
eval_node (Ctx *c, const ExprNode *n)
{
  Val *v = eval_inner (c, n);
  guint8 t = c->types[n->id].t;
  /* Timestamps and durations come back as int64 from the kernels. */
  if (t != TYPE_NULL && rep (v->type) == rep (t))
    v->type = t;
  return v;
}

/* ---------------------------------------------------------------- entry points */

static void
ctx_clear (Ctx *c)
{
  g_clear_pointer (&c->types, g_free);
  g_clear_pointer (&c->cols, g_free);
}

/* Types the expression against the table's own columns. */
static gboolean
ctx_init (Ctx *c, const DmpiExpr *e, const DmpiTable *table, GError **error)
{
  guint n = dmpi_table_n_columns (table);
  g_autofree const char **names = g_new0 (const char *, n + 1);
  g_autofree DmpiColType *types = g_new0 (DmpiColType, n + 1);
  g_autofree guint *index = g_new0 (guint, e->columns->len + 1);

  *c = (Ctx) { .e = e, .n = table->n_rows };
  for (guint i = 0; i < n; i++)
    {
      const DmpiColumn *col = dmpi_table_column (table, i);
      names[i] = col->name;
      types[i] = col->type;
    }
  c->types = g_new0 (ExprType, e->nodes->len);
  if (!expr_infer (e, names, types, n, c->types, index, error))
    {
      ctx_clear (c);
      return FALSE;
    }
  c->cols = g_new0 (DmpiColumn *, e->columns->len + 1);
  for (guint i = 0; i < e->columns->len; i++)
    {
      c->cols[i] = dmpi_table_column (table, index[i]);
      if (c->cols[i]->n_rows != table->n_rows)
        {
          expr_set_error (error, e, DMPI_DF_ERROR_INVALID, 0,
                          "column '%s' has %" G_GSIZE_FORMAT " rows, the table %" G_GSIZE_FORMAT,
                          c->cols[i]->name, c->cols[i]->n_rows, table->n_rows);
          ctx_clear (c);
          return FALSE;
        }
    }
  return TRUE;
}

static void
fill_bytes (void *dst, const void *value, gsize size, gsize n)
{
  if (size == 1)
    memset (dst, *(const guint8 *) value, n);
  else if (size == 4)
    for (gsize i = 0; i < n; i++)
      memcpy ((char *) dst + i * 4, value, 4);
  else
    for (gsize i = 0; i < n; i++)
      memcpy ((char *) dst + i * 8, value, 8);
}

/* The value as a column of n rows, type t; v is left empty or unchanged. */
static DmpiColumn *
val_to_column (Val *v, guint8 t, gsize n, const char *name)
{
  DmpiColumn *col;
  gsize size = dmpi_col_type_size (t);

  if (v->col != NULL && !v->scalar)
    col = g_steal_pointer (&v->col);
  else if (v->scalar || v->type == TYPE_NULL)
    {
      col = dmpi_column_new (name, t, MAX (n, 1));
      if (t == DMPI_COL_STRING)
        for (gsize i = 0; i < n; i++)
          {
            gsize len;
            const char *s = str_at (v, 0, &len);
            if (present (v, 0))
              dmpi_column_append_string (col, s, (gssize) len);
            else
              dmpi_column_append_missing (col);
          }
      else
        {
          col->n_rows = n;
          fill_bytes (col->data, v->data, size, n);
          if (!present (v, 0))
            col->valid = g_malloc0 (MAX (n, 1));
        }
    }
  else
    {
      /* the table's own column: copied */
      col = dmpi_column_new (name, t, MAX (n, 1));
      if (t == DMPI_COL_STRING)
        for (gsize i = 0; i < n; i++)
          {
            gsize len;
            const char *s = str_at (v, i, &len);
            if (present (v, i))
              dmpi_column_append_string (col, s, (gssize) len);
            else
              dmpi_column_append_missing (col);
          }
      else
        {
          col->n_rows = n;
          if (n > 0)
            memcpy (col->data, v->data, n * size);
          if (v->valid != NULL)
            {
              col->valid = g_malloc (MAX (n, 1));
              memcpy (col->valid, v->valid, n);
            }
        }
    }
  g_free (col->name);
  col->name = g_strdup (name);
  col->type = t;
  if (col->valid != NULL && memchr (col->valid, 0, n) == NULL)
    g_clear_pointer (&col->valid, g_free);
  return col;
}

DmpiColumn *
dmpi_expr_eval (const DmpiExpr *e, const DmpiTable *table, const char *name, GError **error)
{
  Ctx c;
  g_return_val_if_fail (e != NULL && table != NULL && name != NULL, NULL);
  if (!ctx_init (&c, e, table, error))
    return NULL;
  guint8 t = c.types[e->root->id].t;
  g_autoptr(Val) v = eval_node (&c, e->root);
  DmpiColumn *col = val_to_column (v, t == TYPE_NULL ? DMPI_COL_FLOAT64 : t, c.n, name);
  ctx_clear (&c);
  return col;
}

guint8 *
dmpi_expr_eval_mask (const DmpiExpr *e, const DmpiTable *table, gsize *n_kept, GError **error)
{
  Ctx c;
  g_return_val_if_fail (e != NULL && table != NULL, NULL);
  if (!ctx_init (&c, e, table, error))
    return NULL;
  ExprType t = c.types[e->root->id];
  if (t.t != DMPI_COL_BOOL && t.t != TYPE_NULL)
    {
      expr_set_error (error, e, DMPI_DF_ERROR_INVALID, e->root->pos,
                      "a filter must be bool, not %s", dmpi_col_type_name (t.t));
      ctx_clear (&c);
      return NULL;
    }
  g_autoptr(Val) v = eval_node (&c, e->root);
  guint8 *keep;
  if (v->col != NULL && !v->scalar && v->type == DMPI_COL_BOOL)
    {
      /* the result's own bytes, made 0/1 and missing-free in place */
      keep = g_steal_pointer (&v->col->data);
      v->data = keep;
    }
  else
    keep = g_malloc (MAX (c.n, 1));
  truth (keep, c.n, v, TRUTH_SET);
  if (n_kept != NULL)
    {
      gsize kept = 0;
      for (gsize i = 0; i < c.n; i++)
        kept += keep[i];
      *n_kept = kept;
    }
  ctx_clear (&c);
  return keep;
}
