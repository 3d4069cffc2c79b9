"""A tiny aiosmtpd server for the rig: accepts every message, appends one
JSON line per message (envelope, size, SHA-256 of the content) to
--record, and runs until SIGTERM or SIGINT. With --tls-cert and
--tls-key it offers STARTTLS (aiosmtpd's tls_context); --require-tls
refuses mail before it (require_starttls). Recipients whose local part
starts with "nouser" are unknown users (550), as at the sink, so the
case library has a recipient to see refused."""
import argparse
import hashlib
import json
import signal
import ssl
import threading

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].lower().startswith("nouser"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or b""
        rec = {
            "mail_from": envelope.mail_from,
            "rcpt_to": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            "size": len(data),
            "data_sha256": hashlib.sha256(data).hexdigest(),
        }
        with self.lock, open(self.path, "a", encoding="utf-8") as fp:
            fp.write(json.dumps(rec) + "\n")
        return "250 2.0.0 Ok"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--require-tls", action="store_true")
    args = ap.parse_args()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    tls = {}
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        tls = {"tls_context": ctx, "require_starttls": args.require_tls}
    ctl = Controller(Recorder(args.record), hostname="127.0.0.1",
                     port=args.port, **tls)
    ctl.start()
    done.wait()
    ctl.stop()


if __name__ == "__main__":
    main()
