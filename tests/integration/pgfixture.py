"""pgfixture.py - a throwaway PostgreSQL cluster for the spool tests and
the bench (imgate.conf(5) spool.backend "postgresql").

    PgCluster(procs, fsync=False)
        initdb in a fresh folder under /tmp, owned by the unprivileged
        user "postgres" (the suite runs as root, and postgres refuses
        root), then postgres on a free loopback port with its unix socket
        in that folder; trust authentication on loopback only.  Stopped
        with the Procs (SIGTERM to its process group = smart shutdown,
        then SIGKILL), the folder removed.
        .createdb(name)     a database of its own (one per spool)
        .stop(), .start()   fast shutdown; start again (same data, port)
        .hba(lines)         replace pg_hba.conf and reload
        .conninfo(db)       what spool.conninfo takes
        .sql(db, text)      psql -At; returns stdout lines
        .count(db)          rows in imgate_spool, -1 when not there
    available() -> None, or why PostgreSQL 15 cannot be used here.

fsync: off by default.  The tests kill imgated, never the database or
the host, so what they check - a 202 only after the COMMIT that holds the
message, one row per acceptance key, leases - does not depend on the
WAL reaching the disk, and fsync on a loaded shared machine only makes
them slower.  The bench (bench/spool_backends.py) passes fsync=True: a
commit there costs what it costs in production.
"""

import os
import shutil
import subprocess
import tempfile
import time

import imgtest

PGBIN = "/usr/lib/postgresql/15/bin"
USER = "postgres"


def available():
    if not os.path.exists(os.path.join(PGBIN, "postgres")):
        return "no %s/postgres (apt-get install postgresql-15)" % PGBIN
    try:
        import pwd
        pwd.getpwnam(USER)
    except KeyError:
        return "no user %s" % USER
    if shutil.which("runuser") is None and os.geteuid() == 0:
        return "no runuser"
    return None


def _as_user(args):
    if os.geteuid() == 0:
        return ["runuser", "-u", USER, "--"] + args
    return args


class PgCluster:
    def __init__(self, procs, fsync=False, timeout=60.0):
        import pwd
        self.procs = procs
        pw = pwd.getpwnam(USER) if os.geteuid() == 0 else None
        self.dir = tempfile.mkdtemp(prefix="imgate-pg-")
        procs.add_cleanup(shutil.rmtree, self.dir, True)
        if pw is not None:
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.data = os.path.join(self.dir, "data")
        self.port = imgtest.free_port(udp_and_tcp=False)
        self.log = os.path.join(self.dir, "postgres.log")
        r = procs.run(_as_user([os.path.join(PGBIN, "initdb"), "-D",
                                self.data, "-U", USER, "-A", "trust",
                                "-E", "UTF8", "--no-sync", "--locale=C"]),
                      timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("initdb failed: %s" % r.stderr.decode())
        self.opts = ["-c", "listen_addresses=127.0.0.1", "-p",
                     str(self.port), "-k", self.dir,
                     "-c", "fsync=%s" % ("on" if fsync else "off"),
                     "-c", "synchronous_commit=%s" % (
                         "on" if fsync else "off"),
                     "-c", "max_connections=50", "-c", "shared_buffers=64MB"]
        self.timeout = timeout
        self.start()

    def start(self):
        """Start postgres (again, after stop(): same data, same port)."""
        self.proc = self.procs.start(_as_user(
            [os.path.join(PGBIN, "postgres"), "-D", self.data] + self.opts),
            name="postgres", log=self.log, cwd=self.dir)
        end = time.monotonic() + self.timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited: %s" % self._logtail())
            r = subprocess.run(["psql", "-h", self.dir, "-p",
                                str(self.port), "-U", USER, "-At", "-c",
                                "SELECT 1", "postgres"],
                               capture_output=True)
            if r.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("postgres did not start in %.0f s" %
                           self.timeout)

    def stop(self):
        """Fast shutdown (SIGINT: clients are disconnected at once)."""
        import signal
        return self.procs.stop(self.proc, timeout=20, sig=signal.SIGINT)

    def hba(self, lines):
        """Replace pg_hba.conf with @lines and reload."""
        path = os.path.join(self.data, "pg_hba.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam(USER)
            os.chown(path, pw.pw_uid, pw.pw_gid)
        self.sql("postgres", "SELECT pg_reload_conf()")

    def _logtail(self):
        try:
            with open(self.log) as f:
                return f.read()[-2000:]
        except OSError:
            return "?"

    def sql(self, db, text, timeout=30.0):
        r = subprocess.run(["psql", "-h", self.dir, "-p", str(self.port),
                            "-U", USER, "-At", "-v", "ON_ERROR_STOP=1",
                            "-c", text, db],
                           capture_output=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("psql: %s" % r.stderr.decode().strip())
        return r.stdout.decode().splitlines()

    def createdb(self, name):
        self.sql("postgres", 'CREATE DATABASE "%s"' % name)
        return name

    def conninfo(self, db):
        return "host=127.0.0.1 port=%d dbname=%s user=%s" % (
            self.port, db, USER)

    def count(self, db):
        try:
            return int(self.sql(db, "SELECT count(*) FROM imgate_spool")[0])
        except (RuntimeError, ValueError, IndexError,
                subprocess.TimeoutExpired):
            return -1


class SqliteSpool:
    """A spool file, as the tests always had it."""
    backend = "sqlite"

    def __init__(self, path):
        self.path = path

    def conf(self):
        return 'path = "%s";' % self.path

    def rows(self):
        import sqlite3
        try:
            db = sqlite3.connect(self.path)
            try:
                return db.execute("SELECT COUNT(*) FROM spool").fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:
            return -1


class PgSpool:
    """A database of its own in `cluster`; `node` names the node
    (spool.node_id) so that a restarted imgated takes its rows back at
    once.  A lease of 10 s needs a shorter transaction deadline."""
    backend = "postgresql"
    LIMITS = "limits = { txn_deadline_ms = 9000; };\n"

    def __init__(self, cluster, name, node=None, lease_s=10):
        self.cluster = cluster
        self.db = cluster.createdb(name)
        self.node = node or name
        self.lease_s = lease_s

    def conf(self, node=None):
        return ('backend = "postgresql"; conninfo = "%s"; node_id = "%s"; '
                'lease_s = %d; path = "/nonexistent/unused.sqlite";' % (
                    self.cluster.conninfo(self.db), node or self.node,
                    self.lease_s))

    def rows(self):
        return self.cluster.count(self.db)


def backends():
    """The backends to run a parameterised test on: IMGATE_SPOOL_BACKENDS
    (comma-separated), default both."""
    return [b for b in os.environ.get("IMGATE_SPOOL_BACKENDS",
                                      "sqlite,postgresql").split(",") if b]


class Prefixed:
    """TAP with every description prefixed by the backend's name."""

    def __init__(self, tap, prefix):
        self.tap, self.p = tap, prefix

    def ok(self, cond, desc, diag=None):
        return self.tap.ok(cond, self.p + desc, diag=diag)

    def is_(self, got, want, desc):
        return self.tap.is_(got, want, self.p + desc)

    def skip(self, desc, reason):
        return self.tap.skip(self.p + desc, reason)

    def diag(self, msg):
        return self.tap.diag(msg)

    def bail_out(self, reason):
        return self.tap.bail_out(self.p + reason)
