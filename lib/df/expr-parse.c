/* Expressions: the lexer, the recursive-descent parser (pandas.eval's
 * precedence), writing a tree back as text, and the split of a filter into
 * ranges a reader can apply. */
#include "config.h"

#include "df/expr-private.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

/* Trees deeper than this are refused, so that checking and evaluating
 * (recursive) stay within any thread's stack. Parentheses and prefix
 * operators recurse in the parser without making a level each: they are
 * bounded separately. */
#define MAX_DEPTH 200
#define MAX_RECURSION (2 * MAX_DEPTH + 8)

static const struct {
  const char *name;
  Func        func;
  guint       min_args, max_args;
} funcs[] = {
  { "abs", FUNC_ABS, 1, 1 },
  { "floor", FUNC_FLOOR, 1, 1 },
  { "ceil", FUNC_CEIL, 1, 1 },
  { "round", FUNC_ROUND, 1, 2 },
  { "sqrt", FUNC_SQRT, 1, 1 },
  { "exp", FUNC_EXP, 1, 1 },
  { "log", FUNC_LOG, 1, 1 },
  { "sin", FUNC_SIN, 1, 1 },
  { "cos", FUNC_COS, 1, 1 },
  { "tan", FUNC_TAN, 1, 1 },
  { "asin", FUNC_ASIN, 1, 1 },
  { "acos", FUNC_ACOS, 1, 1 },
  { "atan", FUNC_ATAN, 1, 1 },
  { "radians", FUNC_RADIANS, 1, 1 },
  { "degrees", FUNC_DEGREES, 1, 1 },
  { "atan2", FUNC_ATAN2, 2, 2 },
  { "isnull", FUNC_ISNULL, 1, 1 },
  { "notnull", FUNC_NOTNULL, 1, 1 },
  { "fillna", FUNC_FILLNA, 2, 2 },
  { "where", FUNC_WHERE, 3, 3 },
  { "int32", FUNC_INT32, 1, 1 },
  { "int64", FUNC_INT64, 1, 1 },
  { "float32", FUNC_FLOAT32, 1, 1 },
  { "float64", FUNC_FLOAT64, 1, 1 },
  { "bool", FUNC_BOOL, 1, 1 },
  { "string", FUNC_STRING, 1, 1 },
  { "timestamp", FUNC_TIMESTAMP, 1, 1 },
  { "year", FUNC_YEAR, 1, 1 },
  { "month", FUNC_MONTH, 1, 1 },
  { "day", FUNC_DAY, 1, 1 },
  { "hour", FUNC_HOUR, 1, 1 },
  { "minute", FUNC_MINUTE, 1, 1 },
  { "second", FUNC_SECOND, 1, 1 },
  { "day_of_week", FUNC_DAY_OF_WEEK, 1, 1 },
  { "day_of_year", FUNC_DAY_OF_YEAR, 1, 1 },
  { "seconds", FUNC_SECONDS, 1, 1 },
  { "startswith", FUNC_STARTSWITH, 2, 2 },
  { "endswith", FUNC_ENDSWITH, 2, 2 },
  { "contains", FUNC_CONTAINS, 2, 2 },
  { "length", FUNC_LENGTH, 1, 1 },
  /* aliases: after every canonical name */
  { "isna", FUNC_ISNULL, 1, 1 },
  { "notna", FUNC_NOTNULL, 1, 1 },
  { "dayofweek", FUNC_DAY_OF_WEEK, 1, 1 },
  { "weekday", FUNC_DAY_OF_WEEK, 1, 1 },
  { "dayofyear", FUNC_DAY_OF_YEAR, 1, 1 },
  { "len", FUNC_LENGTH, 1, 1 },
};

G_STATIC_ASSERT (G_N_ELEMENTS (funcs) >= FUNC_N);

const char *
expr_func_name (Func f)
{
  g_return_val_if_fail (f < FUNC_N && funcs[f].func == f, "?");
  return funcs[f].name;
}

static const char *const cmp_text[CMP_N] = { "==", "!=", "<", "<=", ">", ">=" };
static const char *const arith_text[ARITH_N] = { "+", "-", "*", "/", "//", "%", "**" };

void
expr_set_error (GError **error, const DmpiExpr *e, gint code, guint byte_pos,
                const char *format, ...)
{
  va_list ap;
  g_autofree char *what = NULL;
  /* The text is valid UTF-8 up to byte_pos (the parser checks it first). */
  glong chars = g_utf8_validate (e->text, byte_pos, NULL)
                ? g_utf8_strlen (e->text, byte_pos) : (glong) byte_pos;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  /* Messages are UTF-8 even when the text is not. */
  g_autofree char *text = g_utf8_make_valid (e->text, -1);
  g_set_error (error, DMPI_DF_ERROR, code, "expression '%s': position %ld: %s", text, chars + 1,
               what);
}

