"""Tests of the directory hooks in assets/hooks/.

    python3 -m unittest discover -s tests/hooks -v

chpasswd-hook runs against a throwaway root made here (chpasswd -R DIR);
the tests that let the real chpasswd change a password need root and
/usr/sbin/chpasswd and skip otherwise. freeipa-hook runs against fake
ldapsearch/ldapwhoami/ldappasswd put first on PATH; when slapd (Debian's
package slapd) is installed, one more class runs the real OpenLDAP tools
against a private slapd on 127.0.0.1. The relay is tested through a Unix
socket server that runs chpasswd-hook per connection, as systemd's
Accept=yes does.
"""

import importlib.machinery
import importlib.util
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
HOOKS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "assets", "hooks")
CHPASSWD_HOOK = os.path.join(HOOKS, "chpasswd-hook")
FREEIPA_HOOK = os.path.join(HOOKS, "freeipa-hook")
RELAY = os.path.join(HOOKS, "rekey-hook-relay")
REAL_CHPASSWD = "/usr/sbin/chpasswd"
DAY_MS = 86400000
# rekey's [directory] timeout_secs default (src/directory/build.rs): every
# hook's own limit, and the relay's, must lie below it.
REKEY_DEFAULT_TIMEOUT = 10
BUILD_RS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src", "directory",
                        "build.rs")

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CAN_CHPASSWD = IS_ROOT and os.access(REAL_CHPASSWD, os.X_OK)
NEED_CHPASSWD = "needs root and %s (chpasswd -R chroots)" % REAL_CHPASSWD


def load_script(path, name):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def sha512_crypt(password, salt="saltsaltsalt"):
    hooks = load_script(CHPASSWD_HOOK, "chpasswd_hook_for_hash")
    out = hooks.crypt_hash(password, "$6$%s$" % salt)
    assert out and out.startswith("$6$"), out
    return out


def hash_matches(password, pwhash):
    hooks = load_script(CHPASSWD_HOOK, "chpasswd_hook_for_check")
    return hooks.password_matches(password, pwhash)


def run(argv, request, env, timeout=60):
    """Run a hook; (exit status, answer or None, stderr)."""
    data = request if isinstance(request, bytes) else json.dumps(request).encode()
    proc = subprocess.run(argv, input=data, capture_output=True, env=env,
                          timeout=timeout)
    try:
        answer = json.loads(proc.stdout.decode())
    except ValueError:
        answer = None
    return proc.returncode, answer, proc.stderr.decode()


def write(path, text, mode=None):
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def base_env(**extra):
    # REKEY_HOOK_CONFIG="": no config file, not /etc/rekey/*-hook.conf
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C",
           "REKEY_HOOK_CONFIG": ""}
    env.update(extra)
    return env


