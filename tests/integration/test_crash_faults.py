#!/usr/bin/python3
"""test_crash_faults.py - imgated disturbed while it serves: its
supervisor killed, its spool's disk full (imgated(8) PROCESSES,
imgate.conf(5) "Store-and-forward").

(1) gateway.workers = 2, a store-and-forward route, a control socket;
the supervisor alone is SIGKILLed (not its process group, as an OOM
killer or a stray kill does).  Asserted: both workers stop by
themselves, drained as on SIGTERM, within gateway.shutdown_grace_ms and
a few seconds (an orphaned worker would keep the SIP port and the
spool's lock: the next imgated could not start); a new imgated starts on
the same spool, port and control socket, accepts and delivers.

(2) The SQLite spool on a tmpfs of 1 MiB (skipped where the suite cannot
mount one), the destination down (503), the file system filled up behind
imgated's back while a UAC sends 40 MESSAGEs/s.  Asserted: every message
got 202 or 503 with Retry-After (a refusal, nothing acknowledged and
lost); the log says why; the destination is not hammered while the spool
cannot commit (a lost "retry at T" made the row due at once: each
spooled message was sent once per commit window, hundreds of times a
second, before imgated kept its outcomes for the next commit); once
there is room again, new messages are accepted and every 202'd message
is delivered.

(3) The SQLite spool's files deleted under traffic (all of them, its
lock too, then the -wal alone), the destination down: SQLite would go
on writing to the unlinked files, so every message acknowledged from
then on, and those in the deleted -wal, vanished at the next start; and
a second imgated could lock a new lock file and open the same spool.
Asserted: every message is answered (202 or 503); the log says the file
was deleted and the spool is written again under its name from the open
database; a second imgated on the same spool is refused (the lock is
taken again under its name); after a SIGKILL and a restart, with the
destination up, every 202'd message is delivered.  The spool's folder
deleted: 503 with Retry-After while it is gone, the spool written again
once it is back, nothing 202'd lost.

(4) The spool's -wal reaching RLIMIT_FSIZE under traffic (prlimit(1) on
the running daemon; a unit's LimitFSIZE=): the default action of
SIGXFSZ killed imgated at the first commit past the limit (and would
again after every restart).  Asserted: it lives on, answers 503 while
the limit holds, accepts again once it is raised and delivers every
202'd message.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import imgtest
from imgtest import Procs, tap
import gwtest
import saftraffic

GRACE_MS = 1500


def gone(pid):
    """The process has exited (a zombie nobody reaps counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def sanitizer(log):
    return re.findall(r".*(?:Sanitizer|runtime error:).*", log)[:3]


def supervisor_killed(procs):
    uas = saftraffic.PyUAS(lambda body, seen: (200, 0.0))
    uas.start()
    procs.add_cleanup(uas.stop)
    d = procs.tmpdir("supkill")
    gw = saftraffic.Gateway(procs, imgtest.free_port(), """
spool = { path = "%s/spool/spool.sqlite"; commit_ms = 5; };
control = { socket = "%s/imgated.sock"; };
routes = ( { name = "saf"; prefix = "+44"; action = "static";
  target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; } );
""" % (d, d, uas.port), gateway_extra="shutdown_grace_ms = %d;" % GRACE_MS,
        workers=2)
    if not gw.start():
        tap.bail_out("imgated did not start: " + gw.log_text()[-1500:])
    uac = saftraffic.RateUAC(gw.addr, lambda n: "sip:+4420794%05d@gw.test"
                             % n, 20, 1.0)
    uac.start()
    uac.join(30)
    first = set(n for n, m in uac.msgs.items() if m["final"] == 202)
    workers = [int(p) for p in re.findall(r"worker \d ready \(pid (\d+)\)",
                                          gw.log_text())]
    tap.ok(len(workers) == 2 and len(first) == len(uac.msgs) > 0,
           "(1) two workers serve, every message 202",
           diag=(workers, len(first), len(uac.msgs)))

    sup = gw.proc.pid
    os.kill(sup, signal.SIGKILL)
    t0 = time.monotonic()
    stopped = gwtest.wait_for(lambda: all(gone(p) for p in workers),
                              GRACE_MS / 1000.0 + 5)
    took = time.monotonic() - t0
    log = gw.log_text()
    tap.ok(stopped, "(1) the workers stop by themselves once the "
           "supervisor is SIGKILLed (%.1f s)" % took,
           diag=[p for p in workers if not gone(p)])
    tap.ok(len(re.findall(r"signal 15, shutting down", log)) == 2,
           "(1) each drained as on SIGTERM", diag=log[-1500:])

    started = gw.start(timeout=20)
    tap.ok(started, "(1) a new imgated starts on the same spool, port "
           "and control socket", diag=gw.log_text()[-1500:])
    uac2 = saftraffic.RateUAC(gw.addr, lambda n: "sip:+4420795%05d@gw.test"
                              % n, 20, 1.0, base=1000)
    uac2.start()
    uac2.join(30)
    second = set(1000 + n for n, m in uac2.msgs.items()
                 if m["final"] == 202)
    delivered = gwtest.wait_for(lambda: first | second <=
                                uas.delivered()[0], 15)
    tap.ok(started and len(second) == len(uac2.msgs) > 0 and delivered,
           "(1) it accepts and delivers: everything 202'd before and "
           "after the kill arrived",
           diag=(len(second), len(uac2.msgs), len(uas.delivered()[0])))
    rc, st, _, err = gwtest.imgatectl(d + "/imgated.sock", "status")
    tap.ok(rc == 0 and st and st.get("pid") == gw.proc.pid,
           "(1) imgatectl reaches the new daemon", diag=(rc, st, err))
    status, _ = gw.term()
    log = gw.log_text()
    tap.ok(status == 0 and not sanitizer(log), "(1) it stops with status "
           "0; no sanitizer report", diag=(status, sanitizer(log)))


def spool_gateway(procs, path):
    """A started imgated whose +44 route stores and forwards through
    the spool at @path to a UAS that answers 503 until state["up"]:
    (gw, uas, state)."""
    state = {"up": False}
    uas = saftraffic.PyUAS(lambda body, seen:
                           (200, 0.0) if state["up"] else (503, 0.0))
    uas.start()
    procs.add_cleanup(uas.stop)
    gw = saftraffic.Gateway(procs, imgtest.free_port(), """
spool = { path = "%s"; commit_ms = 5; retry_initial_ms = 300;
  retry_max_ms = 600; max_age_s = 600; };
routes = ( { name = "saf"; prefix = "+44"; action = "static";
  target = "sip:127.0.0.1:%d"; mode = "store-and-forward"; } );
""" % (path, uas.port))
    if not gw.start():
        tap.bail_out("imgated did not start: " + gw.log_text()[-1500:])
    return gw, uas, state


def healed(gw, uas, state, accepted, case, how, prefix, base, ok=True):
    """After the fault is mended (@how): the destination is up again,
    new messages to @prefix (numbered from @base) are all accepted,
    every 202'd one (@accepted and those) is delivered, and @gw stops
    with status 0 and no sanitizer report.  @ok: the mending worked."""
    state["up"] = True
    uac2 = saftraffic.RateUAC(gw.addr, lambda n: "sip:%s%05d@gw.test"
                              % (prefix, n), 20, 1.0, base=base)
    uac2.start()
    uac2.join(45)
    again = set(base + n for n, m in uac2.msgs.items()
                if m["final"] == 202)
    tap.ok(ok and len(again) == len(uac2.msgs) > 0, "%s %s: new "
           "messages accepted" % (case, how), diag=sorted(set(
               str(m["final"]) for m in uac2.msgs.values())))
    want = accepted | again
    gwtest.wait_for(lambda: want <= uas.delivered()[0], 15)
    missing = sorted(want - uas.delivered()[0])
    tap.ok(accepted and not missing, "%s every 202'd message delivered "
           "(%d)" % (case, len(want)), diag=missing[:20])
    status, _ = gw.term()
    log = gw.log_text()
    tap.ok(status == 0 and not sanitizer(log), "%s it stops with status "
           "0; no sanitizer report" % case, diag=(status, sanitizer(log)))


def mount_tmpfs(procs, size="1m"):
    """A tmpfs of @size on a folder of the test's, or None when this
    process may not mount one."""
    d = procs.tmpdir("spoolfs")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700"
                        % size, "tmpfs", d], capture_output=True)
    if r.returncode != 0:
        return None
    procs.add_cleanup(lambda: subprocess.run(["umount", "-l", d]))
    return d


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def disk_full(procs):
    mnt = mount_tmpfs(procs)
    if mnt is None:
        for i in range(6):
            tap.skip("(2) disk full %d" % i, "cannot mount a tmpfs here "
                     "(needs root)")
        return
    gw, uas, state = spool_gateway(procs, mnt + "/spool.sqlite")
    filler = os.path.join(mnt, "filler")
    # What is left after the filler: room for the first few commits.
    with open(filler, "wb") as f:
        f.write(b"x" * max(0, free_bytes(mnt) - 40 * 1024))
    uac = saftraffic.RateUAC(gw.addr, lambda n: "sip:+4420796%05d@gw.test"
                             % n, 40, 3.0)
    t0 = time.monotonic()
    uac.start()
    uac.join(45)
    full_s = time.monotonic() - t0
    msgs = uac.msgs
    finals = [m["final"] for m in msgs.values()]
    accepted = set(n for n, m in msgs.items() if m["final"] == 202)
    refused = [m for m in msgs.values() if m["final"] == 503]
    log = gw.log_text()
    tap.ok(set(finals) <= {202, 503} and refused and
           all(m["retry_after"] for m in refused),
           "(2) disk full: every message answered 202 or 503 with "
           "Retry-After (%d and %d)" % (len(accepted), len(refused)),
           diag=sorted(set(map(str, finals))))
    tap.ok(re.search(r"spool: .*(disk is full|disk I/O)", log) and
           re.search(r"commit failed; \d+ messages? refused with 503", log),
           "(2) the log says why", diag=log[-1500:])
    with uas.lock:
        sent = {}
        for _, _, body, _ in uas.got:
            n = saftraffic.body_id(body)
            sent[n] = sent.get(n, 0) + 1
    # One attempt, then the backoff's 225 ms at least between two.
    most = max(sent.values()) if sent else 0
    tap.ok(most <= 2 + full_s / 0.225, "(2) the destination is not "
           "hammered while the spool cannot commit (at most %d attempts "
           "of one message in %.1f s)" % (most, full_s),
           diag=sorted(sent.items())[:10])

    os.unlink(filler)
    healed(gw, uas, state, accepted, "(2)", "room again", "+4420797",
           10000)