/* ---------------------------------------------------------------- lexer */

typedef enum {
  TOK_END, TOK_INT, TOK_FLOAT, TOK_STRING, TOK_NAME, TOK_QUOTED_NAME,
  TOK_AND, TOK_OR, TOK_NOT, TOK_TRUE, TOK_FALSE, TOK_NULL,
  TOK_LPAREN, TOK_RPAREN, TOK_COMMA,
  TOK_PLUS, TOK_MINUS, TOK_STAR, TOK_SLASH, TOK_DSLASH, TOK_PERCENT, TOK_DSTAR,
  TOK_EQ, TOK_NE, TOK_LT, TOK_LE, TOK_GT, TOK_GE,
} TokKind;

typedef struct {
  TokKind kind;
  gsize   start, end;   /* bytes of the text */
  gint64  i;
  gdouble f;
  char   *str;          /* decoded string, or a name */
  gsize   str_len;
} Token;

typedef struct {
  DmpiExpr *e;
  const char *text;
  gsize       at;       /* where the lexer stands */
  Token       tok;      /* the current token */
  guint       recursion;
  GError    **error;
  gboolean    failed;
} Parser;

static const struct {
  const char *word;
  TokKind     kind;
} keywords[] = {
  { "and", TOK_AND }, { "or", TOK_OR }, { "not", TOK_NOT },
  { "true", TOK_TRUE }, { "True", TOK_TRUE }, { "false", TOK_FALSE }, { "False", TOK_FALSE },
  { "null", TOK_NULL }, { "None", TOK_NULL },
};

static gboolean
is_name_start (guchar c)
{
  return g_ascii_isalpha (c) || c == '_' || c >= 0x80;
}

static gboolean
is_name_char (guchar c)
{
  return is_name_start (c) || g_ascii_isdigit (c);
}

static G_GNUC_PRINTF (3, 4) void
fail (Parser *p, gsize pos, const char *format, ...)
{
  va_list ap;
  g_autofree char *what = NULL;

  if (p->failed)
    return;
  p->failed = TRUE;
  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  expr_set_error (p->error, p->e, DMPI_DF_ERROR_PARSE, (guint) pos, "%s", what);
}

static gboolean
lex_number (Parser *p, Token *t)
{
  const char *s = p->text;
  gsize i = t->start;
  gboolean is_float = FALSE;

  while (g_ascii_isdigit (s[i]))
    i++;
  if (s[i] == '.')
    {
      is_float = TRUE;
      i++;
      while (g_ascii_isdigit (s[i]))
        i++;
    }
  if (s[i] == 'e' || s[i] == 'E')
    {
      gsize j = i + 1;
      if (s[j] == '+' || s[j] == '-')
        j++;
      if (!g_ascii_isdigit (s[j]))
        {
          fail (p, t->start, "malformed number");
          return FALSE;
        }
      is_float = TRUE;
      i = j;
      while (g_ascii_isdigit (s[i]))
        i++;
    }
  if (is_name_char ((guchar) s[i]) || s[i] == '.')
    {
      fail (p, t->start, "malformed number");
      return FALSE;
    }
  t->end = i;
  if (is_float)
    {
      g_autofree char *copy = g_strndup (s + t->start, i - t->start);
      t->kind = TOK_FLOAT;
      t->f = g_ascii_strtod (copy, NULL);
      return TRUE;
    }
  t->kind = TOK_INT;
  guint64 v = 0;
  for (gsize k = t->start; k < i; k++)
    {
      guint d = (guint) (s[k] - '0');
      if (v > ((guint64) G_MAXINT64 - d) / 10)
        {
          fail (p, t->start, "integer literal out of the int64 range");
          return FALSE;
        }
      v = v * 10 + d;
    }
  t->i = (gint64) v;
  return TRUE;
}

