"""Records and proof (issue 21, parts c and d): the complete dossier as one sealed PDF, per
audience, and the campaign archive for auditors. Reads every stage; changes none."""
