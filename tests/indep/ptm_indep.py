"""An independent ptm remote, written from docs/PROTOCOL.md alone.

Nothing here comes from the C sources (crypto/, net/, pumpd/): the Noise
layer follows the Noise Protocol Framework, revision 34, to the letter
(section numbers below are the spec's), and the framing, codec, key files
and pairing code follow docs/PROTOCOL.md (its section numbers are given as
"P" + number).  Only the Python standard library and the `cryptography`
package (X25519 and ChaCha20-Poly1305) are used; HMAC-SHA256 comes from the
standard library, HKDF, the symmetric state, the handshake and the
transport are written here.

Every decoder is strict in the way P8 asks (exact length, known
enumerations, printable strings, reserved bits 0), so a pump that sends
something the document does not allow is caught here.
"""

import base64
import hashlib
import hmac
import os
import select
import socket
import struct
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.exceptions import InvalidTag

PROTOCOL_NAME = b"Noise_IK_25519_ChaChaPoly_SHA256"
PROLOGUE = b"ptm-pump/1"
HASHLEN = 32
DHLEN = 32
MAX_FRAME = 4096
MSG1_LEN = 32 + 48 + 12 + 16
MSG2_LEN = 32 + 16


class ProtocolError(Exception):
    """Something the document does not allow (from the pump or a vector)."""


class Refused(Exception):
    """The pump closed the connection during the handshake (P4)."""


class Closed(Exception):
    """The pump closed the connection after the handshake."""


# --- Noise: crypto functions (spec 4) ---------------------------------------

_RAW = dict(encoding=serialization.Encoding.Raw,
            format=serialization.PublicFormat.Raw)


def x25519_public(priv):
    """The public key of a 32-byte private key (clamped inside X25519)."""
    return X25519PrivateKey.from_private_bytes(bytes(priv)).public_key() \
        .public_bytes(**_RAW)


def dh(priv, pub):
    """DH(key_pair, public_key) of spec 4.1: the 32-byte X25519 output."""
    return X25519PrivateKey.from_private_bytes(bytes(priv)).exchange(
        X25519PublicKey.from_public_bytes(bytes(pub)))


def HASH(data):
    return hashlib.sha256(data).digest()


