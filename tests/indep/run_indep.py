#!/usr/bin/python3
"""Checks a real pumpd against docs/PROTOCOL.md with the independent client
in ptm_indep.py (written from the document alone).

usage: run_indep.py --pumpd PATH [--tmpdir DIR] [--keep] [-v]

Creates a pump state directory (default prescription, clock at
2026-01-01T08:00:00Z), writes remote key files in Python, pairs a patient,
a clinician and a tester, runs `pumpd run --sim --speed 0` on a private
Unix socket (waiting for READY on a pipe, never sleeping), and prints one
`ok N - ...` / `not ok N - ...` line per check, then `N passed, N failed`.
Exit status 0 only when every check passed.  pumpd is killed and the
temporary directory removed on every exit path.  Every deadline on pumpd
is multiplied by $PTM_TIME_SCALE (the run's slowdown, see tests/run.sh).
"""

import argparse
import ctypes
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import json

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("PTM_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True          # leave no __pycache__ in the tree

import ptm_indep as P  # noqa: E402


def _time_scale():
    try:
        k = int(os.environ.get("PTM_TIME_SCALE") or "1")
    except ValueError:
        k = 1
    return k if 1 <= k <= 1000 else 1


SCALE = _time_scale()                  # every deadline on pumpd times this

START = "2026-01-01T08:00:00Z"
T0 = 1767254400000                     # START in ms since the epoch
MIN = 60 * 1000
HOUR = 60 * MIN
DAY = 24 * HOUR

# The default prescription of pumpd(8) ("pumpd rx DIR"): morphine 10 mg/mL,
# 20 mL, continuous 3 mg/day, bolus 0.5 mg over 10 min, lockout 2 h, 6 per
# 24 h, ceiling 7 mg, low reservoir 2 mL, alarm silence 1 h.
RX = dict(drug="morphine", concentration_ng_ml=10000000, capacity_nl=20000000,
          mode=1, rate_ng_day=3000000, steps=[], bolus_enabled=1,
          bolus_dose_ng=500000, bolus_duration_ms=10 * MIN,
          lockout_ms=2 * HOUR, max_per_24h=6, ceiling_ng_24h=7000000,
          low_threshold_nl=2000000, silence_ms=HOUR)


class Fail(Exception):
    pass


def eq(actual, expected, what):
    if actual != expected:
        raise Fail("%s: expected %r, got %r" % (what, expected, actual))


def true(cond, what):
    if not cond:
        raise Fail(what)


# --- the pump process ---------------------------------------------------------

def _pdeathsig():
    # The child dies with this program even if it is killed (-9).
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)      # PR_SET_PDEATHSIG