static gboolean
lex_string (Parser *p, Token *t)
{
  const char *s = p->text;
  char quote = s[t->start];
  gsize i = t->start + 1;
  GString *out = g_string_new (NULL);

  while (s[i] != quote)
    {
      if (s[i] == '\0')
        {
          fail (p, t->start, "unterminated string");
          g_string_free (out, TRUE);
          return FALSE;
        }
      if (s[i] != '\\')
        {
          g_string_append_c (out, s[i++]);
          continue;
        }
      char c = s[i + 1];
      switch (c)
        {
        case '\\': case '\'': case '"': g_string_append_c (out, c); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'x':
          if (g_ascii_isxdigit (s[i + 2]) && g_ascii_isxdigit (s[i + 3]))
            {
              g_string_append_c (out, (char) (g_ascii_xdigit_value (s[i + 2]) * 16 +
                                              g_ascii_xdigit_value (s[i + 3])));
              i += 2;
              break;
            }
          fail (p, i, "\\x needs two hexadecimal digits");
          g_string_free (out, TRUE);
          return FALSE;
        default:
          if (c == '\0')
            fail (p, t->start, "unterminated string");
          else
            /* the whole character (the text is UTF-8) */
            fail (p, i, "unknown escape '\\%.*s' (escapes: \\\\ \\' \\\" \\n \\r \\t \\xHH)",
                  (int) (g_utf8_next_char (s + i + 1) - (s + i + 1)), s + i + 1);
          g_string_free (out, TRUE);
          return FALSE;
        }
      i += 2;
    }
  t->kind = TOK_STRING;
  t->end = i + 1;
  t->str_len = out->len;
  t->str = g_string_free (out, FALSE);
  return TRUE;
}

/* Reads the token at p->at into p->tok. */
static gboolean
next (Parser *p)
{
  const char *s = p->text;
  Token *t = &p->tok;

  g_clear_pointer (&t->str, g_free);
  while (s[p->at] == ' ' || s[p->at] == '\t' || s[p->at] == '\n' || s[p->at] == '\r')
    p->at++;
  memset (t, 0, sizeof *t);
  t->start = p->at;
  char c = s[t->start], d = c != '\0' ? s[t->start + 1] : '\0';
  if (c == '\0')
    t->kind = TOK_END, t->end = t->start;
  else if (g_ascii_isdigit (c) || (c == '.' && g_ascii_isdigit (d)))
    {
      if (!lex_number (p, t))
        return FALSE;
    }
  else if (c == '\'' || c == '"')
    {
      if (!lex_string (p, t))
        return FALSE;
    }
  else if (c == '`')
    {
      const char *close = strchr (s + t->start + 1, '`');
      if (close == NULL)
        {
          fail (p, t->start, "unterminated `name`");
          return FALSE;
        }
      if (close == s + t->start + 1)
        {
          fail (p, t->start, "empty column name");
          return FALSE;
        }
      t->kind = TOK_QUOTED_NAME;
      t->end = (gsize) (close - s) + 1;
      t->str = g_strndup (s + t->start + 1, t->end - t->start - 2);
    }
  else if (is_name_start ((guchar) c))
    {
      gsize i = t->start;
      while (is_name_char ((guchar) s[i]))
        i++;
      t->end = i;
      t->kind = TOK_NAME;
      t->str = g_strndup (s + t->start, i - t->start);
      for (gsize k = 0; k < G_N_ELEMENTS (keywords); k++)
        if (strcmp (t->str, keywords[k].word) == 0)
          t->kind = keywords[k].kind;
    }
  else
    {
      static const struct { const char *text; TokKind kind; } ops[] = {
        { "**", TOK_DSTAR }, { "//", TOK_DSLASH }, { "==", TOK_EQ }, { "!=", TOK_NE },
        { "<=", TOK_LE }, { ">=", TOK_GE }, { "<", TOK_LT }, { ">", TOK_GT },
        { "(", TOK_LPAREN }, { ")", TOK_RPAREN }, { ",", TOK_COMMA }, { "+", TOK_PLUS },
        { "-", TOK_MINUS }, { "*", TOK_STAR }, { "/", TOK_SLASH }, { "%", TOK_PERCENT },
        { "&", TOK_AND }, { "|", TOK_OR }, { "~", TOK_NOT },
      };
      gsize k;
      for (k = 0; k < G_N_ELEMENTS (ops); k++)
        if (strncmp (s + t->start, ops[k].text, strlen (ops[k].text)) == 0)
          break;
      if (k == G_N_ELEMENTS (ops))
        {
          if (c == '=')
            fail (p, t->start, "'=' is not an operator (comparisons use '==')");
          else
            {
              gunichar u = g_utf8_get_char (s + t->start);
              char buf[8] = { 0 };
              g_unichar_to_utf8 (u, buf);
              fail (p, t->start, "unexpected character '%s'", buf);
            }
          return FALSE;
        }
      t->kind = ops[k].kind;
      t->end = t->start + strlen (ops[k].text);
    }
  p->at = t->end;
  return TRUE;
}

/* How a token reads in a message. */
static char *
describe (Parser *p, const Token *t)
{
  if (t->kind == TOK_END)
    return g_strdup ("end of the expression");
  gsize len = MIN (t->end - t->start, 40);
  g_autofree char *s = g_strndup (p->text + t->start, len);
  /* Do not cut a character in two. */
  const char *end;
  if (!g_utf8_validate (s, -1, &end))
    s[end - s] = '\0';
  return g_strdup_printf ("'%s%s'", s, len < t->end - t->start ? "..." : "");
}

