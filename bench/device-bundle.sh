#!/bin/sh
# bench/device-bundle.sh - a self-contained copy of what bench/scaling.sh
# runs, for a lent machine that has none of imgate's Debian packages and
# reaches no package mirror (the 16-core machine some sessions borrow for
# the scaling series, bench/README.md): imgated, sipload and NSD, every
# shared library they load and the dynamic loader itself, in DIR
# (default _device, which git ignores, so that a run can carry it).
# Each program is started through a wrapper in DIR/bin that runs the
# bundled loader on the bundled libraries; neither forks a new image
# (imgated's workers and NSD's servers are fork()ed), so the wrapper
# covers every process.  bench/device-run.sh runs the series with it.
#
# Usage: bench/device-bundle.sh IMGATED [DIR]
#   IMGATED: an optimised build (./configure, no sanitizers).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exe=${1:?usage: device-bundle.sh IMGATED [DIR]}
dir=${2:-$here/../_device}
nsd=$(command -v nsd || echo /usr/sbin/nsd)
rm -rf "$dir"
mkdir -p "$dir/bin" "$dir/libexec" "$dir/lib"
cc -O2 -std=c11 -Wall -o "$dir/libexec/sipload" "$here/sipload.c"
cp "$exe" "$dir/libexec/imgated"
cp "$nsd" "$dir/libexec/nsd"
strip "$dir/libexec/imgated" "$dir/libexec/nsd" "$dir/libexec/sipload"
loader=
for p in "$dir"/libexec/*; do
	# "libX.so.N => /path (0x...)" and the loader's "/path (0x...)".
	ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
	    $1 ~ /^\// { print $1 }'
done | sort -u | while read -r lib; do
	cp -L "$lib" "$dir/lib/"
done
for l in "$dir"/lib/ld-linux*.so*; do loader=$(basename "$l"); done
[ -n "$loader" ] || { echo "device-bundle: no loader found" >&2; exit 1; }
for p in imgated nsd sipload; do
	cat >"$dir/bin/$p" <<WRAP
#!/bin/sh
d=\$(cd "\$(dirname "\$0")/.." && pwd)
exec "\$d/lib/$loader" --library-path "\$d/lib" "\$d/libexec/$p" "\$@"
WRAP
	chmod +x "$dir/bin/$p"
done
# The wrapped programs must start on this machine, from the bundle.
for p in "imgated -V" "nsd -v"; do
	# shellcheck disable=SC2086 # program and option, split on purpose
	"$dir"/bin/$p >/dev/null 2>&1 || {
		echo "device-bundle: ${p% *} does not start" >&2; exit 1; }
done
du -sh "$dir"
