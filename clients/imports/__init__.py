"""Imports of the ledger: files of clients, contacts, interactions, invoices, payments or expenses.

An import reads a CSV or XLSX file of one kind (``ImportJob.Kind``), checks every row and shows a
preview (counts, the first rows, each error with its line and column) before anything is written.
Once confirmed, a file with any invalid row imports nothing (``rows.import_all_or_nothing``). A
large file is previewed and imported in the background, with progress (``jobs``).

- ``cells``: reading one cell (text, amounts, dates, choices, references).
- ``resources``: how each kind of file maps onto the models (django-import-export resources).
- ``files``: reading an uploaded file as a whole (type, encoding, columns, lines), the templates.
- ``rows``: checking and writing the rows, all or nothing.
- ``jobs``: an upload's job through its preview, its confirmation and its import.
- ``views`` and ``urls``: the pages (namespace ``imports``).

The package may import ``clients`` models, services, access, keys and locks, and ``config.celery``;
nothing from ``audits``, and never ``clients.tasks`` (tasks are sent by name; they import ``jobs``).
Within it, each module imports only those listed above it (views and urls excepted).
"""
