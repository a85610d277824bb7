## The library's exports against lib/libdaskmpi.map (t/symbols.sh).
TESTS += t/symbols.sh
EXTRA_DIST += t/symbols.sh
