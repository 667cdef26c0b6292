"""Who does what with transitions: the audits permissions each role holds.

Account managers see their own clients' transitions and letters (the access rule of clients.access
scopes them); finance and admins move transitions and send letters; admins also manage the letter
templates, the alternative providers and the letterhead. clients/roles.py lists the same codes, so
that a flushed test database gets them back; the data migration grants them on a new database.
"""

SEE = ["audits.view_transition", "audits.view_letter"]
MOVE = [
    *SEE,
    "audits.add_transition",
    "audits.change_transition",
    "audits.manage_transitions",
    "audits.add_letter",
    "audits.change_letter",
    "audits.view_alternativeprovider",
    "audits.view_lettertemplate",
]
MANAGE = [
    *MOVE,
    "audits.add_alternativeprovider",
    "audits.change_alternativeprovider",
    "audits.add_lettertemplate",
    "audits.change_lettertemplate",
    "audits.view_letterhead",
    "audits.change_letterhead",
]
GRANTS = {"Account managers": SEE, "Finance": MOVE, "Admins": MANAGE}
