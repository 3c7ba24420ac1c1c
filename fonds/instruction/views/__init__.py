"""Instruction back office (DSFR, French): thin views over ``services``, ``queues`` and ``filters``,
one module per screen. Access (``common.staff_area``): instructors and administrators, auditors
read only; everybody else gets a 403 page before any dossier is looked up."""
