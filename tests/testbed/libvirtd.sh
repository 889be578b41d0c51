#!/bin/sh
# libvirtd.sh — the libvirt daemons for Ferry's real-guest tests, started by
# hand where no service manager starts them (containers, CI without systemd).
#
#   tests/testbed/libvirtd.sh start    start virtlogd and libvirtd unless they
#                                      run; wait until qemu:///system answers
#   tests/testbed/libvirtd.sh stop     stop the daemons this script started
#   tests/testbed/libvirtd.sh status   exit 0 when qemu:///system answers
#
# Unix sockets only (no TCP listener) and no network is started: `default`
# would need dnsmasq and would add virbr0 on 192.168.122.0/24. The first
# start probes QEMU's capabilities (about 8 s); later starts take 0.3 s.
# Needs root and libvirt-daemon-system (scripts/install-deps).
set -eu

state=${FERRY_LIBVIRTD_STATE:-/run/ferry-testbed-libvirtd}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
answers() { virsh -q -c qemu:///system version >/dev/null 2>&1; }

need() {
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "libvirtd.sh: $tool is not installed; run scripts/install-deps" >&2
			exit 1
		fi
	done
}

case "${1:-start}" in
start)
	if answers; then
		exit 0
	fi
	need virsh virtlogd libvirtd
	if [ "$(id -u)" -ne 0 ]; then
		echo "libvirtd.sh: qemu:///system is not answering and only root can start libvirtd" >&2
		exit 1
	fi
	mkdir -p "$state"
	if ! alive /run/virtlogd.pid; then
		virtlogd -d
		cp /run/virtlogd.pid "$state/virtlogd.pid" 2>/dev/null || true
	fi
	if ! alive /run/libvirtd.pid; then
		rm -f /run/libvirtd.pid
		libvirtd -d
		i=0
		while [ ! -s /run/libvirtd.pid ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		cp /run/libvirtd.pid "$state/libvirtd.pid" 2>/dev/null || true
	fi
	i=0
	while ! answers; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "libvirtd.sh: libvirtd started but qemu:///system did not answer within 60 s" >&2
			exit 1
		fi
		sleep 0.1
	done
	;;
stop)
	for daemon in libvirtd virtlogd; do
		if alive "$state/$daemon.pid"; then
			kill "$(cat "$state/$daemon.pid")"
		fi
		rm -f "$state/$daemon.pid"
	done
	;;
status)
	answers
	;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