static void
fail_unexpected (Parser *p, const char *expected)
{
  g_autofree char *what = describe (p, &p->tok);
  if (expected != NULL)
    fail (p, p->tok.start, "expected %s, not %s", expected, what);
  else
    fail (p, p->tok.start, "unexpected %s", what);
}

/* ---------------------------------------------------------------- tree */

static ExprNode *
node_new (Parser *p, NodeKind kind, gsize pos, guint n_args)
{
  ExprNode *n = g_new0 (ExprNode, 1);
  n->kind = kind;
  n->pos = (guint) pos;
  n->id = p->e->nodes->len;
  n->n_args = n_args;
  n->args = n_args > 0 ? g_new0 (ExprNode *, n_args) : NULL;
  g_ptr_array_add (p->e->nodes, n);
  return n;
}

static void
node_free (ExprNode *n)
{
  g_free (n->args);
  g_free (n->cmp);
  g_free (n->cmp_pos);
  g_free (n->str);
  g_free (n);
}

static guint
node_depth (const ExprNode *n)
{
  guint d = 0;
  for (guint i = 0; i < n->n_args; i++)
    {
      guint di = node_depth (n->args[i]);   /* not inside MAX: it evaluates twice */
      d = MAX (d, di);
    }
  return d + 1;
}

static ExprNode *
binary (Parser *p, NodeKind kind, guint op, gsize pos, ExprNode *a, ExprNode *b)
{
  if (b == NULL)
    return NULL;
  ExprNode *n = node_new (p, kind, pos, 2);
  n->op = op;
  n->args[0] = a;
  n->args[1] = b;
  return n;
}

static ExprNode *parse_or (Parser *p);

/* Parentheses, call arguments and prefix operators recurse. */
static gboolean
enter (Parser *p)
{
  if (++p->recursion > MAX_RECURSION)
    {
      fail (p, p->tok.start, "expression nested too deeply");
      return FALSE;
    }
  return TRUE;
}

static ExprNode *
parse_call (Parser *p, const char *name, gsize pos)
{
  gsize k;
  for (k = 0; k < G_N_ELEMENTS (funcs); k++)
    if (strcmp (funcs[k].name, name) == 0)
      break;
  if (k == G_N_ELEMENTS (funcs))
    {
      g_autoptr(GString) known = g_string_new (NULL);
      for (gsize j = 0; j < G_N_ELEMENTS (funcs); j++)
        g_string_append_printf (known, "%s%s", j ? ", " : "", funcs[j].name);
      fail (p, pos, "unknown function '%s' (functions: %s)", name, known->str);
      return NULL;
    }
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  if (!next (p))   /* the '(' */
    return NULL;
  if (p->tok.kind != TOK_RPAREN)
    for (;;)
      {
        if (!enter (p))
          return NULL;
        ExprNode *a = parse_or (p);
        p->recursion--;
        if (a == NULL)
          return NULL;
        g_ptr_array_add (args, a);
        if (p->tok.kind == TOK_RPAREN)
          break;
        if (p->tok.kind != TOK_COMMA)
          {
            fail_unexpected (p, "',' or ')'");
            return NULL;
          }
        if (!next (p))
          return NULL;
      }
  if (args->len < funcs[k].min_args || args->len > funcs[k].max_args)
    {
      if (funcs[k].min_args == funcs[k].max_args)
        fail (p, pos, "%s() takes %u argument%s, not %u", name, funcs[k].min_args,
              funcs[k].min_args == 1 ? "" : "s", args->len);
      else
        fail (p, pos, "%s() takes %u or %u arguments, not %u", name, funcs[k].min_args,
              funcs[k].max_args, args->len);
      return NULL;
    }
  if (!next (p))   /* the ')' */
    return NULL;
  ExprNode *n = node_new (p, NODE_CALL, pos, args->len);
  n->op = funcs[k].func;
  for (guint i = 0; i < args->len; i++)
    n->args[i] = args->pdata[i];
  return n;
}

static ExprNode *
column_node (Parser *p, const char *name, gsize pos)
{
  ExprNode *n = node_new (p, NODE_COLUMN, pos, 0);
  guint i;
  for (i = 0; i < p->e->columns->len; i++)
    if (strcmp (p->e->columns->pdata[i], name) == 0)
      break;
  if (i == p->e->columns->len)
    g_ptr_array_add (p->e->columns, g_strdup (name));
  n->v.i = i;
  return n;
}

