#!/bin/sh
# The shared library exports exactly what lib/libdaskmpi.map lists, all under
# its version node; each public one is declared in an installed header, and
# each entry point of the programs in bin/ is used by one and declared in no
# installed header.
. "${top_srcdir:?top_srcdir is not set}/t/tap/tap.sh"

lib=${top_builddir:?}/lib/.libs/libdaskmpi.so
map=$top_srcdir/lib/libdaskmpi.map
[ -f "$lib" ] || skip_all "no shared library at $lib (built with --disable-shared?)"
command -v nm >/dev/null 2>&1 || skip_all "nm is not installed"

# map_symbols all|public|bin: the map's global names; those after its
# comment about the programs in bin/ are their entry points.
map_symbols () {
    awk -v want="$1" '/global:/ { on = 1; next }
         /local:/ { on = 0 }
         on && /bin\// { bin = 1 }
         on && /^[ \t]*[a-z_0-9]+;/ {
             gsub(/[ \t;]/, "")
             if (want == "all" || (want == "bin") == (bin == 1)) print
         }' "$map"
}
node=$(sed -n 's/^\([A-Z_0-9]*\) {.*/\1/p' "$map")

# Defined dynamic symbols but the version node's own (type A).
nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' >exported.ver
sed 's/@.*//' exported.ver | sort >exported
map_symbols all | sort >listed
[ -s listed ] || bail_out "no symbols found in $map"

diff listed exported >diff.out
ok "the library exports exactly the symbols of libdaskmpi.map" [ $? -eq 0 ] || diag_file diff.out

unversioned=$(grep -v "@@$node\$" exported.ver)
is "$unversioned" "" "every export has the default version $node"

# The installed headers: daskmpi.h and the ones it includes.
headers="$top_srcdir/lib/daskmpi.h $(sed -n 's|^#include "\(.*\)"|'"$top_srcdir"'/lib/\1|p' "$top_srcdir/lib/daskmpi.h")"
# shellcheck disable=SC2086 # a list of files
cat $headers >headers.h

undeclared=
for sym in $(map_symbols public); do
    grep -q "[^A-Za-z0-9_]$sym *(" headers.h || undeclared="$undeclared $sym"
done
is "${undeclared# }" "" "every public export is declared in an installed header"

entry=$(map_symbols bin)
for sym in $entry; do
    used=no declared=no
    grep -q "[^A-Za-z0-9_]$sym *(" "$top_srcdir"/bin/*.c && used=yes
    grep -q "[^A-Za-z0-9_]$sym *(" headers.h && declared=yes
    is "$used:$declared" "yes:no" "$sym is an entry point of a program in bin/, in no installed header"
done

done_testing
