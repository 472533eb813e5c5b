"""Who may do what: roles and their permissions, accounts and passwords, signed-in
sessions, and the append-only audit log.  Stands beside the flow: it uses ``db/`` and
is used by the pages (``ui/auth.py``) and by :mod:`mapping.bootstrap`."""
