/* The data-frame layer's tables are public: see <dmpi-table.h>. */
#pragma once

#include "dmpi-table.h"
