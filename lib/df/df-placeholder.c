/* replaced by the data-frame layer */
#include "config.h"
int dmpi_df_placeholder_ (void);
int dmpi_df_placeholder_ (void) { return 0; }
