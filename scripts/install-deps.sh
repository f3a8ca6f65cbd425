#!/bin/sh
# Install every Debian 12 package imgate's build, tests and demo need.
# Idempotent: packages already present are left alone; apt-get update runs
# once per machine (a stamp in /var/lib/apt/lists marks it).
set -eu

PKGS="build-essential autoconf automake libtool pkg-config autoconf-archive
libsofia-sip-ua-dev libstrophe-dev libc-ares-dev libconfig-dev libsqlite3-dev
libpq-dev postgresql
libjemalloc-dev libssl-dev openssl libjansson-dev libsystemd-dev systemd
libmicrohttpd-dev libidn2-dev
unbound nsd ldnsutils knot-dnsutils sip-tester prosody python3 python3-slixmpp
clang libclang-rt-14-dev valgrind groff-base man-db iproute2 procps"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
stamp=/var/lib/apt/lists/.imgate-updated
if [ ! -e "$stamp" ]; then
	$SUDO apt-get update -qq
	$SUDO touch "$stamp" 2>/dev/null || true
fi
echo "install-deps: installing$missing"
# The packaged daemons must not start (and hold ports) on install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d \
	    >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	cleanup_policy=1
else
	cleanup_policy=0
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends $missing
if [ "$cleanup_policy" = 1 ]; then
	$SUDO rm -f /usr/sbin/policy-rc.d
fi