static ExprNode *
parse_primary (Parser *p)
{
  Token *t = &p->tok;
  ExprNode *n = NULL;
  gsize pos = t->start;

  switch (t->kind)
    {
    case TOK_INT:
      n = node_new (p, NODE_INT, pos, 0);
      n->v.i = t->i;
      break;
    case TOK_FLOAT:
      n = node_new (p, NODE_FLOAT, pos, 0);
      n->v.f = t->f;
      break;
    case TOK_STRING:
      n = node_new (p, NODE_STRING, pos, 0);
      n->str = g_steal_pointer (&t->str);
      n->str_len = t->str_len;
      break;
    case TOK_TRUE:
    case TOK_FALSE:
      n = node_new (p, NODE_BOOL, pos, 0);
      n->v.i = t->kind == TOK_TRUE;
      break;
    case TOK_NULL:
      n = node_new (p, NODE_NULL, pos, 0);
      break;
    case TOK_QUOTED_NAME:
      n = column_node (p, t->str, pos);
      break;
    case TOK_NAME:
      {
        g_autofree char *name = g_steal_pointer (&t->str);
        if (!next (p))
          return NULL;
        if (t->kind == TOK_LPAREN)
          return parse_call (p, name, pos);
        return column_node (p, name, pos);
      }
    case TOK_LPAREN:
      if (!next (p) || !enter (p))
        return NULL;
      n = parse_or (p);
      p->recursion--;
      if (n == NULL)
        return NULL;
      if (t->kind != TOK_RPAREN)
        {
          fail_unexpected (p, "')'");
          return NULL;
        }
      break;
    default:
      fail_unexpected (p, "a value");
      return NULL;
    }
  if (!next (p))
    return NULL;
  return n;
}

/* power := primary ['**' unary]: right-associative, and -2**2 is -(2**2). */
static ExprNode *parse_unary (Parser *p);

static ExprNode *
parse_power (Parser *p)
{
  ExprNode *base = parse_primary (p);
  if (base == NULL || p->tok.kind != TOK_DSTAR)
    return base;
  gsize pos = p->tok.start;
  if (!next (p))
    return NULL;
  return binary (p, NODE_ARITH, ARITH_POW, pos, base, parse_unary (p));
}

static ExprNode *
parse_prefix (Parser *p, NodeKind kind, ExprNode *(*operand) (Parser *))
{
  gsize pos = p->tok.start;
  if (!next (p) || !enter (p))
    return NULL;
  ExprNode *a = operand (p);
  p->recursion--;
  if (a == NULL)
    return NULL;
  ExprNode *n = node_new (p, kind, pos, 1);
  n->args[0] = a;
  return n;
}

static ExprNode *
parse_unary (Parser *p)
{
  if (p->tok.kind == TOK_MINUS)
    return parse_prefix (p, NODE_NEG, parse_unary);
  if (p->tok.kind == TOK_PLUS)
    return parse_prefix (p, NODE_POS, parse_unary);
  return parse_power (p);
}

/* A left-associative level: operand (op operand)*, op one of ops. */
typedef struct {
  TokKind  tok;
  NodeKind kind;
  guint    op;
} LevelOp;

static ExprNode *
parse_level (Parser *p, const LevelOp *ops, gsize n_ops, ExprNode *(*operand) (Parser *))
{
  ExprNode *a = operand (p);
  while (a != NULL)
    {
      gsize k = 0;
      while (k < n_ops && ops[k].tok != p->tok.kind)
        k++;
      if (k == n_ops)
        return a;
      gsize pos = p->tok.start;
      if (!next (p))
        return NULL;
      a = binary (p, ops[k].kind, ops[k].op, pos, a, operand (p));
    }
  return NULL;
}

static ExprNode *
parse_mul (Parser *p)
{
  static const LevelOp ops[] = {
    { TOK_STAR, NODE_ARITH, ARITH_MUL }, { TOK_SLASH, NODE_ARITH, ARITH_DIV },
    { TOK_DSLASH, NODE_ARITH, ARITH_FLOORDIV }, { TOK_PERCENT, NODE_ARITH, ARITH_MOD },
  };
  return parse_level (p, ops, G_N_ELEMENTS (ops), parse_unary);
}

static ExprNode *
parse_add (Parser *p)
{
  static const LevelOp ops[] = {
    { TOK_PLUS, NODE_ARITH, ARITH_ADD }, { TOK_MINUS, NODE_ARITH, ARITH_SUB },
  };
  return parse_level (p, ops, G_N_ELEMENTS (ops), parse_mul);
}

static gboolean
tok_cmp (TokKind k, CmpOp *op)
{
  switch (k)
    {
    case TOK_EQ: *op = CMP_EQ; return TRUE;
    case TOK_NE: *op = CMP_NE; return TRUE;
    case TOK_LT: *op = CMP_LT; return TRUE;
    case TOK_LE: *op = CMP_LE; return TRUE;
    case TOK_GT: *op = CMP_GT; return TRUE;
    case TOK_GE: *op = CMP_GE; return TRUE;
    default: return FALSE;
    }
}

