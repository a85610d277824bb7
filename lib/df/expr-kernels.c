/* Expressions: the loops over arrays, NumPy's arithmetic and comparisons
 * written so that compilers vectorize them. Each kernel computes
 * out[i] = a[i] op b[i], where a or b may be one value for all rows. */
#include "config.h"

/* NumPy rounds after every operation: no fused multiply-adds. GCC
 * if-converts floating-point selections (and so vectorizes these loops)
 * only when told that no operation traps; the flags are never read here. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize ("fp-contract=off", "no-trapping-math", "tree-vectorize", "vect-cost-model=dynamic")
#endif

#include "df/expr-private.h"

#include <math.h>

/* NumPy's npy_divmod (npymath), for one pair: the reference, on an exact
 * fmod. Its branches depend on the data. */
#define NPY_DIVMOD(SFX, T, FMOD, FLOOR, COPYSIGN) \
  static inline T \
  npy_floordiv_##SFX (T a, T b) \
  { \
    if (b == 0) \
      return a / b; \
    T mod = FMOD (a, b); \
    T div = (a - mod) / b; \
    if (mod != 0 && (b < 0) != (mod < 0)) \
      div -= 1; \
    if (div != 0) \
      { \
        T floordiv = FLOOR (div); \
        if (div - floordiv > (T) 0.5) \
          floordiv += 1; \
        return floordiv; \
      } \
    return COPYSIGN (0, a / b); \
  } \
  static inline T \
  npy_mod_##SFX (T a, T b) \
  { \
    T mod = FMOD (a, b); \
    if (b == 0) \
      return mod; \
    if (mod != 0) \
      { \
        if ((b < 0) != (mod < 0)) \
          mod += b; \
      } \
    else \
      mod = COPYSIGN (0, b); \
    return mod; \
  }

/* fmod is exact (its result is representable), and glibc's is slow. For
 * double: a truncated quotient off by at most one leaves a representable
 * remainder, so the fused a - t * b is exact; stepped back by |b| when the
 * quotient rounded up to the next integer. */
static inline gdouble
exact_fmod (gdouble a, gdouble b)
{
  gdouble q = a / b;
  if (G_LIKELY (fabs (q) < 4503599627370496.0 && isfinite (b)))
    {
      gdouble t = (gdouble) (gint64) q;
      gdouble r = fma (-t, b, a);
      if (r != 0 && (r < 0) != (a < 0))
        r += copysign (fabs (b), a);
      return copysign (r, a);
    }
  return fmod (a, b);
}

NPY_DIVMOD (f32, gfloat, fmodf, floorf, copysignf)
NPY_DIVMOD (f64, gdouble, exact_fmod, floor, copysign)

/* npy_divmod of float32 without a branch, so that the loops vectorize,
 * where |a / b| < 2**28 and a and b are finite (else *slow, and the caller
 * uses the reference). fmod: the quotient truncated; t * b has at most
 * 28 + 24 bits and a - t * b is a multiple of the smaller ulp below 2 |b|,
 * so both are exact in double; stepped back by |b| when the quotient
 * rounded up to the next integer. The selections add 0 where NumPy does
 * nothing (x - 0 is x: the zeros are handled apart); floor by truncation
 * below 2**23, where every float32 is an integer. */
static inline gfloat
divmod_lane_f32 (gfloat a, gfloat b, gboolean want_mod, gint *slow)
{
  gdouble q = (gdouble) a / (gdouble) b;
  /* tested in float, so that the loop vectorizes (and never wrongly ok) */
  gboolean ok = (fabsf ((gfloat) q) < 268435456.0f) & (fabsf (b) <= G_MAXFLOAT);
  gdouble t = (gdouble) (gint32) (ok ? q : 0.0);
  gdouble r = (gdouble) a - t * (gdouble) b;
  r += ((r != 0) & ((r < 0) != (a < 0))) ? copysign (fabs ((gdouble) b), a) : 0.0;
  gfloat mod = copysignf ((gfloat) r, a);
  gboolean adjust = (mod != 0) & ((b < 0) != (mod < 0));
  *slow = !ok;
  if (want_mod)
    /* of b's sign after the step, zero included */
    return copysignf (mod + (adjust ? b : 0.0f), b);
  gfloat div = (a - mod) / b;
  div -= adjust ? 1.0f : 0.0f;
  gboolean small = fabsf (div) < 8388608.0f;
  gfloat fl = (gfloat) (gint32) (small ? div : 0.0f);
  fl -= fl > div ? 1.0f : 0.0f;
  fl += div - fl > 0.5f ? 1.0f : 0.0f;
  /* div == 0: copysign (0, a / b), the sign of a times b's */
  return div == 0 ? copysignf (0.0f, a) * copysignf (1.0f, b) : small ? fl : div;
}

