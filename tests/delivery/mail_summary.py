#!/usr/bin/env python3
"""Prints the messages of a maildir (written by `python3 -m aiosmtpd -c
aiosmtpd.handlers.Mailbox DIR`) as JSON for tests/delivery_test.cpp: per
message its headers, text and html bodies and attachments (name, type, text)."""
import email
import email.policy
import json
import os
import sys

out = []
files = []
for sub in ("new", "cur"):
    folder = os.path.join(sys.argv[1], sub)
    if os.path.isdir(folder):
        files += [os.path.join(folder, name) for name in sorted(os.listdir(folder))]
for path in files:
    with open(path, "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.default)
    item = {"subject": str(msg["subject"]), "from": str(msg["from"]), "to": str(msg["to"]),
            "text": "", "html": "", "attachments": []}
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_filename():
            item["attachments"].append({"name": part.get_filename(), "type": part.get_content_type(),
                                        "content": part.get_content()})
        elif part.get_content_type() == "text/plain":
            item["text"] = part.get_content()
        elif part.get_content_type() == "text/html":
            item["html"] = part.get_content()
    out.append(item)
json.dump(out, sys.stdout)
