/* Expressions over a table's columns: parsed once (on the client), checked
 * against a schema before anything runs, evaluated a column at a time.
 * Semantics are pandas' and NumPy's, because users compare with pandas.
 *
 * THE LANGUAGE
 *
 * Literals
 *   Integers: 42 (decimal digits; beyond the int64 range is an error).
 *   Floats: 0.01, 1., .5, 1e-3, 2.5E+8 (1e999 is inf; there is no nan literal).
 *   Strings: 'text' or "text", with the escapes \\ \' \" \n \r \t and \xHH
 *     (any other backslash escape is an error).
 *   Booleans: true, false (also True, False). Missing: null (also None).
 *   Number literals are "weak" as Python scalars are in NumPy (NEP 50): they
 *   take the type of the column they meet. An int literal with an int32
 *   column stays int32 (an int literal outside the int32 range is then an
 *   error, as NumPy raises), with a float32 column gives float32; a float
 *   literal with a float32 column gives float32 (0.01 becomes float32 0.01),
 *   with an integer column float64. Literal-only arithmetic stays weak
 *   (int64 or float64 arithmetic); a function's result is not weak
 *   (abs(-2) is an int64, as np.abs gives). Comparisons of an integer column
 *   with an int literal compare the exact values. null takes the type of
 *   what it meets (a duration next to a timestamp in + and -; float64 alone).
 *
 * Columns
 *   Bare identifiers (letters, digits, _, any non-ASCII character; not
 *   starting with a digit; not a keyword: and or not true false True False
 *   null None), or any name between backquotes: `trip distance` (a name
 *   holding a backquote cannot be written). A name followed by '(' is a
 *   function.
 *
 * Operators, lowest precedence first (as pandas.eval)
 *   or  |          logical or (bool operands)
 *   and &          logical and (bool operands)
 *   not ~          logical not (bool operand)
 *   == != < <= > >=  comparisons, chained as in Python: 0 < x < 500 means
 *                  0 < x and x < 500 (x evaluated once)
 *   + -            addition, subtraction; + also concatenates strings
 *   * / // %       multiplication, true division, floor division, remainder
 *   - +            unary minus and plus
 *   **             power, right-associative, binding tighter than a unary
 *                  minus on its left: -2**2 is -4, 2**-1 is 0.5
 *   f(...)         function calls; ( ) grouping
 *
 * Types
 *   int32, int64, float32, float64, bool, string, timestamp (ns, no time
 *   zone), duration (ns). Arithmetic promotes as NumPy does: int32 op int32
 *   -> int32, int32 op int64 -> int64, int32 or int64 op float32 -> float64,
 *   float32 op float32 -> float32, float32 op float64 -> float64. bool counts
 *   as an integer narrower than int32 (bool + int32 -> int32, bool + float32
 *   -> float32); bool op bool -> int64 (Python's True + True == 2; NumPy
 *   would give a logical or). Unary minus and abs of a bool give int64.
 *   / of integers (or bools) gives float64. ** follows the same promotion;
 *   an integer to a negative integer power is missing (NumPy raises).
 *   Integer overflow wraps (two's complement), as in NumPy; abs and unary
 *   minus of the smallest integer give it back.
 *   // and % compute exactly NumPy's npy_divmod (float32 in float32):
 *     mod = fmod(a, b); div = (a - mod) / b;
 *     if mod != 0 and (b < 0) != (mod < 0): mod += b, div -= 1;
 *     else if mod == 0: mod = copysign(0, b);
 *     a // b = div != 0 ? floor(div) (+ 1 if div - floor(div) > 0.5)
 *                       : copysign(0, a / b);
 *   For b == 0: a // b = a / b (inf or nan) and a % b = fmod(a, b) (nan).
 *   So x // 0.01 * 0.01 on a float32 column gives -74.01 for -74.0. The
 *   result of % has the sign of the divisor. Integer // and % by zero give a
 *   missing value (NumPy gives 0 with a warning); the smallest integer // -1
 *   wraps to itself.
 *   timestamp - timestamp -> duration; timestamp +- duration -> timestamp;
 *   duration + timestamp -> timestamp; duration +- duration -> duration;
 *   -duration -> duration; all wrap on overflow. No other arithmetic on
 *   timestamps or durations (timestamp * 2 is an error).
 *
 * Comparisons
 *   Numbers (and bools) compare after promotion (a float32 column against
 *   0.1 compares with float32 0.1, as NumPy does); timestamps with
 *   timestamps, or with a string literal, converted as timestamp() does
 *   (an unparsable literal is an error); durations with durations; strings
 *   with strings, bytewise. NaN compares unequal to everything (NaN != x is
 *   true). A comparison with a missing value is false: all six, != too.
 *   Comparing null with anything is false.
 *
 * Missing values
 *   Arithmetic with a missing value is missing. In and, or and not a missing
 *   bool counts as false (so not of a missing bool is true); their results
 *   are never missing, nor are comparisons'. A function of a missing value
 *   is missing, except isnull, notnull and fillna. NaN is a value, not a
 *   missing one (as in NumPy), except that isnull(x) is true for NaN (as
 *   pandas' isna) and fillna replaces NaN (as pandas).
 *
 * Functions (aliases after a slash)
 *   abs(x)                  same type (bool -> int64)
 *   floor(x), ceil(x)       float32 -> float32, float64 -> float64,
 *                           integers -> float64
 *   round(x), round(x, n)   round half to even at n decimals (n an integer
 *                           literal, may be negative), as numpy.round: a
 *                           float is scaled by 10**n in its own type,
 *                           rounded, and scaled back; an integer stays an
 *                           integer (n < 0 rounds it through float64;
 *                           out of range it gives the smallest integer, as
 *                           NumPy on x86)
 *   sqrt exp log sin cos tan asin acos atan radians degrees (x), atan2(y, x)
 *                           float32 -> float32, computed with the float
 *                           functions (sinf ...), as NumPy's float32 ufuncs;
 *                           integers and bools -> float64
 *   isnull/isna(x), notnull/notna(x)  -> bool, never missing
 *   fillna(x, v)            x where present and not NaN, else v; the type
 *                           is promoted from x and v as in arithmetic
 *                           (bool with bool stays bool)
 *   where(c, a, b)          a where c is true, else b (a missing c picks b);
 *                           type promoted from a and b (bool with bool stays
 *                           bool)
 *   int32(x) int64(x) float32(x) float64(x) bool(x) string(x) timestamp(x)
 *                           casts. To integers: floats truncate, NaN, inf and
 *                           out-of-range values are missing (pandas raises),
 *                           wider integers wrap, timestamps and durations give
 *                           their nanoseconds. bool(x): x != 0 for numbers,
 *                           timestamps and durations (NaN is true),
 *                           non-empty for strings. From a
 *                           string: int32/int64 a decimal integer, float32/
 *                           float64 a decimal number (nan, inf allowed),
 *                           spaces around allowed; timestamp
 *                           'YYYY-MM-DD[( |T)HH:MM:SS[.f...]]' (up to 9
 *                           fraction digits) or an integer for timestamp()
 *                           of int64 nanoseconds. An unparsable string
 *                           literal is an error at check time; an
 *                           unparsable value of a column is missing.
 *                           string(x) formats as pandas' astype(str): ints
 *                           in decimal, floats as NumPy's str (shortest
 *                           round trip: 0.1, 1.0, 1e-05, 1e+16, nan, inf),
 *                           bools True/False, timestamps
 *                           'YYYY-MM-DD HH:MM:SS' with .fff, .ffffff or
 *                           .fffffffff when some value of the column needs
 *                           it, or 'YYYY-MM-DD' when every value of the
 *                           column is a midnight (pandas decides per Series,
 *                           so here per evaluated column: per partition).
 *                           string() of a duration is not supported.
 *   year month day hour minute second (t), day_of_week/dayofweek/weekday (t)
 *                           (Monday = 0), day_of_year/dayofyear (t): int32
 *   seconds(d)              a duration's seconds as float64 (pandas'
 *                           total_seconds: nanoseconds / 1e9)
 *   startswith(s, p), endswith(s, p), contains(s, p)
 *                           -> bool; p a string; contains looks for a
 *                           substring (no regular expression)
 *   length/len(s)           UTF-8 characters, int64
 *
 * Errors
 *   Found by dmpi_expr_parse (DMPI_DF_ERROR_PARSE): syntax errors, unknown
 *   functions (the message lists the known ones), wrong argument counts,
 *   text that is not UTF-8, trees more than 200 levels deep (each operator
 *   is a level: a sum of 300 terms is too deep). Found by dmpi_expr_check, and again by the
 *   evaluators against the table's own types: unknown columns
 *   (DMPI_DF_ERROR_MISSING_COLUMN, listing the columns there are) and type
 *   errors (DMPI_DF_ERROR_INVALID): string + int, timestamp * 2, sin of a
 *   string, an unparsable literal, a non-bool filter. Evaluation itself
 *   never fails. Every message reads
 *     expression 'TEXT': position N: what
 *   where N is the 1-based character (not byte) position of the offending
 *   token (one past the end for an unexpected end).
 *
 * Evaluation is vectorized: one pass per operator over whole columns, with
 * literals kept as scalars. */