static inline gfloat
floordiv_lane_f32 (gfloat a, gfloat b, gint *slow)
{
  return divmod_lane_f32 (a, b, FALSE, slow);
}

static inline gfloat
mod_lane_f32 (gfloat a, gfloat b, gint *slow)
{
  return divmod_lane_f32 (a, b, TRUE, slow);
}

/* Integer // and % (Python's signs), ** by squaring; all wrap. Division by
 * zero and negative powers give 0 here and are marked missing after. */
#define INT_OPS(SFX, T, U) \
  static inline T \
  floordiv_##SFX (T a, T b) \
  { \
    if (b == 0) \
      return 0; \
    if (b == -1) \
      return (T) (0 - (U) a); \
    T q = a / b; \
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q; \
  } \
  static inline T \
  mod_##SFX (T a, T b) \
  { \
    if (b == 0 || b == -1) \
      return 0; \
    T r = a % b; \
    return (r != 0 && (r < 0) != (b < 0)) ? r + b : r; \
  } \
  static inline T \
  pow_##SFX (T a, T b) \
  { \
    U r = 1, base = (U) a; \
    if (b < 0) \
      return 0; \
    for (U e = (U) b; e != 0; e >>= 1) \
      { \
        if (e & 1) \
          r *= base; \
        base *= base; \
      } \
    return (T) r; \
  }

INT_OPS (i32, gint32, guint32)
INT_OPS (i64, gint64, guint64)

/* BODY for every row i with x = a[i] and y = b[i], where a or b (as, bs)
 * may be one value for all rows: loops with the one value hoisted, so that
 * they vectorize. Both one value: i = 0 only. */
#define FOR_PAIRS(T, ...) \
  if (as && bs) \
    { \
      const gsize i = 0; \
      const T x = a[0], y = b[0]; \
      __VA_ARGS__; \
    } \
  else if (bs) \
    { \
      const T y = b[0]; \
      for (gsize i = 0; i < n; i++) \
        { \
          const T x = a[i]; \
          __VA_ARGS__; \
        } \
    } \
  else if (as) \
    { \
      const T x = a[0]; \
      for (gsize i = 0; i < n; i++) \
        { \
          const T y = b[i]; \
          __VA_ARGS__; \
        } \
    } \
  else \
    for (gsize i = 0; i < n; i++) \
      { \
        const T x = a[i], y = b[i]; \
        __VA_ARGS__; \
      }

/* out[i] = EXPR (of x and y); ASSIGN &= ands it into out[i]. */
#define KERNEL_ASSIGN(NAME, T, TO, EXPR, ASSIGN) \
  static void \
  NAME (gsize n, gconstpointer a_, gboolean as, gconstpointer b_, gboolean bs, gpointer out_) \
  { \
    const T *a = a_, *b = b_; \
    TO *out = out_; \
    FOR_PAIRS (T, out[i] ASSIGN (EXPR)) \
  }

#define KERNEL(NAME, T, TO, EXPR) KERNEL_ASSIGN (NAME, T, TO, EXPR, =)

/* The same with a fast LANE function that flags the pairs it cannot do;
 * those are done again by SLOW. */
#define KERNEL_LANES(NAME, T, LANE, SLOW) \
  static void \
  NAME (gsize n, gconstpointer a_, gboolean as, gconstpointer b_, gboolean bs, gpointer out_) \
  { \
    const T *a = a_, *b = b_; \
    T *out = out_; \
    gint slow = 0, s; /* as wide as a float: the loops vectorize */ \
    FOR_PAIRS (T, out[i] = LANE (x, y, &s), slow |= s) \
    if (as && bs) \
      n = 1; \
    for (gsize i = 0; slow && i < n; i++) \
      { \
        const T x = a[as ? 0 : i], y = b[bs ? 0 : i]; \
        LANE (x, y, &s); \
        if (s) \
          out[i] = SLOW (x, y); \
      } \
  }

#define WRAP(T, U, OP) ((T) ((U) x OP (U) y))

