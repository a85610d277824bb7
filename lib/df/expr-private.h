/* Expressions: the tree, shared by the parser (expr-parse.c), the type
 * checker (expr-check.c) and the evaluator (expr-eval.c). Not installed. */
#pragma once

#include "df/expr.h"

G_BEGIN_DECLS

typedef enum {
  NODE_INT,       /* v.i */
  NODE_FLOAT,     /* v.f */
  NODE_STRING,    /* str, str_len */
  NODE_BOOL,      /* v.i: 0 or 1 */
  NODE_NULL,
  NODE_COLUMN,    /* v.i: index into the expression's columns */
  NODE_NEG,       /* args[0] */
  NODE_POS,
  NODE_NOT,
  NODE_AND,       /* args[0], args[1] */
  NODE_OR,
  NODE_ARITH,     /* op: an ArithOp; args[0], args[1] */
  NODE_CHAIN,     /* n_args >= 2 operands, cmp[i] between args[i] and args[i + 1] */
  NODE_CALL,      /* op: a Func; args */
} NodeKind;

typedef enum {
  ARITH_ADD, ARITH_SUB, ARITH_MUL, ARITH_DIV, ARITH_FLOORDIV, ARITH_MOD, ARITH_POW,
  ARITH_N
} ArithOp;

typedef enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_N } CmpOp;

typedef enum {
  FUNC_ABS, FUNC_FLOOR, FUNC_CEIL, FUNC_ROUND,
  FUNC_SQRT, FUNC_EXP, FUNC_LOG, FUNC_SIN, FUNC_COS, FUNC_TAN, FUNC_ASIN, FUNC_ACOS,
  FUNC_ATAN, FUNC_RADIANS, FUNC_DEGREES, FUNC_ATAN2,
  FUNC_ISNULL, FUNC_NOTNULL, FUNC_FILLNA, FUNC_WHERE,
  FUNC_INT32, FUNC_INT64, FUNC_FLOAT32, FUNC_FLOAT64, FUNC_BOOL, FUNC_STRING, FUNC_TIMESTAMP,
  FUNC_YEAR, FUNC_MONTH, FUNC_DAY, FUNC_HOUR, FUNC_MINUTE, FUNC_SECOND, FUNC_DAY_OF_WEEK,
  FUNC_DAY_OF_YEAR, FUNC_SECONDS,
  FUNC_STARTSWITH, FUNC_ENDSWITH, FUNC_CONTAINS, FUNC_LENGTH,
  FUNC_N
} Func;

typedef struct _ExprNode ExprNode;
struct _ExprNode {
  NodeKind   kind;
  guint      op;        /* ArithOp or Func */
  guint      id;        /* index in the expression's nodes */
  guint      pos;       /* byte offset of its token in the text */
  guint      n_args;
  ExprNode **args;
  guint8    *cmp;       /* chains: n_args - 1 CmpOps */
  guint     *cmp_pos;   /* chains: their byte offsets */
  union {
    gint64  i;
    gdouble f;
  } v;
  char      *str;       /* string literals (may hold NULs) */
  gsize      str_len;
};

struct _DmpiExpr {
  gint       ref_count;
  char      *text;
  ExprNode  *root;
  GPtrArray *nodes;     /* every node, by id; owns them */
  GPtrArray *columns;   /* distinct column names in order of first use */
};

/* Function names, canonical first, aliases after. */
const char *expr_func_name (Func f);

/* A node's type: a DmpiColType, or TYPE_NULL for the literal null (which
 * takes the type it meets). weak: a literal-only number (NEP 50). */
#define TYPE_NULL DMPI_COL_N_TYPES
typedef struct {
  guint8 t;
  guint8 weak;
} ExprType;

/* Types every node of @e against a schema, into types[node id], and maps
 * each of the expression's columns to its schema index (col_index). */
gboolean expr_infer (const DmpiExpr *e, const char *const *names, const DmpiColType *types,
                     guint n, ExprType *node_types, guint *col_index, GError **error);

/* The type the operands of a comparison are brought to (TYPE_NULL: the
 * result is false everywhere). */
guint8   expr_compare_type (ExprType a, ExprType b);
/* The type arithmetic brings its operands to, given the result's operands. */
guint8   expr_arith_type (ExprType a, ExprType b);

/* out[i] = a[i] op b[i] for n rows; a_scalar: a[0] for every row (the same
 * for b). Both scalar: out[0] only. */
typedef void (*ExprKernel) (gsize n, gconstpointer a, gboolean a_scalar, gconstpointer b,
                            gboolean b_scalar, gpointer out);
/* By the type computed in: int32, int64, float32, float64. Integer / is
 * NULL (it computes in float64); integer //, % and ** leave 0 where NumPy
 * divides by zero or raises (the caller marks those missing). */
extern const ExprKernel expr_arith_kernels[ARITH_N][4];
/* [1]: anded into out instead of stored (the later comparisons of a chain). */
extern const ExprKernel expr_cmp_kernels[2][CMP_N][4];
extern const ExprKernel expr_atan2_kernels[2];   /* float32, float64 */

/* "expression 'TEXT': position N: what", N counted in characters. */
void     expr_set_error (GError **error, const DmpiExpr *e, gint code, guint byte_pos,
                         const char *format, ...) G_GNUC_PRINTF (5, 6);

/* Values from text, as the casts read them: the whole of s[0..len) must be
 * the value (spaces around allowed, except for timestamps). */
gboolean expr_parse_timestamp (const char *s, gsize len, gint64 *ns);
gboolean expr_parse_int64 (const char *s, gsize len, gint64 *v);
gboolean expr_parse_double (const char *s, gsize len, gdouble *v);

/* Text for string(): a float as NumPy's str() writes it (shortest round
 * trip; single: a float32), into buf (at least 32 bytes); returns the length. */
gsize    expr_format_float (char *buf, gdouble v, gboolean single);
/* Timestamps as pandas' astype(str) writes a Series of them: the format
 * (date only, or seconds with 0, 3, 6 or 9 fraction digits) is chosen from
 * all the present values. Appends n strings (missing where not valid; valid
 * may be NULL) to out. */
void     expr_append_timestamp_strings (DmpiColumn *out, const gint64 *ns, const guint8 *valid,
                                        gsize n);

#define EXPR_NS_PER_SECOND G_GINT64_CONSTANT (1000000000)
#define EXPR_NS_PER_DAY (G_GINT64_CONSTANT (86400) * EXPR_NS_PER_SECOND)

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's days_from_civil and civil_from_days). */
static inline gint64
expr_days_from_civil (gint64 y, gint m, gint d)
{
  y -= m <= 2;
  gint64 era = (y >= 0 ? y : y - 399) / 400;
  gint64 yoe = y - era * 400;
  gint64 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static inline void
expr_civil_from_days (gint64 z, gint *year, gint *month, gint *day)
{
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  *day = (gint) (doy - (153 * mp + 2) / 5 + 1);
  *month = (gint) (mp < 10 ? mp + 3 : mp - 9);
  *year = (gint) (yoe + era * 400 + (*month <= 2));
}

/* Floor division of nanoseconds into days (and the rest). */
static inline gint64
expr_days_of (gint64 ns, gint64 *in_day)
{
  gint64 days = ns / EXPR_NS_PER_DAY, rest = ns % EXPR_NS_PER_DAY;
  if (rest < 0)
    days--, rest += EXPR_NS_PER_DAY;
  *in_day = rest;
  return days;
}

G_END_DECLS
