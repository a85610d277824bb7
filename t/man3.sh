#!/bin/sh
# The section 3 pages: each renders without a groff warning (link pages
# through their .so), every public function of lib/libdaskmpi.map has a page
# whose NAME names it, and the complete example of libdaskmpi(3) compiles
# (with the warnings the project builds with).
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

# The examples of libdaskmpi(3), as a reader would copy them.
extract () {
    sed -n "/^\.\\\\\" example $1 begin/,/^\.\\\\\" example $1 end/p" "$man/libdaskmpi.3" \
        | sed -e '1d' -e '$d' -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\&//g' >"$1"
}
cc=${CC:-cc}
if command -v "$cc" >/dev/null 2>&1 && pkg-config --exists glib-2.0 gmodule-2.0 2>/dev/null; then
    cflags="-I$top_srcdir/lib $(pkg-config --cflags glib-2.0 gmodule-2.0)"
    for example in user-module.c client.c; do
        extract "$example"
        # An empty extract (markers lost) would compile too: fail it.
        if [ "$(wc -l <"$example")" -lt 10 ]; then
            fail "the example $example is in libdaskmpi.3 (its markers are missing)"
            continue
        fi
        # shellcheck disable=SC2086 # flags are words
        "$cc" -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror -c $cflags "$example" -o example.o >cc.out 2>&1
        ok "the example $example in libdaskmpi.3 compiles without warnings" [ $? -eq 0 ] || diag_file cc.out
    done
else
    skip "no C compiler or no GLib pkg-config files" 2
fi

done_testing
