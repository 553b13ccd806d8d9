"""The school's records office: the pages and requests of the people who answer for the archive.

The data-protection officer searches the archive, places and lifts legal holds, requests
subject access exports and reads the audit log; the school admin sets the retention policy.
``archive`` keeps the records and imports no other app; this app sits above every app, so it may
read accounts, consent and messaging to name people, pupils and conversations.
"""