static ExprNode *
parse_compare (Parser *p)
{
  ExprNode *first = parse_add (p);
  CmpOp op;
  if (first == NULL || !tok_cmp (p->tok.kind, &op))
    return first;
  g_autoptr(GPtrArray) operands = g_ptr_array_new ();
  g_autoptr(GArray) ops = g_array_new (FALSE, FALSE, sizeof (guint8));
  g_autoptr(GArray) poss = g_array_new (FALSE, FALSE, sizeof (guint));
  g_ptr_array_add (operands, first);
  while (tok_cmp (p->tok.kind, &op))
    {
      guint8 o = (guint8) op;
      guint pos = (guint) p->tok.start;
      g_array_append_val (ops, o);
      g_array_append_val (poss, pos);
      if (!next (p))
        return NULL;
      ExprNode *b = parse_add (p);
      if (b == NULL)
        return NULL;
      g_ptr_array_add (operands, b);
    }
  ExprNode *n = node_new (p, NODE_CHAIN, g_array_index (poss, guint, 0), operands->len);
  memcpy (n->args, operands->pdata, operands->len * sizeof (ExprNode *));
  n->cmp = (guint8 *) g_array_free (g_steal_pointer (&ops), FALSE);
  n->cmp_pos = (guint *) g_array_free (g_steal_pointer (&poss), FALSE);
  return n;
}

static ExprNode *
parse_not (Parser *p)
{
  if (p->tok.kind == TOK_NOT)
    return parse_prefix (p, NODE_NOT, parse_not);
  return parse_compare (p);
}

static ExprNode *
parse_and (Parser *p)
{
  static const LevelOp ops[] = { { TOK_AND, NODE_AND, 0 } };
  return parse_level (p, ops, G_N_ELEMENTS (ops), parse_not);
}

static ExprNode *
parse_or (Parser *p)
{
  static const LevelOp ops[] = { { TOK_OR, NODE_OR, 0 } };
  return parse_level (p, ops, G_N_ELEMENTS (ops), parse_and);
}

static void
expr_free (DmpiExpr *e)
{
  g_ptr_array_unref (e->nodes);
  g_ptr_array_unref (e->columns);
  g_free (e->text);
  g_free (e);
}

DmpiExpr *
dmpi_expr_parse (const char *text, GError **error)
{
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  DmpiExpr *e = g_new0 (DmpiExpr, 1);
  e->ref_count = 1;
  e->text = g_strdup (text);
  e->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  e->columns = g_ptr_array_new_with_free_func (g_free);

  Parser p = { .e = e, .text = e->text, .error = error };
  const char *bad;
  if (!g_utf8_validate (text, -1, &bad))
    fail (&p, (gsize) (bad - text), "not valid UTF-8");
  else if (next (&p))
    {
      e->root = parse_or (&p);
      if (e->root != NULL && p.tok.kind != TOK_END)
        fail_unexpected (&p, p.tok.kind == TOK_RPAREN ? NULL : "an operator");
      else if (e->root != NULL && node_depth (e->root) > MAX_DEPTH)
        fail (&p, 0, "expression nested too deeply (more than %d levels)", MAX_DEPTH);
    }
  g_clear_pointer (&p.tok.str, g_free);
  if (p.failed || e->root == NULL)
    {
      if (!p.failed)
        fail (&p, 0, "empty expression");
      expr_free (e);
      return NULL;
    }
  return e;
}

DmpiExpr *
dmpi_expr_ref (DmpiExpr *e)
{
  g_return_val_if_fail (e != NULL, NULL);
  g_atomic_int_inc (&e->ref_count);
  return e;
}

void
dmpi_expr_unref (DmpiExpr *e)
{
  if (e != NULL && g_atomic_int_dec_and_test (&e->ref_count))
    expr_free (e);
}

const char *
dmpi_expr_get_text (const DmpiExpr *e)
{
  g_return_val_if_fail (e != NULL, NULL);
  return e->text;
}

char **
dmpi_expr_get_columns (const DmpiExpr *e)
{
  g_return_val_if_fail (e != NULL, NULL);
  char **names = g_new0 (char *, e->columns->len + 1);
  for (guint i = 0; i < e->columns->len; i++)
    names[i] = g_strdup (e->columns->pdata[i]);
  return names;
}

/* ---------------------------------------------------------------- writing back */