class ThrowawayRoot:
    """DIR/etc/{passwd,shadow,group,gshadow} with root, daemon, alice
    (uid 1001, password "alice-old-pw"), locked bob (uid 1002) and carol
    (uid 1003, no date of last change), and a map file."""

    ALICE_PW = "alice-old-pw"
    BOB_PW = "bob-old-pw"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rekey-hook-root-")
        etc = os.path.join(self.dir, "etc")
        os.mkdir(etc)
        self.passwd = os.path.join(etc, "passwd")
        self.shadow = os.path.join(etc, "shadow")
        write(self.passwd, textwrap.dedent("""\
            root:x:0:0:root:/root:/bin/bash
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            alice:x:1001:1001:Alice Liddell,,,:/home/alice:/bin/bash
            bob:x:1002:1002:Bob Locked:/home/bob:/bin/bash
            carol:x:1003:1003::/home/carol:/bin/bash
            """), 0o644)
        write(self.shadow, textwrap.dedent("""\
            root:%s:19000:0:99999:7:::
            daemon:%s:19000:0:99999:7:::
            alice:%s:19000:0:99999:7:::
            bob:!%s:19001:0:99999:7:::
            carol:%s::0:99999:7:::
            """) % (sha512_crypt("root-pw"), sha512_crypt("daemon-pw"),
                    sha512_crypt(self.ALICE_PW), sha512_crypt(self.BOB_PW),
                    sha512_crypt("carol-pw")), 0o640)
        write(os.path.join(etc, "group"), textwrap.dedent("""\
            root:x:0:
            daemon:x:1:
            shadow:x:42:
            alice:x:1001:
            bob:x:1002:
            carol:x:1003:
            """), 0o644)
        write(os.path.join(etc, "gshadow"), textwrap.dedent("""\
            root:*::
            daemon:*::
            shadow:*::
            alice:!::
            bob:!::
            carol:!::
            """), 0o640)
        self.map = os.path.join(self.dir, "addresses.map")
        write(self.map, textwrap.dedent("""\
            # address login
            a@example.com alice
            b@example.com   bob    # locked
            c@example.com carol
            r@example.com root
            d@example.com daemon
            ghost@example.com nobody-here
            twice@example.com alice
            twice@example.com carol
            """))

    def shadow_fields(self, login):
        with open(self.shadow) as f:
            for line in f:
                fields = line.rstrip("\n").split(":")
                if fields[0] == login:
                    return fields
        return None

    def shadow_bytes(self):
        with open(self.shadow, "rb") as f:
            return f.read()

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class ChpasswdHookTest(unittest.TestCase):
    def setUp(self):
        self.root = ThrowawayRoot()
        self.addCleanup(self.root.remove)
        self.env = base_env(REKEY_CHPASSWD_ROOT=self.root.dir,
                            REKEY_CHPASSWD_MAP_FILE=self.root.map)

    def hook(self, request, **env):
        e = dict(self.env)
        e.update(env)
        return run([CHPASSWD_HOOK], request, e)

    def req(self, op, address, account=None, password=None):
        r = {"version": 1, "op": op, "address": address}
        if account is not None:
            r["account"] = account
        if password is not None:
            r["password"] = password
        return r

    def fake_chpasswd(self, body):
        path = os.path.join(self.root.dir, "fake-chpasswd")
        write(path, "#!%s\n%s" % (sys.executable, textwrap.dedent(body)), 0o755)
        return path

    # find

    def test_find_mapped_address(self):
        rc, answer, _ = self.hook(self.req("find", "a@example.com"))
        self.assertEqual(rc, 0)
        self.assertEqual(answer, {"found": True, "account": "alice",
                                  "name": "Alice Liddell"})

    def test_find_is_case_insensitive_and_name_falls_back_to_login(self):
        rc, answer, _ = self.hook(self.req("find", "A@Example.COM"))
        self.assertEqual(answer["account"], "alice")
        rc, answer, _ = self.hook(self.req("find", "c@example.com"))
        self.assertEqual(answer, {"found": True, "account": "carol", "name": "carol"})

    def test_find_unmapped_address(self):
        for address in ("nobody@example.com", "ghost@example.com", "twice@example.com"):
            rc, answer, _ = self.hook(self.req("find", address))
            self.assertEqual((rc, answer), (0, {"found": False}), address)

    def test_find_domain_rule(self):
        env = {"REKEY_CHPASSWD_MAP_FILE": "", "REKEY_CHPASSWD_DOMAIN": "Example.com"}
        rc, answer, _ = self.hook(self.req("find", "carol@example.com"), **env)
        self.assertEqual(answer, {"found": True, "account": "carol", "name": "carol"})
        for address in ("carol@other.org", "root@example.com", "daemon@example.com",
                        "no:such@example.com"):
            rc, answer, _ = self.hook(self.req("find", address), **env)
            self.assertEqual((rc, answer), (0, {"found": False}), address)

    def test_map_file_wins_over_domain_rule(self):
        rc, answer, _ = self.hook(self.req("find", "a@example.com"),
                                  REKEY_CHPASSWD_DOMAIN="example.com")
        self.assertEqual(answer["account"], "alice")

    def test_config_file_and_env_override(self):
        config = os.path.join(self.root.dir, "hook.conf")
        write(config, "[chpasswd]\nroot = %s\nmap_file = %s\nmin_uid = 1002\n"
              % (self.root.dir, self.root.map))
        e = base_env(REKEY_HOOK_CONFIG=config)
        rc, answer, _ = run([CHPASSWD_HOOK], self.req("find", "c@example.com"), e)
        self.assertEqual(answer["account"], "carol")
        rc, answer, _ = run([CHPASSWD_HOOK], self.req("find", "a@example.com"), e)
        self.assertEqual(answer, {"found": False}, "uid 1001 < min_uid 1002")
        e["REKEY_CHPASSWD_MIN_UID"] = "1000"
        rc, answer, _ = run([CHPASSWD_HOOK], self.req("find", "a@example.com"), e)
        self.assertEqual(answer["account"], "alice")

    def test_config_argument(self):
        # rekey clears the hook's environment: --config is how it gets one.
        config = os.path.join(self.root.dir, "hook.conf")
        write(config, "[chpasswd]\nroot = %s\nmap_file = %s\n"
              % (self.root.dir, self.root.map))
        elsewhere = os.path.join(self.root.dir, "other.conf")
        write(elsewhere, "[chpasswd]\nmap_file = /nonexistent\n")
        e = base_env(REKEY_HOOK_CONFIG=elsewhere)
        for argv in ([CHPASSWD_HOOK, "--config", config],
                     [CHPASSWD_HOOK, "--config=" + config]):
            rc, answer, err = run(argv, self.req("find", "a@example.com"), e)
            self.assertEqual((rc, answer.get("account")), (0, "alice"), err)
        rc, answer, _ = run([CHPASSWD_HOOK], self.req("find", "a@example.com"), e)
        self.assertNotEqual(rc, 0, "without --config REKEY_HOOK_CONFIG applies")
        for argv in ([CHPASSWD_HOOK, "--config"], [CHPASSWD_HOOK, "--verbose"],
                     [CHPASSWD_HOOK, "--config", config, "extra"]):
            rc, answer, _ = run(argv, self.req("find", "a@example.com"), e)
            self.assertEqual(rc, 1, argv)
            self.assertIn("usage", answer["error"])

    def test_bad_config_is_an_error(self):
        config = os.path.join(self.root.dir, "hook.conf")
        write(config, "[chpasswd]\nno_such_key = 1\n")
        rc, answer, _ = self.hook(self.req("find", "a@example.com"),
                                  REKEY_HOOK_CONFIG=config)
        self.assertNotEqual(rc, 0)
        self.assertIn("error", answer)

    # system accounts

    def test_system_accounts_are_refused(self):
        before = self.root.shadow_bytes()
        for address, login, pw in (("r@example.com", "root", "root-pw"),
                                   ("d@example.com", "daemon", "daemon-pw")):
            rc, answer, _ = self.hook(self.req("find", address))
            self.assertEqual(answer, {"found": False}, login)
            rc, answer, _ = self.hook(self.req("verify", address, login, pw))
            self.assertEqual(answer, {"valid": False}, login)
            rc, answer, _ = self.hook(self.req("change", address, login, "New-pw-123"))
            self.assertEqual(rc, 0)
            self.assertEqual(answer["result"], "refused")
            self.assertEqual(answer["reason"], "other")
            self.assertIn("system", answer["message"])
        rc, answer, _ = self.hook(self.req("find", "a@example.com"),
                                  REKEY_CHPASSWD_DENY="carol, alice")
        self.assertEqual(answer, {"found": False})
        self.assertEqual(self.root.shadow_bytes(), before)

    # verify

    def test_verify(self):
        rc, answer, _ = self.hook(self.req("verify", "a@example.com", "alice",
                                           ThrowawayRoot.ALICE_PW))
        self.assertEqual((rc, answer), (0, {"valid": True}))
        rc, answer, _ = self.hook(self.req("verify", "a@example.com", "alice", "wrong"))
        self.assertEqual((rc, answer), (0, {"valid": False}))
        rc, answer, _ = self.hook(self.req("verify", "a@example.com", "alice", ""))
        self.assertEqual(answer, {"valid": False})

    def test_verify_locked_account_is_never_valid(self):
        rc, answer, _ = self.hook(self.req("verify", "b@example.com", "bob",
                                           ThrowawayRoot.BOB_PW))
        self.assertEqual((rc, answer), (0, {"valid": False}))

    def test_verify_account_must_match_address(self):
        rc, answer, _ = self.hook(self.req("verify", "c@example.com", "alice",
                                           ThrowawayRoot.ALICE_PW))
        self.assertEqual(answer, {"valid": False})

    # changed_at

    def test_changed_at(self):
        rc, answer, _ = self.hook(self.req("changed_at", "a@example.com", "alice"))
        self.assertEqual((rc, answer), (0, {"changed_at_ms": 19000 * DAY_MS,
                                            "precision_ms": DAY_MS}))
        rc, answer, _ = self.hook(self.req("changed_at", "c@example.com", "carol"))
        self.assertEqual((rc, answer), (0, {"changed_at_ms": None}))

    # change

    @unittest.skipUnless(CAN_CHPASSWD, NEED_CHPASSWD)
    def test_change(self):
        new = "Brand new: pass phrase 1"
        rc, answer, err = self.hook(self.req("change", "a@example.com", "alice", new))
        self.assertEqual((rc, answer), (0, {"result": "done"}), err)
        fields = self.root.shadow_fields("alice")
        self.assertTrue(fields[1].startswith("$y$"), fields[1])  # YESCRYPT
        self.assertTrue(hash_matches(new, fields[1]))
        self.assertFalse(hash_matches(ThrowawayRoot.ALICE_PW, fields[1]))
        today = int(time.time() // 86400)
        self.assertIn(int(fields[2]), (today - 1, today, today + 1))
        rc, answer, _ = self.hook(self.req("verify", "a@example.com", "alice", new))
        self.assertEqual(answer, {"valid": True})
        rc, answer, _ = self.hook(self.req("verify", "a@example.com", "alice",
                                           ThrowawayRoot.ALICE_PW))
        self.assertEqual(answer, {"valid": False})
        rc, answer, _ = self.hook(self.req("changed_at", "a@example.com", "alice"))
        self.assertEqual(answer, {"changed_at_ms": int(fields[2]) * DAY_MS,
                                  "precision_ms": DAY_MS})
        self.assertNotIn(new, err)
        # the others are untouched
        self.assertTrue(self.root.shadow_fields("bob")[1].startswith("!"))
        self.assertTrue(hash_matches("carol-pw", self.root.shadow_fields("carol")[1]))

    @unittest.skipUnless(CAN_CHPASSWD, NEED_CHPASSWD)
    def test_change_with_sha512(self):
        rc, answer, err = self.hook(self.req("change", "a@example.com", "alice", "Sha-512 pw"),
                                    REKEY_CHPASSWD_CRYPT_METHOD="sha512")
        self.assertEqual(answer, {"result": "done"}, err)
        fields = self.root.shadow_fields("alice")
        self.assertTrue(fields[1].startswith("$6$"), fields[1])
        self.assertTrue(hash_matches("Sha-512 pw", fields[1]))

    def test_change_locked_account_is_refused_and_nothing_changes(self):
        before = self.root.shadow_bytes()
        rc, answer, _ = self.hook(self.req("change", "b@example.com", "bob", "New-pw-123"))
        self.assertEqual(rc, 0)
        self.assertEqual(answer["result"], "refused")
        self.assertEqual(answer["reason"], "locked")
        self.assertIsInstance(answer["message"], str)
        self.assertEqual(self.root.shadow_bytes(), before)

    def test_change_expired_account_is_locked(self):
        with open(self.root.shadow) as f:
            text = f.read()
        text = text.replace(
            "carol:%s::0:99999:7:::" % self.root.shadow_fields("carol")[1],
            "carol:%s::0:99999:7::100:" % self.root.shadow_fields("carol")[1])
        write(self.root.shadow, text)
        rc, answer, _ = self.hook(self.req("change", "c@example.com", "carol", "New-pw-123"))
        self.assertEqual(answer["reason"], "locked")

    def test_change_refuses_line_injection(self):
        before = self.root.shadow_bytes()
        for pw in ("x\nroot:owned", "x\rroot", "x\0y"):
            rc, answer, _ = self.hook(self.req("change", "a@example.com", "alice", pw))
            self.assertEqual(answer["result"], "refused")
            self.assertEqual(answer["reason"], "other")
        self.assertEqual(self.root.shadow_bytes(), before)

    def test_change_account_must_match_address(self):
        rc, answer, _ = self.hook(self.req("change", "c@example.com", "alice", "New-pw-123"))
        self.assertEqual((answer["result"], answer["reason"]), ("refused", "other"))

    @unittest.skipUnless(CAN_CHPASSWD, NEED_CHPASSWD)
    def test_password_goes_to_chpasswd_stdin_only(self):
        record = os.path.join(self.root.dir, "record.json")
        fake = self.fake_chpasswd("""\
            import json, os, subprocess, sys
            data = sys.stdin.buffer.read()
            with open(%r, "w") as f:
                json.dump({"argv": sys.argv, "env": dict(os.environ),
                           "stdin": data.decode()}, f)
            sys.exit(subprocess.run([%r] + sys.argv[1:], input=data).returncode)
            """ % (record, REAL_CHPASSWD))
        new = "Secret-in-stdin-42"
        rc, answer, err = self.hook(self.req("change", "a@example.com", "alice", new),
                                    REKEY_CHPASSWD_CHPASSWD=fake)
        self.assertEqual(answer, {"result": "done"}, err)
        with open(record) as f:
            seen = json.load(f)
        self.assertEqual(seen["argv"][1:], ["-c", "YESCRYPT", "-R", self.root.dir])
        self.assertEqual(seen["stdin"], "alice:%s\n" % new)
        for arg in seen["argv"]:
            self.assertNotIn(new, arg)
        for key, value in seen["env"].items():
            self.assertNotIn(new, key + "=" + value)
        self.assertNotIn(new, err)
        self.assertTrue(hash_matches(new, self.root.shadow_fields("alice")[1]))

    def test_password_is_not_on_any_command_line_in_the_source(self):
        # Belt and braces: the only subprocess calls pass the password as
        # input=..., never in argv.
        with open(CHPASSWD_HOOK) as f:
            source = f.read()
        self.assertIn("input=line", source)
        self.assertNotIn("shell=True", source)

    def test_chpasswd_failure_is_refused_other_with_its_stderr(self):
        before = self.root.shadow_bytes()
        fake = self.fake_chpasswd("""\
            import sys
            sys.stdin.read()
            sys.stderr.write("chpasswd: (line 1, user alice) password not changed\\n")
            sys.exit(1)
            """)
        rc, answer, _ = self.hook(self.req("change", "a@example.com", "alice", "New-pw-123"),
                                  REKEY_CHPASSWD_CHPASSWD=fake)
        self.assertEqual(rc, 0)
        self.assertEqual(answer, {"result": "refused", "reason": "other",
                                  "message": "chpasswd: (line 1, user alice) password not changed"})
        self.assertEqual(self.root.shadow_bytes(), before)

    def assert_unknown(self, rc, answer, what=None):
        self.assertEqual(rc, 1, what)
        self.assertEqual(list(answer), ["error"], what)
        self.assertIn("unknown", answer["error"], what)

    def test_chpasswd_failing_after_changing_is_an_error(self):
        # e.g. "failure while writing changes": the entry changed, so a
        # refusal ("nothing changed") would be a lie
        fake = self.fake_chpasswd("""\
            import sys
            sys.stdin.read()
            path = %r
            with open(path) as f:
                lines = f.read().splitlines()
            with open(path, "w") as f:
                for line in lines:
                    if line.startswith("alice:"):
                        line = "alice:$6$half$written:" + line.split(":", 2)[2]
                    f.write(line + "\\n")
            sys.stderr.write("chpasswd: failure while writing changes to /etc/passwd\\n")
            sys.exit(1)
            """ % self.root.shadow)
        rc, answer, err = self.hook(self.req("change", "a@example.com", "alice", "New-pw-123"),
                                    REKEY_CHPASSWD_CHPASSWD=fake)
        self.assert_unknown(rc, answer, err)

    def test_chpasswd_timeout_is_an_error_within_the_hooks_limit(self):
        fake = self.fake_chpasswd("import sys, time\nsys.stdin.read()\ntime.sleep(60)\n")
        started = time.monotonic()
        rc, answer, err = self.hook(self.req("change", "a@example.com", "alice", "New-pw-123"),
                                    REKEY_CHPASSWD_CHPASSWD=fake, REKEY_CHPASSWD_TIMEOUT="2")
        self.assertLess(time.monotonic() - started, 2.5, "the hook keeps to its own limit")
        self.assert_unknown(rc, answer, err)
        self.assertIn("time limit", answer["error"])

    def test_chpasswd_killed_by_a_signal_is_an_error(self):
        fake = self.fake_chpasswd("import os, sys\nsys.stdin.read()\nos.kill(os.getpid(), 9)\n")
        rc, answer, err = self.hook(self.req("change", "a@example.com", "alice", "New-pw-123"),
                                    REKEY_CHPASSWD_CHPASSWD=fake)
        self.assert_unknown(rc, answer, err)
        self.assertIn("signal 9", answer["error"])

    def test_default_time_limit_is_below_the_relays_and_rekeys(self):
        hooks = load_script(CHPASSWD_HOOK, "chpasswd_hook_defaults")
        relay = load_script(RELAY, "rekey_hook_relay_defaults")
        self.assertEqual(hooks.DEFAULTS["timeout"], "8")
        self.assertEqual(hooks.load_settings(env={"REKEY_HOOK_CONFIG": ""})["timeout"], 8.0)
        _, relay_timeout = relay.parse_args([], {})
        self.assertEqual(relay_timeout, 9.0)
        self.assertLess(8.0, relay_timeout)
        self.assertLess(relay_timeout, REKEY_DEFAULT_TIMEOUT)
        for bad in ("0", "-2"):
            with self.assertRaises(hooks.Fault):
                hooks.load_settings(env={"REKEY_HOOK_CONFIG": "", "REKEY_CHPASSWD_TIMEOUT": bad})

    def test_chpasswd_that_lies_is_a_fault(self):
        fake = self.fake_chpasswd("import sys\nsys.stdin.read()\n")
        rc, answer, _ = self.hook(self.req("change", "a@example.com", "alice", "New-pw-123"),
                                  REKEY_CHPASSWD_CHPASSWD=fake)
        self.assertNotEqual(rc, 0)
        self.assertIn("error", answer)

    def test_missing_chpasswd_is_a_fault(self):
        rc, answer, _ = self.hook(self.req("change", "a@example.com", "alice", "New-pw-123"),
                                  REKEY_CHPASSWD_CHPASSWD="/nonexistent/chpasswd")
        self.assertNotEqual(rc, 0)
        self.assertIn("error", answer)

    # garbage

    def test_garbage_requests(self):
        for request in (b"", b"garbage", b"[1,2]", b'{"version":1}',
                        b'{"version":2,"op":"find","address":"a@example.com"}',
                        b'{"version":true,"op":"find","address":"a@example.com"}',
                        b'{"version":1,"op":"launch","address":"a@example.com"}',
                        b'{"version":1,"op":"verify","address":"a@example.com","account":"alice"}',
                        b'{"version":1,"op":"find","address":"no-at-sign"}',
                        b'{"version":1,"op":"find","address":7}',
                        b"\xff\xfe"):
            rc, answer, _ = self.hook(request)
            self.assertNotEqual(rc, 0, request)
            self.assertIsInstance(answer, dict, request)
            self.assertEqual(list(answer), ["error"], request)
            self.assertIsInstance(answer["error"], str)

    def test_missing_files_are_a_fault(self):
        rc, answer, _ = self.hook(self.req("find", "a@example.com"),
                                  REKEY_CHPASSWD_PASSWD_FILE="/nonexistent/passwd")
        self.assertNotEqual(rc, 0)
        self.assertIn("error", answer)


# ------------------------------------------------------------------ FreeIPA

FAKE_LDAP_TOOL = r'''
import json, os, signal, stat, sys, time

# state.json beside bin/, where the test keeps it (the hook passes the
# tools only PATH, LC_ALL and LDAP* variables)
STATE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[0]))),
                     "state.json")
tool = os.path.basename(sys.argv[0])
args = sys.argv[1:]

def opt(flag):
    return args[args.index(flag) + 1] if flag in args else None

def secret(flag):
    # read as lutil_get_filed_password does: fopen(path), all of it
    path = opt(flag)
    if path is None:
        return None
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        return {"path": path, "mode": stat.S_IMODE(st.st_mode),
                "fifo": stat.S_ISFIFO(st.st_mode),
                "regular": stat.S_ISREG(st.st_mode),
                "content": f.read().decode()}

with open(STATE) as f:
    state = json.load(f)
call = {"tool": tool, "argv": args, "y": secret("-y"), "T": secret("-T"),
        "env": {k: v for k, v in os.environ.items() if k.startswith("LDAP")}}
state["calls"].append(call)

def finish(code, out="", err=""):
    with open(STATE, "w") as f:
        json.dump(state, f)
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.exit(code)

if tool == "ldapsearch":
    if state.get("search_hang"):
        time.sleep(60)
    if state.get("search_rc"):
        finish(state["search_rc"], "", state.get("search_err", ""))
    finish(0, state["ldif"].get(args[-1 - len(state["attrs"])], ""))
if tool == "ldapwhoami":
    dn = opt("-D")
    if state["passwords"].get(dn) == call["y"]["content"]:
        finish(0, "dn:%s\n" % dn)
    finish(49, "", "ldap_bind: Invalid credentials (49)\n")
if tool == "ldappasswd":
    if state.get("passwd_hang"):
        # announce, then hang until killed (no state written: the test
        # looks at the files the hook may have left)
        open(state["passwd_hang"], "w").close()
        time.sleep(60)
    if state.get("passwd_signal"):
        with open(STATE, "w") as f:
            json.dump(state, f)
        os.kill(os.getpid(), signal.SIGKILL)
    if "passwd_result" in state:
        # as the real ldappasswd: the server's refusal on STDOUT, exit 1
        code, text, info = state["passwd_result"]
        out = "Result: %s (%d)\n" % (text, code)
        if info:
            out += "Additional info: %s\n" % info
        finish(0 if code == 0 else 1, out)
    if state.get("passwd_rc"):
        finish(state["passwd_rc"], state.get("passwd_out", ""), state.get("passwd_err", ""))
    state["passwords"][args[-1]] = call["T"]["content"]
    finish(0)
finish(2, "", "unknown fake tool\n")
'''

ALICE_DN = "uid=alice,cn=users,cn=accounts,dc=example,dc=com"
SERVICE_DN = "uid=rekey,cn=sysaccounts,cn=etc,dc=example,dc=com"
ALICE_LDIF = textwrap.dedent("""\
    dn: %s
    uid: alice
    cn: Alice Liddell
    krbLastPwdChange: 20250102030405Z

    """) % ALICE_DN


class FreeipaFakeToolsBase(unittest.TestCase):
    """Fake ldapsearch/ldapwhoami/ldappasswd first on PATH, their state in
    state.json. No tests of its own."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rekey-freeipa-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        bindir = os.path.join(self.dir, "bin")
        os.mkdir(bindir)
        for tool in ("ldapsearch", "ldapwhoami", "ldappasswd"):
            write(os.path.join(bindir, tool),
                  "#!%s\n%s" % (sys.executable, FAKE_LDAP_TOOL), 0o755)
        self.tmp = os.path.join(self.dir, "tmp")
        os.mkdir(self.tmp)
        self.bind_pw_file = os.path.join(self.dir, "bind.pw")
        write(self.bind_pw_file, "service-secret", 0o600)
        self.state_file = os.path.join(self.dir, "state.json")
        self.hooks = load_script(FREEIPA_HOOK, "freeipa_hook_module")
        self.state = {"calls": [], "attrs": self.hooks.ATTRS,
                      "passwords": {ALICE_DN: "alice-pw"},
                      "ldif": {"(&(mail=a@example.com)(objectClass=posixAccount))": ALICE_LDIF}}
        self.config = os.path.join(self.dir, "freeipa.conf")
        write(self.config, textwrap.dedent("""\
            [freeipa]
            uri = ldaps://ipa.example.com
            base = cn=users,cn=accounts,dc=example,dc=com
            bind_dn = %s
            bind_password_file = %s
            ca_cert = /etc/ipa/ca.crt
            tmp_dir = %s
            timeout = 7
            """) % (SERVICE_DN, self.bind_pw_file, self.tmp))
        # TMPDIR too: a temporary file would land in self.tmp either way
        self.env = base_env(PATH=bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
                            REKEY_HOOK_CONFIG=self.config, TMPDIR=self.tmp)

    def hook(self, request, **env):
        with open(self.state_file, "w") as f:
            json.dump(self.state, f)
        e = dict(self.env)
        e.update(env)
        result = run([FREEIPA_HOOK], request, e)
        with open(self.state_file) as f:
            self.state = json.load(f)
        return result

    def calls(self, tool):
        return [c for c in self.state["calls"] if c["tool"] == tool]

    def req(self, op, address="a@example.com", account=None, password=None):
        r = {"version": 1, "op": op, "address": address}
        if account is not None:
            r["account"] = account
        if password is not None:
            r["password"] = password
        return r

    def assert_no_secret_in_argv(self, secret):
        for call in self.state["calls"]:
            for arg in call["argv"]:
                self.assertNotIn(secret, arg)

    def assert_unknown(self, rc, answer, what):
        """A change whose outcome the hook cannot know: an error and a
        non-zero exit, never a refusal (rekey would read "unchanged")."""
        self.assertEqual(rc, 1, what)
        self.assertIsInstance(answer, dict, what)
        self.assertEqual(list(answer), ["error"], what)
        self.assertIn("unknown", answer["error"], what)


class FreeipaHookTest(FreeipaFakeToolsBase):

    # escaping and parsing, in-process

    def test_rfc4515_escaping(self):
        esc = self.hooks.escape_filter_value
        self.assertEqual(esc("plain@example.com"), "plain@example.com")
        self.assertEqual(esc("a*b(c)d\\e\0f"), "a\\2ab\\28c\\29d\\5ce\\00f")
        self.assertEqual(esc("*"), "\\2a")
        self.assertEqual(esc("é@example.com"), "é@example.com")

    def test_ldif_parsing(self):
        entries = self.hooks.parse_ldif(textwrap.dedent("""\
            dn: uid=a,dc=x
            cn:: w4lsaXNlIFN0YXI=
            description: folded
             line
            # a comment

            dn:: dWlkPWIsZGM9eA==
            uid: b
            """))
        self.assertEqual(entries, [("uid=a,dc=x", {"cn": ["Élise Star"],
                                                   "description": ["foldedline"]}),
                                   ("uid=b,dc=x", {"uid": ["b"]})])

    def test_generalized_time(self):
        self.assertEqual(self.hooks.gentime_ms("19700101000001Z"), 1000)
        self.assertEqual(self.hooks.gentime_ms("20250102030405Z"), 1735787045000)
        self.assertEqual(self.hooks.gentime_ms("20250102030405.5Z"), 1735787045500)
        self.assertIsNone(self.hooks.gentime_ms("garbage"))
        self.assertIsNone(self.hooks.gentime_ms(None))

    # find

    def test_find_argument_building(self):
        rc, answer, err = self.hook(self.req("find"))
        self.assertEqual((rc, answer), (0, {"found": True, "account": "alice",
                                            "name": "Alice Liddell"}), err)
        [call] = self.calls("ldapsearch")
        argv = call["argv"]
        self.assertEqual(argv[-len(self.hooks.ATTRS):], self.hooks.ATTRS)
        self.assertEqual(argv[-1 - len(self.hooks.ATTRS)],
                         "(&(mail=a@example.com)(objectClass=posixAccount))")
        for flag, value in (("-H", "ldaps://ipa.example.com"), ("-D", SERVICE_DN),
                            ("-y", self.bind_pw_file),
                            ("-b", "cn=users,cn=accounts,dc=example,dc=com"),
                            ("-s", "sub"), ("-z", "2")):
            self.assertEqual(argv[argv.index(flag) + 1], value, flag)
        # the tools' own limits lie inside the hook's (timeout = 7), so a
        # tool gives up and says why before the hook has to kill it
        limit = int(argv[argv.index("-l") + 1])
        self.assertTrue(1 <= limit < 7, limit)
        self.assertIn("nettimeout=%d" % limit, argv)
        self.assertIn("-x", argv)
        self.assertIn("-LLL", argv)
        self.assertNotIn("-w", argv)
        self.assertNotIn("-ZZ", argv)
        self.assertEqual(call["env"].get("LDAPTLS_CACERT"), "/etc/ipa/ca.crt")
        self.assert_no_secret_in_argv("service-secret")

    def test_find_escapes_the_address(self):
        address = "st*r(x)\\@example.com"
        flt = "(&(mail=st\\2ar\\28x\\29\\5c@example.com)(objectClass=posixAccount))"
        self.state["ldif"][flt] = textwrap.dedent("""\
            dn: uid=star,cn=users,cn=accounts,dc=example,dc=com
            uid: star
            cn:: w4lsaXNlIFN0YXI=

            """)
        rc, answer, _ = self.hook(self.req("find", address))
        self.assertEqual(answer, {"found": True, "account": "star", "name": "Élise Star"})
        [call] = self.calls("ldapsearch")
        self.assertIn(flt, call["argv"])

    def test_find_starttls_and_custom_filter(self):
        self.state["ldif"]["(mail=a@example.com)"] = ALICE_LDIF
        rc, answer, _ = self.hook(self.req("find"), REKEY_FREEIPA_STARTTLS="yes",
                                  REKEY_FREEIPA_FILTER="")
        self.assertEqual(answer["account"], "alice")
        self.assertIn("-ZZ", self.calls("ldapsearch")[0]["argv"])

    def test_find_not_found_and_ambiguous(self):
        rc, answer, _ = self.hook(self.req("find", "nobody@example.com"))
        self.assertEqual((rc, answer), (0, {"found": False}))
        self.state["ldif"]["(&(mail=a@example.com)(objectClass=posixAccount))"] = \
            ALICE_LDIF + ALICE_LDIF.replace("alice", "alice2")
        rc, answer, _ = self.hook(self.req("find"))
        self.assertEqual((rc, answer), (0, {"found": False}))
        self.state["search_rc"] = 4
        rc, answer, _ = self.hook(self.req("find"))
        self.assertEqual((rc, answer), (0, {"found": False}))

    def test_find_denied_uid(self):
        self.state["ldif"]["(&(mail=a@example.com)(objectClass=posixAccount))"] = \
            ALICE_LDIF.replace("uid: alice", "uid: admin")
        rc, answer, _ = self.hook(self.req("find"))
        self.assertEqual(answer, {"found": False})

    def test_find_faults(self):
        self.state["search_rc"] = 255
        self.state["search_err"] = "ldap_sasl_bind(SIMPLE): Can't contact LDAP server (-1)\n"
        rc, answer, _ = self.hook(self.req("find"))
        self.assertNotEqual(rc, 0)
        self.assertIn("unreachable", answer["error"])
        self.state["search_rc"] = 49
        rc, answer, _ = self.hook(self.req("find"))
        self.assertNotEqual(rc, 0)
        self.assertIn("error", answer)

    def test_config_argument(self):
        # rekey clears the hook's environment: --config is how it gets one.
        with open(self.state_file, "w") as f:
            json.dump(self.state, f)
        e = dict(self.env, REKEY_HOOK_CONFIG=os.path.join(self.dir, "missing.conf"))
        rc, answer, _ = run([FREEIPA_HOOK], self.req("find"), e)
        self.assertNotEqual(rc, 0)
        rc, answer, err = run([FREEIPA_HOOK, "--config", self.config], self.req("find"), e)
        self.assertEqual((rc, answer.get("account")), (0, "alice"), err)
        rc, answer, _ = run([FREEIPA_HOOK, "--bogus"], self.req("find"), e)
        self.assertEqual(rc, 1)
        self.assertIn("usage", answer["error"])

    def test_missing_settings_is_a_fault(self):
        write(self.config, "[freeipa]\nuri = ldaps://ipa.example.com\n")
        rc, answer, _ = self.hook(self.req("find"))
        self.assertNotEqual(rc, 0)
        self.assertIn("required", answer["error"])

    def test_garbage_request(self):
        for request in (b"garbage", b"{}", b'{"version":1,"op":"change","address":"a@example.com"}'):
            rc, answer, _ = self.hook(request)
            self.assertNotEqual(rc, 0)
            self.assertEqual(list(answer), ["error"])

    # verify

    def test_verify(self):
        rc, answer, err = self.hook(self.req("verify", account="alice", password="alice-pw"))
        self.assertEqual((rc, answer), (0, {"valid": True}), err)
        [call] = self.calls("ldapwhoami")
        argv = call["argv"]
        self.assertEqual(argv[argv.index("-D") + 1], ALICE_DN)
        # through a pipe on ldapwhoami's stdin, never a file
        self.assertEqual(argv[argv.index("-y") + 1], "/dev/stdin")
        self.assertTrue(call["y"]["fifo"])
        self.assertFalse(call["y"]["regular"])
        self.assertEqual(call["y"]["content"], "alice-pw")
        self.assertEqual(os.listdir(self.tmp), [])
        self.assert_no_secret_in_argv("alice-pw")

    def test_verify_wrong_password_empty_password_wrong_account(self):
        rc, answer, _ = self.hook(self.req("verify", account="alice", password="nope"))
        self.assertEqual((rc, answer), (0, {"valid": False}))
        self.state["calls"] = []
        rc, answer, _ = self.hook(self.req("verify", account="alice", password=""))
        self.assertEqual((rc, answer), (0, {"valid": False}))
        self.assertEqual(self.calls("ldapwhoami"), [], "an empty password binds anonymously")
        rc, answer, _ = self.hook(self.req("verify", account="bob", password="alice-pw"))
        self.assertEqual(answer, {"valid": False})
        self.assertEqual(self.calls("ldapwhoami"), [])
        self.assertEqual(os.listdir(self.tmp), [])

    # change

    def test_change(self):
        new = "New pass phrase 7"
        rc, answer, err = self.hook(self.req("change", account="alice", password=new))
        self.assertEqual((rc, answer), (0, {"result": "done"}), err)
        [call] = self.calls("ldappasswd")
        argv = call["argv"]
        self.assertEqual(argv[-1], ALICE_DN)
        self.assertEqual(argv[argv.index("-D") + 1], SERVICE_DN)
        self.assertEqual(argv[argv.index("-y") + 1], self.bind_pw_file)
        self.assertIn("-x", argv)
        for flag in ("-s", "-S", "-w", "-a", "-A"):
            self.assertNotIn(flag, argv)
        # through a pipe on ldappasswd's stdin, exactly (no newline added)
        self.assertEqual(argv[argv.index("-T") + 1], "/dev/stdin")
        self.assertTrue(call["T"]["fifo"])
        self.assertFalse(call["T"]["regular"])
        self.assertEqual(call["T"]["content"], new)
        self.assertEqual(os.listdir(self.tmp), [])
        self.assert_no_secret_in_argv(new)
        self.assertNotIn(new, err)
        self.assertEqual(self.state["passwords"][ALICE_DN], new)

    def test_no_password_file_in_the_source(self):
        with open(FREEIPA_HOOK) as f:
            source = f.read()
        for word in ("tempfile", "mkstemp", "NamedTemporaryFile", "os.write("):
            self.assertNotIn(word, source)
        self.assertNotIn("shell=True", source)

    def test_sigkill_at_rekeys_time_limit_leaves_no_password_on_disk(self):
        # rekey SIGKILLs the hook's process group when it overruns; no
        # `finally` runs then, so nothing secret may ever be on disk.
        new = "Killed-mid-change %s" % os.urandom(6).hex()
        started = os.path.join(self.dir, "ldappasswd-started")
        self.state["passwd_hang"] = started
        with open(self.state_file, "w") as f:
            json.dump(self.state, f)
        proc = subprocess.Popen([FREEIPA_HOOK], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env, start_new_session=True)
        proc.stdin.write(json.dumps(self.req("change", account="alice",
                                             password=new)).encode())
        proc.stdin.close()
        deadline = time.monotonic() + 10
        while not os.path.exists(started):
            self.assertLess(time.monotonic(), deadline, "ldappasswd never started")
            self.assertIsNone(proc.poll())
            time.sleep(0.02)
        os.killpg(proc.pid, 9)
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
        # self.tmp is both the hook's TMPDIR and its (ignored) tmp_dir
        self.assertEqual(os.listdir(self.tmp), [])
        for dirpath, _, files in os.walk(self.dir):
            for name in files:
                with open(os.path.join(dirpath, name), "rb") as f:
                    self.assertNotIn(new.encode(), f.read(), name)

    def change(self):
        return self.hook(self.req("change", account="alice", password="x-Pw-1"))

    def test_change_refusal_reasons(self):
        # ldappasswd exits 1 for every refusal; the server's code and text
        # are on its stdout (clients/tools/ldappasswd.c)
        cases = [("Password is too short", "too_short"),
                 ("Password reuse not permitted", "in_history"),
                 ("Password is too simple", "too_simple"),
                 ("Password contains too few digits", "too_simple"),
                 ("Password has too many consecutive characters", "too_simple"),
                 ("Account expired", "locked"),
                 ("Too soon to change password", "other")]
        for info, reason in cases:
            self.state["passwd_result"] = [19, "Constraint violation", info]
            rc, answer, _ = self.change()
            self.assertEqual(rc, 0)
            self.assertEqual(answer, {"result": "refused", "reason": reason,
                                      "message": info}, info)
        for code, text in ((50, "Insufficient access"), (53, "Server is unwilling to perform"),
                           (32, "No such object")):
            self.state["passwd_result"] = [code, text, ""]
            rc, answer, _ = self.change()
            self.assertEqual((rc, answer["result"], answer["reason"]), (0, "refused", "other"),
                             code)
        self.assertEqual(self.state["passwords"][ALICE_DN], "alice-pw")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_change_that_never_left_is_refused(self):
        # failures before ldappasswd sends the request: nothing changed
        for rc_, err, reason in (
                (255, "ldap_sasl_bind(SIMPLE): Can't contact LDAP server (-1)\n", "unreachable"),
                (245, "ldap_sasl_bind(SIMPLE): Connect error (-11)\n", "unreachable"),
                (1, "ldap_start_tls: Connect error (-11)\n"
                    "\tadditional info: (unknown error code)\n", "unreachable"),
                (49, "ldap_bind: Invalid credentials (49)\n", "other")):
            self.state["passwd_rc"], self.state["passwd_err"] = rc_, err
            rc, answer, _ = self.change()
            self.assertEqual((rc, answer["result"], answer["reason"]), (0, "refused", reason),
                             err)
        self.assertIn("service account", answer["message"])

    def test_change_with_unknown_outcome_is_an_error(self):
        # after the request may have left, nothing but an error will do
        cases = [
            # the connection lost while waiting for the result (the same
            # -1 as at bind time, but after the request was sent)
            {"passwd_rc": 255, "passwd_err": "ldap_result: Can't contact LDAP server (-1)\n"},
            {"passwd_rc": 255, "passwd_err": "ldap_bind: Success (0)\n"
                                             "\tadditional info: warning\n"
                                             "ldap_result: Can't contact LDAP server (-1)\n"},
            {"passwd_rc": 1, "passwd_err": "ldap_extended_operation: Can't contact LDAP server (-1)\n"},
            {"passwd_rc": 251, "passwd_err": "ldap_result: Timed out (-5)\n"},
            # server results that do not say "not done"
            {"passwd_result": [80, "Other (e.g., implementation specific) error", "ipa"]},
            {"passwd_result": [51, "Server is busy", ""]},
            {"passwd_result": [1, "Operations error", "Failed to update password"]},
            {"passwd_result": [0, "Success", ""], "passwd_rc": 1},
            # nothing understood
            {"passwd_rc": 1},
            {"passwd_rc": 1, "passwd_out": "garbage\n", "passwd_err": "who knows\n"},
            {"passwd_rc": 2, "passwd_err": "ldappasswd: something else\n"},
            # killed by a signal (crashed)
            {"passwd_signal": True},
        ]
        for case in cases:
            for key in ("passwd_rc", "passwd_err", "passwd_out", "passwd_result",
                        "passwd_signal"):
                self.state.pop(key, None)
            self.state.update(case)
            if case.get("passwd_result") == [0, "Success", ""]:
                # a Result line that says success but a failing exit
                self.state["passwd_out"] = "Result: Success (0)\n"
                del self.state["passwd_result"]
            rc, answer, _ = self.change()
            self.assert_unknown(rc, answer, case)

    def test_change_timeout_is_an_error_within_the_hooks_limit(self):
        self.state["passwd_hang"] = os.path.join(self.dir, "started")
        started = time.monotonic()
        rc, answer, err = self.hook(self.req("change", account="alice", password="x-Pw-1"),
                                    REKEY_FREEIPA_TIMEOUT="1.5")
        took = time.monotonic() - started
        self.assert_unknown(rc, answer, err)
        self.assertIn("time limit", answer["error"])
        self.assertLess(took, 1.5 + 0.5, "the hook keeps to its own limit")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_change_unreachable_during_lookup(self):
        self.state["search_rc"] = 255
        rc, answer, _ = self.change()
        self.assertEqual((rc, answer["reason"]), (0, "unreachable"))
        # a search that hangs is killed: still only a search, so refused
        self.state["search_rc"] = 0
        self.state["search_hang"] = True
        self.state["calls"] = []
        started = time.monotonic()
        rc, answer, _ = self.hook(self.req("change", account="alice", password="x-Pw-1"),
                                  REKEY_FREEIPA_TIMEOUT="1")
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertEqual((rc, answer["result"], answer["reason"]), (0, "refused", "unreachable"))

    def test_default_time_limit_is_below_rekeys(self):
        self.assertEqual(self.hooks.DEFAULTS["timeout"], "8")
        settings = self.hooks.load_settings(
            env={"REKEY_HOOK_CONFIG": "", "REKEY_FREEIPA_URI": "ldap://x",
                 "REKEY_FREEIPA_BASE": "dc=x", "REKEY_FREEIPA_BIND_DN": "cn=x",
                 "REKEY_FREEIPA_BIND_PASSWORD_FILE": "/x"})
        self.assertEqual(settings["timeout"], 8.0)
        self.assertLess(settings["timeout"], REKEY_DEFAULT_TIMEOUT)
        for bad in ("0", "-1", "soon"):
            with self.assertRaises(self.hooks.Fault):
                self.hooks.load_settings(env={"REKEY_HOOK_CONFIG": "", "REKEY_FREEIPA_URI": "x",
                                              "REKEY_FREEIPA_BASE": "x",
                                              "REKEY_FREEIPA_BIND_DN": "x",
                                              "REKEY_FREEIPA_BIND_PASSWORD_FILE": "x",
                                              "REKEY_FREEIPA_TIMEOUT": bad})

    def test_change_locked_accounts(self):
        key = "(&(mail=a@example.com)(objectClass=posixAccount))"
        for extra in ("nsAccountLock: TRUE\n", "krbPrincipalExpiration: 20200101000000Z\n"):
            self.state["calls"] = []
            self.state["ldif"][key] = ALICE_LDIF.rstrip("\n") + "\n" + extra + "\n"
            rc, answer, _ = self.hook(self.req("change", account="alice", password="x-Pw-1"))
            self.assertEqual((rc, answer["result"], answer["reason"]), (0, "refused", "locked"))
            self.assertEqual(self.calls("ldappasswd"), [])

    def test_change_refuses_newlines(self):
        rc, answer, _ = self.hook(self.req("change", account="alice", password="a\nb"))
        self.assertEqual((answer["result"], answer["reason"]), ("refused", "other"))
        self.assertEqual(self.calls("ldappasswd"), [])

    # changed_at

    def test_changed_at(self):
        rc, answer, _ = self.hook(self.req("changed_at", account="alice"))
        self.assertEqual((rc, answer), (0, {"changed_at_ms": 1735787045000}))
        self.state["ldif"]["(&(mail=a@example.com)(objectClass=posixAccount))"] = \
            ALICE_LDIF.replace("krbLastPwdChange: 20250102030405Z\n", "")
        rc, answer, _ = self.hook(self.req("changed_at", account="alice"))
        self.assertEqual((rc, answer), (0, {"changed_at_ms": None}))


SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if os.path.exists("/usr/sbin/slapd") else None)
SLAPADD = SLAPD and os.path.join(os.path.dirname(SLAPD), "slapadd")
SCHEMA = "/etc/ldap/schema"
HAVE_SLAPD = bool(SLAPD and os.path.exists(SLAPADD)
                  and os.path.exists(os.path.join(SCHEMA, "nis.schema"))
                  and all(shutil.which(t) for t in ("ldapsearch", "ldapwhoami", "ldappasswd")))


@unittest.skipUnless(HAVE_SLAPD, "needs slapd and ldap-utils (Debian packages) "
                     "for a real LDAP server")
class FreeipaHookRealToolsTest(unittest.TestCase):
    """The real ldapsearch/ldapwhoami/ldappasswd against OpenLDAP's slapd.
    Not FreeIPA (no krb attributes, no ipa-pwd-extop), but the same LDAP
    operations: search as a service account, simple bind as the user, RFC
    3062 Password Modify with -T."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rekey-slapd-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        db = os.path.join(self.dir, "db")
        os.mkdir(db)
        conf = os.path.join(self.dir, "slapd.conf")
        write(conf, textwrap.dedent("""\
            include {s}/core.schema
            include {s}/cosine.schema
            include {s}/inetorgperson.schema
            include {s}/nis.schema
            modulepath /usr/lib/ldap
            moduleload back_mdb
            moduleload ppolicy
            database mdb
            suffix "dc=example,dc=com"
            rootdn "cn=Manager,dc=example,dc=com"
            directory {db}
            overlay ppolicy
            ppolicy_default "cn=default,ou=policies,dc=example,dc=com"
            access to dn.exact="uid=guarded,ou=users,dc=example,dc=com" attrs=userPassword
              by anonymous auth
              by * none
            access to attrs=userPassword
              by dn.exact="uid=rekey,ou=sys,dc=example,dc=com" write
              by self write
              by anonymous auth
              by * none
            access to * by * read
            """).format(s=SCHEMA, db=db))
        ldif = os.path.join(self.dir, "init.ldif")
        write(ldif, textwrap.dedent("""\
            dn: dc=example,dc=com
            objectClass: dcObject
            objectClass: organization
            dc: example
            o: Example

            dn: ou=users,dc=example,dc=com
            objectClass: organizationalUnit
            ou: users

            dn: ou=sys,dc=example,dc=com
            objectClass: organizationalUnit
            ou: sys

            dn: ou=policies,dc=example,dc=com
            objectClass: organizationalUnit
            ou: policies

            dn: cn=default,ou=policies,dc=example,dc=com
            objectClass: organizationalRole
            objectClass: pwdPolicy
            cn: default
            pwdAttribute: userPassword
            pwdMinLength: 10
            pwdCheckQuality: 2
            pwdInHistory: 3

            dn: uid=rekey,ou=sys,dc=example,dc=com
            objectClass: account
            objectClass: simpleSecurityObject
            uid: rekey
            userPassword: service-secret

            dn: uid=alice,ou=users,dc=example,dc=com
            objectClass: inetOrgPerson
            objectClass: posixAccount
            uid: alice
            cn: Alice Liddell
            sn: Liddell
            mail: a@example.com
            uidNumber: 1001
            gidNumber: 1001
            homeDirectory: /home/alice
            userPassword: alice-old-pw

            dn: uid=guarded,ou=users,dc=example,dc=com
            objectClass: inetOrgPerson
            objectClass: posixAccount
            uid: guarded
            cn: Guarded
            sn: Guarded
            mail: g@example.com
            uidNumber: 1003
            gidNumber: 1003
            homeDirectory: /home/guarded
            userPassword: guarded-old-pw

            dn: uid=star,ou=users,dc=example,dc=com
            objectClass: inetOrgPerson
            objectClass: posixAccount
            uid: star
            cn: Star
            sn: Star
            mail: st*r(x)@example.com
            uidNumber: 1002
            gidNumber: 1002
            homeDirectory: /home/star
            """))
        subprocess.run([SLAPADD, "-f", conf, "-l", ldif], check=True,
                       capture_output=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.uri = "ldap://127.0.0.1:%d" % port
        self.slapd = subprocess.Popen([SLAPD, "-f", conf, "-h", self.uri + "/", "-d", "0"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(self.stop_slapd)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.slapd.poll() is not None:
                    self.fail("slapd did not start")
                time.sleep(0.1)
        bind_pw = os.path.join(self.dir, "bind.pw")
        write(bind_pw, "service-secret", 0o600)
        self.env = base_env(REKEY_FREEIPA_URI=self.uri,
                            REKEY_FREEIPA_BASE="ou=users,dc=example,dc=com",
                            REKEY_FREEIPA_BIND_DN="uid=rekey,ou=sys,dc=example,dc=com",
                            REKEY_FREEIPA_BIND_PASSWORD_FILE=bind_pw,
                            REKEY_FREEIPA_TIMEOUT="5")

    def stop_slapd(self):
        self.slapd.terminate()
        try:
            self.slapd.wait(10)
        except subprocess.TimeoutExpired:
            self.slapd.kill()
            self.slapd.wait()

    def hook(self, request):
        return run([FREEIPA_HOOK], request, self.env)

    def test_round_trip(self):
        base = {"version": 1, "address": "A@example.com", "account": "alice"}
        rc, answer, err = self.hook({"version": 1, "op": "find", "address": "A@example.com"})
        self.assertEqual(answer, {"found": True, "account": "alice", "name": "Alice Liddell"}, err)
        rc, answer, err = self.hook(dict(base, op="verify", password="alice-old-pw"))
        self.assertEqual(answer, {"valid": True}, err)
        rc, answer, err = self.hook(dict(base, op="verify", password="wrong"))
        self.assertEqual(answer, {"valid": False}, err)
        new = "New: pass phrase 9"
        rc, answer, err = self.hook(dict(base, op="change", password=new))
        self.assertEqual(answer, {"result": "done"}, err)
        rc, answer, err = self.hook(dict(base, op="verify", password=new))
        self.assertEqual(answer, {"valid": True}, "the -T file must hold exactly the password")
        rc, answer, err = self.hook(dict(base, op="verify", password="alice-old-pw"))
        self.assertEqual(answer, {"valid": False}, err)
        rc, answer, err = self.hook(dict(base, op="changed_at"))
        self.assertEqual(answer, {"changed_at_ms": None}, err)

    def test_password_read_from_the_pipe_exactly(self):
        # ldappasswd -T /dev/stdin: the whole of stdin, nothing stripped or
        # added (lutil_get_filed_password); ldapwhoami -y /dev/stdin alike
        base = {"version": 1, "address": "a@example.com", "account": "alice"}
        new = " spaces at both ends, and a tab\t "
        rc, answer, err = self.hook(dict(base, op="change", password=new))
        self.assertEqual(answer, {"result": "done"}, err)
        self.assertNotIn("publicly readable", err)
        rc, answer, err = self.hook(dict(base, op="verify", password=new))
        self.assertEqual(answer, {"valid": True}, err)
        for near in (new.strip(), new + "\n", new[:-1]):
            rc, answer, err = self.hook(dict(base, op="verify", password=near))
            self.assertEqual(answer, {"valid": False}, repr(near))

    def test_real_refusals(self):
        # the real ldappasswd exits 1 and prints the result on stdout
        base = {"version": 1, "address": "a@example.com", "account": "alice"}
        rc, answer, err = self.hook(dict(base, op="change", password="short"))
        self.assertEqual((rc, answer.get("result"), answer.get("reason")),
                         (0, "refused", "other"), err)  # ppolicy: constraint violation
        self.assertIn("quality", answer["message"])
        rc, answer, err = self.hook(dict(base, op="verify", password="alice-old-pw"))
        self.assertEqual(answer, {"valid": True}, "refused means unchanged")
        guarded = {"version": 1, "address": "g@example.com", "account": "guarded"}
        rc, answer, err = self.hook(dict(guarded, op="change", password="Long enough pw 1"))
        self.assertEqual((rc, answer.get("result"), answer.get("reason")),
                         (0, "refused", "other"), err)  # insufficient access (50)
        self.assertIn("may not change", answer["message"])
        rc, answer, err = self.hook(dict(guarded, op="verify", password="guarded-old-pw"))
        self.assertEqual(answer, {"valid": True})

    def test_real_bind_refused_is_a_refusal(self):
        bad = os.path.join(self.dir, "bad.pw")
        write(bad, "not-the-secret", 0o600)
        self.env["REKEY_FREEIPA_BIND_PASSWORD_FILE"] = bad
        # find/verify/changed_at: a fault; change: certainly not done
        rc, answer, err = self.hook({"version": 1, "op": "find", "address": "a@example.com"})
        self.assertNotEqual(rc, 0)
        self.env["REKEY_FREEIPA_LDAPSEARCH"] = self.fake_ldapsearch()
        rc, answer, err = self.hook({"version": 1, "op": "change", "address": "a@example.com",
                                     "account": "alice", "password": "Long enough pw 2"})
        self.assertEqual((rc, answer.get("result"), answer.get("reason")),
                         (0, "refused", "other"), err)
        self.assertIn("service account", answer["message"])

    def fake_ldapsearch(self):
        """An ldapsearch that finds alice without asking the server."""
        path = os.path.join(self.dir, "ldapsearch")
        write(path, "#!/bin/sh\nprintf 'dn: uid=alice,ou=users,dc=example,dc=com\\n"
              "uid: alice\\ncn: Alice\\n\\n'\n", 0o755)
        return path

    def test_escaping_against_a_real_server(self):
        rc, answer, err = self.hook({"version": 1, "op": "find",
                                     "address": "st*r(x)@example.com"})
        self.assertEqual(answer, {"found": True, "account": "star", "name": "Star"}, err)
        rc, answer, err = self.hook({"version": 1, "op": "find", "address": "*@example.com"})
        self.assertEqual(answer, {"found": False}, err)


def ber_items(data):
    """[(tag, value)] of the BER TLVs in data (definite lengths only)."""
    items, i = [], 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            n = length & 0x7f
            length = int.from_bytes(data[i:i + n], "big")
            i += n
        items.append((tag, data[i:i + length]))
        i += length
    return items


def ber_int(n):
    body = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big")
    return b"\x02" + bytes([len(body)]) + body


class SilentLdapServer:
    """Just enough LDAP on 127.0.0.1 for the real ldappasswd: the simple
    bind succeeds; the Password Modify request that follows is recorded
    (its newPasswd) and then never answered (mode "hang") or answered by
    closing the connection (mode "drop") -- in both the request has left,
    so its outcome is not known to the client."""

    def __init__(self, mode):
        self.mode = mode
        self.new_passwords = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.uri = "ldap://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def read_message(self, conn):
        head = b""
        while len(head) < 2:
            chunk = conn.recv(2 - len(head))
            if not chunk:
                return None
            head += chunk
        length, extra = head[1], b""
        if length & 0x80:
            extra = conn.recv(length & 0x7f)
            length = int.from_bytes(extra, "big")
        body = b""
        while len(body) < length:
            chunk = conn.recv(length - len(body))
            if not chunk:
                return None
            body += chunk
        [(_, msgid), (op, value)] = ber_items(body)[:2]
        return int.from_bytes(msgid, "big"), op, value

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            try:
                while True:
                    message = self.read_message(conn)
                    if message is None:
                        break
                    msgid, op, value = message
                    if op == 0x60:  # BindRequest -> BindResponse success
                        result = b"\x61\x07\x0a\x01\x00\x04\x00\x04\x00"
                        inner = ber_int(msgid) + result
                        conn.sendall(b"\x30" + bytes([len(inner)]) + inner)
                    elif op == 0x77:  # ExtendedRequest: Password Modify
                        for tag, part in ber_items(value):
                            if tag == 0x81:  # requestValue
                                [(_, seq)] = ber_items(part)
                                self.new_passwords += [v.decode() for t, v in
                                                       ber_items(seq) if t == 0x82]
                        if self.mode == "drop":
                            conn.close()
                            break
            except OSError:
                pass

    def close(self):
        for sock in [self.sock] + self.conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes accept() and recv()
            except OSError:
                pass
            sock.close()
        self.thread.join(5)


HAVE_LDAPPASSWD = bool(shutil.which("ldappasswd"))


@unittest.skipUnless(HAVE_LDAPPASSWD, "needs ldappasswd (Debian package ldap-utils)")
class FreeipaHookRealLdappasswdTest(FreeipaFakeToolsBase):
    """The real ldappasswd (the fake ldapsearch finds the entry) against a
    server that takes the request and then fails the client: the outcome is
    unknown, so the hook must answer an error, never a refusal."""

    def setUp(self):
        super().setUp()
        self.real = shutil.which("ldappasswd")

    def server(self, mode):
        server = SilentLdapServer(mode)
        self.addCleanup(server.close)
        return server

    def change(self, uri, password="Unknown fate pw 4", timeout="8"):
        started = time.monotonic()
        result = self.hook(self.req("change", account="alice", password=password),
                           REKEY_FREEIPA_URI=uri, REKEY_FREEIPA_LDAPPASSWD=self.real,
                           REKEY_FREEIPA_TIMEOUT=timeout)
        return result + (time.monotonic() - started,)

    def test_killed_while_waiting_for_the_result(self):
        server = self.server("hang")
        new = "Unknown fate pw 4"
        rc, answer, err, took = self.change(server.uri, new, timeout="2")
        self.assert_unknown(rc, answer, err)
        self.assertIn("time limit", answer["error"])
        self.assertLess(took, 2.5, "the hook answered within its own limit")
        # the request had left, with exactly the password (no newline)
        self.assertEqual(server.new_passwords, [new])
        self.assertEqual(os.listdir(self.tmp), [])

    def test_connection_lost_after_the_request(self):
        server = self.server("drop")
        rc, answer, err, _ = self.change(server.uri)
        self.assert_unknown(rc, answer, err)
        self.assertIn("ldap_result", answer["error"])  # -1, but after the bind
        self.assertEqual(server.new_passwords, ["Unknown fate pw 4"])

    def test_no_server_at_bind_time_is_unreachable(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # closed again: nothing listens
        rc, answer, err, _ = self.change("ldap://127.0.0.1:%d" % port)
        self.assertEqual((rc, answer.get("result"), answer.get("reason")),
                         (0, "refused", "unreachable"), err)
        self.assertIn("ldap_sasl_bind", answer["message"])


# -------------------------------------------------------------------- relay


class AcceptServer:
    """A Unix socket server that, like systemd's Accept=yes with
    StandardInput=socket and StandardOutput=socket, runs a command per
    connection with the connection as its stdin and stdout."""

    def __init__(self, path, argv=None, env=None, handler=None):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.argv, self.env, self.handler = argv, env, handler
        self.stderr = []
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                if self.handler:
                    self.handler(conn)
                    continue
                proc = subprocess.run(self.argv, stdin=conn.fileno(), stdout=conn.fileno(),
                                      stderr=subprocess.PIPE, env=self.env, timeout=60)
                self.stderr.append(proc.stderr.decode())

    def close(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(10)


class RelayTest(unittest.TestCase):
    def setUp(self):
        self.root = ThrowawayRoot()
        self.addCleanup(self.root.remove)
        self.sockdir = tempfile.mkdtemp(prefix="rekey-relay-")
        self.addCleanup(shutil.rmtree, self.sockdir, True)
        self.path = os.path.join(self.sockdir, "hook.sock")

    def serve(self, **kw):
        server = AcceptServer(self.path, **kw)
        self.addCleanup(server.close)
        return server

    def serve_hook(self):
        env = base_env(REKEY_CHPASSWD_ROOT=self.root.dir,
                       REKEY_CHPASSWD_MAP_FILE=self.root.map)
        return self.serve(argv=[CHPASSWD_HOOK], env=env)

    def relay(self, request, *args, **env):
        return run([RELAY, "--socket", self.path] + list(args), request, base_env(**env))

    @unittest.skipUnless(CAN_CHPASSWD, NEED_CHPASSWD)
    def test_end_to_end_change_through_the_relay(self):
        server = self.serve_hook()
        new = "Relayed new pw 5"
        rc, answer, err = self.relay({"version": 1, "op": "change", "address": "a@example.com",
                                      "account": "alice", "password": new})
        self.assertEqual((rc, answer), (0, {"result": "done"}), err + "".join(server.stderr))
        self.assertTrue(hash_matches(new, self.root.shadow_fields("alice")[1]))
        rc, answer, err = self.relay({"version": 1, "op": "verify", "address": "a@example.com",
                                      "account": "alice", "password": new})
        self.assertEqual((rc, answer), (0, {"valid": True}))
        self.assertIn("change alice: done", "".join(server.stderr))
        for text in server.stderr + [err]:
            self.assertNotIn(new, text)

    def test_find_and_refusal_through_the_relay(self):
        self.serve_hook()
        rc, answer, err = self.relay({"version": 1, "op": "find", "address": "a@example.com"})
        self.assertEqual((rc, answer), (0, {"found": True, "account": "alice",
                                            "name": "Alice Liddell"}), err)
        rc, answer, err = self.relay({"version": 1, "op": "change", "address": "b@example.com",
                                      "account": "bob", "password": "New-pw-123"})
        self.assertEqual((rc, answer["reason"]), (0, "locked"))

    def test_error_answer_gives_non_zero_exit(self):
        self.serve_hook()
        rc, answer, _ = self.relay(b"garbage")
        self.assertNotEqual(rc, 0)
        self.assertEqual(list(answer), ["error"])

    def test_socket_from_environment(self):
        self.serve_hook()
        rc, answer, _ = run([RELAY], {"version": 1, "op": "find", "address": "x@example.com"},
                            base_env(REKEY_HOOK_SOCKET=self.path))
        self.assertEqual((rc, answer), (0, {"found": False}))

    def test_no_helper(self):
        rc, answer, err = self.relay({"version": 1, "op": "find", "address": "a@example.com"})
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot reach the root helper", answer["error"])

    def test_helper_closes_without_answer_or_sends_garbage(self):
        replies = [b"", b"not json", b"[1]"]

        def handler(conn):
            conn.recv(65536)
            conn.sendall(replies.pop(0))

        self.serve(handler=handler)
        for _ in range(3):
            rc, answer, _ = self.relay({"version": 1, "op": "find", "address": "a@example.com"})
            self.assertNotEqual(rc, 0)
            self.assertEqual(list(answer), ["error"])

    def test_helper_sees_end_of_input_and_request_verbatim(self):
        seen = []

        def handler(conn):
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            seen.append(data)
            conn.sendall(b'{"valid": true}\n')

        self.serve(handler=handler)
        request = b'{"version":1,"op":"verify","address":"a@example.com","account":"alice","password":"p"}'
        rc, answer, _ = self.relay(request)
        self.assertEqual((rc, answer), (0, {"valid": True}))
        self.assertEqual(seen, [request])

    def test_timeout(self):
        def handler(conn):
            time.sleep(3)

        self.serve(handler=handler)
        started = time.monotonic()
        rc, answer, _ = self.relay({"version": 1, "op": "find", "address": "a@example.com"},
                                   "--timeout", "0.5")
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertNotEqual(rc, 0)
        self.assertIn("did not answer", answer["error"])


class ScriptsTest(unittest.TestCase):
    @unittest.skipUnless(os.path.exists(BUILD_RS), "needs src/directory/build.rs")
    def test_rekeys_default_time_limit_is_the_one_assumed_here(self):
        import re
        with open(BUILD_RS) as f:
            found = re.findall(r"\btimeout_secs:\s*(\d+)", f.read())
        self.assertEqual(found, [str(REKEY_DEFAULT_TIMEOUT)])

    def test_executable_with_env_python3_shebang(self):
        for path in (CHPASSWD_HOOK, FREEIPA_HOOK, RELAY):
            mode = os.stat(path).st_mode
            self.assertTrue(mode & stat.S_IXUSR, path)
            with open(path) as f:
                self.assertEqual(f.readline(), "#!/usr/bin/env python3\n", path)

    def test_standard_library_only(self):
        allowed = set(sys.stdlib_module_names) if hasattr(sys, "stdlib_module_names") else None
        if allowed is None:
            self.skipTest("needs Python 3.10+")
        import ast
        for path in (CHPASSWD_HOOK, FREEIPA_HOOK, RELAY):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with open(path) as f:
                    tree = ast.parse(f.read())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module]
                for name in names:
                    self.assertIn(name.split(".")[0], allowed, (path, name))


if __name__ == "__main__":
    unittest.main()
