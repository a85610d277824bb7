#include "config.h"

#include "dmpi-error.h"

G_DEFINE_QUARK (dmpi-error-quark, dmpi_error)
