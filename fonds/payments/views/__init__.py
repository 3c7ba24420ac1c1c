"""Payment pages (DSFR, French): thin views over the service modules (changes) and ``queries`` (reads).

Back office (``common.finance_area``): finance staff read and act; administrators and auditors read
only (a POST is a 403 "Lecture seule"); everybody else — porteurs, instructors, committee
members — gets the 403 page before anything is looked up, so the answer discloses nothing.
Front office (``porteur``): a porteur of the dossier's commune.

Every irreversible step has its confirmation page; a refused operation shows the service's French
message and re-renders the form with what was typed.
"""
