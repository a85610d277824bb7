#!/bin/sh
# Runs a GLib test program so that it speaks TAP: the test driver puts
# LOG_FLAGS before the program's name, so the flags are added here.
prog=$1
shift
exec "$prog" --tap -k "$@"
