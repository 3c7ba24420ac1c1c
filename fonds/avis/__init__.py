"""Expert opinions (avis): an instructor asks an outside expert a question about a dossier, with a
deadline; the expert, a restricted account, reads only that dossier's submitted content and
answers once. Confidential opinions stay with the fund; shared ones reach the committee."""
