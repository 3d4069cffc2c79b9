"""Looks for secrets in files: each secret in clear, and in base64 at all
three alignments (the base64 of the secret after 0, 1 and 2 other bytes,
keeping only the 4-character groups made of the secret's bytes alone, so
a secret inside any longer base64 payload is found whatever precedes or
follows it). RFC 4648 and its URL-safe alphabet.

Usage: secret_scan.py --secret-env VAR [--secret-env VAR...] FILE...
The secrets come from the environment, never the command line. Prints
every hit (file, which form, offset) without the secret; exit 1 if any."""
import argparse
import base64
import os
import sys


def forms(secret):
    """(name, bytes) of every form a secret is looked for in."""
    out = [("clear", secret)]
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + secret)
        n = k + len(secret)
        # group i covers bytes [3i, 3i+3): keep those inside the secret
        first = (k + 2) // 3
        last = n // 3  # groups [first, last) are pure
        if last > first:
            pure = enc[4 * first:4 * last]
            out.append(("base64+%d" % k, pure))
            out.append(("base64url+%d" % k,
                        pure.replace(b"+", b"-").replace(b"/", b"_")))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret-env", action="append", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    hits = 0
    for var in a.secret_env:
        secret = os.environ[var].encode()
        if len(secret) < 9:
            print("secret_scan: %s is shorter than 9 octets: every alignment "
                  "needs a whole base64 group" % var, file=sys.stderr)
            return 2
        for path in a.files:
            data = open(path, "rb").read()
            for name, needle in forms(secret):
                pos = data.find(needle)
                if pos >= 0:
                    print("secret_scan: %s: %s of $%s at offset %d" %
                          (path, name, var, pos))
                    hits += 1
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