def spool_deleted(procs, names):
    """(3) @names of the spool's files deleted under traffic."""
    what = "(3) %s deleted:" % ", ".join("spool.sqlite" + n for n in names)
    path = os.path.join(procs.tmpdir("spooldel"), "spool.sqlite")
    gw, uas, state = spool_gateway(procs, path)
    uac = saftraffic.RateUAC(gw.addr, lambda n: "sip:+4420798%05d@gw.test"
                             % n, 20, 2.0)
    uac.start()
    time.sleep(1.0)
    for n in names:
        os.unlink(path + n)
    uac.join(45)
    accepted = set(n for n, m in uac.msgs.items() if m["final"] == 202)
    finals = set(m["final"] for m in uac.msgs.values())
    tap.ok(finals <= {202, 503} and len(accepted) > 20,
           "%s every message answered, most 202 (%d of %d)" % (
               what, len(accepted), len(uac.msgs)),
           diag=sorted(map(str, finals)))
    log = gw.log_text()
    tap.ok(re.search(r"spool: \S+ was deleted while open: writing the "
                     r"spool again", log) and os.path.exists(path),
           "%s the log says so; the spool is written again under its "
           "name" % what, diag=log[-1500:])
    if ".lock" in names:
        other = saftraffic.Gateway(procs, imgtest.free_port(),
                                   open(gw.conf).read().split(
                                       "\ndns = ", 1)[1].split("\n", 1)[1])
        started = other.start(timeout=10)
        tap.ok(not started and re.search(
            r"spool %s is in use: .* locked by pid %d" % (
                re.escape(path), gw.proc.pid), other.log_text()),
               "%s a second imgated on the same spool is refused: the "
               "lock is taken again under its name" % what,
               diag=(started, other.log_text()[-800:]))
        if started:
            other.kill()
    # The next incarnation finds every 202'd message in the file.
    gw.kill()
    restarted = gw.start()
    state["up"] = True
    gwtest.wait_for(lambda: accepted <= uas.delivered()[0], 15)
    missing = sorted(accepted - uas.delivered()[0])
    tap.ok(restarted and not missing, "%s after a SIGKILL and a restart "
           "every 202'd message is delivered" % what,
           diag=(restarted, len(missing), missing[:20]))
    status, _ = gw.term()
    log = gw.log_text()
    tap.ok(status == 0 and not sanitizer(log), "%s it stops with status "
           "0; no sanitizer report" % what, diag=(status, sanitizer(log)))


