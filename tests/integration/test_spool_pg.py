#!/usr/bin/python3
"""test_spool_pg.py - what is particular to a PostgreSQL spool
(imgate.conf(5) spool.backend, spool.password_file).

A throwaway cluster (pgfixture.py) where the role "imgate" must give a
password (scram-sha-256 on loopback), a database it owns, a UAS that
answers 200.  (1) imgated with spool.password_file holding the password
connects, creates the tables (imgate_spool_version says 1) and delivers a
store-and-forward message.  (2) A second imgated whose password file is
wrong starts, logs why it cannot connect, answers 503 with Retry-After
and keeps serving.  (3) The database stopped under the first imgated:
a message gets 503 and the loss is logged; the database started again:
imgated reconnects by itself and the next message gets 202 and is
delivered.
"""

import os
import re
import sys

import gwtest
from gwtest import wait_for
import imgtest
from imgtest import Procs, tap
import pgfixture
import saftraffic
import sipuac


def main():
    why = pgfixture.available()
    if why is not None:
        tap.plan(0, why)
        tap.done()
        return
    tap.plan(11)
    with Procs("spoolpg") as procs:
        pg = pgfixture.PgCluster(procs)
        pg.sql("postgres", "CREATE ROLE imgate LOGIN PASSWORD 's3cret'")
        pg.sql("postgres", "CREATE DATABASE authdb OWNER imgate")
        pg.hba(["local all all trust",
                "host all imgate 127.0.0.1/32 scram-sha-256",
                "host all all 127.0.0.1/32 trust"])
        d = procs.tmpdir("spoolpg")
        good, bad = os.path.join(d, "good"), os.path.join(d, "bad")
        for path, pw in ((good, "s3cret\n"), (bad, "wrong\n")):
            with open(path, "w") as f:
                f.write(pw)
            os.chmod(path, 0o600)
        uas = saftraffic.PyUAS(lambda body, seen: (200, 0.0))
        uas.start()
        procs.add_cleanup(uas.stop)

        def start(pwfile, node):
            return gwtest.start_imgated(procs, 9, conf_extra="""
spool = { backend = "postgresql"; password_file = "%s"; node_id = "%s";
  conninfo = "host=127.0.0.1 port=%d dbname=authdb user=imgate"; };
routes = ( { name = "saf"; prefix = "+44"; action = "static";
  target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; } );
""" % (pwfile, node, pg.port, uas.port))

        def delivered(body):
            with uas.lock:
                return [c for _, _, b, c in uas.got if b == body and
                        c == 200]

        uac = sipuac.UAC()
        # (1) password from the file
        gw = start(good, "n1")
        tap.ok(gw.wait_log(r"PostgreSQL ready", 10) is not None,
               "password_file: connected as a role that needs a password",
               diag=gw.log_text()[-600:])
        tap.is_(pg.sql("authdb", "SELECT version FROM "
                       "imgate_spool_version"), ["1"],
                "the tables were created, layout version 1")
        code = uac.message(gw.addr, "sip:+442079460001@gw.test",
                           body="pg-1")[0]
        tap.ok(code == 202 and wait_for(lambda: delivered("pg-1"), 10),
               "a store-and-forward message: 202, then delivered",
               diag=code)

        # (2) a wrong password: a clear log line, 503, still serving
        gw2 = start(bad, "n2")
        m = gw2.wait_log(r"spool: PostgreSQL: cannot connect: .*"
                         r"password authentication failed", 10)
        tap.ok(m is not None, "wrong password: the log says why",
               diag=gw2.log_text()[-600:])
        code, hdrs, _ = uac.message(gw2.addr, "sip:+442079460002@gw.test",
                                    body="pg-2")
        tap.ok(code == 503 and "retry-after" in hdrs and gw2.alive(),
               "wrong password: 503 with Retry-After, still serving",
               diag=(code, hdrs))
        procs.stop(gw2.proc, timeout=20)

        # (3) the database goes away and comes back
        pg.stop()
        code, hdrs, _ = uac.message(gw.addr, "sip:+442079460003@gw.test",
                                    body="pg-3")
        tap.ok(code == 503 and "retry-after" in hdrs,
               "database down: 503 with Retry-After", diag=(code, hdrs))
        tap.ok(gw.wait_log(r"spool: PostgreSQL: .*(reading|cannot "
                           r"connect)", 10) is not None and gw.alive(),
               "database down: logged, imgated keeps serving",
               diag=gw.log_text()[-600:])
        pg.start()
        tap.ok(wait_for(lambda: len(re.findall(r"PostgreSQL ready",
                                               gw.log_text())) >= 2, 15),
               "database back: imgated reconnects by itself",
               diag=gw.log_text()[-600:])
        code = uac.message(gw.addr, "sip:+442079460004@gw.test",
                           body="pg-4")[0]
        tap.is_(code, 202, "database back: 202")
        tap.ok(wait_for(lambda: delivered("pg-4"), 10), "... and "
               "delivered")
        uac.close()
        st = procs.stop(gw.proc, timeout=20)
        tap.is_(st, 0, "imgated exits 0")
    tap.done()


if __name__ == "__main__":
    main()
    sys.exit(imgtest.exit_status())
