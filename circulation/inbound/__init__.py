"""Inbound mail: replies by mail become the member's reply (docs/mail-replies.md).

`service.receive_raw_message(raw, source=...)` is the one entry point of the MTA pipe
(`manage.py receive_mail`), the IMAP poll (`manage.py poll_imap`) and the demo
(`manage.py simulate_mail_reply`).
"""
