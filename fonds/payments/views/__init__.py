"""Payment pages (DSFR, French): thin views over the service modules (changes) and ``queries`` (reads).

Back office (``common.finance_area``): finance reads and acts, administrators and auditors read
only, everybody else gets the 403 page before anything is looked up. Front office (``porteur``):
a porteur of the dossier's commune. Irreversible steps have a confirmation page.
"""
