/*
 * tests/unit/test_promtext.c - the Prometheus text writer
 * (gateway/promtext) and the UTF-8 repair in front of jansson
 * (gateway/jsonout): exact bytes for each case.
 */
#include <math.h>
#include <string.h>

#include "gateway/jsonout.h"
#include "gateway/promtext.h"
#include "tests/tap.h"

static void
test_family_and_samples(void)
{
	char			 buf[512];
	struct promtext		 p;
	struct promtext_label	 l[2] = {
		{ "protocol", "sip" }, { "class", "a\"b\\c\nd" } };

	promtext_init(&p, buf, sizeof(buf));
	promtext_family(&p, "imgate_x_total", "help \\ with\nnewline",
	    "counter");
	promtext_uint(&p, "imgate_x_total", l, 2, 18446744073709551615ULL);
	promtext_uint(&p, "imgate_y", NULL, 0, 0);
	promtext_double(&p, "imgate_z_seconds", NULL, 0, 0.25);
	promtext_double(&p, "imgate_z_seconds", l, 1, INFINITY);
	is_str(buf,
	    "# HELP imgate_x_total help \\\\ with\\nnewline\n"
	    "# TYPE imgate_x_total counter\n"
	    "imgate_x_total{protocol=\"sip\",class=\"a\\\"b\\\\c\\nd\"} "
	    "18446744073709551615\n"
	    "imgate_y 0\n"
	    "imgate_z_seconds 0.25\n"
	    "imgate_z_seconds{protocol=\"sip\"} +Inf\n",
	    "family, escaping, integer and double samples");
	ok(!p.truncated, "not truncated");
	is_int((long long)p.len, (long long)strlen(buf), "len tracks bytes");
}

static void
test_histogram(void)
{
	char			 buf[512];
	struct promtext		 p;
	const double		 b[2] = { 0.005, 1 };
	const uint64_t		 c[3] = { 2, 0, 3 };
	struct promtext_label	 l = { "path", "sip_to_xmpp" };

	promtext_init(&p, buf, sizeof(buf));
	promtext_histogram(&p, "imgate_h_seconds", &l, 1, b, c, 2, 1.5);
	is_str(buf,
	    "imgate_h_seconds_bucket{path=\"sip_to_xmpp\",le=\"0.005\"} 2\n"
	    "imgate_h_seconds_bucket{path=\"sip_to_xmpp\",le=\"1\"} 2\n"
	    "imgate_h_seconds_bucket{path=\"sip_to_xmpp\",le=\"+Inf\"} 5\n"
	    "imgate_h_seconds_sum{path=\"sip_to_xmpp\"} 1.5\n"
	    "imgate_h_seconds_count{path=\"sip_to_xmpp\"} 5\n",
	    "histogram buckets are cumulative, +Inf equals _count");
	promtext_init(&p, buf, sizeof(buf));
	promtext_histogram(&p, "h", NULL, 0, b, c, 2, 0);
	ok(strstr(buf, "h_bucket{le=\"+Inf\"} 5\n") != NULL &&
	    strstr(buf, "h_sum 0\n") != NULL, "histogram without labels");
}

static void
test_truncation(void)
{
	char		 buf[16];
	struct promtext	 p;

	promtext_init(&p, buf, sizeof(buf));
	promtext_uint(&p, "short", NULL, 0, 1);
	ok(!p.truncated, "a sample that fits");
	promtext_uint(&p, "a_much_longer_name", NULL, 0, 1);
	ok(p.truncated, "the next one does not: truncated");
	is_str(buf, "short 1\n", "what fitted stays, NUL-terminated");
	ok(p.len < sizeof(buf), "never past the cap");
}

static void
test_utf8(void)
{
	char	 out[64];
	size_t	 n;

	n = jsonout_utf8("+1202\xff" "555", 9, out, sizeof(out));
	is_str(out, "+1202\xef\xbf\xbd" "555", "0xff becomes U+FFFD");
	is_int((long long)n, 11, "length");
	jsonout_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, out,
	    sizeof(out));
	is_str(out, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	    "valid 2-, 3-, 4-byte sequences pass");
	jsonout_utf8("\xc0\xaf", 2, out, sizeof(out));
	is_str(out, "\xef\xbf\xbd\xef\xbf\xbd", "overlong form refused");
	jsonout_utf8("\xed\xa0\x80", 3, out, sizeof(out));
	is_str(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	    "surrogate refused");
	jsonout_utf8("a\xe2\x82", 3, out, sizeof(out));
	is_str(out, "a\xef\xbf\xbd\xef\xbf\xbd", "truncated sequence");
	jsonout_utf8("\xf4\x90\x80\x80", 4, out, sizeof(out));
	ok(strncmp(out, "\xef\xbf\xbd", 3) == 0, "above U+10FFFF refused");
	jsonout_utf8("abc\xe2\x82\xac", 6, out, 6);
	is_str(out, "abc", "short output cut on a sequence boundary");
}

static void
test_jsonout_str(void)
{
	json_t	*v = jsonout_str("x\x01\xfe\"");
	char	*s;

	ok(v != NULL, "jsonout_str never refuses bytes");
	s = json_dumps(v, JSON_ENCODE_ANY);
	is_str(s, "\"x\\u0001\xef\xbf\xbd\\\"\"",
	    "control char escaped, invalid byte replaced");
	free(s);
	json_decref(v);
	v = jsonout_str(NULL);
	ok(json_is_null(v), "NULL is JSON null");
	json_decref(v);
}

int
main(void)
{
	test_family_and_samples();
	test_histogram();
	test_truncation();
	test_utf8();
	test_jsonout_str();
	return done_testing();
}