class Pump:
    def __init__(self, pumpd, tmp):
        self.pumpd = pumpd
        self.tmp = tmp
        self.dir = os.path.join(tmp, "pump")
        self.sock = os.path.join(tmp, "pump.sock")
        self.log = os.path.join(tmp, "pumpd.log")
        self.proc = None
        self.pub = None

    def cli(self, *args):
        return subprocess.run([self.pumpd] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30 * SCALE,
                              universal_newlines=True)

    def start(self, timeout=15.0):
        timeout *= SCALE
        rfd, wfd = os.pipe()
        logf = open(self.log, "ab")
        try:
            self.proc = subprocess.Popen(
                [self.pumpd, "run", self.dir, "--unix", self.sock, "--sim",
                 "--speed", "0", "--ready-fd", str(wfd)],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                pass_fds=(wfd,), preexec_fn=_pdeathsig)
        finally:
            os.close(wfd)
            logf.close()
        line = b""
        deadline = time.monotonic() + timeout
        try:
            while not line.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([rfd], [], [], left)[0]:
                    raise Fail("no READY line from pumpd within %gs" % timeout)
                b = os.read(rfd, 256)
                if not b:
                    break
                line += b
        finally:
            os.close(rfd)
        return line.decode("ascii", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signals pumpd and waits; kills it after the timeout. Returns its
        exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        p, self.proc = self.proc, None
        if p.poll() is not None:
            return p.returncode
        p.send_signal(sig)
        try:
            return p.wait(timeout * SCALE)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return None

    def log_tail(self, n=30):
        try:
            with open(self.log, errors="replace") as f:
                return f.read().splitlines()[-n:]
        except OSError:
            return []


class Remote:
    """A remote's keys (made here) and its request ids."""

    def __init__(self, tmp, name, role):
        self.name, self.role = name, role
        self.priv, self.pub = P.write_keypair(tmp, name)
        self.keyfile = os.path.join(tmp, name + ".key")
        self.pubfile = os.path.join(tmp, name + ".pub")
        self.last_id = 0

    def next_id(self):
        self.last_id += 1
        return self.last_id


# --- the checks -----------------------------------------------------------------

class Run:
    def __init__(self, args):
        self.args = args
        self.n = self.passed = self.failed = 0
        self.sessions = []

    def check(self, desc, fn):
        self.n += 1
        try:
            fn()
        except Exception as e:   # every failure is reported, then we go on
            self.failed += 1
            print("not ok %d - %s" % (self.n, desc))
            msg = "%s: %s" % (type(e).__name__, e) if not isinstance(e, Fail) \
                else str(e)
            for line in msg.splitlines():
                print("#   " + line)
            if self.args.verbose and not isinstance(e, Fail):
                for line in traceback.format_exc().splitlines():
                    print("#   " + line)
        else:
            self.passed += 1
            print("ok %d - %s" % (self.n, desc))
        sys.stdout.flush()

    def session(self, remote, **kw):
        s = P.Session(self.pump.sock, remote.priv, self.pump.pub,
                      timeout=5.0 * SCALE)
        self.sessions.append(s)
        return s.handshake(**kw)

    def raw_session(self, remote, pump_pub=None):
        s = P.Session(self.pump.sock, remote.priv,
                      pump_pub if pump_pub is not None else self.pump.pub,
                      timeout=5.0 * SCALE)
        self.sessions.append(s)
        return s

    def close_all(self):
        for s in self.sessions:
            s.close()
        self.sessions = []


def transcript():
    """The worked example of PROTOCOL.md section 12: label -> bytes."""
    with open(os.path.join(SRCDIR, "docs", "PROTOCOL.md")) as f:
        text = f.read()
    t = text.split("<!-- transcript:begin -->")[1]
    t = t.split("<!-- transcript:end -->")[0]
    items, cur = {}, None
    for line in t.splitlines():
        if line.startswith("    ") and cur is not None:
            items[cur] += bytes.fromhex(line.strip())
        elif line.rstrip().endswith(":"):
            cur = line.strip()[:-1]
            items[cur] = b""
    for label, b in items.items():
        m = re.search(r"\((\d+) bytes\)$", label)
        if not m or int(m.group(1)) != len(b):
            raise Fail("transcript: %r holds %d bytes" % (label, len(b)))
    return items


def find(items, *words):
    hits = [k for k in items if all(w in k for w in words)]
    if len(hits) != 1:
        raise Fail("transcript: %d labels with %r" % (len(hits), words))
    return items[hits[0]]


def check_cacophony():
    path = os.path.join(SRCDIR, "tests", "vectors", "noise-ik-cacophony.json")
    with open(path) as f:
        vs = [v for v in json.load(f)["vectors"]
              if v["protocol_name"] == P.PROTOCOL_NAME.decode()]
    eq(len(vs), 1, "SHA256 IK vectors in %s" % path)
    v, b = vs[0], bytes.fromhex
    i = P.HandshakeState(True, b(v["init_prologue"]), b(v["init_static"]),
                         e=b(v["init_ephemeral"]),
                         rs=b(v["init_remote_static"]))
    r = P.HandshakeState(False, b(v["resp_prologue"]), b(v["resp_static"]),
                         e=b(v["resp_ephemeral"]))
    ms = v["messages"]
    c, _ = i.write_message(b(ms[0]["payload"]))
    eq(c.hex(), ms[0]["ciphertext"], "message 1")
    eq(r.read_message(c)[0], b(ms[0]["payload"]), "message 1 payload read")
    c, rc = r.write_message(b(ms[1]["payload"]))
    eq(c.hex(), ms[1]["ciphertext"], "message 2")
    p, ic = i.read_message(c)
    eq(p, b(ms[1]["payload"]), "message 2 payload read")
    eq(i.handshake_hash().hex(), v["handshake_hash"], "handshake hash")
    for k, m in enumerate(ms[2:]):
        snd, rcv = (ic[0], rc[0]) if k % 2 == 0 else (rc[1], ic[1])
        c = snd.encrypt_with_ad(b"", b(m["payload"]))
        eq(c.hex(), m["ciphertext"], "transport message %d" % (k + 2))
        eq(rcv.decrypt_with_ad(b"", c), b(m["payload"]), "decrypt %d" % k)


def check_worked_example():
    t = transcript()
    pump_s = find(t, "pump static private")
    rem_s = find(t, "remote static private")
    eq(P.x25519_public(pump_s), find(t, "pump static public"),
       "pump static public")
    eq(P.x25519_public(rem_s), find(t, "remote static public"),
       "remote static public")
    ts = find(t, "message 1 payload")
    eq(P.tai64n(1700000000, 0), ts, "TAI64N of 1700000000 s, 0 ns")
    i = P.HandshakeState(True, P.PROLOGUE, rem_s,
                         e=find(t, "remote ephemeral private"),
                         rs=P.x25519_public(pump_s))
    r = P.HandshakeState(False, P.PROLOGUE, pump_s,
                         e=find(t, "pump ephemeral private"))
    m1, _ = i.write_message(ts)
    eq(P.frame(m1).hex(), find(t, "frame of message 1").hex(),
       "frame of message 1")
    payload, _ = r.read_message(m1)
    eq(payload, ts, "message 1 payload as the pump reads it")
    eq(r.rs, P.x25519_public(rem_s), "remote static as the pump reads it")
    m2, rc = r.write_message(b"")
    eq(P.frame(m2).hex(), find(t, "frame of message 2").hex(),
       "frame of message 2")
    p, ic = i.read_message(m2)
    eq(p, b"", "message 2 payload")
    eq(i.handshake_hash().hex(), find(t, "handshake hash").hex(),
       "handshake hash")
    req = P.req_status(1700000000000000)
    eq(req.hex(), find(t, "STATUS request plaintext").hex(),
       "STATUS request plaintext from the codec")
    eq(P.frame(ic[0].encrypt_with_ad(b"", req)).hex(),
       find(t, "remote -> pump", "transport").hex(),
       "request frame (remote sends with k1)")
    eq(rc[0].decrypt_with_ad(b"", find(t, "remote -> pump", "transport")[2:]),
       req, "the pump decrypts the request with its k1")
    rep = find(t, "STATUS reply plaintext")
    eq(P.frame(rc[1].encrypt_with_ad(b"", rep)).hex(),
       find(t, "pump -> remote", "transport").hex(),
       "reply frame (pump sends with k2)")
    d = P.decode_reply(rep)     # strict: any undocumented byte fails
    eq((d.id, d.req_type, d.err, d.detail), (1700000000000000, 1, 0, ""),
       "reply header")
    eq(len(rep), 13 + 93 + len(d.state.drug) + 19 * len(d.state.alarms)
       + 1 + 5 * len(d.counts), "reply length by the documented sizes")


def state_defaults(st, what):
    """The default prescription's fields as PROTOCOL.md 8.3 documents them."""
    eq(st.mode, 1, what + " mode (continuous)")
    eq(st.capacity_nl, 20000000, what + " capacity_nl")
    eq(st.low_threshold_nl, 2000000, what + " low_threshold_nl")
    eq(st.concentration_ng_ml, 10000000, what + " concentration_ng_ml")
    eq(st.basal_ng_day, 3000000, what + " basal_ng_day")
    eq(st.bolus_dose_ng, 500000, what + " bolus_dose_ng")
    eq(st.bolus_duration_ms, 10 * MIN, what + " bolus_duration_ms")
    eq(st.lockout_ms, 2 * HOUR, what + " lockout_ms")
    eq(st.max_per_24h, 6, what + " max_per_24h")
    eq(st.drug, "morphine", what + " drug")
    eq(st.clock_speed, 0, what + " clock_speed (--speed 0: frozen)")


def basal_nl(ms):
    """Basal volume of the default prescription over ms: 3 mg/day at
    10 mg/mL = 300000 nL/day.  Returns (floor, ceil)."""
    num = 300000 * ms
    return num // DAY, -(-num // DAY)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pumpd", required=True)
    ap.add_argument("--tmpdir", help="make the scratch directory in DIR")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch directory")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    pumpd = os.path.abspath(args.pumpd)

    # SIGTERM/SIGINT/SIGHUP unwind through the finally below.
    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    tmp = tempfile.mkdtemp(prefix="ptm-indep-", dir=args.tmpdir)
    run = Run(args)
    run.pump = Pump(pumpd, tmp)
    try:
        body(run, tmp)
    except Exception:
        run.failed += 1
        print("not ok - the test program itself failed")
        for line in traceback.format_exc().splitlines():
            print("#   " + line)
    finally:
        run.close_all()
        run.pump.stop(signal.SIGKILL)
        if run.failed:
            print("# pumpd log (last lines):")
            for line in run.pump.log_tail():
                print("#   " + line)
        if args.keep:
            print("# kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (run.passed, run.failed))
    return 1 if run.failed else 0


def body(run, tmp):
    pump = run.pump
    c = run.check
    c("my Noise reproduces the cacophony vector "
      "Noise_IK_25519_ChaChaPoly_SHA256 (tests/vectors)", check_cacophony)
    c("PROTOCOL.md worked example reproduces byte for byte (keys, TAI64N, "
      "message 1, message 2, handshake hash, request, reply, codec)",
      check_worked_example)

    # --- set up: init, keys, pairing ----------------------------------------
    remotes = {}

    def setup():
        r = pump.cli("init", pump.dir, "--start", START)
        eq(r.returncode, 0, "pumpd init exit status (stderr: %s)" % r.stderr)
        pump.pub = P.read_key_file(os.path.join(pump.dir, "pump.pub"))
        eq(r.stdout.strip(), P.key_text(pump.pub).strip(),
           "pumpd init prints the pump's public key")
        for name, role in (("alice", "patient"), ("carol", "clinician"),
                           ("tess", "tester"), ("mallory", None)):
            rm = remotes[name] = Remote(tmp, name, role)
            eq(stat.S_IMODE(os.stat(rm.keyfile).st_mode), 0o600,
               name + ".key mode")
            eq(P.read_key_file(rm.keyfile), rm.priv, name + ".key round trip")
    c("pumpd init (clock at %s) and remote key files written in Python "
      "(NAME.key 0600, NAME.pub)" % START, setup)

    def pair():
        for name in ("alice", "carol", "tess"):
            rm = remotes[name]
            r = pump.cli("pair", pump.dir, "--role", rm.role, "--name", name,
                         rm.pubfile)
            eq(r.returncode, 0, "pumpd pair %s exit (stderr: %s)"
               % (name, r.stderr.strip()))
            m = re.search(r"paired (\S+) as (\S+); pairing code (\d{6})\b",
                          r.stdout)
            true(m, "pair output %r has no 'paired NAME as ROLE; pairing "
                 "code NNNNNN'" % r.stdout)
            eq((m.group(1), m.group(2)), (name, rm.role), "paired as")
            eq(m.group(3), P.pairing_code(pump.pub, rm.pub),
               "pairing code of %s (computed from PROTOCOL.md 7)" % name)
    c("pumpd pair patient, clinician, tester: each printed pairing code "
      "equals the one computed from PROTOCOL.md", pair)

    def start():
        line = pump.start()
        true(line.startswith("READY ") and ("unix:" + pump.sock) in line.split(),
             "ready line %r does not name unix:%s" % (line, pump.sock))
    c("pumpd run --sim --speed 0 writes READY with its socket on --ready-fd",
      start)
    if pump.proc is None or pump.proc.poll() is not None:
        return

    alice, carol, tess, mallory = (remotes[n] for n in
                                   ("alice", "carol", "tess", "mallory"))
    S = {}

    # --- status -----------------------------------------------------------------
    def status():
        s = S["alice"] = run.session(alice)
        rid = alice.next_id()
        rep = s.request(P.req_status(rid))
        eq((rep.kind, rep.id, rep.req_type, rep.err, rep.detail),
           ("reply", rid, P.T_STATUS, 0, ""), "reply header")
        st = rep.state
        eq(st.now_ms, T0, "now_ms (the init --start time, frozen clock)")
        state_defaults(st, "state")
        eq(st.flags, P.F_INFUSING | P.F_BOLUS_ENABLED | P.F_SIM,
           "flags (infusing, bolus enabled, simulated)")
        eq(st.reservoir_nl, 20000000, "reservoir_nl (full)")
        eq(st.boluses_24h, 0, "boluses_24h")
        eq(st.bolus_ends_ms, 0, "bolus_ends_ms")
        true(st.next_bolus_ms <= st.now_ms,
             "next_bolus_ms %d is after now" % st.next_bolus_ms)
        eq(st.next_bolus_reason, 0, "next_bolus_reason (available)")
        # 18 mL above the threshold, 0.6 mL a day (0.3 basal + 6 x 0.05):
        # every bolus taken as soon as allowed, the last drop at 30 days.
        eq(st.next_refill_ms, T0 + 30 * DAY, "next_refill_ms (30 days)")
        true(st.eri_ms > st.now_ms, "eri_ms not in the future")
        eq(st.eos_ms - st.eri_ms, 90 * DAY, "eos_ms - eri_ms (90 days)")
        eq(st.alarms, [], "alarms")
        eq(rep.counts, [(o, 0) for o in range(9)],
           "outcome counters (all nine, 0..8, none counted yet)")
    c("patient handshake + STATUS: every state block field decodes to the "
      "default prescription's exact values", status)

    def second_remote():
        s = S["tess"] = run.session(tess)
        rep = s.request(P.req_status(tess.next_id()))
        eq(rep.err, 0, "tester STATUS err")
    c("tester connects at the same time as the patient", second_remote)

    # --- bolus ---------------------------------------------------------------
    R = {}

    def bolus1():
        rid = alice.next_id()
        req = P.req_bolus(rid)
        rep = S["alice"].request(req)
        R["bolus1"] = (req, rep)
        eq((rep.id, rep.req_type, rep.err), (rid, P.T_BOLUS, 0), "header")
        eq((rep.outcome, rep.dose_ng, rep.at_ms, rep.wait_ms),
           (P.O_GRANTED, 500000, T0 + 10 * MIN, 10 * MIN),
           "(outcome, dose_ng, at_ms = end, wait_ms = duration)")
        st = rep.state
        eq(st.boluses_24h, 1, "boluses_24h")
        true(st.flags & P.F_BOLUS_RUNNING, "flags lack 'bolus running'")
        eq(st.bolus_ends_ms, T0 + 10 * MIN, "bolus_ends_ms")
        eq((st.next_bolus_ms, st.next_bolus_reason), (T0 + 2 * HOUR,
           P.O_RUNNING), "(next_bolus_ms = lockout end, reason running)")
        eq([n.event for n in S["alice"].notes], [],
           "notifications before the reply")
        n = S["alice"].wait_note(lambda n: True)
        eq((n.event, n.state.boluses_24h), (1, 1),
           "the requester's next message: bolus_started, 24 h count 1")
    c("BOLUS granted: 500000 ng, ends at start + 10 min, wait 10 min; state "
      "shows it running; bolus_started follows the reply", bolus1)

    def notified():
        n = S["tess"].wait_note(lambda n: n.event == 1)
        eq(n.alarm, 0, "alarm of bolus_started")
        eq(n.state.boluses_24h, 1, "boluses_24h in the notification")
        eq(n.state.bolus_ends_ms, T0 + 10 * MIN, "bolus_ends_ms")
        true(n.seq >> 32 >= 1 and n.seq & 0xffffffff >= 1,
             "seq %#x: starts count or per-start count is 0" % n.seq)
        R["seq"] = n.seq
    c("the tester's session gets notification bolus_started (event 1) "
      "with the new state", notified)

    def bolus_running():
        rid = alice.next_id()
        rep = S["alice"].request(P.req_bolus(rid))
        eq((rep.id, rep.err), (rid, 0), "header")
        # PROTOCOL.md 8.2: at_ms is when the next would be granted (the
        # lockout's end here, 2 h after the first started), as the state's
        # next_bolus_ms; the running bolus's end is the state's bolus_ends_ms
        eq((rep.outcome, rep.dose_ng, rep.at_ms, rep.wait_ms),
           (P.O_RUNNING, 500000, T0 + 120 * MIN, 120 * MIN),
           "(outcome running, dose, at_ms = next allowed, time left)")
        eq(rep.state.next_bolus_ms, rep.at_ms, "state next_bolus_ms")
        eq(rep.state.bolus_ends_ms, T0 + 10 * MIN, "state bolus_ends_ms")
        eq(rep.state.boluses_24h, 1, "boluses_24h")
    c("second BOLUS while the first runs: outcome running, the next allowed "
      "time and time left; its end in the state", bolus_running)

    def advance(ms):
        rep = S["tess"].request(P.req_clock(tess.next_id(),
                                            P.CLOCK_ADVANCE, ms))
        eq((rep.req_type, rep.err), (P.T_CLOCK, 0), "CLOCK advance reply")
        return rep

    def lockout():
        rep = advance(10 * MIN)
        eq(rep.state.now_ms, T0 + 10 * MIN, "now_ms after advancing 10 min")
        eq(rep.state.bolus_ends_ms, 0, "bolus_ends_ms after the bolus ended")
        lo, hi = basal_nl(10 * MIN)
        true(20000000 - 50000 - hi <= rep.state.reservoir_nl
             <= 20000000 - 50000 - lo,
             "reservoir_nl %d: not 20 mL - 50000 nL - 10 min basal (%d..%d)"
             % (rep.state.reservoir_nl, lo, hi))
        rid = alice.next_id()
        rep = S["alice"].request(P.req_bolus(rid))
        eq((rep.outcome, rep.dose_ng, rep.at_ms, rep.wait_ms),
           (P.O_LOCKOUT, 500000, T0 + 2 * HOUR, 2 * HOUR - 10 * MIN),
           "(outcome lockout, dose, next allowed, time left)")
        eq((rep.state.next_bolus_ms, rep.state.next_bolus_reason),
           (T0 + 2 * HOUR, P.O_LOCKOUT), "(next_bolus_ms, reason)")
    c("tester CLOCK advance 10 min ends the bolus; BOLUS then: lockout "
      "until start + 2 h, 110 min left", lockout)

    def regrant():
        advance(2 * HOUR - 10 * MIN - 1)
        rep = S["alice"].request(P.req_bolus(alice.next_id()))
        eq((rep.outcome, rep.at_ms, rep.wait_ms),
           (P.O_LOCKOUT, T0 + 2 * HOUR, 1), "1 ms before the lockout ends")
        advance(1)
        rid = alice.next_id()
        req = P.req_bolus(rid)
        rep = S["alice"].request(req)
        R["bolus2"] = (req, rep)
        eq((rep.outcome, rep.dose_ng, rep.at_ms, rep.wait_ms),
           (P.O_GRANTED, 500000, T0 + 2 * HOUR + 10 * MIN, 10 * MIN),
           "at the lockout's end: granted")
        eq(rep.state.boluses_24h, 2, "boluses_24h")
    c("CLOCK advance to exactly 2 h after the first start: 1 ms before, "
      "lockout with 1 ms left; then BOLUS granted again", regrant)

    def same_id():
        req, first = R["bolus2"]
        again = S["alice"].request(req)
        eq(again.raw.hex(), first.raw.hex(), "the repeated reply's bytes")
        rep = S["alice"].request(P.req_status(alice.next_id()))
        eq(rep.state.boluses_24h, 2, "boluses_24h after the retry")
        eq(rep.state.bolus_ends_ms, T0 + 2 * HOUR + 10 * MIN,
           "bolus_ends_ms after the retry")
    c("the same BOLUS id again: the identical reply, nothing carried out "
      "(24 h count still 2)", same_id)

    def stale():
        advance(2 * HOUR)              # a new bolus would be granted now
        last = alice.last_id
        rep = S["alice"].request(P.req_bolus(last - 3))
        eq((rep.id, rep.req_type, rep.err), (last - 3, P.T_BOLUS,
                                            P.E_STALE_ID), "header")
        eq(rep.last_id, last, "last_id")
        eq(rep.state.boluses_24h, 2, "boluses_24h after the stale request")
        eq(rep.state.next_bolus_reason, 0, "a bolus is available")
        rid = rep.last_id + 1
        alice.last_id = rid
        rep = S["alice"].request(P.req_bolus(rid))
        eq((rep.err, rep.outcome, rep.state.boluses_24h), (0, P.O_GRANTED, 3),
           "last_id + 1: (err, outcome, boluses_24h)")
    c("an older id: stale_id with the last id, no bolus; last_id + 1 is "
      "granted", stale)

    def roles():
        before = S["alice"].request(P.req_status(alice.next_id())).state
        for req, what in ((P.req_program(alice.next_id(), RX), "PROGRAM"),
                          (P.req_refill(alice.next_id(), 20000000, 10000000),
                           "REFILL"),
                          (P.req_clock(alice.next_id(), P.CLOCK_ADVANCE, DAY),
                           "CLOCK")):
            rep = S["alice"].request(req)
            eq((rep.req_type, rep.err), (req[0], P.E_ROLE),
               "patient %s (req_type, err)" % what)
            true(rep.detail != "", "role error without detail")
            eq(rep.state.now_ms, before.now_ms, "now_ms unchanged")
            eq(rep.state.reservoir_nl, before.reservoir_nl, "reservoir")
        s = S["carol"] = run.session(carol)
        rep = s.request(P.req_clock(carol.next_id(), P.CLOCK_ADVANCE, DAY))
        eq(rep.err, P.E_ROLE, "clinician CLOCK err")
        eq(rep.state.now_ms, before.now_ms, "now_ms unchanged")
    c("role refusals: patient PROGRAM, REFILL, CLOCK and clinician CLOCK "
      "get err role and change nothing", roles)

    def alarms():
        ts, cs, al = S["tess"], S["carol"], S["alice"]
        now = T0 + 4 * HOUR
        rep = ts.request(P.req_fault(tess.next_id(), 6, 1500000))
        eq((rep.req_type, rep.err), (P.T_FAULT, 0), "FAULT reservoir")
        eq(rep.state.reservoir_nl, 1500000, "reservoir_nl")
        eq(rep.state.alarms, [dict(id=1, priority=2, flags=0, raised_ms=now,
                                   silenced_until_ms=0)],
           "alarms: low_reservoir, medium, raised now")
        n = al.wait_note(lambda n: n.event == 3)
        eq((n.alarm, len(n.state.alarms)), (1, 1),
           "the patient's alarm_raised notification (alarm, n_alarms)")
        rep = al.request(P.req_silence(alice.next_id(), 2))
        eq(rep.err, P.E_STATE, "SILENCE eri while only low_reservoir is on")
        rep = al.request(P.req_silence(alice.next_id(), 0))
        eq((rep.err, rep.silenced), (0, 1), "SILENCE every alarm")
        eq(rep.state.alarms, [dict(id=1, priority=2, flags=1, raised_ms=now,
                                   silenced_until_ms=now + HOUR)],
           "alarms: silenced for alarm_silence (1 h)")
        n = ts.wait_note(lambda n: n.event == 6)
        eq(n.alarm, 0, "alarm_silenced after SILENCE 0 names alarm")
        rep = cs.request(P.req_clear(carol.next_id(), 1))
        eq(rep.err, P.E_STATE, "CLEAR low_reservoir while the cause remains")
        rep = cs.request(P.req_clear(carol.next_id(), 0))
        eq((rep.err, rep.detail), (P.E_RANGE, "alarm"), "CLEAR 0")
        rep = cs.request(P.req_refill(carol.next_id(), 20000000, 10000000))
        eq((rep.err, rep.state.reservoir_nl, rep.state.alarms),
           (0, 20000000, []), "REFILL 20 mL: (err, reservoir, alarms)")
        n = al.wait_note(lambda n: n.event == 4)
        eq(n.alarm, 1, "alarm_cleared names low_reservoir")
        al.wait_note(lambda n: n.event == 8)
    c("FAULT reservoir 1.5 mL raises low_reservoir (medium, notified); "
      "SILENCE quiets it 1 h; CLEAR refused while its cause remains; "
      "REFILL clears it", alarms)

    def malformed():
        rid = alice.next_id()
        rep = S["alice"].request(P.req_status(rid) + b"\x00")
        eq((rep.id, rep.req_type, rep.err), (rid, P.T_STATUS, P.E_MALFORMED),
           "STATUS with a trailing byte")
        rid = alice.next_id()
        rep = S["alice"].request(P.req_history(rid, 65))
        eq((rep.req_type, rep.err), (P.T_HISTORY, P.E_MALFORMED),
           "HISTORY max 65 (over 1..64)")
        rid = alice.next_id()
        rep = S["alice"].request(P.req_history(rid, 64))
        eq(rep.err, 0, "HISTORY err (the session goes on)")
        eq([(at, o, d) for at, o, d in rep.entries if o == P.O_GRANTED],
           [(T0 + 4 * HOUR, 0, 500000), (T0 + 2 * HOUR, 0, 500000),
            (T0, 0, 500000)], "granted boluses in HISTORY, newest first")
    c("malformed requests (trailing byte, count over its maximum) get err "
      "malformed; the session goes on; HISTORY lists the grants", malformed)

    def unknown_type():
        for t in (0x05, 0x7e):
            rid = alice.next_id()
            rep = S["alice"].request(P.request(t, rid))
            eq((rep.id, rep.req_type, rep.err), (rid, t, P.E_TYPE),
               "unknown type 0x%02x: (id, req_type echoed, err type)" % t)
    c("an unknown request type gets err type with its id and its type "
      "echoed (PROTOCOL.md 8.2)", unknown_type)

    def keepalive():
        S["alice"].send(b"")
        rid = alice.next_id()
        rep = S["alice"].request(P.req_status(rid))
        eq((rep.id, rep.err), (rid, 0), "STATUS after a keepalive")
    c("a keepalive (empty transport message) is accepted: the next request "
      "is answered", keepalive)

    def notify_seq():
        s = S["tess"]
        n = s.wait_note(lambda n: n.event == 9 or n.event == 1,
                        timeout=2 * SCALE)
        true(n.seq > R["seq"], "seq did not rise")
    c("notifications keep arriving to the tester with rising seq", notify_seq)

    # --- handshake refusals ----------------------------------------------------
    def refused(remote, what, pump_pub=None, **kw):
        r = run.raw_session(remote, pump_pub)
        try:
            r.handshake(**kw)
        except P.Refused:
            return
        raise Fail("%s: the pump answered message 1" % what)

    def replay():
        s1 = S["carol"]
        old_msg1 = s1.msg1
        refused(carol, "the replayed message 1", msg1=old_msg1)
        rep = s1.request(P.req_status(carol.next_id()))
        eq(rep.err, 0, "the first session still serves after the replay")
    c("a replayed message 1 (same bytes, same timestamp) is refused and the "
      "live session is untouched", replay)

    def same_ts():
        ts = P.tai64n_now()
        S["carol"].close()
        s = run.session(carol, ts=ts)
        rep = s.request(P.req_status(carol.next_id()))
        eq(rep.err, 0, "session with timestamp ts")
        # a new ephemeral, the same timestamp
        refused(carol, "a new message 1 with the same timestamp", ts=ts)
        refused(carol, "a message 1 with an older timestamp",
                ts=P.tai64n(T0 // 1000, 0))
        s2 = run.session(carol)
        rep = s2.request(P.req_status(carol.next_id()))
        eq(rep.err, 0, "a newer timestamp is accepted")
        S["carol"] = s2
    c("a fresh message 1 with the last accepted timestamp, or an older one, "
      "is refused; a newer one is accepted", same_ts)

    c("a wrong prologue ('ptm-pump/2') is refused",
      lambda: refused(alice, "prologue", prologue=b"ptm-pump/2"))
    c("an unknown (unpaired) key is refused",
      lambda: refused(mallory, "unknown key"))
    c("a message 1 for the wrong pump key is refused",
      lambda: refused(alice, "wrong pump key",
                      pump_pub=P.x25519_public(os.urandom(32))))

    def typed_log():
        # P8.15: a session that accepts typed LOG entries (accept 5)
        s = run.session(carol)
        rep = s.hello(carol.next_id(), P.ACCEPT_ED3 | P.ACCEPT_TYPED)
        eq(rep.err, 0, "HELLO accept 5 err")
        true(rep.features & P.FEAT_TYPED, "HELLO features without 0x100")
        true(rep.ext is not None, "HELLO reply without the state extension")
        rows, after = [], 0
        while True:
            rep = s.request(P.req_log(carol.next_id(), after, 20))
            eq(rep.err, 0, "LOG err")
            rows += rep.entries
            if len(rep.entries) < 20:
                break
            after = rep.entries[-1][0]
        true(rows and all(len(e) == 6 for e in rows), "an entry not typed")
        now = time.time() * 1000

        def typed(text):
            hits = [e for e in rows if text in e[2]]
            true(hits, "no row with %r" % text)
            e = hits[-1]
            true(abs(e[5] - now) < 600000 * SCALE, "wall_ms %d far from now" % e[5])
            return P.LOG_KINDS[e[3]], P.LOG_ROLES[e[4]]
        eq(typed("pump: carol: handshake refused: "), ("handshake", "pump"),
           "carol's refused handshake (written by the pump, named after carol)")
        eq(typed("handshake refused: unknown key"), ("handshake", "pump"),
           "an unknown key's handshake")
        eq(typed("alice: refused program id "), ("refused", "patient"),
           "alice's PROGRAM refused for its role")
        eq(typed("alice: bolus granted: "), ("request", "patient"),
           "alice's granted BOLUS")
        eq(typed("carol: session opened"), ("session", "clinician"),
           "carol's session")
        eq(typed("paired carol as clinician"), ("pairing", "pump"), "pairing")
        # edition 3 alone: the same entries as text, no block
        s3 = run.session(carol)
        eq(s3.hello(carol.next_id(), P.ACCEPT_ED3).err, 0, "HELLO accept 1 err")
        rep = s3.request(P.req_log(carol.next_id(), 0, 20))
        eq([e for e in rep.entries], [e[:3] for e in rows[:20]],
           "edition 3 alone: the first page untyped")
        # the bit without edition 3: malformed, detail accept
        rep = s3.request(P.req_hello(carol.next_id(), P.ACCEPT_TYPED))
        eq((rep.err, rep.detail), (P.E_MALFORMED, "accept"), "HELLO accept 4")
        S["carol"] = s3
    c("HELLO accept 5: every LOG entry typed with the pump's kind, role and "
      "wall clock (P8.15), edition 3 alone gets them untyped, accept 4 is "
      "malformed", typed_log)

    def bad_frames():
        for raw, what in ((b"\x10\x01" + b"\x00" * 64, "length 4097"),
                          (b"\x00\x00", "length 0")):
            r = run.raw_session(alice)
            r.send_raw(raw)
            true(r.wait_closed(), "%s: connection not closed" % what)
            eq(r.buf, b"", "%s: the pump sent bytes" % what)
    c("a frame length of 4097 or 0 gets the connection closed, nothing sent",
      bad_frames)

    def tamper():
        s = S["alice"]
        ct = bytearray(s.tx.encrypt_with_ad(b"",
                                            P.req_status(alice.next_id())))
        ct[3] ^= 0x01
        s.send_raw(P.frame(bytes(ct)))
        true(s.wait_closed(), "the session was not closed")
        s2 = S["alice"] = run.session(alice)
        rid = alice.next_id()
        rep = s2.request(P.req_status(rid))
        eq((rep.id, rep.err), (rid, 0), "a new session after the tamper")
    c("a tampered transport message ends the session; a new handshake "
      "works", tamper)

    def sigterm():
        run.close_all()
        st = pump.stop(signal.SIGTERM)
        eq(st, 0, "pumpd exit status after SIGTERM")
    c("pumpd exits 0 on SIGTERM", sigterm)


if __name__ == "__main__":
    sys.exit(main())