def spool_dir_deleted(procs):
    """(3) The spool's folder deleted, then made again."""
    d = os.path.join(procs.tmpdir("spooldir"), "spool")
    gw, uas, state = spool_gateway(procs, d + "/spool.sqlite")

    def send(base):
        uac = saftraffic.RateUAC(gw.addr, lambda n: "sip:+4420789%05d@gw.test"
                                 % n, 20, 1.0, base=base)
        uac.start()
        uac.join(45)
        return dict((base + n, m) for n, m in uac.msgs.items())

    before = send(0)
    shutil.rmtree(d)
    gone = send(1000)
    os.mkdir(d, 0o700)
    after = send(2000)
    tap.ok(all(m["final"] == 503 and m["retry_after"]
               for m in gone.values()),
           "(3) spool folder deleted: every message refused with 503 and "
           "Retry-After", diag=sorted(set(
               str(m["final"]) for m in gone.values())))
    accepted = set(n for n, m in list(before.items()) + list(after.items())
                   if m["final"] == 202)
    log = gw.log_text()
    tap.ok(len(accepted) == len(before) + len(after) and re.search(
        r"spool: \S+ written again and opened", log),
           "(3) folder made again: the spool is written again, messages "
           "accepted", diag=(len(accepted), log[-1000:]))
    gw.kill()
    restarted = gw.start()
    state["up"] = True
    gwtest.wait_for(lambda: accepted <= uas.delivered()[0], 15)
    missing = sorted(accepted - uas.delivered()[0])
    tap.ok(restarted and not missing, "(3) after a SIGKILL and a restart "
           "every 202'd message is delivered", diag=missing[:20])
    gw.term()


