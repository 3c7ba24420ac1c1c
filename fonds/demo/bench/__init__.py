"""The BENCH data set (``manage.py seed_bench``): five campaigns of real communes with every table
a production database fills — eligibility runs and verdicts, overrides, scores, assessments,
committee sessions, agenda items and votes, payment orders and batches, messages, and the audit
trail of all of it — inserted in bulk, never through the services (never in production).

``cast`` makes the people and campaigns, ``life`` the rows of one dossier's life, ``build``
writes them chunk by chunk with the chained audit events (``fonds.audit.chain.append_many``)."""