#pragma once

#include <glib.h>

#include "df/table.h"

G_BEGIN_DECLS

/* A parsed expression. Immutable and reference-counted; evaluation is
 * reentrant (compute threads may share one). */
typedef struct _DmpiExpr DmpiExpr;

/* Returns a new expression (transfer full) or NULL with DMPI_DF_ERROR_PARSE. */
DmpiExpr   *dmpi_expr_parse (const char *text, GError **error);
DmpiExpr   *dmpi_expr_ref (DmpiExpr *e);
void        dmpi_expr_unref (DmpiExpr *e);
/* The text it was parsed from (owned by the expression). */
const char *dmpi_expr_get_text (const DmpiExpr *e);
/* The columns it reads, each once, in order of first use; NULL-terminated,
 * free with g_strfreev. */
char      **dmpi_expr_get_columns (const DmpiExpr *e);

/* Checks names and types against a schema (n columns, names[i] of
 * types[i]); *out_type gets the result type (float64 for an expression that
 * is only null). */
gboolean    dmpi_expr_check (const DmpiExpr *e, const char *const *names,
                             const DmpiColType *types, guint n,
                             DmpiColType *out_type, GError **error);

/* Evaluates over @table: checks the expression against the table's columns
 * (found by name; their types need not be the ones checked on the client,
 * but any type error is reported, never a crash), then returns a new column
 * named @name (transfer full) with table->n_rows rows. A literal-only
 * expression is broadcast. The result has a valid array only when some row
 * is missing. */