def prlimit_fsize(pid, soft):
    """Set @pid's soft RLIMIT_FSIZE (the hard one stays: raising it
    again needs no privilege).  True when it worked."""
    try:
        return subprocess.run(["prlimit", "--pid", str(pid),
                               "--fsize=%s:" % soft],
                              capture_output=True).returncode == 0
    except OSError:
        return False


def file_size_limit(procs):
    """(4) RLIMIT_FSIZE reached by the spool's -wal under traffic."""
    gw, uas, state = spool_gateway(procs,
                                   procs.tmpdir("fsize") + "/spool.sqlite")
    if not prlimit_fsize(gw.proc.pid, 256 * 1024):
        for i in range(4):
            tap.skip("(4) file size limit %d" % i, "prlimit(1) cannot set "
                     "imgated's RLIMIT_FSIZE here")
        gw.term()
        return
    uac = saftraffic.RateUAC(gw.addr, lambda n: "sip:+4420799%05d@gw.test"
                             % n, 40, 3.0)
    uac.start()
    uac.join(45)
    accepted = set(n for n, m in uac.msgs.items() if m["final"] == 202)
    finals = set(m["final"] for m in uac.msgs.values())
    alive = gw.proc.poll() is None
    tap.ok(alive and finals == {202, 503},
           "(4) RLIMIT_FSIZE reached: imgated lives on (not killed by "
           "SIGXFSZ) and answers 202, then 503",
           diag=(gw.proc.poll(), sorted(map(str, finals))))
    raised = alive and prlimit_fsize(gw.proc.pid, "unlimited")
    healed(gw, uas, state, accepted, "(4)", "limit raised", "+4420790",
           1000, raised)


def main():
    tap.plan(29)
    with Procs("crashfaults") as procs:
        supervisor_killed(procs)
    with Procs("crashfaults-disk") as procs:
        disk_full(procs)
    for names in (("", "-wal", "-shm", ".lock"), ("-wal",)):
        with Procs("crashfaults-deleted") as procs:
            spool_deleted(procs, names)
    with Procs("crashfaults-dir") as procs:
        spool_dir_deleted(procs)
    with Procs("crashfaults-fsize") as procs:
        file_size_limit(procs)
    tap.done()


if __name__ == "__main__":
    main()
    sys.exit(imgtest.exit_status())
