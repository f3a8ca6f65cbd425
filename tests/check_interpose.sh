#!/bin/sh
# tests/check_interpose.sh - imgated's own inet_ntop() (gateway/
# inet_ntop.c), getaddrinfo() (gateway/getaddrinfo.c), fortified
# snprintf() (gateway/printf_chk.c), accept() (gateway/sipgw_accept.c)
# and getsockopt() and sendmsg() (gateway/sipgw_send.c) are the ones
# sofia-sip calls, and XML_Parse(), XML_ParserReset() and
# XML_ParserFree() (gateway/xmppgw_expat.c) the ones libstrophe calls:
# each must be defined in the imgated binary and exported in its dynamic
# symbol table, where the dynamic linker binds the library's calls to it
# ahead of the C library's (expat's).  Linked without the file, or with
# its symbol hidden, imgated would quietly go back to the library's.
# The unit tests (tests/unit/test_inet_ntop, test_getaddrinfo,
# test_printf_chk, test_sipgw_accept, test_sipgw_send) check what the
# functions answer; tests/integration/test_xmpp_hostile.py the caps
# behind XML_Parse().
# Prints TAP.
b=${IMGATE_BUILDDIR:-.}
n=0
fail=0
for sym in inet_ntop getaddrinfo __snprintf_chk __vsnprintf_chk accept \
    getsockopt sendmsg XML_Parse XML_ParserReset XML_ParserFree; do
	n=$((n + 1))
	if nm -D --defined-only "$b/imgated" 2>/dev/null |
	    awk -v s="$sym" '$2 == "T" && $3 == s { f = 1 } END { exit !f }'
	then
		echo "ok $n - imgated exports its own $sym()"
	else
		echo "not ok $n - imgated does not define and export $sym()"
		fail=1
	fi
done
echo "1..$n"
exit $fail