def hmac_hash(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def hkdf(chaining_key, ikm, num_outputs):
    """HKDF(chaining_key, input_key_material, num_outputs), spec 4.3."""
    assert len(chaining_key) == HASHLEN and len(ikm) in (0, 32, DHLEN)
    temp_key = hmac_hash(chaining_key, ikm)
    out1 = hmac_hash(temp_key, b"\x01")
    out2 = hmac_hash(temp_key, out1 + b"\x02")
    if num_outputs == 2:
        return out1, out2
    out3 = hmac_hash(temp_key, out2 + b"\x03")
    return out1, out2, out3


def _nonce(n):
    # ChaChaPoly (spec 12.3): 32 bits of zeros, then n little-endian.
    return b"\x00" * 4 + struct.pack("<Q", n)


# --- Noise: CipherState (spec 5.1) -----------------------------------------

class CipherState:
    MAX_N = 2 ** 64 - 1

    def __init__(self, key=None):
        self.initialize_key(key)

    def initialize_key(self, key):
        self.k = key
        self.n = 0

    def has_key(self):
        return self.k is not None

    def encrypt_with_ad(self, ad, plaintext):
        if self.k is None:
            return plaintext
        if self.n >= self.MAX_N:
            raise ProtocolError("nonce exhausted")
        c = ChaCha20Poly1305(self.k).encrypt(_nonce(self.n), plaintext, ad)
        self.n += 1
        return c

    def decrypt_with_ad(self, ad, ciphertext):
        """Raises InvalidTag on failure, and then n is not incremented."""
        if self.k is None:
            return ciphertext
        if self.n >= self.MAX_N:
            raise ProtocolError("nonce exhausted")
        p = ChaCha20Poly1305(self.k).decrypt(_nonce(self.n), ciphertext, ad)
        self.n += 1
        return p


# --- Noise: SymmetricState (spec 5.2) --------------------------------------

class SymmetricState:
    def __init__(self, protocol_name):
        if len(protocol_name) <= HASHLEN:
            self.h = protocol_name + b"\x00" * (HASHLEN - len(protocol_name))
        else:
            self.h = HASH(protocol_name)
        self.ck = self.h
        self.cs = CipherState(None)

    def mix_key(self, ikm):
        self.ck, temp_k = hkdf(self.ck, ikm, 2)
        self.cs.initialize_key(temp_k)

    def mix_hash(self, data):
        self.h = HASH(self.h + data)

    def encrypt_and_hash(self, plaintext):
        c = self.cs.encrypt_with_ad(self.h, plaintext)
        self.mix_hash(c)
        return c

    def decrypt_and_hash(self, ciphertext):
        p = self.cs.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return p

    def split(self):
        k1, k2 = hkdf(self.ck, b"", 2)
        return CipherState(k1), CipherState(k2)


# --- Noise: HandshakeState (spec 5.3) for IK (spec 7.5) ---------------------

IK_PRE_RESPONDER = ("s",)                      # <- s
IK_MESSAGES = (("e", "es", "s", "ss"),          # -> e, es, s, ss
               ("e", "ee", "se"))               # <- e, ee, se


class HandshakeState:
    """IK only.  s, e: private keys (32 bytes) or None; rs: the responder's
    static public key, known to the initiator beforehand."""

    def __init__(self, initiator, prologue, s, e=None, rs=None,
                 protocol_name=PROTOCOL_NAME):
        self.initiator = initiator
        self.ss = SymmetricState(protocol_name)
        self.ss.mix_hash(prologue)
        self.s = s
        self.e = e                     # fixed ephemeral (tests) or None
        self.rs = rs
        self.re = None
        self.msg_index = 0
        # Pre-message "<- s": the responder's static key is hashed.
        if initiator:
            self.ss.mix_hash(rs)
        else:
            self.ss.mix_hash(x25519_public(s))

    def _dh_token(self, tok):
        i = self.initiator
        if tok == "ee":
            return dh(self.e, self.re)
        if tok == "es":
            return dh(self.e, self.rs) if i else dh(self.s, self.re)
        if tok == "se":
            return dh(self.s, self.re) if i else dh(self.e, self.rs)
        if tok == "ss":
            return dh(self.s, self.rs)
        raise AssertionError(tok)

    def write_message(self, payload):
        """Returns (message, cipher pair or None)."""
        pattern = IK_MESSAGES[self.msg_index]
        out = b""
        for tok in pattern:
            if tok == "e":
                if self.e is None:
                    self.e = os.urandom(32)
                epub = x25519_public(self.e)
                out += epub
                self.ss.mix_hash(epub)
            elif tok == "s":
                out += self.ss.encrypt_and_hash(x25519_public(self.s))
            else:
                self.ss.mix_key(self._dh_token(tok))
        out += self.ss.encrypt_and_hash(payload)
        return out, self._advance()

    def read_message(self, message):
        """Returns (payload, cipher pair or None); raises InvalidTag."""
        pattern = IK_MESSAGES[self.msg_index]
        buf = bytes(message)
        for tok in pattern:
            if tok == "e":
                if len(buf) < DHLEN:
                    raise ProtocolError("handshake message too short")
                self.re, buf = buf[:DHLEN], buf[DHLEN:]
                self.ss.mix_hash(self.re)
            elif tok == "s":
                n = DHLEN + (16 if self.ss.cs.has_key() else 0)
                if len(buf) < n:
                    raise ProtocolError("handshake message too short")
                self.rs = self.ss.decrypt_and_hash(buf[:n])
                buf = buf[n:]
            else:
                self.ss.mix_key(self._dh_token(tok))
        payload = self.ss.decrypt_and_hash(buf)
        return payload, self._advance()

    def _advance(self):
        self.msg_index += 1
        if self.msg_index == len(IK_MESSAGES):
            return self.ss.split()
        return None

    def handshake_hash(self):
        return self.ss.h


# --- TAI64N (P4) -------------------------------------------------------------

def tai64n(unix_seconds, nanoseconds):
    if not 0 <= nanoseconds <= 999999999:
        raise ValueError("nanoseconds out of range")
    return struct.pack(">QI", 2 ** 62 + 10 + unix_seconds, nanoseconds)


_last_tai = [0]


def tai64n_now():
    """The wall clock as TAI64N, strictly rising within this process."""
    ns = max(time.time_ns(), _last_tai[0] + 1)
    _last_tai[0] = ns
    return tai64n(ns // 10 ** 9, ns % 10 ** 9)


# --- Framing (P3) -----------------------------------------------------------

def frame(payload):
    if not 1 <= len(payload) <= MAX_FRAME:
        raise ValueError("frame payload of %d bytes" % len(payload))
    return struct.pack(">H", len(payload)) + payload


# --- Key files and pairing code (P7) ----------------------------------------

def key_text(key32):
    return base64.b64encode(bytes(key32)).decode("ascii") + "\n"


def parse_key_text(text):
    line = text.decode("ascii") if isinstance(text, bytes) else text
    if not line.endswith("\n") or len(line) != 45:
        raise ProtocolError("key file is not one line of 44 base64 chars")
    raw = base64.b64decode(line[:44], validate=True)
    if len(raw) != 32:
        raise ProtocolError("key is not 32 bytes")
    return raw


def write_keypair(directory, name, priv=None):
    """Writes NAME.key (0600) and NAME.pub; returns (priv, pub)."""
    priv = os.urandom(32) if priv is None else bytes(priv)
    pub = x25519_public(priv)
    kp = os.path.join(directory, name + ".key")
    fd = os.open(kp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key_text(priv))
    with open(os.path.join(directory, name + ".pub"), "w") as f:
        f.write(key_text(pub))
    return priv, pub


def read_key_file(path):
    with open(path, "rb") as f:
        return parse_key_text(f.read())


def pairing_code(pump_pub, remote_pub):
    d = HASH(b"ptm-pair/1" + bytes(pump_pub) + bytes(remote_pub))
    return "%06d" % (struct.unpack(">Q", d[:8])[0] % 1000000)


# --- Application messages (P8) ----------------------------------------------

T_STATUS, T_BOLUS, T_SILENCE, T_HISTORY = 0x01, 0x02, 0x03, 0x04
T_PROGRAM, T_REFILL, T_CLEAR, T_LOG, T_RUN = 0x10, 0x11, 0x12, 0x13, 0x14
T_FAULT, T_CLOCK = 0x20, 0x21
T_HELLO = 0x06
T_REPLY, T_NOTIFY = 0x80, 0x81
REQUEST_TYPES = {T_STATUS, T_BOLUS, T_SILENCE, T_HISTORY, T_PROGRAM,
                 T_REFILL, T_CLEAR, T_LOG, T_RUN, T_FAULT, T_CLOCK, T_HELLO}

# HELLO's accept bits (P8.8, P8.14, P8.15) and what they bring
ACCEPT_ED3, ACCEPT_DELIVERY, ACCEPT_TYPED = 0x01, 0x02, 0x04
FEAT_TYPED = 0x100
SX_LEN = 13          # the state extension (P8.9)
LOG_KINDS = ("note", "request", "refused", "alarm", "bolus", "schedule",
             "pairing", "pump", "session", "handshake", "limit", "decrypt")
LOG_ROLES = ("pump", "patient", "clinician", "tester")

E_OK, E_MALFORMED, E_TYPE, E_ROLE, E_NOT_SIM, E_STALE_ID = 0, 1, 2, 3, 4, 5
E_RANGE, E_STATE, E_STORAGE, E_INTERNAL = 6, 7, 8, 9

OUTCOMES = ("granted", "lockout", "daily_count", "ceiling", "running",
            "disabled", "reservoir", "stopped", "critical")
O_GRANTED, O_LOCKOUT, O_DAILY, O_CEILING, O_RUNNING = 0, 1, 2, 3, 4
O_DISABLED, O_RESERVOIR, O_STOPPED, O_CRITICAL = 5, 6, 7, 8

F_INFUSING, F_BOLUS_RUNNING, F_BOLUS_ENABLED, F_SIM = 0x01, 0x02, 0x04, 0x08

EVENTS = ("state", "bolus_started", "bolus_ended", "alarm_raised",
          "alarm_cleared", "alarm_resound", "alarm_silenced", "programmed",
          "refilled", "clock", "started", "stopped")
ALARM_EVENTS = (3, 4, 5, 6)
ALARM_PRIORITY = {1: 2, 2: 2, 3: 3, 4: 3, 5: 3, 6: 1, 7: 3}

CLOCK_ADVANCE, CLOCK_SPEED = 1, 2


def _str8(s, maxlen=255):
    b = s.encode("ascii") if isinstance(s, str) else bytes(s)
    if len(b) > maxlen:
        raise ValueError("string too long")
    return bytes([len(b)]) + b


def request(rtype, rid, body=b""):
    return struct.pack(">BQ", rtype, rid) + body


def req_status(rid):
    return request(T_STATUS, rid)


def req_bolus(rid):
    return request(T_BOLUS, rid)


def req_silence(rid, alarm=0):
    return request(T_SILENCE, rid, struct.pack(">B", alarm))


def req_history(rid, maxn):
    return request(T_HISTORY, rid, struct.pack(">H", maxn))


def req_refill(rid, volume_nl, conc_ng_ml):
    return request(T_REFILL, rid, struct.pack(">II", volume_nl, conc_ng_ml))


def req_clear(rid, alarm=0):
    return request(T_CLEAR, rid, struct.pack(">B", alarm))


def req_hello(rid, accept=None):
    return request(T_HELLO, rid,
                   b"" if accept is None else struct.pack(">I", accept))


def req_log(rid, after_seq, maxn):
    return request(T_LOG, rid, struct.pack(">QH", after_seq, maxn))


def req_run(rid, start):
    return request(T_RUN, rid, struct.pack(">B", 1 if start else 0))


def req_fault(rid, fault, arg=0):
    return request(T_FAULT, rid, struct.pack(">BQ", fault, arg))


def req_clock(rid, op, arg):
    return request(T_CLOCK, rid, struct.pack(">BQ", op, arg))


def prescription_block(rx):
    """rx: dict with the P8.4 field names; steps: list of (start_ms, rate)."""
    steps = rx.get("steps", [])
    out = _str8(rx["drug"], 31)
    out += struct.pack(">IIBIB", rx["concentration_ng_ml"], rx["capacity_nl"],
                       rx["mode"], rx["rate_ng_day"], len(steps))
    for start, rate in steps:
        out += struct.pack(">II", start, rate)
    out += struct.pack(">BIIIHIII", rx["bolus_enabled"], rx["bolus_dose_ng"],
                       rx["bolus_duration_ms"], rx["lockout_ms"],
                       rx["max_per_24h"], rx["ceiling_ng_24h"],
                       rx["low_threshold_nl"], rx["silence_ms"])
    return out


def req_program(rid, rx):
    return request(T_PROGRAM, rid, prescription_block(rx))


class Reader:
    """Strict cursor over one message."""

    def __init__(self, data):
        self.b = bytes(data)
        self.i = 0

    def take(self, n):
        if self.i + n > len(self.b):
            raise ProtocolError("truncated at byte %d (want %d more of %d)"
                                % (self.i, n, len(self.b)))
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def str8(self, maxlen):
        n = self.u8()
        if n > maxlen:
            raise ProtocolError("string of %d bytes, at most %d" % (n, maxlen))
        s = self.take(n)
        if any(c < 0x20 or c > 0x7e for c in s):
            raise ProtocolError("non-printable byte in string %r" % s)
        return s.decode("ascii")

    def end(self):
        if self.i != len(self.b):
            raise ProtocolError("%d trailing bytes" % (len(self.b) - self.i))


def _enum(v, lo, hi, what):
    if not lo <= v <= hi:
        raise ProtocolError("%s %d outside %d..%d" % (what, v, lo, hi))
    return v


class State(dict):
    """The P8.3 state block as a dict of its field names (attribute access
    too); alarms: list of dicts (id, priority, flags, raised_ms,
    silenced_until_ms)."""
    __getattr__ = dict.__getitem__


STATE_FIELDS = (("now_ms", "u64"), ("mode", "u8"), ("flags", "u8"),
                ("reservoir_nl", "u32"), ("capacity_nl", "u32"),
                ("low_threshold_nl", "u32"), ("concentration_ng_ml", "u32"),
                ("basal_ng_day", "u32"), ("bolus_dose_ng", "u32"),
                ("bolus_duration_ms", "u32"), ("lockout_ms", "u32"),
                ("boluses_24h", "u16"), ("max_per_24h", "u16"),
                ("bolus_ends_ms", "u64"), ("next_bolus_ms", "u64"),
                ("next_bolus_reason", "u8"), ("next_refill_ms", "u64"),
                ("eri_ms", "u64"), ("eos_ms", "u64"), ("clock_speed", "u32"))


def read_state(r):
    st = State()
    for name, kind in STATE_FIELDS:
        st[name] = getattr(r, kind)()
    _enum(st.mode, 0, 2, "mode")
    if st.flags & ~0x0f:
        raise ProtocolError("state flags 0x%02x has reserved bits" % st.flags)
    _enum(st.next_bolus_reason, 0, 8, "next_bolus_reason")
    st["drug"] = r.str8(31)
    n = _enum(r.u8(), 0, 8, "n_alarms")
    alarms = []
    for _ in range(n):
        a = dict(id=_enum(r.u8(), 1, 7, "alarm id"),
                 priority=_enum(r.u8(), 1, 3, "alarm priority"),
                 flags=r.u8(), raised_ms=r.u64(), silenced_until_ms=r.u64())
        if a["flags"] & ~0x01:
            raise ProtocolError("alarm flags 0x%02x" % a["flags"])
        alarms.append(a)
    st["alarms"] = alarms
    return st


class Reply:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):
        return "Reply(%r)" % self.__dict__


def _read_body(r, req_type, accept=0):
    if req_type == T_STATUS:
        n = _enum(r.u8(), 0, 16, "status count n")
        counts = [(_enum(r.u8(), 0, 8, "outcome"), r.u32()) for _ in range(n)]
        if any(a[0] >= b[0] for a, b in zip(counts, counts[1:])):
            raise ProtocolError("status outcomes not rising: %r" % counts)
        return dict(counts=counts)
    if req_type == T_BOLUS:
        return dict(outcome=_enum(r.u8(), 0, 8, "outcome"), dose_ng=r.u32(),
                    at_ms=r.u64(), wait_ms=r.u64())
    if req_type == T_SILENCE:
        return dict(silenced=r.u8())
    if req_type == T_HISTORY:
        n = _enum(r.u8(), 0, 64, "history n")
        return dict(entries=[(r.u64(), _enum(r.u8(), 0, 8, "outcome"),
                              r.u32()) for _ in range(n)])
    if req_type == T_LOG:
        n = _enum(r.u8(), 0, 20, "log n")
        entries = [(r.u64(), r.u64(), r.str8(120)) for _ in range(n)]
        if accept & ACCEPT_TYPED and n:
            # P8.15: n blocks of kind, role, wall_ms after the entries
            typed = [(_enum(r.u8(), 0, len(LOG_KINDS) - 1, "log.kind"),
                      _enum(r.u8(), 0, len(LOG_ROLES) - 1, "log.role"),
                      r.u64()) for _ in range(n)]
            entries = [e + t for e, t in zip(entries, typed)]
        return dict(entries=entries)
    if req_type == T_HELLO:
        return dict(protocol=r.u16(), features=r.u32(),
                    software=r.str8(31))
    return {}


def _read_ext(r, accept):
    """The state extension (P8.9), in a session that accepted edition 3;
    bits 0x0c (the running bolus's kind, P8.15) only with ACCEPT_TYPED."""
    if not accept & ACCEPT_ED3:
        return None
    ext = dict(flags=r.u8(), stage_id=r.u32(), staged_ms=r.u64())
    known = 0x0f if accept & ACCEPT_TYPED else 0x03
    if ext["flags"] & ~known:
        raise ProtocolError("stage_flags 0x%02x" % ext["flags"])
    if bool(ext["flags"] & 0x01) != (ext["stage_id"] != 0):
        raise ProtocolError("stage_flags and stage_id disagree")
    return ext


def decode_reply(pt, accept=0):
    r = Reader(pt)
    if r.u8() != T_REPLY:
        raise ProtocolError("not a reply")
    rid, req_type, err = r.u64(), r.u8(), r.u16()
    detail = r.str8(63)
    _enum(err, 0, 11 if accept & ACCEPT_ED3 else 9, "err")
    if err == 0 and detail != "":
        raise ProtocolError("detail %r with err 0" % detail)
    state = read_state(r)
    body = {}
    if err == E_OK:
        body = _read_body(r, req_type, accept)
    elif err == E_STALE_ID:
        body = dict(last_id=r.u64())
    ext = _read_ext(r, accept)
    r.end()
    return Reply(kind="reply", id=rid, req_type=req_type, err=err,
                 detail=detail, state=state, ext=ext, raw=bytes(pt), **body)


def decode_notification(pt, accept=0):
    r = Reader(pt)
    if r.u8() != T_NOTIFY:
        raise ProtocolError("not a notification")
    seq = r.u64()
    event = _enum(r.u8(), 0, 14 if accept & ACCEPT_ED3 else 11, "event")
    alarm = r.u8()
    if event in ALARM_EVENTS:
        # 0 only for alarm_silenced after SILENCE 0 (P8.5)
        _enum(alarm, 0 if event == 6 else 1, 7, "alarm of event %d" % event)
    elif event == 12:
        _enum(alarm, 1, 7, "alarm of alarm_test")   # P8.11
    elif alarm != 0:
        raise ProtocolError("alarm %d on event %d" % (alarm, event))
    state = read_state(r)
    ext = _read_ext(r, accept)
    r.end()
    return Reply(kind="notify", seq=seq, event=event, alarm=alarm,
                 state=state, ext=ext, raw=bytes(pt))


def decode_message(pt, accept=0):
    """accept: what the session's HELLO accepted (0: nothing)."""
    if not pt:
        raise ProtocolError("empty application message")
    if pt[0] == T_REPLY:
        return decode_reply(pt, accept)
    if pt[0] == T_NOTIFY:
        return decode_notification(pt, accept)
    raise ProtocolError("unknown message type 0x%02x" % pt[0])


# --- A session over a Unix socket (P2..P6) ----------------------------------

class Session:
    """One connection to a pump.  Owns its socket; close() releases it.

    handshake() raises Refused when the pump closes during the handshake.
    After it, send()/recv() move transport messages; request() sends one
    request and returns its decoded reply, keeping notifications that
    arrive meanwhile in self.notes (oldest first)."""

    def __init__(self, path, static_priv, pump_pub, timeout=5.0):
        self.path = path
        self.s_priv = bytes(static_priv)
        self.pump_pub = bytes(pump_pub)
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.eof = False
        self.tx = self.rx = None
        self.notes = []
        self.accept = 0      # what this session's HELLO accepted
        self.msg1 = None
        self.hh = None

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    # raw bytes
    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Reads more bytes; False on EOF/reset, raises TimeoutError."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data from the pump")
        rd, _, _ = select.select([self.sock], [], [], left)
        if not rd:
            raise TimeoutError("no data from the pump")
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def recv_frame(self, timeout=None):
        """The next frame's payload, or None at end of stream."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            if len(self.buf) >= 2:
                n = struct.unpack(">H", self.buf[:2])[0]
                if not 1 <= n <= MAX_FRAME:
                    raise ProtocolError("pump sent a frame of length %d" % n)
                if len(self.buf) >= 2 + n:
                    p, self.buf = self.buf[2:2 + n], self.buf[2 + n:]
                    return p
            if self.eof or not self._fill(deadline):
                if self.buf:
                    raise ProtocolError("stream ended inside a frame")
                return None

    def wait_closed(self, timeout=None):
        """True when the pump closes the connection within the timeout
        (anything it sends first is discarded)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            while not self.eof:
                self._fill(deadline)
        except TimeoutError:
            return False
        return True

    # handshake (P4)
    def handshake(self, ts=None, e_priv=None, prologue=PROLOGUE, msg1=None):
        """Sends message 1 (or the given raw msg1 bytes, for replay tests)
        and reads message 2."""
        hs = HandshakeState(True, prologue, self.s_priv, e=e_priv,
                            rs=self.pump_pub)
        if msg1 is None:
            msg1, _ = hs.write_message(tai64n_now() if ts is None else ts)
            if len(msg1) != MSG1_LEN:
                raise AssertionError("message 1 of %d bytes" % len(msg1))
        self.msg1 = msg1
        try:
            self.send_raw(frame(msg1))
        except (BrokenPipeError, ConnectionResetError):
            raise Refused("closed while sending message 1")
        m2 = self.recv_frame()
        if m2 is None:
            raise Refused("pump closed the connection during the handshake")
        if len(m2) != MSG2_LEN:
            raise ProtocolError("message 2 of %d bytes" % len(m2))
        payload, ciphers = hs.read_message(m2)
        if payload != b"":
            raise ProtocolError("message 2 payload not empty")
        self.tx, self.rx = ciphers            # remote sends with k1 (P4)
        self.hh = hs.handshake_hash()
        return self

    # transport (P5)
    def send(self, plaintext):
        self.send_raw(frame(self.tx.encrypt_with_ad(b"", plaintext)))

    def recv(self, timeout=None):
        """The next non-keepalive plaintext; None at end of stream."""
        while True:
            f = self.recv_frame(timeout)
            if f is None:
                return None
            try:
                pt = self.rx.decrypt_with_ad(b"", f)
            except InvalidTag:
                raise ProtocolError("a transport message from the pump "
                                    "failed to decrypt")
            if pt:
                return pt

    def recv_message(self, timeout=None):
        pt = self.recv(timeout)
        if pt is None:
            raise Closed("pump closed the session")
        return decode_message(pt, self.accept)

    def hello(self, rid, accept):
        """HELLO with accept: what the session reads from its reply on
        (P8.8).  The reply; a refusal (no extension then) leaves the
        session as it was."""
        self.send(req_hello(rid, accept))
        while True:
            pt = self.recv()
            if pt is None:
                raise Closed("pump closed the session")
            if pt[0] == T_NOTIFY:
                self.notes.append(decode_notification(pt, self.accept))
                continue
            try:
                rep = decode_reply(pt, accept)
            except ProtocolError:
                return decode_reply(pt, self.accept)
            self.accept = accept
            return rep

    def request(self, req, timeout=None):
        """Sends one request; returns its reply (notifications are kept)."""
        self.send(req)
        while True:
            m = self.recv_message(timeout)
            if m.kind == "notify":
                self.notes.append(m)
            else:
                return m

    def wait_note(self, pred, timeout=None):
        """The first kept or arriving notification with pred(n) true."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, n in enumerate(self.notes):
                if pred(n):
                    del self.notes[i]
                    return n
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no such notification")
            m = self.recv_message(left)
            if m.kind != "notify":
                raise ProtocolError("unrequested reply %r" % m)
            self.notes.append(m)


def connect(path, static_priv, pump_pub, **kw):
    return Session(path, static_priv, pump_pub).handshake(**kw)


