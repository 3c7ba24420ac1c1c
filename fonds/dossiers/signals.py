from django.dispatch import Signal

#: sent inside the transaction of every dossier transition, after its audit event:
#: kwargs dossier, transition, by, role, source, target. `workflows` advances the process on it.
dossier_transitioned = Signal()
