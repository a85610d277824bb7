#!/bin/sh
# The section 3 and 7 pages: each renders without a groff warning (link
# pages through their .so) and is installed, every public function of
# lib/libdaskmpi.map has a page whose NAME names it, and the complete
# examples of libdaskmpi(3), dmpi_frame(3) and dmpi_frame_map_partitions(3)
# compile (with the warnings the project builds with).
. "${top_srcdir:?top_srcdir is not set}/t/tap/tap.sh"

command -v groff >/dev/null 2>&1 || skip_all "groff is not installed"
man=$top_srcdir/man
map=$top_srcdir/lib/libdaskmpi.map

# public_symbols: the map's global names, less those after its comment about
# the programs in bin/ (their entry points, not an API).
public_symbols () {
    awk '/global:/ { on = 1; next }
         /local:/ { on = 0 }
         on && /bin\// { bin = 1 }
         on && !bin && /^[ \t]*[a-z_0-9]+;/ { gsub(/[ \t;]/, ""); print }' "$map"
}

# Pages name their .so targets as man3/X.3, as man does from the man root.
ln -s "$man" man3

for page in "$man"/*.3; do
    name=$(basename "$page")
    groff -man -ww -z "man3/$name" >warnings 2>&1
    status=$?
    is "$status:$(cat warnings)" "0:" "$name renders without warnings" || diag_file warnings
done
for page in "$man"/*.7; do
    name=$(basename "$page")
    groff -man -ww -z "$page" >warnings 2>&1
    status=$?
    is "$status:$(cat warnings)" "0:" "$name renders without warnings" || diag_file warnings
done

# Every page is installed: listed in dist_man_MANS (man3.mk, Makefile.inc).
for page in "$man"/*.3 "$man"/*.7; do
    name=$(basename "$page")
    ok "$name is in dist_man_MANS" grep -Eq "man/$name( |\$)" "$man/man3.mk" "$man/Makefile.inc"
done

# target PAGE: the page a link page leads to (itself if it is not a link).
target () {
    so=$(sed -n 's/^\.so man3\///p' "$man/$1")
    if [ -n "$so" ]; then echo "$so"; else echo "$1"; fi
}

symbols=$(public_symbols)
[ -n "$symbols" ] || bail_out "no public symbols found in $map"
for fn in $symbols; do
    if [ ! -f "$man/$fn.3" ]; then
        fail "$fn has a page (man/$fn.3 is missing)"
        continue
    fi
    t=$(target "$fn.3")
    # The NAME section, up to the next section, as one line.
    names=$(sed -n '/^\.SH NAME/,/^\.SH /p' "$man/$t" | tr '\n' ' ')
    like "$names" "*$fn[, ]*" "$fn has a page ($t names it)"
done

# The complete examples, PAGE:FILE, as a reader would copy them.
examples="libdaskmpi.3:user-module.c libdaskmpi.3:client.c
dmpi_frame.3:frame-client.c dmpi_frame_map_partitions.3:speed-module.c"

# extract PAGE FILE: the example FILE of PAGE, between its markers.
extract () {
    sed -n "/^\.\\\\\" example $2 begin/,/^\.\\\\\" example $2 end/p" "$man/$1" \
        | sed -e '1d' -e '$d' -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\&//g' >"$2"
}
cc=${CC:-cc}
if command -v "$cc" >/dev/null 2>&1 && pkg-config --exists glib-2.0 gmodule-2.0 2>/dev/null; then
    cflags="-I$top_srcdir/lib $(pkg-config --cflags glib-2.0 gmodule-2.0)"
    for item in $examples; do
        page=${item%%:*} example=${item#*:}
        extract "$page" "$example"
        # An empty extract (markers lost) would compile too: fail it.
        if [ "$(wc -l <"$example")" -lt 10 ]; then
            fail "the example $example is in $page (its markers are missing)"
            continue
        fi
        # shellcheck disable=SC2086 # flags are words
        "$cc" -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror -c $cflags "$example" -o example.o >cc.out 2>&1
        ok "the example $example in $page compiles without warnings" [ $? -eq 0 ] || diag_file cc.out
    done
else
    skip "no C compiler or no GLib pkg-config files" "$(echo $examples | wc -w)"
fi

done_testing