DmpiColumn *dmpi_expr_eval (const DmpiExpr *e, const DmpiTable *table, const char *name,
                            GError **error);

/* For filters: a bool expression as a keep mask of table->n_rows bytes
 * (1 keep, 0 drop; missing drops), to be freed with g_free. *n_kept (if not
 * NULL) gets the count. A non-bool expression is an error. */
guint8     *dmpi_expr_eval_mask (const DmpiExpr *e, const DmpiTable *table, gsize *n_kept,
                                 GError **error);

/* A condition lo < column < hi (<= where inclusive) for readers to apply
 * while they read. An open end is -inf or +inf (not inclusive). The bounds
 * are the literals' values as doubles: the expression compares a float32
 * column with the bound rounded to float32 (NEP 50), so a reader must do the
 * same or use bounds representable in the column's type. A missing value
 * or a NaN fails every range. */
typedef struct {
  char    *column;
  gdouble  lo, hi;
  gboolean lo_inclusive, hi_inclusive;
} DmpiExprRange;

/* Pushdown for readers: splits a filter that is a conjunction (and, &) into
 * range conditions on single columns against number literals (col > 0,
 * 0 < col < 500, -75 < col, col <= 3, col == 2, a signed literal) and the
 * rest. Returns the ranges (a GArray of DmpiExprRange, empty if none; free
 * with dmpi_expr_ranges_free) and sets *rest to the remaining conjuncts
 * joined by 'and' (the expression itself when nothing was split off, NULL
 * when nothing remains; transfer full). A chain 0 < a < b < 5 contributes
 * the ranges of a and b, and a < b to the rest. Several conditions on one
 * column may stay separate entries. The caller checks the expression (the
 * columns must be numeric). */
GArray     *dmpi_expr_split_ranges (const DmpiExpr *e, DmpiExpr **rest);
void        dmpi_expr_ranges_free (GArray *ranges);

/* The expression written out again, fully parenthesised, so that parsing
 * it gives the same tree (newly allocated). */
char       *dmpi_expr_to_string (const DmpiExpr *e);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiExpr, dmpi_expr_unref)

G_END_DECLS