#define INT_KERNELS(SFX, T, U) \
  KERNEL (add_##SFX, T, T, WRAP (T, U, +)) \
  KERNEL (sub_##SFX, T, T, WRAP (T, U, -)) \
  KERNEL (mul_##SFX, T, T, WRAP (T, U, *)) \
  KERNEL (floordiv_k_##SFX, T, T, floordiv_##SFX (x, y)) \
  KERNEL (mod_k_##SFX, T, T, mod_##SFX (x, y)) \
  KERNEL (pow_k_##SFX, T, T, pow_##SFX (x, y))

#define FLOAT_KERNELS(SFX, T, POW, ATAN2) \
  KERNEL (add_##SFX, T, T, x + y) \
  KERNEL (sub_##SFX, T, T, x - y) \
  KERNEL (mul_##SFX, T, T, x * y) \
  KERNEL (div_##SFX, T, T, x / y) \
  KERNEL (pow_k_##SFX, T, T, POW (x, y)) \
  KERNEL (atan2_##SFX, T, T, ATAN2 (x, y))

#define CMP_KERNELS(SFX, T, ASSIGN, PREFIX) \
  KERNEL_ASSIGN (PREFIX##eq_##SFX, T, guint8, x == y, ASSIGN) \
  KERNEL_ASSIGN (PREFIX##ne_##SFX, T, guint8, x != y, ASSIGN) \
  KERNEL_ASSIGN (PREFIX##lt_##SFX, T, guint8, x < y, ASSIGN) \
  KERNEL_ASSIGN (PREFIX##le_##SFX, T, guint8, x <= y, ASSIGN) \
  KERNEL_ASSIGN (PREFIX##gt_##SFX, T, guint8, x > y, ASSIGN) \
  KERNEL_ASSIGN (PREFIX##ge_##SFX, T, guint8, x >= y, ASSIGN)

INT_KERNELS (i32, gint32, guint32)
INT_KERNELS (i64, gint64, guint64)
FLOAT_KERNELS (f32, gfloat, powf, atan2f)
FLOAT_KERNELS (f64, gdouble, pow, atan2)
KERNEL_LANES (floordiv_k_f32, gfloat, floordiv_lane_f32, npy_floordiv_f32)
KERNEL_LANES (mod_k_f32, gfloat, mod_lane_f32, npy_mod_f32)
KERNEL (floordiv_k_f64, gdouble, gdouble, npy_floordiv_f64 (x, y))
KERNEL (mod_k_f64, gdouble, gdouble, npy_mod_f64 (x, y))
CMP_KERNELS (i32, gint32, =, )
CMP_KERNELS (i64, gint64, =, )
CMP_KERNELS (f32, gfloat, =, )
CMP_KERNELS (f64, gdouble, =, )
/* for the comparisons of a chain after its first: anded in */
CMP_KERNELS (i32, gint32, &=, and_)
CMP_KERNELS (i64, gint64, &=, and_)
CMP_KERNELS (f32, gfloat, &=, and_)
CMP_KERNELS (f64, gdouble, &=, and_)

const ExprKernel expr_arith_kernels[ARITH_N][4] = {
  [ARITH_ADD] = { add_i32, add_i64, add_f32, add_f64 },
  [ARITH_SUB] = { sub_i32, sub_i64, sub_f32, sub_f64 },
  [ARITH_MUL] = { mul_i32, mul_i64, mul_f32, mul_f64 },
  [ARITH_DIV] = { NULL, NULL, div_f32, div_f64 },
  [ARITH_FLOORDIV] = { floordiv_k_i32, floordiv_k_i64, floordiv_k_f32, floordiv_k_f64 },
  [ARITH_MOD] = { mod_k_i32, mod_k_i64, mod_k_f32, mod_k_f64 },
  [ARITH_POW] = { pow_k_i32, pow_k_i64, pow_k_f32, pow_k_f64 },
};

const ExprKernel expr_cmp_kernels[2][CMP_N][4] = {
  {
    [CMP_EQ] = { eq_i32, eq_i64, eq_f32, eq_f64 },
    [CMP_NE] = { ne_i32, ne_i64, ne_f32, ne_f64 },
    [CMP_LT] = { lt_i32, lt_i64, lt_f32, lt_f64 },
    [CMP_LE] = { le_i32, le_i64, le_f32, le_f64 },
    [CMP_GT] = { gt_i32, gt_i64, gt_f32, gt_f64 },
    [CMP_GE] = { ge_i32, ge_i64, ge_f32, ge_f64 },
  },
  {
    [CMP_EQ] = { and_eq_i32, and_eq_i64, and_eq_f32, and_eq_f64 },
    [CMP_NE] = { and_ne_i32, and_ne_i64, and_ne_f32, and_ne_f64 },
    [CMP_LT] = { and_lt_i32, and_lt_i64, and_lt_f32, and_lt_f64 },
    [CMP_LE] = { and_le_i32, and_le_i64, and_le_f32, and_le_f64 },
    [CMP_GT] = { and_gt_i32, and_gt_i64, and_gt_f32, and_gt_f64 },
    [CMP_GE] = { and_ge_i32, and_ge_i64, and_ge_f32, and_ge_f64 },
  },
};

const ExprKernel expr_atan2_kernels[2] = { atan2_f32, atan2_f64 };
