/* Expressions: types against a schema (NumPy's promotion, with number
 * literals weak as in NEP 50), and the errors users see before anything
 * runs. */
#include "config.h"

#include "df/expr-private.h"

#include <stdarg.h>
#include <string.h>

#define NO_TYPE 0xff

typedef struct {
  const DmpiExpr *e;
  ExprType       *types;   /* by node id */
  GError        **error;
} Checker;

static const ExprType null_type = { TYPE_NULL, 0 };

static ExprType
ty (guint8 t)
{
  return (ExprType) { t, 0 };
}

static const char *
type_name (ExprType t)
{
  if (t.t == TYPE_NULL)
    return "null";
  if (t.weak)
    return t.t == DMPI_COL_INT64 ? "an integer literal" : "a float literal";
  return dmpi_col_type_name (t.t);
}

static gboolean
is_numeric (guint8 t)
{
  return t == DMPI_COL_INT32 || t == DMPI_COL_INT64 || t == DMPI_COL_FLOAT32 ||
         t == DMPI_COL_FLOAT64 || t == DMPI_COL_BOOL;
}

static gboolean
is_float (guint8 t)
{
  return t == DMPI_COL_FLOAT32 || t == DMPI_COL_FLOAT64;
}

/* NumPy's promotion of two numeric types (either may be null, which takes
 * the other's type). bool op bool gives int64 in arithmetic and stays bool
 * where values are only chosen (where, fillna). */
static ExprType
promote (ExprType a, ExprType b, gboolean bools_stay)
{
  if (a.t == TYPE_NULL)
    return b;
  if (b.t == TYPE_NULL)
    return a;
  if (a.weak && b.weak)
    return (ExprType) { a.t == DMPI_COL_FLOAT64 || b.t == DMPI_COL_FLOAT64
                        ? DMPI_COL_FLOAT64 : DMPI_COL_INT64, 1 };
  if (a.weak)
    {
      ExprType t = a;
      a = b, b = t;
    }
  if (b.weak)   /* the literal takes the column's type where its kind allows */
    {
      if (b.t == DMPI_COL_INT64)
        return ty (a.t == DMPI_COL_BOOL ? DMPI_COL_INT64 : a.t);
      return ty (is_float (a.t) ? a.t : DMPI_COL_FLOAT64);
    }
  if (a.t == DMPI_COL_BOOL && b.t == DMPI_COL_BOOL)
    return ty (bools_stay ? DMPI_COL_BOOL : DMPI_COL_INT64);
  if (a.t == DMPI_COL_BOOL || a.t == b.t)
    return b;
  if (b.t == DMPI_COL_BOOL)
    return a;
  if (!is_float (a.t) && !is_float (b.t))
    return ty (DMPI_COL_INT64);
  /* int32 or int64 with float32, and float32 with float64 */
  return ty (DMPI_COL_FLOAT64);
}

guint8
expr_arith_type (ExprType a, ExprType b)
{
  return promote (a, b, FALSE).t;
}

guint8
expr_compare_type (ExprType a, ExprType b)
{
  if (a.t == TYPE_NULL || b.t == TYPE_NULL)
    return TYPE_NULL;
  if (is_numeric (a.t) && is_numeric (b.t))
    {
      /* An int literal against an int32 column compares exactly. */
      if ((a.weak && a.t == DMPI_COL_INT64 && !b.weak && b.t == DMPI_COL_INT32) ||
          (b.weak && b.t == DMPI_COL_INT64 && !a.weak && a.t == DMPI_COL_INT32))
        return DMPI_COL_INT64;
      return promote (a, b, FALSE).t;
    }
  if (a.t == b.t && (a.t == DMPI_COL_STRING || a.t == DMPI_COL_TIMESTAMP || a.t == DMPI_COL_DURATION))
    return a.t;
  /* a string literal against a timestamp (checked by the caller) */
  if ((a.t == DMPI_COL_TIMESTAMP && b.t == DMPI_COL_STRING) ||
      (b.t == DMPI_COL_TIMESTAMP && a.t == DMPI_COL_STRING))
    return DMPI_COL_TIMESTAMP;
  return NO_TYPE;
}

