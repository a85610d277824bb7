/* A user module for t/frame/verbs.sh: a partition function that
 * dmpi_frame_map_partitions() runs on every partition, as a user's would. */
#include "config.h"

#include <daskmpi.h>
#include <gmodule.h>

G_MODULE_EXPORT gboolean dmpi_module_init (DmpiRegistry *registry, GError **error);

/* scale_x, args (sd) NAME FACTOR: adds the float64 column NAME = x * FACTOR
 * (x float32 or float64; a missing x gives a missing value). */
static DmpiTable *
scale_x (DmpiTable *partition, GVariant *args, GError **error)
{
  const char *name;
  double factor;

  if (args == NULL || !g_variant_is_of_type (args, G_VARIANT_TYPE ("(sd)")))
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "scale_x takes (sd), not %s",
                   args != NULL ? g_variant_get_type_string (args) : "nothing");
      dmpi_table_free (partition);
      return NULL;
    }
  g_variant_get (args, "(&sd)", &name, &factor);
  DmpiColumn *x = dmpi_table_get_column (partition, "x");
  if (x == NULL || (x->type != DMPI_COL_FLOAT32 && x->type != DMPI_COL_FLOAT64))
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN, "scale_x: no float column 'x'");
      dmpi_table_free (partition);
      return NULL;
    }
  DmpiColumn *out = dmpi_column_new (name, DMPI_COL_FLOAT64, dmpi_table_n_rows (partition));
  for (gsize r = 0; r < dmpi_table_n_rows (partition); r++)
    {
      if (!dmpi_column_is_valid (x, r))
        dmpi_column_append_missing (out);
      else if (x->type == DMPI_COL_FLOAT32)
        dmpi_column_append_float64 (out, (double) DMPI_COLUMN_FLOAT32 (x)[r] * factor);
      else
        dmpi_column_append_float64 (out, DMPI_COLUMN_FLOAT64 (x)[r] * factor);
    }
  dmpi_table_add_column (partition, out);
  return partition;
}

gboolean
dmpi_module_init (DmpiRegistry *registry, GError **error)
{
  dmpi_registry_add_partition_func (registry, "scale_x", scale_x);
  return TRUE;
}
