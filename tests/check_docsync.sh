#!/bin/sh
# tests/check_docsync.sh - conf/conf_schema.c and docs/imgate.conf.5 agree.
#
# Every row of conf_schema[] (one per option) and of conf_keys[] (the keys
# of the groups in "routes" and "dialplans", and of "acl") needs an entry
# in the man page and every entry needs a row; for each pair the
# "Default:" line and the "Reloadable:" word must match the row, and the
# entry must sit under the ".Ss" of its group ("routes.prefix" under
# ".Ss routes").  Prints TAP.
#
# Conventions relied on (both are stated at the top of each file):
#   conf/conf_schema.c  a row's first line starts with  { .path = "X",
#                       and the row holds .def = "..." (or .def = NULL
#                       for a required key) and .reload = ...; rows
#                       after "conf_keys[] = {" belong to conf_keys[];
#   docs/imgate.conf.5  under .Sh OPTIONS an entry starts with
#                       ".It Cm X" and holds one "Default: V" line (V in
#                       libconfig syntax) or, for a required key, one
#                       "Required." line, and one "Reloadable: yes|no." .
#
# Usage: check_docsync.sh [TOP_SRCDIR]   (default: $srcdir, else ..)

top=${1:-${srcdir:-$(dirname "$0")/..}}
schema=$top/conf/conf_schema.c
man=$top/docs/imgate.conf.5
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
}

check() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		echo "#   schema: '$1'"
		echo "#   man:    '$2'"
	fi
}

for f in "$schema" "$man"; do
	if [ ! -r "$f" ]; then
		echo "1..0 # SKIP cannot read $f"
		exit 0
	fi
done

# "path|default|yes-or-no|table" per row ("|" is in no path or
# default, and unlike a tab it keeps empty fields apart for read).  A
# required key's default reads "(required)".
schema_rows=$(awk '
	/^};/ {
		if (p != "")
			printf "%s|%s|%s|%s\n", p, d, r, t
		p = ""
	}
	/conf_schema\[\] = \{/ { table = "conf_schema" }
	/conf_keys\[\] = \{/ { table = "conf_keys" }
	/\{ *\.path = "/ {
		if (p != "")
			printf "%s|%s|%s|%s\n", p, d, r, t
		s = $0; sub(/.*\.path = "/, "", s); sub(/".*/, "", s)
		p = s; d = ""; r = "?"; t = table
	}
	p != "" && /\.def = "/ {
		s = $0; sub(/.*\.def = "/, "", s); sub(/".*/, "", s)
		d = s
	}
	# A path under the state directory configure was given is
	# documented as the packaged one (--localstatedir=/var).
	p != "" && /\.def = IMGATE_STATEDIR "/ {
		s = $0; sub(/.*\.def = IMGATE_STATEDIR "/, "", s)
		sub(/".*/, "", s)
		d = "/var/lib/imgate" s
	}
	p != "" && /\.def = NULL/ { d = "(required)" }
	p != "" && /\.reload = true/ { r = "yes" }
	p != "" && /\.reload = false/ { r = "no" }
	END {
		if (p != "")
			printf "%s|%s|%s|%s\n", p, d, r, t
	}' "$schema")

# The same from the man page's OPTIONS section, with the .Ss the entry
# is under as the last field.  A Default: value is reduced to the schema
# form: quotes and brackets dropped, entries joined with ",".  An entry
# without (or with two) Default:/Required. lines shows "?".
man_rows=$(awk '
	/^\.Sh / { in_opts = ($2 == "OPTIONS") }
	!in_opts { next }
	/^\.Ss / {
		if (p != "")
			printf "%s|%s|%s|%s\n", p, (nd == 1 ? d : "?"), r, ss
		p = ""; ss = $2
	}
	/^\.It Cm / {
		if (p != "")
			printf "%s|%s|%s|%s\n", p, (nd == 1 ? d : "?"), r, ss
		p = $3; d = ""; nd = 0; r = "?"
	}
	p != "" && /^Default:/ {
		s = $0; sub(/^Default: */, "", s)
		gsub(/[][" ]/, "", s)
		d = s; nd++
	}
	p != "" && /^Required\.$/ { d = "(required)"; nd++ }
	p != "" && /^Reloadable: yes/ { r = "yes" }
	p != "" && /^Reloadable: no/ { r = "no" }
	END {
		if (p != "")
			printf "%s|%s|%s|%s\n", p, (nd == 1 ? d : "?"), r, ss
	}' "$man")

sep='|'
schema_paths=$(printf '%s\n' "$schema_rows" | cut -d "$sep" -f1)
man_paths=$(printf '%s\n' "$man_rows" | cut -d "$sep" -f1)

for table in conf_schema conf_keys; do
	count=$(printf '%s\n' "$schema_rows" |
	    awk -F "$sep" -v t="$table" '$4 == t' | wc -l)
	if [ "$count" -gt 0 ]; then
		ok "$table rows found: $count"
	else
		not_ok "$table rows found in $schema"
	fi
done
if [ -n "$man_paths" ]; then
	ok "man page entries found: $(printf '%s\n' "$man_paths" | wc -l)"
else
	not_ok "man page entries found in $man"
fi

dups=$(printf '%s\n' "$man_paths" | sort | uniq -d)
if [ -z "$dups" ]; then
	ok "no option documented twice"
else
	not_ok "options documented twice: $(echo $dups)"
fi

# Schema -> man: documented, same default, same reload flag.  A here
# document, not a pipe, keeps the loop (and its counters) in this shell.
while IFS=$sep read -r path def reload table; do
	[ -n "$path" ] || continue
	line=$(printf '%s\n' "$man_rows" |
	    awk -F "$sep" -v p="$path" '$1 == p { print; exit }')
	if [ -z "$line" ]; then
		not_ok "$path ($table) is documented in imgate.conf.5"
		continue
	fi
	ok "$path ($table) is documented in imgate.conf.5"
	mdef=$(printf '%s\n' "$line" | cut -d "$sep" -f2)
	mrel=$(printf '%s\n' "$line" | cut -d "$sep" -f3)
	mss=$(printf '%s\n' "$line" | cut -d "$sep" -f4)
	check "$def" "$mdef" "$path: Default: matches the schema"
	check "$reload" "$mrel" "$path: Reloadable: matches the schema"
	check "${path%%.*}" "$mss" "$path: documented under .Ss ${path%%.*}"
done <<EOF
$schema_rows
EOF

# Man -> schema: nothing documented that does not exist.
for path in $man_paths; do
	if printf '%s\n' "$schema_paths" | grep -qxF -e "$path"; then
		ok "$path (documented) is in conf_schema.c"
	else
		not_ok "$path (documented) is in conf_schema.c"
	fi
done

echo "1..$n"
exit $failed