static gboolean
type_error (Checker *c, guint pos, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
type_error (Checker *c, guint pos, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *what = g_strdup_vprintf (format, ap);
  va_end (ap);
  expr_set_error (c->error, c->e, DMPI_DF_ERROR_INVALID, pos, "%s", what);
  return FALSE;
}

static ExprType
type_of (Checker *c, const ExprNode *n)
{
  return c->types[n->id];
}

/* A string that stands for a timestamp must be a literal that reads as one. */
static gboolean
check_timestamp_literal (Checker *c, const ExprNode *n, ExprType other)
{
  gint64 ns;
  if (type_of (c, n).t != DMPI_COL_STRING || other.t != DMPI_COL_TIMESTAMP)
    return TRUE;
  if (n->kind != NODE_STRING)
    return type_error (c, n->pos, "a string column is not a timestamp (convert it with timestamp())");
  if (!expr_parse_timestamp (n->str, n->str_len, &ns))
    return type_error (c, n->pos, "'%s' is not a timestamp (YYYY-MM-DD[ HH:MM:SS[.fffffffff]])", n->str);
  return TRUE;
}

/* An int literal must fit the int32 it is brought to (NumPy raises). */
static gboolean
check_literal_fits (Checker *c, const ExprNode *n, guint8 to)
{
  gint64 v;
  if (to != DMPI_COL_INT32 || !type_of (c, n).weak)
    return TRUE;
  if (n->kind == NODE_INT)
    v = n->v.i;
  else if (n->kind == NODE_NEG && n->args[0]->kind == NODE_INT)
    v = -n->args[0]->v.i;
  else
    return TRUE;
  if (v < G_MININT32 || v > G_MAXINT32)
    return type_error (c, n->pos, "integer literal %" G_GINT64_FORMAT " is out of the int32 range", v);
  return TRUE;
}

/* The type of a and b together where one of them is chosen (where, fillna). */
static gboolean
promote_choice (Checker *c, const ExprNode *a, const ExprNode *b, guint pos, const char *what,
                ExprType *out)
{
  ExprType ta = type_of (c, a), tb = type_of (c, b);
  if (ta.t == TYPE_NULL || tb.t == TYPE_NULL || (is_numeric (ta.t) && is_numeric (tb.t)))
    {
      *out = promote (ta, tb, TRUE);
      return check_literal_fits (c, a, out->t) && check_literal_fits (c, b, out->t);
    }
  if (ta.t == tb.t && !is_numeric (ta.t))
    {
      *out = ta;
      return TRUE;
    }
  if ((ta.t == DMPI_COL_TIMESTAMP && tb.t == DMPI_COL_STRING) ||
      (tb.t == DMPI_COL_TIMESTAMP && ta.t == DMPI_COL_STRING))
    {
      *out = ty (DMPI_COL_TIMESTAMP);
      return check_timestamp_literal (c, a, tb) && check_timestamp_literal (c, b, ta);
    }
  return type_error (c, pos, "%s: cannot combine %s and %s", what, type_name (ta), type_name (tb));
}

static gboolean
infer_arith (Checker *c, const ExprNode *n, ExprType *out)
{
  static const char *const op_text[ARITH_N] = { "+", "-", "*", "/", "//", "%", "**" };
  const ExprNode *x = n->args[0], *y = n->args[1];
  ExprType a = type_of (c, x), b = type_of (c, y);
  ArithOp op = n->op;

  /* null takes the other side's type; against a timestamp, a duration's
   * (except on the left of timestamp - timestamp). */
  if (a.t == TYPE_NULL && b.t == TYPE_NULL)
    {
      *out = null_type;
      return TRUE;
    }
  if (a.t == TYPE_NULL)
    a = ty (b.t == DMPI_COL_TIMESTAMP && op != ARITH_SUB ? DMPI_COL_DURATION : b.t), a.weak = b.weak;
  if (b.t == TYPE_NULL)
    b = ty (a.t == DMPI_COL_TIMESTAMP ? DMPI_COL_DURATION : a.t), b.weak = a.weak;

  if (is_numeric (a.t) && is_numeric (b.t))
    {
      *out = promote (a, b, FALSE);
      if (!check_literal_fits (c, x, out->t) || !check_literal_fits (c, y, out->t))
        return FALSE;
      if (op == ARITH_DIV && !is_float (out->t))
        out->t = DMPI_COL_FLOAT64;
      return TRUE;
    }
  if (op == ARITH_ADD || op == ARITH_SUB)
    {
      guint8 ta = a.t, tb = b.t;
      if (op == ARITH_ADD && ta == DMPI_COL_STRING && tb == DMPI_COL_STRING)
        return *out = ty (DMPI_COL_STRING), TRUE;
      if (ta == DMPI_COL_DURATION && tb == DMPI_COL_DURATION)
        return *out = ty (DMPI_COL_DURATION), TRUE;
      if (ta == DMPI_COL_TIMESTAMP && tb == DMPI_COL_DURATION)
        return *out = ty (DMPI_COL_TIMESTAMP), TRUE;
      if (op == ARITH_ADD && ta == DMPI_COL_DURATION && tb == DMPI_COL_TIMESTAMP)
        return *out = ty (DMPI_COL_TIMESTAMP), TRUE;
      if (op == ARITH_SUB && ta == DMPI_COL_TIMESTAMP && tb == DMPI_COL_TIMESTAMP)
        return *out = ty (DMPI_COL_DURATION), TRUE;
    }
  return type_error (c, n->pos, "cannot apply '%s' to %s and %s", op_text[op], type_name (a),
                     type_name (b));
}

static gboolean
infer_chain (Checker *c, const ExprNode *n)
{
  for (guint i = 0; i + 1 < n->n_args; i++)
    {
      ExprType a = type_of (c, n->args[i]), b = type_of (c, n->args[i + 1]);
      if (expr_compare_type (a, b) == NO_TYPE)
        return type_error (c, n->cmp_pos[i], "cannot compare %s with %s", type_name (a),
                           type_name (b));
      if (!check_timestamp_literal (c, n->args[i], b) ||
          !check_timestamp_literal (c, n->args[i + 1], a))
        return FALSE;
    }
  return TRUE;
}

/* A cast of a string literal must read. */
static gboolean
check_cast_literal (Checker *c, const ExprNode *n, guint8 to)
{
  const ExprNode *a = n->args[0];
  gint64 i;
  gdouble d;
  gboolean ok;
  if (a->kind != NODE_STRING)
    return TRUE;
  switch (to)
    {
    case DMPI_COL_INT32:
      ok = expr_parse_int64 (a->str, a->str_len, &i) && i >= G_MININT32 && i <= G_MAXINT32;
      break;
    case DMPI_COL_INT64:
      ok = expr_parse_int64 (a->str, a->str_len, &i);
      break;
    case DMPI_COL_FLOAT32:
    case DMPI_COL_FLOAT64:
      ok = expr_parse_double (a->str, a->str_len, &d);
      break;
    case DMPI_COL_TIMESTAMP:
      ok = expr_parse_timestamp (a->str, a->str_len, &i);
      break;
    default:
      ok = TRUE;
    }
  if (!ok)
    return type_error (c, a->pos, "'%s' is not %s %s", a->str,
                       to == DMPI_COL_INT32 || to == DMPI_COL_INT64 ? "an" : "a",
                       dmpi_col_type_name (to));
  return TRUE;
}

static gboolean
infer_call (Checker *c, const ExprNode *n, ExprType *out)
{
  const char *name = expr_func_name (n->op);
  const ExprNode *x = n->args[0];
  ExprType a = type_of (c, x);
  guint8 t = a.t;
  gboolean null = t == TYPE_NULL;

#define NEED(cond, what) \
  if (!(cond)) \
    return type_error (c, x->pos, "%s() needs %s, not %s", name, what, type_name (a))

  switch ((Func) n->op)
    {
    case FUNC_ABS:
      NEED (null || is_numeric (t), "a number");
      *out = null ? null_type : ty (t == DMPI_COL_BOOL ? DMPI_COL_INT64 : t);
      return TRUE;
    case FUNC_ROUND:
      NEED (null || is_numeric (t), "a number");
      if (n->n_args == 2)
        {
          const ExprNode *d = n->args[1];
          if (!(d->kind == NODE_INT || (d->kind == NODE_NEG && d->args[0]->kind == NODE_INT)))
            return type_error (c, d->pos, "round() needs an integer literal for its digits");
        }
      *out = null ? null_type : ty (t == DMPI_COL_BOOL ? DMPI_COL_INT64 : t);
      return TRUE;
    case FUNC_FLOOR: case FUNC_CEIL:
    case FUNC_SQRT: case FUNC_EXP: case FUNC_LOG: case FUNC_SIN: case FUNC_COS: case FUNC_TAN:
    case FUNC_ASIN: case FUNC_ACOS: case FUNC_ATAN: case FUNC_RADIANS: case FUNC_DEGREES:
      NEED (null || is_numeric (t), "a number");
      *out = null ? null_type : ty (is_float (t) ? t : DMPI_COL_FLOAT64);
      return TRUE;
    case FUNC_ATAN2:
      {
        ExprType b = type_of (c, n->args[1]);
        NEED (null || is_numeric (t), "a number");
        if (b.t != TYPE_NULL && !is_numeric (b.t))
          return type_error (c, n->args[1]->pos, "%s() needs a number, not %s", name, type_name (b));
        *out = promote (a, b, FALSE);
        if (out->t != TYPE_NULL)
          *out = ty (is_float (out->t) ? out->t : DMPI_COL_FLOAT64);
        return TRUE;
      }
    case FUNC_ISNULL:
    case FUNC_NOTNULL:
      *out = ty (DMPI_COL_BOOL);
      return TRUE;
    case FUNC_FILLNA:
      return promote_choice (c, x, n->args[1], n->pos, name, out);
    case FUNC_WHERE:
      NEED (null || t == DMPI_COL_BOOL, "a bool condition");
      return promote_choice (c, n->args[1], n->args[2], n->pos, name, out);
    case FUNC_INT32:
    case FUNC_INT64:
      if (!check_cast_literal (c, n, n->op == FUNC_INT32 ? DMPI_COL_INT32 : DMPI_COL_INT64))
        return FALSE;
      *out = ty (n->op == FUNC_INT32 ? DMPI_COL_INT32 : DMPI_COL_INT64);
      return TRUE;
    case FUNC_FLOAT32:
    case FUNC_FLOAT64:
      NEED (null || is_numeric (t) || t == DMPI_COL_STRING, "a number or a string");
      if (!check_cast_literal (c, n, n->op == FUNC_FLOAT32 ? DMPI_COL_FLOAT32 : DMPI_COL_FLOAT64))
        return FALSE;
      *out = ty (n->op == FUNC_FLOAT32 ? DMPI_COL_FLOAT32 : DMPI_COL_FLOAT64);
      return TRUE;
    case FUNC_BOOL:
      *out = ty (DMPI_COL_BOOL);
      return TRUE;
    case FUNC_STRING:
      NEED (t != DMPI_COL_DURATION, "a number, bool, string or timestamp");
      *out = ty (DMPI_COL_STRING);
      return TRUE;
    case FUNC_TIMESTAMP:
      NEED (null || t == DMPI_COL_STRING || t == DMPI_COL_TIMESTAMP || t == DMPI_COL_INT32 ||
            t == DMPI_COL_INT64, "a string, a timestamp or integer nanoseconds");
      if (!check_cast_literal (c, n, DMPI_COL_TIMESTAMP))
        return FALSE;
      *out = ty (DMPI_COL_TIMESTAMP);
      return TRUE;
    case FUNC_YEAR: case FUNC_MONTH: case FUNC_DAY: case FUNC_HOUR: case FUNC_MINUTE:
    case FUNC_SECOND: case FUNC_DAY_OF_WEEK: case FUNC_DAY_OF_YEAR:
      NEED (null || t == DMPI_COL_TIMESTAMP, "a timestamp");
      *out = ty (DMPI_COL_INT32);
      return TRUE;
    case FUNC_SECONDS:
      NEED (null || t == DMPI_COL_DURATION, "a duration");
      *out = ty (DMPI_COL_FLOAT64);
      return TRUE;
    case FUNC_STARTSWITH:
    case FUNC_ENDSWITH:
    case FUNC_CONTAINS:
      {
        ExprType b = type_of (c, n->args[1]);
        NEED (null || t == DMPI_COL_STRING, "a string");
        if (b.t != TYPE_NULL && b.t != DMPI_COL_STRING)
          return type_error (c, n->args[1]->pos, "%s() needs a string to look for, not %s", name,
                             type_name (b));
        *out = ty (DMPI_COL_BOOL);
        return TRUE;
      }
    case FUNC_LENGTH:
      NEED (null || t == DMPI_COL_STRING, "a string");
      *out = ty (DMPI_COL_INT64);
      return TRUE;
    case FUNC_N:
    default:
      break;
    }
#undef NEED
  g_return_val_if_reached (FALSE);
}

static gboolean
infer (Checker *c, const ExprNode *n, const DmpiColType *schema_types, const guint *col_index)
{
  ExprType *out = &c->types[n->id];

  for (guint i = 0; i < n->n_args; i++)
    if (!infer (c, n->args[i], schema_types, col_index))
      return FALSE;
  switch (n->kind)
    {
    case NODE_INT: *out = (ExprType) { DMPI_COL_INT64, 1 }; return TRUE;
    case NODE_FLOAT: *out = (ExprType) { DMPI_COL_FLOAT64, 1 }; return TRUE;
    case NODE_STRING: *out = ty (DMPI_COL_STRING); return TRUE;
    case NODE_BOOL: *out = ty (DMPI_COL_BOOL); return TRUE;
    case NODE_NULL: *out = null_type; return TRUE;
    case NODE_COLUMN: *out = ty (schema_types[col_index[n->v.i]]); return TRUE;
    case NODE_NEG:
    case NODE_POS:
      {
        ExprType a = type_of (c, n->args[0]);
        if (a.t == DMPI_COL_BOOL)
          a = ty (DMPI_COL_INT64);
        if (!(a.t == TYPE_NULL || is_numeric (a.t) || a.t == DMPI_COL_DURATION))
          return type_error (c, n->pos, "unary '%c' needs a number, not %s",
                             n->kind == NODE_NEG ? '-' : '+', type_name (a));
        *out = a;
        return TRUE;
      }
    case NODE_NOT:
    case NODE_AND:
    case NODE_OR:
      for (guint i = 0; i < n->n_args; i++)
        {
          ExprType a = type_of (c, n->args[i]);
          if (a.t != TYPE_NULL && a.t != DMPI_COL_BOOL)
            return type_error (c, n->args[i]->pos, "'%s' needs bool operands, not %s",
                               n->kind == NODE_NOT ? "not" : n->kind == NODE_AND ? "and" : "or",
                               type_name (a));
        }
      *out = ty (DMPI_COL_BOOL);
      return TRUE;
    case NODE_ARITH:
      return infer_arith (c, n, out);
    case NODE_CHAIN:
      *out = ty (DMPI_COL_BOOL);
      return infer_chain (c, n);
    case NODE_CALL:
      return infer_call (c, n, out);
    }
  g_return_val_if_reached (FALSE);
}

gboolean
expr_infer (const DmpiExpr *e, const char *const *names, const DmpiColType *types, guint n,
            ExprType *node_types, guint *col_index, GError **error)
{
  Checker c = { e, node_types, error };

  for (guint i = 0; i < e->columns->len; i++)
    {
      const char *want = e->columns->pdata[i];
      guint k;
      for (k = 0; k < n; k++)
        if (strcmp (names[k], want) == 0)
          break;
      if (k < n && (guint) types[k] >= DMPI_COL_N_TYPES)
        return type_error (&c, 0, "column '%s' has an invalid type", want);
      if (k == n)
        {
          guint pos = 0;
          for (guint j = 0; j < e->nodes->len; j++)
            {
              const ExprNode *node = e->nodes->pdata[j];
              if (node->kind == NODE_COLUMN && node->v.i == i)
                {
                  pos = node->pos;
                  break;
                }
            }
          g_autoptr(GString) known = g_string_new (NULL);
          for (k = 0; k < n; k++)
            g_string_append_printf (known, "%s%s", k ? ", " : "", names[k]);
          expr_set_error (error, e, DMPI_DF_ERROR_MISSING_COLUMN, pos, "no column '%s' (%s%s)",
                          want, n ? "columns: " : "no columns", known->str);
          return FALSE;
        }
      col_index[i] = k;
    }
  return infer (&c, e->root, types, col_index);
}

gboolean
dmpi_expr_check (const DmpiExpr *e, const char *const *names, const DmpiColType *types, guint n,
                 DmpiColType *out_type, GError **error)
{
  g_return_val_if_fail (e != NULL, FALSE);
  g_return_val_if_fail (n == 0 || (names != NULL && types != NULL), FALSE);
  g_autofree ExprType *node_types = g_new0 (ExprType, e->nodes->len);
  g_autofree guint *col_index = g_new0 (guint, e->columns->len + 1);

  if (!expr_infer (e, names, types, n, node_types, col_index, error))
    return FALSE;
  if (out_type != NULL)
    {
      guint8 t = node_types[e->root->id].t;
      *out_type = t == TYPE_NULL ? DMPI_COL_FLOAT64 : (DmpiColType) t;
    }
  return TRUE;
}
