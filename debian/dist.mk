## debian/: the Debian packaging, shipped in the tarball so that
## dpkg-buildpackage works from an unpacked `make dist` (contrib/target-check).
EXTRA_DIST += \
	LICENSE \
	debian/README.Debian \
	debian/changelog \
	debian/control \
	debian/copyright \
	debian/dask-mpi.docs \
	debian/dask-mpi.examples \
	debian/dask-mpi.install \
	debian/dist.mk \
	debian/libdaskmpi-dev.install \
	debian/libdaskmpi0.install \
	debian/libdaskmpi0.symbols \
	debian/rules \
	debian/source/format \
	debian/source/lintian-overrides
