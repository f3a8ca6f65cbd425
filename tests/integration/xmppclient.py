#!/usr/bin/python3
"""xmppclient.py - a real c2s XMPP client (slixmpp) for the integration tests.

    c = Client("alice@localhost", "pw", ("127.0.0.1", port), ack=True)
    c.start(timeout=10)                  # connected and session started
    c.send("+12025550100@gw.localhost", "hi", receipt=True, id="m1",
           thread="t1", subject="s", lang="cs")
    c.wait(lambda m: m["body"] == "hi", timeout=5) -> dict or None
    c.messages  # every <message/> received, as dicts
    c.iq("gw.localhost", "urn:xmpp:ping") -> ("error", "service-unavailable")
    c.stop()

Each received message becomes a dict: from, to, id, type, body, thread,
subject, lang, request (bool: XEP-0184 request), received (id acknowledged
by an XEP-0184 receipt, or None), error (condition or None), error_type,
chatstate (XEP-0085 element name or None), markable (bool, XEP-0333),
displayed (id of an XEP-0333 displayed marker, or None).
With ack=True the client answers receipt requests itself (XEP-0184), as a
real client with receipts enabled does.  Runs slixmpp on its own asyncio
loop in a thread; loopback only.
"""

import asyncio
import threading
import time
import xml.etree.ElementTree as ET

import slixmpp
import slixmpp.exceptions

NS_RECEIPTS = "urn:xmpp:receipts"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_CLIENT = "jabber:client"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"
NS_MARKERS = "urn:xmpp:chat-markers:0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class _Bot(slixmpp.ClientXMPP):
    def __init__(self, owner, jid, password):
        super().__init__(jid, password)
        self.owner = owner
        self["feature_mechanisms"].unencrypted_plain = True
        self.add_event_handler("session_start", self._start)
        self.add_event_handler("failed_auth", self._failed)
        self.add_event_handler("disconnected", self._disconnected)
        self.register_handler(slixmpp.xmlstream.handler.Callback(
            "any message", slixmpp.xmlstream.matcher.MatchXPath(
                "{%s}message" % NS_CLIENT), self._message))

    async def _start(self, event):
        self.send_presence()
        try:
            await self.get_roster(timeout=5)
        except Exception:
            pass
        self.owner.ready.set()

    def _failed(self, event):
        self.owner.failure = "authentication failed"
        self.owner.ready.set()

    def _disconnected(self, event):
        self.owner.connected = False

    def _message(self, msg):
        x = msg.xml
        def text(tag):
            el = x.find("{%s}%s" % (NS_CLIENT, tag))
            return el.text if el is not None else None
        req = x.find("{%s}request" % NS_RECEIPTS) is not None
        rcv = x.find("{%s}received" % NS_RECEIPTS)
        err = x.find("{%s}error" % NS_CLIENT)
        cs = [c.tag.split("}", 1)[1] for c in x
              if c.tag.startswith("{%s}" % NS_CHATSTATES)]
        shown = x.find("{%s}displayed" % NS_MARKERS)
        cond = etype = None
        if err is not None:
            etype = err.get("type")
            for c in err:
                if c.tag.startswith("{%s}" % NS_STANZAS) and \
                        not c.tag.endswith("}text"):
                    cond = c.tag.split("}", 1)[1]
                    break
        m = {"from": x.get("from"), "to": x.get("to"), "id": x.get("id"),
             "type": x.get("type"), "body": text("body"),
             "thread": text("thread"), "subject": text("subject"),
             "lang": x.get(XML_LANG), "request": req,
             "received": rcv.get("id") if rcv is not None else None,
             "error": cond, "error_type": etype, "at": time.monotonic(),
             "chatstate": cs[0] if cs else None,
             "markable": x.find("{%s}markable" % NS_MARKERS) is not None,
             "displayed": shown.get("id") if shown is not None else None}
        with self.owner.lock:
            self.owner.messages.append(m)
        if req and self.owner.ack and x.get("type") != "error" and \
                x.get("id"):
            ack = self.make_message(mto=x.get("from"))
            r = ET.Element("{%s}received" % NS_RECEIPTS)
            r.set("id", x.get("id"))
            ack.xml.append(r)
            ack.send()


class Client:
    def __init__(self, jid, password, address, ack=True):
        self.jid, self.password, self.address = jid, password, address
        self.ack = ack
        self.messages = []
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.failure = None
        self.connected = False
        self.loop = None
        self.bot = None
        self.thread = None

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.bot = _Bot(self, self.jid, self.password)
        self.bot.connect(address=self.address, use_ssl=False,
                         force_starttls=False, disable_starttls=True)
        self.connected = True
        self.loop.run_forever()
        # stop() ended the loop: slixmpp's tasks (its filter queue) still
        # wait; cancel them and let them finish on this loop, or they are
        # destroyed pending at exit with a traceback on stderr.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(
                asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def start(self, timeout=10.0):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(timeout) or self.failure:
            raise RuntimeError("XMPP client %s: %s" % (
                self.jid, self.failure or "no session within %ss" % timeout))
        return self

    def _call(self, fn):
        done = threading.Event()
        out = {}

        def wrap():
            try:
                out["r"] = fn()
            finally:
                done.set()
        self.loop.call_soon_threadsafe(wrap)
        done.wait(5)
        return out.get("r")

    def send(self, to, body, receipt=True, id=None, thread=None,
             subject=None, lang=None, mtype="chat", raw_extra=None):
        def do():
            m = self.bot.make_message(mto=to, mbody=body, mtype=mtype)
            if id is not None:
                m["id"] = id
            if thread is not None:
                m["thread"] = thread
            if subject is not None:
                m["subject"] = subject
            if lang is not None:
                m.xml.set(XML_LANG, lang)
            if receipt:
                m.xml.append(ET.Element("{%s}request" % NS_RECEIPTS))
            for el in raw_extra or ():
                m.xml.append(el)
            m.send()
            return m["id"]
        return self._call(do)

    def iq(self, to, ns, itype="get", timeout=5.0):
        """An <iq type=@itype/> with an empty <query xmlns=@ns/> to @to:
        ("result", None), ("error", condition), or (None, None) when no
        answer came within @timeout seconds."""
        async def do():
            q = self.bot.make_iq(ito=to, itype=itype)
            q.xml.append(ET.Element("{%s}query" % ns))
            try:
                await q.send(timeout=timeout)
                return ("result", None)
            except slixmpp.exceptions.IqError as e:
                return ("error", e.condition)
            except slixmpp.exceptions.IqTimeout:
                return (None, None)
        fut = asyncio.run_coroutine_threadsafe(do(), self.loop)
        return fut.result(timeout + 5)

    def send_raw(self, data):
        return self._call(lambda: self.bot.send_raw(data))

    def wait(self, pred, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                for m in self.messages:
                    if pred(m):
                        return m
            time.sleep(0.02)
        return None

    def stop(self):
        if self.bot is None:
            return
        def do():
            self.bot.disconnect(wait=0.5)
        try:
            self._call(do)
            time.sleep(0.3)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(3)
            self.bot = None
