#!/bin/sh
# Runs the simulator by hand, the way the tests do, for exploring with curl
# or ferry: prints VCSIM_URL, VCSIM_CA, VCSIM_THUMBPRINT and the datastore
# directory, then serves until interrupted. Credentials: admin / Secret-Pa55.
# Usage: plugins/vsphere/testbed/vcsim.sh [BUILDDIR] [ferry-vcsim flags…]
#   e.g. vcsim.sh build -vm 50 -cbt DC0_H0_VM0 -scenario rules
set -eu
builddir=${1:-build}
[ $# -gt 0 ] && shift
binary=$builddir/plugins/vsphere/testbed/ferry-vcsim
if [ ! -x "$binary" ]; then
	echo "vcsim.sh: $binary is missing; run scripts/install-deps, then ninja -C $builddir" >&2
	exit 1
fi
state=${VCSIM_STATE:-${XDG_RUNTIME_DIR:-/tmp}/ferry-vcsim}
mkdir -p "$state/certs" "$state/cbt"
exec "$binary" -certdir "$state/certs" -cbtdir "$state/cbt" \
	-username admin -password Secret-Pa55 "$@"