static gboolean
is_plain_name (const char *name)
{
  if (!is_name_start ((guchar) name[0]))
    return FALSE;
  for (const char *c = name; *c; c++)
    if (!is_name_char ((guchar) *c))
      return FALSE;
  for (gsize k = 0; k < G_N_ELEMENTS (keywords); k++)
    if (strcmp (name, keywords[k].word) == 0)
      return FALSE;
  return TRUE;
}

/* The shortest decimal that reads back as v, always read as a float. */
static void
append_float (GString *s, gdouble v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (isinf (v))
    {
      g_string_append (s, "1e999");
      return;
    }
  for (int prec = 1; prec <= 17; prec++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (s, buf);
  if (strpbrk (buf, ".e") == NULL)
    g_string_append (s, ".0");
}

static void
append_string_literal (GString *s, const char *str, gsize len)
{
  g_string_append_c (s, '\'');
  for (gsize i = 0; i < len;)
    {
      guchar c = (guchar) str[i];
      if (c == '\\' || c == '\'')
        g_string_append_printf (s, "\\%c", c);
      else if (c == '\n')
        g_string_append (s, "\\n");
      else if (c == '\r')
        g_string_append (s, "\\r");
      else if (c == '\t')
        g_string_append (s, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (s, "\\x%02x", c);
      else if (c >= 0x80)
        {
          /* Whole UTF-8 characters as they are; stray bytes escaped. */
          gunichar u = g_utf8_get_char_validated (str + i, (gssize) (len - i));
          if (u == (gunichar) -1 || u == (gunichar) -2 || u == 0)
            g_string_append_printf (s, "\\x%02x", c);
          else
            {
              gsize n = (gsize) (g_utf8_next_char (str + i) - (str + i));
              g_string_append_len (s, str + i, (gssize) n);
              i += n;
              continue;
            }
        }
      else
        g_string_append_c (s, (char) c);
      i++;
    }
  g_string_append_c (s, '\'');
}

static void
unparse (const DmpiExpr *e, GString *s, const ExprNode *n)
{
  switch (n->kind)
    {
    case NODE_INT:
      g_string_append_printf (s, "%" G_GINT64_FORMAT, n->v.i);
      break;
    case NODE_FLOAT:
      append_float (s, n->v.f);
      break;
    case NODE_STRING:
      append_string_literal (s, n->str, n->str_len);
      break;
    case NODE_BOOL:
      g_string_append (s, n->v.i ? "true" : "false");
      break;
    case NODE_NULL:
      g_string_append (s, "null");
      break;
    case NODE_COLUMN:
      {
        const char *name = e->columns->pdata[n->v.i];
        if (is_plain_name (name))
          g_string_append (s, name);
        else
          g_string_append_printf (s, "`%s`", name);
        break;
      }
    case NODE_NEG:
    case NODE_POS:
    case NODE_NOT:
      g_string_append (s, n->kind == NODE_NEG ? "(-" : n->kind == NODE_POS ? "(+" : "(not ");
      unparse (e, s, n->args[0]);
      g_string_append_c (s, ')');
      break;
    case NODE_AND:
    case NODE_OR:
    case NODE_ARITH:
    case NODE_CHAIN:
      g_string_append_c (s, '(');
      for (guint i = 0; i < n->n_args; i++)
        {
          if (i > 0)
            g_string_append_printf (s, " %s ", n->kind == NODE_AND ? "and"
                                               : n->kind == NODE_OR ? "or"
                                               : n->kind == NODE_ARITH ? arith_text[n->op]
                                               : cmp_text[n->cmp[i - 1]]);
          unparse (e, s, n->args[i]);
        }
      g_string_append_c (s, ')');
      break;
    case NODE_CALL:
      g_string_append_printf (s, "%s(", expr_func_name (n->op));
      for (guint i = 0; i < n->n_args; i++)
        {
          if (i > 0)
            g_string_append (s, ", ");
          unparse (e, s, n->args[i]);
        }
      g_string_append_c (s, ')');
      break;
    }
}

char *
dmpi_expr_to_string (const DmpiExpr *e)
{
  g_return_val_if_fail (e != NULL, NULL);
  GString *s = g_string_new (NULL);
  unparse (e, s, e->root);
  return g_string_free (s, FALSE);
}

/* ---------------------------------------------------------------- ranges */

/* A number literal, signs allowed: its value. */
static gboolean
number_literal (const ExprNode *n, gdouble *v)
{
  if (n->kind == NODE_INT)
    *v = (gdouble) n->v.i;
  else if (n->kind == NODE_FLOAT)
    *v = n->v.f;
  else if ((n->kind == NODE_NEG || n->kind == NODE_POS) && number_literal (n->args[0], v))
    *v = n->kind == NODE_NEG ? -*v : *v;
  else
    return FALSE;
  return TRUE;
}

/* a op b as a range, if it is column op number or number op column:
 * returns which ends it sets (RANGE_LO | RANGE_HI), 0 if it is no range. */
enum { RANGE_LO = 1, RANGE_HI = 2 };

static guint
comparison_range (const DmpiExpr *e, const ExprNode *a, CmpOp op, const ExprNode *b,
                  DmpiExprRange *r)
{
  static const CmpOp mirrored[CMP_N] = { CMP_EQ, CMP_NE, CMP_GT, CMP_GE, CMP_LT, CMP_LE };
  gdouble v;
  guint ends = 0;
  if (op == CMP_NE)
    return 0;
  if (b->kind == NODE_COLUMN && number_literal (a, &v))
    {
      const ExprNode *t = a;
      a = b, b = t;
      op = mirrored[op];
    }
  else if (!(a->kind == NODE_COLUMN && number_literal (b, &v)))
    return 0;
  *r = (DmpiExprRange) { e->columns->pdata[a->v.i], -INFINITY, INFINITY, FALSE, FALSE };
  if (op == CMP_EQ || op == CMP_GT || op == CMP_GE)
    r->lo = v, r->lo_inclusive = op != CMP_GT, ends |= RANGE_LO;
  if (op == CMP_EQ || op == CMP_LT || op == CMP_LE)
    r->hi = v, r->hi_inclusive = op != CMP_LT, ends |= RANGE_HI;
  return ends;
}

static void
add_rest (GString *rest, const char *text)
{
  if (rest->len > 0)
    g_string_append (rest, " and ");
  g_string_append (rest, text);
}

/* A chain is the conjunction of its comparisons; lo < col < hi is one range. */
static void
split_chain (const DmpiExpr *e, const ExprNode *n, GArray *ranges, GString *rest)
{
  guint prev_ends = 0;
  for (guint i = 0; i + 1 < n->n_args; i++)
    {
      DmpiExprRange r;
      guint ends = comparison_range (e, n->args[i], n->cmp[i], n->args[i + 1], &r);
      if (ends != 0 && n->args[i]->kind == NODE_COLUMN && (prev_ends | ends) == 3 &&
          prev_ends != 3 && ends != 3)
        {
          /* The previous comparison bounds the same column on the other side. */
          DmpiExprRange *last = &g_array_index (ranges, DmpiExprRange, ranges->len - 1);
          if (ends == RANGE_HI)
            last->hi = r.hi, last->hi_inclusive = r.hi_inclusive;
          else
            last->lo = r.lo, last->lo_inclusive = r.lo_inclusive;
          prev_ends = 0;
          continue;
        }
      prev_ends = ends;
      if (ends != 0)
        {
          r.column = g_strdup (r.column);
          g_array_append_val (ranges, r);
          continue;
        }
      GString *pair = g_string_new ("(");
      unparse (e, pair, n->args[i]);
      g_string_append_printf (pair, " %s ", cmp_text[n->cmp[i]]);
      unparse (e, pair, n->args[i + 1]);
      g_string_append_c (pair, ')');
      add_rest (rest, pair->str);
      g_string_free (pair, TRUE);
    }
}

static void
split_conjuncts (const DmpiExpr *e, const ExprNode *n, GArray *ranges, GString *rest)
{
  if (n->kind == NODE_AND)
    {
      split_conjuncts (e, n->args[0], ranges, rest);
      split_conjuncts (e, n->args[1], ranges, rest);
    }
  else if (n->kind == NODE_CHAIN)
    split_chain (e, n, ranges, rest);
  else
    {
      GString *s = g_string_new (NULL);
      unparse (e, s, n);
      add_rest (rest, s->str);
      g_string_free (s, TRUE);
    }
}

static void
range_clear (gpointer r)
{
  g_free (((DmpiExprRange *) r)->column);
}

GArray *
dmpi_expr_split_ranges (const DmpiExpr *e, DmpiExpr **rest)
{
  g_return_val_if_fail (e != NULL && rest != NULL, NULL);
  GArray *ranges = g_array_new (FALSE, FALSE, sizeof (DmpiExprRange));
  g_array_set_clear_func (ranges, range_clear);
  g_autoptr(GString) text = g_string_new (NULL);

  split_conjuncts (e, e->root, ranges, text);
  *rest = NULL;
  if (ranges->len == 0)
    *rest = dmpi_expr_ref ((DmpiExpr *) e);
  else if (text->len > 0)
    {
      g_autoptr(GError) error = NULL;
      *rest = dmpi_expr_parse (text->str, &error);
      /* What unparse writes always parses. */
      if (*rest == NULL)
        g_critical ("%s", error->message);
    }
  return ranges;
}

void
dmpi_expr_ranges_free (GArray *ranges)
{
  if (ranges != NULL)
    g_array_unref (ranges);
}
